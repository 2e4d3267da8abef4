// The arithmetic of TFLite's 8-bit quantization spec (real = (q - zero_point) * scale):
// choosing activation parameters from a float range, symmetric int8 weights, int32 biases, and
// float32 -> float16 rounding.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace cae::quant {

// Asymmetric per-tensor parameters covering [min, max] on [qmin, qmax]: the range is first
// extended to contain 0, then the zero point is rounded to an integer, so 0.0 is exactly
// representable (TFLite's "nudged" range). A degenerate range (min == max == 0) gets scale 1.
// min/max are recorded in the result. Throws cae::Error for a non-finite bound.
QuantParams ChooseAsymmetric(float min, float max, int qmin, int qmax);

// Parameters for type int8 ([-128, 127]) or uint8 ([0, 255]).
QuantParams ChooseActivationParams(float min, float max, DType type);

// Same scale, zero_point + 128: the uint8 twin of int8 parameters.
QuantParams ToUint8Params(const QuantParams& int8_params);

// Symmetric int8 weights in [-127, 127], zero point 0: one scale per slice along `axis`, or one
// for the whole tensor when axis < 0. An all-zero slice gets scale 1. values are row-major in
// shape. Returns the int8 data; params receive scale / zero_point / quantized_dimension.
std::vector<int8_t> QuantizeSymmetric(const std::vector<float>& values,
                                      const std::vector<int32_t>& shape, int axis,
                                      QuantParams* params);

// int32 bias: q[c] = round(b[c] / (input_scale * weight_scale[c])) saturated to int32; the
// weight scales are per channel (size == bias size) or one. params get the bias scales, zero
// points 0, quantized_dimension 0.
std::vector<int32_t> QuantizeBias(const std::vector<float>& bias, float input_scale,
                                  const std::vector<float>& weight_scales, QuantParams* params);

// q = clamp(round(x / scale) + zero_point, qmin, qmax) for each value (per-tensor params).
std::vector<int8_t> QuantizeInt8(const std::vector<float>& values, const QuantParams& params);

// IEEE half precision, round to nearest even; overflow becomes infinity, NaN stays NaN.
uint16_t FloatToHalf(float f);
float HalfToFloat(uint16_t h);

}  // namespace cae::quant
