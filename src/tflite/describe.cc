#include "tflite/describe.h"

#include "tflite/builtin_options.h"

namespace cae {
namespace {

using nlohmann::json;
using BO = tflite_fb::BuiltinOptions;

// Names in files are untrusted bytes; JSON needs UTF-8. Each byte that starts no valid sequence
// becomes U+FFFD, as cli/json_output.h's PrintJson replaces them.
std::string Utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2;
    if (ok && n == 2) ok = c >= 0xc2;  // no overlong 2-byte forms
    if (ok && n == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);  // overlong, surrogates
    }
    if (ok && n == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = c <= 0xf4 && !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(s, i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

const char* PaddingName(Padding p) { return p == Padding::kSame ? "SAME" : "VALID"; }

// The fields of the options table TFLite uses for op.type.
json DescribeOptions(const Op& op) {
  const OpOptions& o = op.options;
  json j = json::object();
  switch (tflite_io::BuiltinOptionsTypeFor(op.type)) {
    case BO::Conv2DOptions:
    case BO::DepthwiseConv2DOptions:
      j = {{"padding", PaddingName(o.padding)},
           {"stride", {o.stride_h, o.stride_w}},
           {"dilation", {o.dilation_h, o.dilation_w}},
           {"activation", ActivationName(o.activation)}};
      if (op.type == OpType::DEPTHWISE_CONV_2D) j["depth_multiplier"] = o.depth_multiplier;
      break;
    case BO::TransposeConvOptions:
      j = {{"padding", PaddingName(o.padding)},
           {"stride", {o.stride_h, o.stride_w}},
           {"activation", ActivationName(o.activation)}};
      break;
    case BO::Pool2DOptions:
      j = {{"padding", PaddingName(o.padding)},
           {"stride", {o.stride_h, o.stride_w}},
           {"filter", {o.filter_h, o.filter_w}},
           {"activation", ActivationName(o.activation)}};
      break;
    case BO::FullyConnectedOptions:
      j = {{"activation", ActivationName(o.activation)},
           {"keep_num_dims", o.keep_num_dims},
           {"weights_format", o.weights_format},
           {"asymmetric_quantize_inputs", o.asymmetric_quantize_inputs}};
      break;
    case BO::ConcatenationOptions:
      j = {{"axis", o.axis}, {"activation", ActivationName(o.activation)}};
      break;
    case BO::AddOptions:
    case BO::SubOptions:
    case BO::MulOptions:
    case BO::DivOptions:
    case BO::L2NormOptions:
      j = {{"activation", ActivationName(o.activation)}};
      break;
    case BO::SoftmaxOptions:
      j = {{"beta", o.beta}};
      break;
    case BO::ResizeBilinearOptions:
    case BO::ResizeNearestNeighborOptions:
      j = {{"align_corners", o.align_corners}, {"half_pixel_centers", o.half_pixel_centers}};
      break;
    case BO::ReshapeOptions:
      j = {{"new_shape", o.new_shape}};
      break;
    case BO::SqueezeOptions:
      j = {{"squeeze_dims", o.squeeze_dims}};
      break;
    case BO::ReducerOptions:
      j = {{"keep_dims", o.keep_dims}};
      break;
    case BO::LeakyReluOptions:
      j = {{"alpha", o.alpha}};
      break;
    case BO::GeluOptions:
      j = {{"approximate", o.approximate}};
      break;
    case BO::SplitOptions:
    case BO::SplitVOptions:
      j = {{"num_splits", o.num_splits}};
      break;
    case BO::ArgMaxOptions:
    case BO::ArgMinOptions:
      j = {{"output_type", DTypeName(o.output_type)}};
      break;
    case BO::StridedSliceOptions:
      j = {{"begin_mask", o.begin_mask},
           {"end_mask", o.end_mask},
           {"ellipsis_mask", o.ellipsis_mask},
           {"new_axis_mask", o.new_axis_mask},
           {"shrink_axis_mask", o.shrink_axis_mask},
           {"offset", o.offset}};
      break;
    case BO::UnidirectionalSequenceLSTMOptions:
    case BO::LSTMOptions:
      j = {{"activation", ActivationName(o.activation)},
           {"cell_clip", o.cell_clip},
           {"proj_clip", o.proj_clip},
           {"time_major", o.time_major}};
      break;
    case BO::CallOptions:
    case BO::CallOnceOptions:
      j = {{"subgraph", o.call_subgraph_index}};
      break;
    case BO::IfOptions:
      j = {{"then_subgraph", o.then_subgraph_index}, {"else_subgraph", o.else_subgraph_index}};
      break;
    case BO::WhileOptions:
      j = {{"cond_subgraph", o.cond_subgraph_index}, {"body_subgraph", o.body_subgraph_index}};
      break;
    default:
      break;
  }
  return j;
}

json DescribeTensor(const Tensor& t, int index) {
  json j = {{"index", index},
            {"name", Utf8(t.name)},
            {"shape", t.shape},
            {"type", DTypeName(t.type)},
            {"constant_bytes", t.data.size()}};
  if (!t.shape_signature.empty() && t.shape_signature != t.shape)
    j["shape_signature"] = t.shape_signature;
  if (!t.quant.empty()) {
    j["quantization"] = {{"scale", t.quant.scale},
                         {"zero_point", t.quant.zero_point},
                         {"quantized_dimension", t.quant.quantized_dimension}};
  }
  if (t.is_variable) j["is_variable"] = true;
  return j;
}

json DescribeOpJson(const Op& op, int index) {
  json j = {
      {"index", index},
      {"op", op.type == OpType::CUSTOM ? "CUSTOM:" + Utf8(op.custom_code) : OpTypeName(op.type)},
      {"version", op.version},
      {"inputs", op.inputs},
      {"outputs", op.outputs},
      {"options", DescribeOptions(op)}};
  if (!op.custom_options.empty()) j["custom_options_bytes"] = op.custom_options.size();
  if (!op.intermediates.empty()) j["intermediates"] = op.intermediates;
  return j;
}

}  // namespace

nlohmann::json DescribeTfliteModel(const Model& model) {
  json j;
  j["source"] = Utf8(model.source);
  j["description"] = Utf8(model.description);
  json metadata = json::array();
  for (const auto& [name, bytes] : model.metadata) metadata.push_back(Utf8(name));
  j["metadata"] = metadata;
  uint64_t parameter_bytes = 0;
  json subgraphs = json::array();
  for (const Graph& g : model.subgraphs) {
    json sg = {{"name", Utf8(g.name)}, {"inputs", g.inputs}, {"outputs", g.outputs}};
    json tensors = json::array();
    for (size_t i = 0; i < g.tensors.size(); ++i) {
      tensors.push_back(DescribeTensor(g.tensors[i], static_cast<int>(i)));
      parameter_bytes += g.tensors[i].data.size();
    }
    json ops = json::array();
    for (size_t i = 0; i < g.ops.size(); ++i)
      ops.push_back(DescribeOpJson(g.ops[i], static_cast<int>(i)));
    sg["tensors"] = std::move(tensors);
    sg["ops"] = std::move(ops);
    subgraphs.push_back(std::move(sg));
  }
  j["parameter_bytes"] = parameter_bytes;
  j["subgraphs"] = std::move(subgraphs);
  if (!model.subgraphs.empty()) {
    j["inputs"] = model.main().inputs;
    j["outputs"] = model.main().outputs;
  }
  return j;
}

}  // namespace cae
