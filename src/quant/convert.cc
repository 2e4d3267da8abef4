#include "quant/convert.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "graph/error.h"
#include "graph/validate.h"
#include "quant/data_bias_correction.h"
#include "quant/dynamic_range.h"
#include "quant/float16.h"
#include "quant/int8_quantizer.h"
#include "tflite/op_version.h"

namespace cae::quant {

QuantMode ParseQuantMode(std::string_view s) {
  if (s == "float32") return QuantMode::kFloat32;
  if (s == "float16") return QuantMode::kFloat16;
  if (s == "dynamic") return QuantMode::kDynamic;
  if (s == "int8") return QuantMode::kInt8;
  Fail("quantization '", s, "' is not one of float32, float16, dynamic, int8");
}

const char* QuantModeName(QuantMode m) {
  switch (m) {
    case QuantMode::kFloat32: return "float32";
    case QuantMode::kFloat16: return "float16";
    case QuantMode::kDynamic: return "dynamic";
    case QuantMode::kInt8: return "int8";
  }
  return "?";
}

IoType ParseIoType(std::string_view s) {
  if (s == "float32") return IoType::kFloat32;
  if (s == "int8") return IoType::kInt8;
  if (s == "uint8") return IoType::kUInt8;
  Fail("IO type '", s, "' is not one of float32, int8, uint8");
}

const char* IoTypeName(IoType t) {
  switch (t) {
    case IoType::kFloat32: return "float32";
    case IoType::kInt8: return "int8";
    case IoType::kUInt8: return "uint8";
  }
  return "?";
}

int64_t ConstantBytes(const Model& model) {
  int64_t bytes = 0;
  for (const Tensor& t : model.main().tensors) bytes += static_cast<int64_t>(t.data.size());
  return bytes;
}

namespace {

// The model must be a float32 graph with finite constants.
void CheckFloatModel(const Model& m) {
  const std::string where = m.source.empty() ? std::string("model") : m.source;
  Check(!m.subgraphs.empty(), where, ": no subgraph");
  Check(m.subgraphs.size() == 1, where, ": has ", m.subgraphs.size(),
        " subgraphs; conversion handles single-graph models only");
  const Graph& g = m.main();
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& t = g.tensors[i];
    const int ti = static_cast<int>(i);
    if (t.type == DType::kFloat32) {
      if (!t.is_constant()) continue;
      Check(t.data.size() % 4 == 0, where, ": ", DescribeTensor(g, ti), ": data size ", t.data.size(),
            " is not a multiple of 4");
      continue;
    }
    const bool activation = !t.is_constant();
    Check(!(activation && (t.type == DType::kFloat16 || IsQuantizedType(t.type))), where, ": ",
          DescribeTensor(g, ti), " is ", DTypeName(t.type),
          "; conversion needs a float32 model (this one is already quantized)");
    Check(t.type != DType::kFloat16 && !(t.type == DType::kInt8 && t.is_constant()), where, ": ",
          DescribeTensor(g, ti), " is a ", DTypeName(t.type),
          " constant; conversion needs a float32 model (this one is already quantized)");
  }
  CheckFiniteFloatConstants(g, where);
}

int CountActivations(const Graph& g) {
  int count = 0;
  for (const Tensor& t : g.tensors) count += t.type == DType::kFloat32 && !t.is_constant();
  return count;
}

// The range table of quantization-aware training: options.qat_ranges by tensor name, the float32
// activations they miss calibrated on calib (required then).
RangeTable QatRanges(const Model& m, const ConvertOptions& options, const TensorData* calib,
                     ConvertReport* r) {
  const Graph& g = m.main();
  RangeTable ranges(g.tensors.size());
  std::vector<int> missing;
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const Tensor& tensor = g.tensors[t];
    if (tensor.type != DType::kFloat32 || tensor.is_constant()) continue;
    auto it = options.qat_ranges.find(tensor.name);
    if (it == options.qat_ranges.end() || !it->second.valid) {
      missing.push_back(static_cast<int>(t));
      continue;
    }
    ranges[t] = it->second;
    ++r->qat_ranges_used;
  }
  // Activations without a range of their own that share a scale with one that has (a Conv1D's
  // CONV_2D output before its RESHAPE), or have fixed parameters, get what the quantizer gives
  // them; QAT simulated exactly that.
  if (!missing.empty()) {
    Int8Options io;
    io.per_tensor = options.per_tensor;
    io.clip_saturated_inputs = options.clip_saturated_inputs;
    const auto grouped = ChooseActivationQuantization(g, ranges, io, /*allow_missing=*/true);
    std::vector<int> still;
    for (int t : missing) {
      if (grouped[t] && !grouped[t]->min.empty()) {
        ranges[t] = {grouped[t]->min[0], grouped[t]->max[0], true};
        ++r->qat_ranges_used;
      } else {
        still.push_back(t);
      }
    }
    missing = std::move(still);
  }
  if (missing.empty()) return ranges;
  const std::string where = m.source.empty() ? std::string("model") : m.source;
  Check(calib != nullptr, where, ": the quantization-aware training ranges miss ",
        DescribeTensor(g, missing[0]),
        missing.size() > 1 ? " and " + std::to_string(missing.size() - 1) + " more" : std::string(),
        "; give --calib DATA to calibrate them");
  const RangeTable calibrated = Calibrate(m, *calib, options.calibration);
  for (int t : missing) ranges[t] = calibrated[t];
  return ranges;
}

}  // namespace

