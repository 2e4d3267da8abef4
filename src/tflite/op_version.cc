#include "tflite/op_version.h"

#include <map>
#include <utility>

namespace cae {
namespace {

// How an op is used, as far as the version rules look: its input/output tensors (absent inputs
// have no type) and its options.
struct Use {
  const Graph& g;
  const Op& op;

  bool has_input(size_t i) const { return i < op.inputs.size() && op.inputs[i] >= 0; }
  const Tensor* in(size_t i) const { return has_input(i) ? &g.tensors.at(op.inputs[i]) : nullptr; }
  const Tensor* out(size_t i) const {
    return i < op.outputs.size() && op.outputs[i] >= 0 ? &g.tensors.at(op.outputs[i]) : nullptr;
  }
  bool in_is(size_t i, DType t) const { return in(i) && in(i)->type == t; }
  bool out_is(size_t i, DType t) const { return out(i) && out(i)->type == t; }
  size_t in_rank(size_t i) const { return in(i) ? in(i)->shape.size() : 0; }
  bool in_per_channel(size_t i) const { return in(i) && in(i)->quant.scale.size() > 1; }
  bool in_quantized(size_t i) const { return in(i) && !in(i)->quant.scale.empty(); }
  // Hybrid: float activations, int8 weights (input 1 for conv/FC), float output.
  bool hybrid(size_t weights = 1) const {
    return in_is(0, DType::kFloat32) && in_is(weights, DType::kInt8) && out_is(0, DType::kFloat32);
  }
  bool all_int16() const { return in_is(0, DType::kInt16) && out_is(0, DType::kInt16); }
  bool needs_broadcast() const {
    return op.inputs.size() >= 2 && in(0) && in(1) && in(0)->shape != in(1)->shape;
  }
  size_t max_input_rank() const {
    size_t r = 0;
    for (size_t i = 0; i < op.inputs.size(); ++i) r = std::max(r, in_rank(i));
    return r;
  }
};

// Typical ladder: int16 -> v_int16, int8 -> 2, else 1.
int Int8Int16(const Use& u, int v_int16) {
  if (v_int16 > 0 && u.in_is(0, DType::kInt16)) return v_int16;
  if (u.in_is(0, DType::kInt8)) return 2;
  return 1;
}

int Conv2D(const Use& u) {
  // Grouped convolution: input channels a multiple (> 1) of the filter's input channels.
  const Tensor* in = u.in(0);
  const Tensor* w = u.in(1);
  if (in && w && in->shape.size() == 4 && w->shape.size() == 4 && w->shape[3] > 0 &&
      in->shape[3] != w->shape[3])
    return 6;
  if (u.in_is(0, DType::kInt16) && u.in_is(1, DType::kInt16) && u.out_is(0, DType::kInt16))
    return 4;
  if (u.in_is(0, DType::kInt8) && u.in_is(1, DType::kInt8) && u.out_is(0, DType::kInt8)) return 3;
  if (u.hybrid()) return u.in_per_channel(1) ? 5 : 2;
  return 1;
}

int DepthwiseConv2D(const Use& u) {
  if (u.in_is(0, DType::kInt16) && u.in_is(1, DType::kInt16) && u.out_is(0, DType::kInt16))
    return 5;
  if (u.hybrid()) return u.in_per_channel(1) ? 6 : 4;
  if (u.in_is(0, DType::kInt8) && u.in_is(1, DType::kInt8) && u.out_is(0, DType::kInt8)) return 3;
  if (u.op.options.dilation_w != 1 || u.op.options.dilation_h != 1) return 2;
  return 1;
}

int FullyConnected(const Use& u) {
  const OpOptions& o = u.op.options;
  if (u.hybrid() && u.in_per_channel(1)) return 12;
  if (u.in_is(0, DType::kInt16) && u.in_is(1, DType::kInt16) && u.out_is(0, DType::kInt16))
    return 7;
  if (u.op.inputs.size() == 2) return 6;
  if (o.keep_num_dims) return 5;
  if (u.in_is(0, DType::kInt8) && u.in_is(1, DType::kInt8) && u.out_is(0, DType::kInt8)) return 4;
  if (u.hybrid()) return o.asymmetric_quantize_inputs ? 9 : 3;
  if (o.weights_format == 1) return 2;
  return 1;
}

int TransposeConv(const Use& u) {
  if (u.op.options.activation != Activation::kNone) return 4;
  if (u.op.inputs.size() == 4 && u.has_input(3)) return 3;
  if (u.in_is(1, DType::kInt8)) return 2;
  return 1;
}

int Mul(const Use& u) {
  if (u.in_is(0, DType::kInt16) && !u.in_quantized(0)) return 7;
  if (u.in_is(0, DType::kComplex64)) return 6;
  if (u.in_is(0, DType::kInt64)) return 5;
  if (u.in_is(0, DType::kInt16)) return 4;
  const Tensor* a = u.in(0);
  const Tensor* b = u.in(1);
  const Tensor* c = u.out(0);
  if (a && b && c && a->quant.scale.size() == 1 && b->quant.scale.size() == 1 &&
      c->quant.scale.size() == 1 && a->quant.scale[0] != 0 && b->quant.scale[0] != 0 &&
      c->quant.scale[0] != 0 && a->quant.scale[0] * b->quant.scale[0] / c->quant.scale[0] >= 1.0f)
    return 3;
  if (u.in_is(0, DType::kInt8)) return 2;
  return 1;
}

int Add(const Use& u) {
  if (u.in_is(0, DType::kInt16) && !u.in_quantized(0)) return 5;
  if (u.in_is(0, DType::kInt64)) return 4;
  if (u.all_int16() && !u.op.options.pot_scale_int16) return 3;
  if (u.in_is(0, DType::kInt8)) return 2;
  return 1;
}

int Sub(const Use& u) {
  if (u.all_int16() && !u.op.options.pot_scale_int16) return 5;
  if (u.in_is(0, DType::kInt64)) return 4;
  if (u.needs_broadcast() && u.max_input_rank() > 4) return 3;
  if (u.in_is(0, DType::kInt8)) return 2;
  return 1;
}

int Version(const Use& u) {
  const OpOptions& o = u.op.options;
  switch (u.op.type) {
    case OpType::CONV_2D:
      return Conv2D(u);
    case OpType::DEPTHWISE_CONV_2D:
      return DepthwiseConv2D(u);
    case OpType::FULLY_CONNECTED:
      return FullyConnected(u);
    case OpType::TRANSPOSE_CONV:
      return TransposeConv(u);
    case OpType::MUL:
      return Mul(u);
    case OpType::ADD:
      return Add(u);
    case OpType::SUB:
      return Sub(u);
    case OpType::MAX_POOL_2D:
    case OpType::AVERAGE_POOL_2D:
      if (u.all_int16()) return 3;
      return Int8Int16(u, 0);
    case OpType::LOGISTIC:
    case OpType::TANH:
      if (u.all_int16()) return 3;
      return Int8Int16(u, 0);
    case OpType::SOFTMAX:
    case OpType::MEAN:
    case OpType::RELU6:
    case OpType::CONCATENATION:
      return Int8Int16(u, 3);
    case OpType::RELU:
      if (u.in_is(0, DType::kInt16)) return 3;
      if (u.in_is(0, DType::kInt8) || u.in_is(0, DType::kUInt8)) return 2;
      return 1;
    case OpType::LEAKY_RELU:
      return u.in_is(0, DType::kInt16) ? 2 : 1;
    case OpType::REDUCE_MAX:
    case OpType::REDUCE_MIN:
      if (u.in_is(0, DType::kInt16)) return 3;
      return u.in_is(0, DType::kInt8) ? 2 : 1;
    case OpType::RESIZE_BILINEAR:
      if (u.in_is(0, DType::kInt16)) return 4;
      if (o.half_pixel_centers) return 3;
      return Int8Int16(u, 0);
    case OpType::RESIZE_NEAREST_NEIGHBOR:
      if (u.in_is(0, DType::kInt16)) return 4;
      if (o.half_pixel_centers || o.align_corners) return 3;
      return Int8Int16(u, 0);
    case OpType::SQUEEZE:
      return u.in_is(0, DType::kString) ? 2 : 1;
    case OpType::PAD:
    case OpType::PADV2:
      if (u.in_rank(0) > 4) return 4;
      return Int8Int16(u, 3);
    case OpType::QUANTIZE:
      if (u.out(0) && u.out(0)->quant.scale.size() > 1) return 3;
      if (u.out_is(0, DType::kInt16)) return 2;
      return 1;
    case OpType::DEQUANTIZE:
      if (u.in_is(0, DType::kInt16) || u.in_is(0, DType::kFloat16)) return 3;
      if (u.in_is(0, DType::kInt8)) return u.in_per_channel(0) ? 5 : 2;
      return 1;
    case OpType::ARG_MAX:
    case OpType::ARG_MIN:
      if (u.in_is(0, DType::kBool)) return 3;
      return Int8Int16(u, 0);
    case OpType::TILE:
      if (u.in_is(0, DType::kInt8)) return 3;
      if (u.in_is(0, DType::kString)) return 2;
      return 1;
    case OpType::SPLIT:  // input 0 is the axis
      if (u.in_is(1, DType::kInt16)) return 4;
      if (u.in_is(1, DType::kInt32)) return 3;
      if (u.in_is(1, DType::kInt8)) return 2;
      return 1;
    case OpType::MAXIMUM:
    case OpType::MINIMUM:
      if (u.all_int16()) return 4;
      if (u.needs_broadcast() && u.max_input_rank() > 4) return 3;
      return Int8Int16(u, 0);
    case OpType::GELU:
      return u.in_is(0, DType::kInt8) || u.in_is(0, DType::kUInt8) ? 2 : 1;
    case OpType::EXP:
    case OpType::LOG:
      return u.in_is(0, DType::kInt8) || u.in_is(0, DType::kInt16) ? 2 : 1;
    case OpType::SLICE:
      if (u.in_rank(0) > 4) return 5;
      if (u.in_is(0, DType::kInt16)) return 4;
      if (u.in_is(0, DType::kString)) return 3;
      return Int8Int16(u, 0);
    case OpType::STRIDED_SLICE:
      if (o.offset) return 8;
      if (o.ellipsis_mask != 0 || o.new_axis_mask != 0) return 6;
      if (u.in_is(0, DType::kString)) return 5;
      if (u.in_rank(0) > 4) return 4;
      if (u.in_is(0, DType::kBool)) return 3;
      return Int8Int16(u, 0);
    case OpType::UNIDIRECTIONAL_SEQUENCE_LSTM:
      if (u.in_is(0, DType::kInt16) && u.in_is(2, DType::kInt8) && u.out_is(0, DType::kInt16))
        return 5;
      if (u.hybrid(2)) return o.asymmetric_quantize_inputs ? 3 : 2;
      return 1;
    default:  // RESHAPE, PRELU, HARD_SWISH, ELU, EXPAND_DIMS, ...: one version
      return 1;
  }
}

// The first TFLite release with each (op, version), for the ops this project writes.
const std::map<std::pair<OpType, int>, std::string>& RuntimeVersions() {
  static const auto* table = new std::map<std::pair<OpType, int>, std::string>{
      {{OpType::AVERAGE_POOL_2D, 1}, "1.5.0"},
      {{OpType::AVERAGE_POOL_2D, 2}, "1.14.0"},
      {{OpType::AVERAGE_POOL_2D, 3}, "2.3.0"},
      {{OpType::MAX_POOL_2D, 1}, "1.5.0"},
      {{OpType::MAX_POOL_2D, 2}, "1.14.0"},
      {{OpType::MAX_POOL_2D, 3}, "2.3.0"},
      {{OpType::CONV_2D, 1}, "1.5.0"},
      {{OpType::CONV_2D, 2}, "1.14.0"},
      {{OpType::CONV_2D, 3}, "1.14.0"},
      {{OpType::CONV_2D, 4}, "2.3.0"},
      {{OpType::CONV_2D, 5}, "2.4.0"},
      {{OpType::CONV_2D, 6}, "2.9.0"},
      {{OpType::DEPTHWISE_CONV_2D, 1}, "1.5.0"},
      {{OpType::DEPTHWISE_CONV_2D, 2}, "1.12.0"},
      {{OpType::DEPTHWISE_CONV_2D, 3}, "1.14.0"},
      {{OpType::DEPTHWISE_CONV_2D, 4}, "2.2.0"},
      {{OpType::DEPTHWISE_CONV_2D, 5}, "2.3.0"},
      {{OpType::DEPTHWISE_CONV_2D, 6}, "2.3.0"},
      {{OpType::TRANSPOSE_CONV, 1}, "1.9.0"},
      {{OpType::TRANSPOSE_CONV, 2}, "2.2.0"},
      {{OpType::TRANSPOSE_CONV, 3}, "2.3.0"},
      {{OpType::FULLY_CONNECTED, 1}, "1.5.0"},
      {{OpType::FULLY_CONNECTED, 2}, "1.10.0"},
      {{OpType::FULLY_CONNECTED, 3}, "1.14.0"},
      {{OpType::FULLY_CONNECTED, 4}, "1.14.0"},
      {{OpType::FULLY_CONNECTED, 5}, "2.0.0"},
      {{OpType::FULLY_CONNECTED, 6}, "2.1.0"},
      {{OpType::FULLY_CONNECTED, 7}, "2.3.0"},
      {{OpType::FULLY_CONNECTED, 8}, "2.3.0"},
      {{OpType::FULLY_CONNECTED, 9}, "2.3.0"},
      {{OpType::ADD, 1}, "1.5.0"},
      {{OpType::ADD, 2}, "1.14.0"},
      {{OpType::ADD, 3}, "2.4.0"},
      {{OpType::ADD, 4}, "2.6.0"},
      {{OpType::SUB, 1}, "1.6.0"},
      {{OpType::SUB, 2}, "1.14.0"},
      {{OpType::SUB, 3}, "2.3.0"},
      {{OpType::SUB, 4}, "2.4.0"},
      {{OpType::SUB, 5}, "2.4.0"},
      {{OpType::MUL, 1}, "1.5.0"},
      {{OpType::MUL, 2}, "1.14.0"},
      {{OpType::MUL, 3}, "1.15.0"},
      {{OpType::MUL, 4}, "2.3.0"},
      {{OpType::MUL, 5}, "2.6.0"},
      {{OpType::CONCATENATION, 1}, "1.5.0"},
      {{OpType::CONCATENATION, 2}, "1.14.0"},
      {{OpType::CONCATENATION, 3}, "2.3.0"},
      {{OpType::MAXIMUM, 1}, "1.14.0"},
      {{OpType::MAXIMUM, 2}, "1.14.0"},
      {{OpType::MAXIMUM, 3}, "2.3.0"},
      {{OpType::MAXIMUM, 4}, "2.3.0"},
      {{OpType::MINIMUM, 1}, "1.14.0"},
      {{OpType::MINIMUM, 2}, "1.14.0"},
      {{OpType::MINIMUM, 3}, "2.3.0"},
      {{OpType::MINIMUM, 4}, "2.3.0"},
      {{OpType::PAD, 1}, "1.5.0"},
      {{OpType::PAD, 2}, "1.14.0"},
      {{OpType::PAD, 3}, "2.4.0"},
      {{OpType::PAD, 4}, "2.6.0"},
      {{OpType::TILE, 1}, "1.10.1"},
      {{OpType::TILE, 2}, "2.2.0"},
      {{OpType::TILE, 3}, "2.8.0"},
      {{OpType::RESHAPE, 1}, "1.5.0"},
      {{OpType::SOFTMAX, 1}, "1.5.0"},
      {{OpType::SOFTMAX, 2}, "1.14.0"},
      {{OpType::SOFTMAX, 3}, "2.3.0"},
      {{OpType::MEAN, 1}, "1.6.0"},
      {{OpType::MEAN, 2}, "1.14.0"},
      {{OpType::MEAN, 3}, "2.4.0"},
      {{OpType::REDUCE_MAX, 1}, "1.11.0"},
      {{OpType::REDUCE_MAX, 2}, "1.14.0"},
      {{OpType::REDUCE_MAX, 3}, "2.5.0"},
      {{OpType::REDUCE_MIN, 1}, "1.11.0"},
      {{OpType::REDUCE_MIN, 2}, "1.14.0"},
      {{OpType::REDUCE_MIN, 3}, "2.5.0"},
      {{OpType::RELU6, 1}, "1.5.0"},
      {{OpType::RELU6, 2}, "1.14.0"},
      {{OpType::RELU6, 3}, "2.5.0"},
      {{OpType::RELU, 1}, "1.5.0"},
      {{OpType::RELU, 2}, "2.1.0"},
      {{OpType::RELU, 3}, "2.5.0"},
      {{OpType::RESIZE_BILINEAR, 1}, "1.7.0"},
      {{OpType::RESIZE_BILINEAR, 2}, "1.14.0"},
      {{OpType::RESIZE_BILINEAR, 3}, "2.2.0"},
      {{OpType::RESIZE_BILINEAR, 4}, "2.5.0"},
      {{OpType::RESIZE_NEAREST_NEIGHBOR, 1}, "1.13.1"},
      {{OpType::RESIZE_NEAREST_NEIGHBOR, 2}, "1.14.0"},
      {{OpType::RESIZE_NEAREST_NEIGHBOR, 3}, "2.3.0"},
      {{OpType::RESIZE_NEAREST_NEIGHBOR, 4}, "2.4.0"},
      {{OpType::SQUEEZE, 1}, "1.6.0"},
      {{OpType::SQUEEZE, 2}, "2.5.0"},
      {{OpType::SPLIT, 1}, "1.5.0"},
      {{OpType::SPLIT, 2}, "1.14.0"},
      {{OpType::SPLIT, 3}, "1.14.0"},
      {{OpType::SPLIT, 4}, "2.3.0"},
      {{OpType::STRIDED_SLICE, 1}, "1.6.0"},
      {{OpType::STRIDED_SLICE, 2}, "1.14.0"},
      {{OpType::STRIDED_SLICE, 3}, "2.1.0"},
      {{OpType::STRIDED_SLICE, 4}, "2.2.0"},
      {{OpType::STRIDED_SLICE, 5}, "2.5.0"},
      {{OpType::STRIDED_SLICE, 6}, "2.6.0"},
      {{OpType::ARG_MAX, 1}, "1.9.0"},
      {{OpType::ARG_MAX, 2}, "1.14.0"},
      {{OpType::ARG_MAX, 3}, "2.9.0"},
      {{OpType::SLICE, 1}, "1.14.0"},
      {{OpType::SLICE, 2}, "1.14.0"},
      {{OpType::SLICE, 3}, "1.14.0"},
      {{OpType::SLICE, 4}, "2.4.0"},
      {{OpType::SLICE, 5}, "2.5.0"},
      {{OpType::TANH, 1}, "1.14.0"},
      {{OpType::TANH, 2}, "1.14.0"},
      {{OpType::TANH, 3}, "2.3.0"},
      {{OpType::LOGISTIC, 1}, "1.14.0"},
      {{OpType::LOGISTIC, 2}, "1.14.0"},
      {{OpType::LOGISTIC, 3}, "2.3.0"},
      {{OpType::LEAKY_RELU, 1}, "1.13.1"},
      {{OpType::LEAKY_RELU, 2}, "2.3.0"},
      {{OpType::PRELU, 1}, "1.8.0"},
      {{OpType::ELU, 1}, "1.14.0"},
      {{OpType::HARD_SWISH, 1}, "1.15.0"},
      {{OpType::EXP, 1}, "1.7.0"},
      {{OpType::LOG, 1}, "1.14.0"},
      {{OpType::EXPAND_DIMS, 1}, "1.10.0"},
      {{OpType::QUANTIZE, 1}, "1.14.0"},
      {{OpType::QUANTIZE, 2}, "1.15.0"},
      {{OpType::QUANTIZE, 3}, "2.7.0"},
      {{OpType::DEQUANTIZE, 1}, "1.13.1"},
      {{OpType::DEQUANTIZE, 2}, "1.14.0"},
      {{OpType::DEQUANTIZE, 3}, "1.15.0"},
      {{OpType::DEQUANTIZE, 4}, "2.2.0"},
      {{OpType::DEQUANTIZE, 5}, "2.7.0"},
      {{OpType::GELU, 1}, "2.9.0"},
      {{OpType::GELU, 2}, "2.9.0"},
      {{OpType::UNIDIRECTIONAL_SEQUENCE_LSTM, 1}, "1.13.1"},
      {{OpType::UNIDIRECTIONAL_SEQUENCE_LSTM, 2}, "1.14.0"},
      {{OpType::UNIDIRECTIONAL_SEQUENCE_LSTM, 3}, "2.3.0"},
  };
  return *table;
}

// True if dotted version a is older than b ("1.14.0" < "2.3.0").
bool OlderThan(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    long x = 0, y = 0;
    while (i < a.size() && a[i] != '.') x = x * 10 + (a[i++] - '0');
    while (j < b.size() && b[j] != '.') y = y * 10 + (b[j++] - '0');
    if (x != y) return x < y;
    ++i;
    ++j;
  }
  return j < b.size();
}

}  // namespace

int TfliteOpVersion(const Graph& g, int op_index) {
  const Op& op = g.ops.at(op_index);
  if (op.type == OpType::CUSTOM) return op.version;
  return Version(Use{g, op});
}

void AssignOpVersions(Model& model) {
  for (Graph& g : model.subgraphs) {
    for (size_t i = 0; i < g.ops.size(); ++i) {
      if (g.ops[i].type != OpType::CUSTOM)
        g.ops[i].version = TfliteOpVersion(g, static_cast<int>(i));
    }
  }
}

std::string MinRuntimeVersion(const Model& model) {
  std::string best;
  for (const Graph& g : model.subgraphs) {
    for (const Op& op : g.ops) {
      auto it = RuntimeVersions().find({op.type, op.version});
      if (it != RuntimeVersions().end() && (best.empty() || OlderThan(best, it->second)))
        best = it->second;
    }
  }
  return best;
}

}  // namespace cae
