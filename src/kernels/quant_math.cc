#include "kernels/quant_math.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/error.h"

namespace cae {

QuantizedMultiplier QuantizeMultiplier(double m) {
  Check(std::isfinite(m) && m >= 0, "QuantizeMultiplier: multiplier ", m,
        " is not a finite non-negative number");
  QuantizedMultiplier r;
  if (m == 0.0) return r;
  int shift = 0;
  const double q = std::frexp(m, &shift);  // q in [0.5, 1)
  int64_t q_fixed = static_cast<int64_t>(std::round(q * static_cast<double>(1LL << 31)));
  if (q_fixed == (1LL << 31)) {
    q_fixed /= 2;
    ++shift;
  }
  // Shifts below -31 would shift every bit out: TFLite flushes the multiplier to zero.
  if (shift < -31) {
    shift = 0;
    q_fixed = 0;
  }
  Check(shift <= 31, "QuantizeMultiplier: multiplier ", m, " exceeds 2^31");
  r.multiplier = static_cast<int32_t>(q_fixed);
  r.shift = shift;
  return r;
}

QuantizedMultiplier QuantizeMultiplierSmallerThanOneExp(double m) {
  Check(m < 1.0 && m > 0.0, "QuantizeMultiplierSmallerThanOneExp: multiplier ", m,
        " is not in (0, 1)");
  return QuantizeMultiplier(m);
}

QuantizedMultiplier QuantizeMultiplierGreaterThanOne(double m) {
  Check(m > 1.0, "QuantizeMultiplierGreaterThanOne: multiplier ", m, " is not > 1");
  return QuantizeMultiplier(m);
}

int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) {
    return std::numeric_limits<int32_t>::max();
  }
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  // Division truncates toward zero, as gemmlowp's does.
  return static_cast<int32_t>((ab + nudge) / (1LL << 31));
}

int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  // x * (1 << left_shift) wraps like TFLite's int32 multiply on two's complement machines.
  const int32_t shifted =
      static_cast<int32_t>(static_cast<uint32_t>(x) * (uint32_t{1} << left_shift));
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shifted, multiplier), right_shift);
}

int32_t MultiplyByQuantizedMultiplierSingleRounding(int32_t x, int32_t multiplier, int shift) {
  // ruy requires shift <= 7; larger shifts (absurd scales) are capped so nothing is undefined.
  const int total_shift = 31 - std::min(shift, 30);
  const int64_t round = int64_t{1} << (total_shift - 1);
  const int64_t result = static_cast<int64_t>(x) * multiplier + round;
  return static_cast<int32_t>(result >> total_shift);
}

int32_t MultiplyByQuantizedMultiplier64(int64_t x, int32_t multiplier, int shift) {
  // TFLite: reduce the multiplier to 16 bits, multiply in 64 bits, round once.
  const int32_t reduced_multiplier =
      multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - shift;
  const int64_t round = int64_t{1} << (total_shift - 1);
  const int64_t result = x * static_cast<int64_t>(reduced_multiplier) + round;
  return static_cast<int32_t>(result >> total_shift);
}

int32_t MultiplyByQuantizedMultiplierSmallerThanOneExp(int32_t x, int32_t multiplier, int shift) {
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, multiplier), -shift);
}

int32_t MultiplyByQuantizedMultiplierGreaterThanOne(int32_t x, int32_t multiplier, int shift) {
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) * (uint32_t{1} << shift));
  return SaturatingRoundingDoublingHighMul(shifted, multiplier);
}

float RoundHalfAway(float x) { return std::round(x); }

int32_t QuantMin(DType t) {
  switch (t) {
    case DType::kInt8: return -128;
    case DType::kUInt8: return 0;
    case DType::kInt16: return -32768;
    case DType::kInt32: return std::numeric_limits<int32_t>::min();
    default: Fail("QuantMin: ", DTypeName(t), " is not a quantized integer type");
  }
}

int32_t QuantMax(DType t) {
  switch (t) {
    case DType::kInt8: return 127;
    case DType::kUInt8: return 255;
    case DType::kInt16: return 32767;
    case DType::kInt32: return std::numeric_limits<int32_t>::max();
    default: Fail("QuantMax: ", DTypeName(t), " is not a quantized integer type");
  }
}

void CalculateActivationRangeQuantized(Activation act, DType type, float scale, int32_t zero_point,
                                       int32_t* act_min, int32_t* act_max) {
  const int32_t qmin = QuantMin(type);
  const int32_t qmax = QuantMax(type);
  // TFLite quantizes the activation bounds with float division and TfLiteRound.
  auto quantize = [&](float f) {
    return zero_point + static_cast<int32_t>(std::round(f / scale));
  };
  switch (act) {
    case Activation::kNone:
      *act_min = qmin;
      *act_max = qmax;
      return;
    case Activation::kRelu:
      *act_min = std::max(qmin, quantize(0.0f));
      *act_max = qmax;
      return;
    case Activation::kRelu6:
      *act_min = std::max(qmin, quantize(0.0f));
      *act_max = std::min(qmax, quantize(6.0f));
      return;
    case Activation::kReluN1To1:
      *act_min = std::max(qmin, quantize(-1.0f));
      *act_max = std::min(qmax, quantize(1.0f));
      return;
    default:
      Fail("fused activation ", ActivationName(act), " is not supported on quantized outputs");
  }
}

}  // namespace cae
