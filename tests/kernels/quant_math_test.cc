// quant_math against values derived by hand from TFLite's documented integer algorithms.
#include "kernels/quant_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "graph/error.h"

namespace cae {
namespace {

constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();

TEST(QuantizeMultiplier, ZeroGivesZero) {
  const QuantizedMultiplier m = QuantizeMultiplier(0.0);
  EXPECT_EQ(m.multiplier, 0);
  EXPECT_EQ(m.shift, 0);
}

TEST(QuantizeMultiplier, PowersOfTwoAreHalfQ31) {
  // frexp(0.5) = 0.5 * 2^0 -> 2^30, shift 0; 1.0 = 0.5 * 2^1; 0.25 -> shift -1.
  EXPECT_EQ(QuantizeMultiplier(0.5).multiplier, 1 << 30);
  EXPECT_EQ(QuantizeMultiplier(0.5).shift, 0);
  EXPECT_EQ(QuantizeMultiplier(1.0).multiplier, 1 << 30);
  EXPECT_EQ(QuantizeMultiplier(1.0).shift, 1);
  EXPECT_EQ(QuantizeMultiplier(0.25).shift, -1);
  EXPECT_EQ(QuantizeMultiplier(8.0).shift, 4);
}

TEST(QuantizeMultiplier, RoundsMantissaToNearest) {
  // 0.75 = 0.75 * 2^0 -> round(0.75 * 2^31) = 1610612736.
  EXPECT_EQ(QuantizeMultiplier(0.75).multiplier, 1610612736);
  EXPECT_EQ(QuantizeMultiplier(0.75).shift, 0);
  // 1/3 = 0.6666.. * 2^-1 -> round(0.666.. * 2^31) = 1431655765.
  EXPECT_EQ(QuantizeMultiplier(1.0 / 3.0).multiplier, 1431655765);
  EXPECT_EQ(QuantizeMultiplier(1.0 / 3.0).shift, -1);
}

TEST(QuantizeMultiplier, MantissaRoundingUpToOneRenormalizes) {
  // Just below 1.0: the mantissa rounds to 2^31, which becomes 2^30 with shift + 1.
  const double m = 1.0 - 1e-12;
  const QuantizedMultiplier q = QuantizeMultiplier(m);
  EXPECT_EQ(q.multiplier, 1 << 30);
  EXPECT_EQ(q.shift, 1);
}

TEST(QuantizeMultiplier, TinyMultipliersFlushToZero) {
  // 2^-40 has shift -39 < -31: TFLite flushes to {0, 0}.
  const QuantizedMultiplier q = QuantizeMultiplier(std::ldexp(1.0, -40));
  EXPECT_EQ(q.multiplier, 0);
  EXPECT_EQ(q.shift, 0);
  // 2^-32 has shift -31 and survives.
  const QuantizedMultiplier k = QuantizeMultiplier(std::ldexp(1.0, -32));
  EXPECT_EQ(k.multiplier, 1 << 30);
  EXPECT_EQ(k.shift, -31);
}

TEST(QuantizeMultiplier, RejectsNegativeAndNonFinite) {
  EXPECT_THROW(QuantizeMultiplier(-0.5), Error);
  EXPECT_THROW(QuantizeMultiplier(std::nan("")), Error);
  EXPECT_THROW(QuantizeMultiplier(std::numeric_limits<double>::infinity()), Error);
  EXPECT_THROW(QuantizeMultiplier(std::ldexp(1.0, 40)), Error);
}

TEST(SaturatingRoundingDoublingHighMul, Basics) {
  // (a * b * 2) / 2^32 with rounding half away from zero... of the doubled product.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(1 << 30, 1 << 30), 1 << 29);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMax32, kMax32), kMax32 - 1);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-(1 << 30), 1 << 30), -(1 << 29));
  // The only overflow: INT32_MIN * INT32_MIN saturates.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin32, kMin32), kMax32);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin32, kMax32), -kMax32);
  // Ties: ab = 2^30 -> (2^30 + 2^30) / 2^31 = 1; ab = -2^30 -> trunc((-2^30 + 1 - 2^30) / 2^31) = 0.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(1 << 15, 1 << 15), 1);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-(1 << 15), 1 << 15), 0);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(3, 5), 0);
}

TEST(RoundingDivideByPOT, RoundsHalfAwayFromZero) {
  EXPECT_EQ(RoundingDivideByPOT(5, 1), 3);     // 2.5 -> 3
  EXPECT_EQ(RoundingDivideByPOT(-5, 1), -3);   // -2.5 -> -3
  EXPECT_EQ(RoundingDivideByPOT(7, 2), 2);     // 1.75 -> 2
  EXPECT_EQ(RoundingDivideByPOT(-7, 2), -2);
  EXPECT_EQ(RoundingDivideByPOT(6, 2), 2);     // 1.5 -> 2
  EXPECT_EQ(RoundingDivideByPOT(-6, 2), -2);   // -1.5 -> -2
  EXPECT_EQ(RoundingDivideByPOT(-5, 2), -1);   // -1.25 -> -1
  EXPECT_EQ(RoundingDivideByPOT(123, 0), 123);
  EXPECT_EQ(RoundingDivideByPOT(kMin32, 31), -1);
  EXPECT_EQ(RoundingDivideByPOT(kMax32, 31), 1);
}

TEST(MultiplyByQuantizedMultiplier, TiesFollowTheHighMulNudge) {
  // Shift 0: only the high mul rounds, and its nudge sends ties up: 1.5 -> 2 but -1.5 -> -1.
  const QuantizedMultiplier half = QuantizeMultiplier(0.5);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(3, half), 2);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-3, half), -1);
  // 0.25 -> shift -1: 10 * 0.25 = 2.5 -> 3.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(10, QuantizeMultiplier(0.25)), 3);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-10, QuantizeMultiplier(0.25)), -3);
}

