#include "quant/data_bias_correction.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "graph/error.h"
#include "passes/graph_edit.h"
#include "quant/int8_rules.h"
#include "runtime/interpreter.h"

namespace cae::quant {
namespace {

// The model input for samples [start, start + c): float32 as is, int8/uint8 quantized with the
// input's parameters.
TensorData InputChunk(const Tensor& input, const TensorData& samples, int start, int c, int64_t per_sample) {
  std::vector<int32_t> shape = input.shape;
  shape[0] = c;
  const float* src = reinterpret_cast<const float*>(samples.bytes.data()) + static_cast<size_t>(start * per_sample);
  const size_t n = static_cast<size_t>(c * per_sample);
  TensorData in(input.type, shape);
  if (input.type == DType::kFloat32) {
    std::memcpy(in.bytes.data(), src, n * 4);
    return in;
  }
  Check(!input.quant.scale.empty() && !input.quant.zero_point.empty(), "bias correction: input ",
        input.name, " has no quantization parameters");
  const float s = input.quant.scale[0];
  const int zp = static_cast<int>(input.quant.zero_point[0]);
  const bool u8 = input.type == DType::kUInt8;
  for (size_t i = 0; i < n; ++i) {
    const float q = std::clamp(std::round(src[i] / s) + static_cast<float>(zp), u8 ? 0.0f : -128.0f, u8 ? 255.0f : 127.0f);
    if (u8) in.bytes[i] = static_cast<uint8_t>(q);
    else reinterpret_cast<int8_t*>(in.bytes.data())[i] = static_cast<int8_t>(q);
  }
  return in;
}

}  // namespace

int CorrectBiasesOnData(Model& model, const Model& float_model, const TensorData& samples, int count) {
  Graph& g = model.main();
  Check(g.inputs.size() == 1, "bias correction: the model has ", g.inputs.size(), " inputs, expected 1");
  Check(samples.type == DType::kFloat32 && !samples.shape.empty() && samples.shape[0] >= 1,
        "bias correction: samples must be float32 [N, ...]");
  const Tensor& input = g.tensors[static_cast<size_t>(g.inputs[0])];
  Check(!input.shape.empty(), "bias correction: input ", input.name, " has no batch dim");
  int64_t per_sample = 1;
  for (size_t d = 1; d < input.shape.size(); ++d) per_sample *= input.shape[d];
  Check(per_sample > 0 && samples.num_elements() % per_sample == 0 &&
            samples.num_elements() / per_sample == samples.shape[0],
        "bias correction: samples hold ", samples.num_elements(), " values, not a multiple of the input's ",
        per_sample);
  count = static_cast<int>(std::min<int64_t>(std::max(count, 1), samples.shape[0]));
  // Float means of each weighted op's output, clamped to the int8 output's range (what int8
  // could represent at best), from one run of the float model.
  const Graph& fg = float_model.main();
  ChannelMeans float_means(g.tensors.size());
  std::vector<int64_t> float_rows(g.tensors.size(), 0);
  {
    Interpreter fi(float_model);
    Check(fi.input(0).type == DType::kFloat32, "bias correction: the float model's input is not float32");
    for (int start = 0; start < count; start += 16) {
      const int c = std::min(16, count - start);
      fi.Run({InputChunk(fi.input(0), samples, start, c, per_sample)},
             [&](int index, const std::vector<TensorView*>& outputs) {
               if (index < 0 || static_cast<size_t>(index) >= fg.ops.size() || outputs.empty() || !outputs[0]) return;
               if (Int8KindOf(fg.ops[static_cast<size_t>(index)].type) != Int8Kind::kWeighted) return;
               const TensorView* v = outputs[0];
               const int t = v->tensor_index;
               if (v->type != DType::kFloat32 || t < 0 || static_cast<size_t>(t) >= g.tensors.size() || v->shape.empty()) return;
               const Tensor& qt = g.tensors[static_cast<size_t>(t)];
               if (qt.type != DType::kInt8 || qt.quant.scale.empty() || qt.quant.zero_point.empty()) return;
               const float lo = (-128.0f - static_cast<float>(qt.quant.zero_point[0])) * qt.quant.scale[0];
               const float hi = (127.0f - static_cast<float>(qt.quant.zero_point[0])) * qt.quant.scale[0];
               const size_t ch = static_cast<size_t>(v->shape.back());
               std::vector<float>& m = float_means[static_cast<size_t>(t)];
               if (m.empty()) m.assign(ch, 0.0f);
               if (m.size() != ch) return;
               const float* d = v->as<float>();
               const int64_t n = v->num_elements();
               for (int64_t k = 0; k < n; ++k) m[static_cast<size_t>(k) % ch] += std::clamp(d[k], lo, hi);
               float_rows[static_cast<size_t>(t)] += n / static_cast<int64_t>(ch);
             });
    }
    for (size_t t = 0; t < float_means.size(); ++t) {
      for (float& v : float_means[t]) v /= static_cast<float>(std::max<int64_t>(float_rows[t], 1));
    }
  }
  int corrected = 0;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    if (Int8KindOf(op.type) != Int8Kind::kWeighted || op.outputs.empty()) continue;
    const WeightSlots s = WeightSlotsOf(op.type, false);
    const int b = s.bias < static_cast<int>(op.inputs.size()) ? op.inputs[s.bias] : -1;
    const int o = op.outputs[0];
    if (!passes::ValidTensor(g, b) || !passes::ValidTensor(g, o)) continue;
    const Tensor& bt = g.tensors[static_cast<size_t>(b)];
    const Tensor& ot = g.tensors[static_cast<size_t>(o)];
    if (bt.type != DType::kInt32 || ot.type != DType::kInt8 || ot.shape.empty() || ot.quant.scale.empty() ||
        static_cast<size_t>(o) >= float_means.size())
      continue;
    const std::vector<float>& fm = float_means[static_cast<size_t>(o)];
    const size_t channels = static_cast<size_t>(ot.shape.back());
    if (fm.size() != channels || bt.data.size() != channels * 4 || bt.quant.scale.size() != channels) continue;

    std::vector<double> sum(channels, 0.0);
    int64_t rows = 0;
    const float os = ot.quant.scale[0];
    const int ozp = ot.quant.zero_point.empty() ? 0 : static_cast<int>(ot.quant.zero_point[0]);
    Interpreter interp(model);
    const int chunk = 16;
    for (int start = 0; start < count; start += chunk) {
      const int c = std::min(chunk, count - start);
      interp.Run({InputChunk(interp.input(0), samples, start, c, per_sample)},
                 [&](int index, const std::vector<TensorView*>& outputs) {
                   if (index != static_cast<int>(i) || outputs.empty() || !outputs[0]) return;
                   const TensorView* v = outputs[0];
                   if (v->type != DType::kInt8) return;
                   const int8_t* d = v->as<int8_t>();
                   const int64_t n = v->num_elements();
                   for (int64_t k = 0; k < n; ++k) sum[static_cast<size_t>(k) % channels] += d[k] - ozp;
                   rows += n / static_cast<int64_t>(channels);
                 });
    }
    if (rows == 0) continue;
    Tensor& bw = g.tensors[static_cast<size_t>(b)];
    int32_t* q = reinterpret_cast<int32_t*>(bw.data.data());
    for (size_t c = 0; c < channels; ++c) {
      const double diff = sum[c] / static_cast<double>(rows) * os - fm[c];
      const double v = static_cast<double>(q[c]) - std::round(diff / bw.quant.scale[c]);
      q[c] = static_cast<int32_t>(std::clamp(v, static_cast<double>(std::numeric_limits<int32_t>::min()),
                                             static_cast<double>(std::numeric_limits<int32_t>::max())));
    }
    ++corrected;
  }
  return corrected;
}

}  // namespace cae::quant
