// Data-driven bias correction of an int8 model (used by the percentile and mse calibration methods).
//
// Contract: model is the output of QuantizeFullInt8 (one input: float32, int8 or uint8) applied to
// float_model (float32 input; activation tensor indices are unchanged by QuantizeFullInt8). The
// float model is run once on the samples; the per-channel (last dim) means of each weighted op's
// output, each value clamped first to the int8 output's representable range, are the targets. Weighted ops (CONV_2D,
// DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED) are visited in graph order; for each one with
// an int32 bias and an int8 output whose float means are known, the int8 model is run on the first
// `count` samples (float32 [N, ...] as for Calibrate) and every bias value is lowered by
// round((mean of dequantized output[c] - float mean[c]) / bias_scale[c]), saturated to int32. Being
// sequential, each op corrects the error of the quantized inputs it actually receives. Only
// int32 bias values change: scales, zero points and weights stay, so the file keeps the int8 spec.
// Returns the number of ops corrected. Throws cae::Error for a mismatched sample shape.
#pragma once

#include "graph/graph.h"
#include "graph/tensor_data.h"
#include "quant/tensor_range.h"

namespace cae::quant {

int CorrectBiasesOnData(Model& model, const Model& float_model, const TensorData& samples, int count);

}  // namespace cae::quant