Model ConvertModel(const Model& float_model, const ConvertOptions& options, const TensorData* calib,
                   ConvertReport* report) {
  ConvertReport local;
  ConvertReport& r = report ? *report : local;
  r = ConvertReport{};
  CheckFloatModel(float_model);
  Check(options.io == IoType::kFloat32 || options.quant == QuantMode::kInt8, "--io ",
        IoTypeName(options.io), " needs --quant int8 (", QuantModeName(options.quant),
        " models keep float32 inputs and outputs)");
  Check(options.quant != QuantMode::kInt8 || calib != nullptr || !options.qat_ranges.empty(),
        "int8 quantization needs calibration data (--calib DATA)");

  Model m;
  m.subgraphs = {float_model.main()};
  m.description = float_model.description;
  m.source = float_model.source;
  Graph& g = m.main();
  r.ops_before = static_cast<int>(g.ops.size());

  passes::PipelineOptions popt;
  popt.batch = options.batch;
  popt.fuse.into_pools_and_concat = !(options.quant == QuantMode::kInt8 && options.io != IoType::kFloat32);
  r.passes = passes::RunStandardPasses(g, popt);

  switch (options.quant) {
    case QuantMode::kFloat32:
      break;
    case QuantMode::kFloat16:
      r.weights_quantized = QuantizeFloat16(g);
      break;
    case QuantMode::kDynamic:
      r.weights_quantized = QuantizeDynamicRange(g, {options.dynamic_min_elements, options.per_tensor});
      break;
    case QuantMode::kInt8: {
      // percentile / mse: searched weight scales, then data-driven sequential bias correction
      // (which replaced the analytic one from channel means: better on MilesWQ).
      const bool qat = !options.qat_ranges.empty();
      const bool improve = !qat && options.calibration.method != CalibrationMethod::kMinMax;
      const bool correct = options.bias_correction && improve;
      const RangeTable ranges = qat ? QatRanges(m, options, calib, &r) : Calibrate(m, *calib, options.calibration);
      if (calib != nullptr && (!qat || r.qat_ranges_used < CountActivations(g)))
        r.calibration_samples = static_cast<int>(std::min<int64_t>(
            calib->shape.empty() ? 0 : calib->shape[0], options.calibration.max_samples));
      Int8Options io;
      io.io = options.io;
      io.per_tensor = options.per_tensor;
      io.clip_saturated_inputs = options.clip_saturated_inputs;
      io.search_weight_scales = improve;
      Model float_copy;
      if (correct) float_copy = m;
      const Int8Summary s = QuantizeFullInt8(g, ranges, io);
      if (correct) CorrectBiasesOnData(m, float_copy, *calib, options.calibration.max_samples);
      r.weights_quantized = s.weights;
      r.biases_quantized = s.biases;
      r.activations_quantized = s.activations;
      r.same_scale_groups = s.same_scale_groups;
      break;
    }
  }
  AssignOpVersions(m);
  r.ops_after = static_cast<int>(g.ops.size());
  return m;
}

}  // namespace cae::quant