TEST(MultiplyByQuantizedMultiplier, DoubleRoundingDiffersFromExact) {
  // The "double rounding" variant: high-mul rounds, then the shift rounds again.
  // m = 0.75 * 2^-1 = 0.375: x = 3 -> 1.125 -> 1; x = 4 -> 1.5 -> 2.
  const QuantizedMultiplier m = QuantizeMultiplier(0.375);
  EXPECT_EQ(m.multiplier, 1610612736);
  EXPECT_EQ(m.shift, -1);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(3, m), 1);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(4, m), 2);
  // High mul of 1 * 0.75 rounds to 1 (0.75 -> 1), then /2 -> 0.5 -> 1: exact 0.375 would give 0.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(1, m), 1);
}

TEST(MultiplyByQuantizedMultiplier, LeftShiftsAndLargeMultipliers) {
  const QuantizedMultiplier m = QuantizeMultiplier(3.0);  // 0.75 * 2^2
  EXPECT_EQ(m.shift, 2);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(7, m), 21);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-7, m), -21);
  // 1024 = 0.5 * 2^11: x is shifted left by 11 before the high mul.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(1 << 19, QuantizeMultiplier(1024.0)), 1 << 29);
}

TEST(MultiplyByQuantizedMultiplier, ZeroMultiplier) {
  EXPECT_EQ(MultiplyByQuantizedMultiplier(123456, 0, 0), 0);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(kMin32, QuantizeMultiplier(std::ldexp(1.0, -40))), 0);
}

TEST(MultiplyByQuantizedMultiplier, SmallerThanOneAndGreaterThanOneVariants) {
  const QuantizedMultiplier s = QuantizeMultiplierSmallerThanOneExp(0.375);
  EXPECT_EQ(MultiplyByQuantizedMultiplierSmallerThanOneExp(4, s.multiplier, s.shift), 2);
  const QuantizedMultiplier g = QuantizeMultiplierGreaterThanOne(3.0);
  EXPECT_EQ(MultiplyByQuantizedMultiplierGreaterThanOne(7, g.multiplier, g.shift), 21);
  EXPECT_THROW(QuantizeMultiplierSmallerThanOneExp(1.5), Error);
  EXPECT_THROW(QuantizeMultiplierGreaterThanOne(0.5), Error);
}

TEST(MultiplyByQuantizedMultiplier64, ReducedMultiplierRoundsOnce) {
  // 0.5 -> multiplier 2^30 reduced to 2^14; total shift 15: x * 2^14 / 2^15 = x / 2, rounded up.
  const QuantizedMultiplier half = QuantizeMultiplier(0.5);
  EXPECT_EQ(MultiplyByQuantizedMultiplier64(3, half.multiplier, half.shift), 2);
  // Inputs beyond int32 are fine as long as the result fits.
  EXPECT_EQ(MultiplyByQuantizedMultiplier64(int64_t{1} << 31, half.multiplier, half.shift),
            1 << 30);
  // The int64 variant rounds -1.5 toward +inf (adds half then shifts): -1.
  EXPECT_EQ(MultiplyByQuantizedMultiplier64(-3, half.multiplier, half.shift), -1);
}

TEST(ActivationRange, QuantizedClamps) {
  int32_t lo = 0, hi = 0;
  CalculateActivationRangeQuantized(Activation::kNone, DType::kInt8, 0.1f, 3, &lo, &hi);
  EXPECT_EQ(lo, -128);
  EXPECT_EQ(hi, 127);
  CalculateActivationRangeQuantized(Activation::kRelu, DType::kInt8, 0.1f, 3, &lo, &hi);
  EXPECT_EQ(lo, 3);
  EXPECT_EQ(hi, 127);
  // RELU6: 3 + round(6 / 0.05) = 123.
  CalculateActivationRangeQuantized(Activation::kRelu6, DType::kInt8, 0.05f, 3, &lo, &hi);
  EXPECT_EQ(lo, 3);
  EXPECT_EQ(hi, 123);
  // RELU6 beyond the type: clamped to 255.
  CalculateActivationRangeQuantized(Activation::kRelu6, DType::kUInt8, 0.01f, 10, &lo, &hi);
  EXPECT_EQ(lo, 10);
  EXPECT_EQ(hi, 255);
  CalculateActivationRangeQuantized(Activation::kReluN1To1, DType::kUInt8, 1.0f / 64, 128, &lo,
                                    &hi);
  EXPECT_EQ(lo, 64);
  EXPECT_EQ(hi, 192);
  EXPECT_THROW(CalculateActivationRangeQuantized(Activation::kTanh, DType::kInt8, 0.1f, 0, &lo,
                                                 &hi),
               Error);
}

TEST(QuantRange, Types) {
  EXPECT_EQ(QuantMin(DType::kInt8), -128);
  EXPECT_EQ(QuantMax(DType::kUInt8), 255);
  EXPECT_EQ(QuantMin(DType::kInt16), -32768);
  EXPECT_THROW(QuantMin(DType::kFloat32), Error);
}

}  // namespace
}  // namespace cae
