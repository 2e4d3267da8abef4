// Model conversion: the standard passes, then float32 / float16 / dynamic-range / full-integer
// int8 quantization, then TFLite op versions. The result is ready for WriteTflite.
//
// Contract of ConvertModel:
//  - Works on a copy of float_model's main graph, which must be float32 (activations and
//    weights) with finite weights; anything else throws cae::Error naming the tensor.
//  - Runs passes::RunStandardPasses (batch = options.batch; activations are not fused into pools
//    or CONCATENATION for int8 with integer IO, which the Edge TPU maps only without them).
//  - float32: nothing more. float16: QuantizeFloat16. dynamic: QuantizeDynamicRange. int8:
//    Calibrate on calib (required: cae::Error if null, unless qat_ranges cover every activation)
//    with options.calibration, then
//    QuantizeFullInt8 with options.io / per_tensor. For percentile / mse the weight scales are
//    searched (quant/weight_search.h) and, with bias_correction, the int32 biases are corrected
//    on the calibration data (quant/data_bias_correction.h). minmax reproduces TFLite.
//  - io other than float32 is accepted only for int8.
//  - Ends with AssignOpVersions. The same inputs give the same model.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor_data.h"
#include "passes/pipeline.h"
#include "quant/calibration.h"
#include "quant/int8_quantizer.h"

namespace cae::quant {

enum class QuantMode { kFloat32, kFloat16, kDynamic, kInt8 };

// "float32" | "float16" | "dynamic" | "int8" (cae::Error otherwise).
QuantMode ParseQuantMode(std::string_view s);
const char* QuantModeName(QuantMode m);
// "float32" | "int8" | "uint8".
IoType ParseIoType(std::string_view s);
const char* IoTypeName(IoType t);

struct ConvertOptions {
  QuantMode quant = QuantMode::kFloat32;
  IoType io = IoType::kFloat32;
  bool per_tensor = false;
  int batch = 1;
  int dynamic_min_elements = 1024;  // dynamic: smaller weights stay float (TFLite's default)
  bool clip_saturated_inputs = true;  // int8: see Int8Options (off = TFLite's ranges exactly)
  // int8 with percentile / mse calibration: correct each weighted op's mean output shift on the
  // calibration data (quant/data_bias_correction.h). Never applied with minmax (TFLite's).
  bool bias_correction = true;
  CalibrationOptions calibration;   // int8: method, max_samples (default 100), ...
  // int8 from quantization-aware training (train/qat.h): float ranges by graph tensor name.
  // They replace calibration for the tensors they name; calib is then needed only for float32
  // activations they miss (cae::Error naming the first one otherwise), and weight scales are
  // max |w| / 127 without bias correction, as the training simulated them.
  std::map<std::string, TensorRange> qat_ranges;
};

// What ConvertModel did, for the CLI to print.
struct ConvertReport {
  std::vector<passes::PassResult> passes;
  int ops_before = 0;
  int ops_after = 0;
  int weights_quantized = 0;  // float16 constants, hybrid weights, or int8 weights
  int biases_quantized = 0;
  int activations_quantized = 0;
  int same_scale_groups = 0;
  int calibration_samples = 0;
  int qat_ranges_used = 0;  // activations whose range came from quantization-aware training
};

Model ConvertModel(const Model& float_model, const ConvertOptions& options, const TensorData* calib,
                   ConvertReport* report = nullptr);

// Bytes of constant data in the main graph (weights, biases, other constants).
int64_t ConstantBytes(const Model& model);

}  // namespace cae::quant
