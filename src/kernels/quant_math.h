// TFLite's integer arithmetic for quantized kernels (tensorflow/lite/kernels/internal/common.h,
// quantization_util.cc, gemmlowp fixedpoint), re-implemented. Every function is bit-exact with
// the TFLite builtin kernels of TF ~2.12 built without TFLITE_SINGLE_ROUNDING (the "double
// rounding" MultiplyByQuantizedMultiplier).
#pragma once

#include <cstdint>

#include "graph/dtype.h"
#include "graph/op_options.h"

namespace cae {

// A real multiplier m ≈ multiplier * 2^(shift - 31), multiplier in [2^30, 2^31) (or 0).
struct QuantizedMultiplier {
  int32_t multiplier = 0;
  int shift = 0;  // > 0: left shift
};

// TFLite QuantizeMultiplier: frexp, round the mantissa to Q31, renormalize 2^31, and flush
// multipliers whose shift is below -31 to zero. m == 0 gives {0, 0}. m must be finite and >= 0.
QuantizedMultiplier QuantizeMultiplier(double m);
// For multipliers known to be < 1 (shift <= 0) and > 1 (shift >= 0); same arithmetic.
QuantizedMultiplier QuantizeMultiplierSmallerThanOneExp(double m);
QuantizedMultiplier QuantizeMultiplierGreaterThanOne(double m);

// gemmlowp SaturatingRoundingDoublingHighMul: (a*b*2 + 2^31 rounding) >> 32, with the single
// overflow case INT32_MIN * INT32_MIN saturating to INT32_MAX.
int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b);
// gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero. 0 <= exponent <= 31.
int32_t RoundingDivideByPOT(int32_t x, int exponent);
// x * multiplier * 2^shift as TFLite computes it (left shift, high mul, rounding right shift).
int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift);
inline int32_t MultiplyByQuantizedMultiplier(int32_t x, QuantizedMultiplier m) {
  return MultiplyByQuantizedMultiplier(x, m.multiplier, m.shift);
}
// The "single rounding" variant: (x * multiplier + 2^(30 - shift)) >> (31 - shift) in 64 bits.
// This is what ruy (TFLite's GEMM backend for int8 per-channel CONV_2D) applies; shift <= 7.
int32_t MultiplyByQuantizedMultiplierSingleRounding(int32_t x, int32_t multiplier, int shift);
inline int32_t MultiplyByQuantizedMultiplierSingleRounding(int32_t x, QuantizedMultiplier m) {
  return MultiplyByQuantizedMultiplierSingleRounding(x, m.multiplier, m.shift);
}
// The int64 input variant used by int16 kernels (TFLite MultiplyByQuantizedMultiplier(int64_t)).
int32_t MultiplyByQuantizedMultiplier64(int64_t x, int32_t multiplier, int shift);
// TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0).
int32_t MultiplyByQuantizedMultiplierSmallerThanOneExp(int32_t x, int32_t multiplier, int shift);
// TFLite MultiplyByQuantizedMultiplierGreaterThanOne (shift >= 0).
int32_t MultiplyByQuantizedMultiplierGreaterThanOne(int32_t x, int32_t multiplier, int shift);

// TFLite TfLiteRound: std::round (half away from zero).
float RoundHalfAway(float x);

// [min, max] of the quantized type (int8 -128..127, uint8 0..255, int16 -32768..32767).
int32_t QuantMin(DType t);
int32_t QuantMax(DType t);

// TFLite CalculateActivationRangeQuantized: the clamp of a fused activation for an output with
// the given type, scale and zero point. Throws cae::Error for kTanh/kSignBit (not fusable).
void CalculateActivationRangeQuantized(Activation act, DType type, float scale, int32_t zero_point,
                                       int32_t* act_min, int32_t* act_max);

}  // namespace cae
