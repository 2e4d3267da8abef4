#include "quant/quant_math.h"

#include <gtest/gtest.h>

#include <cmath>

#include "graph/error.h"
#include "quant/histogram.h"

namespace cae::quant {
namespace {

TEST(ChooseAsymmetric, ZeroIsExactAndRangeIsExtendedToZero) {
  const QuantParams p = ChooseAsymmetric(-1.0f, 3.0f, -128, 127);
  ASSERT_EQ(p.scale.size(), 1u);
  EXPECT_FLOAT_EQ(p.scale[0], 4.0f / 255.0f);
  EXPECT_EQ(p.zero_point[0], -128 + static_cast<int64_t>(std::round(1.0f / (4.0f / 255.0f))));
  const QuantParams relu = ChooseAsymmetric(0.5f, 6.0f, -128, 127);  // min raised to... 0
  EXPECT_EQ(relu.zero_point[0], -128);
  EXPECT_FLOAT_EQ(relu.min[0], 0.0f);
  const QuantParams neg = ChooseAsymmetric(-2.0f, -1.0f, -128, 127);
  EXPECT_EQ(neg.zero_point[0], 127);
  const QuantParams zero = ChooseAsymmetric(0.0f, 0.0f, -128, 127);
  EXPECT_EQ(zero.scale[0], 1.0f);
  EXPECT_THROW(ChooseAsymmetric(NAN, 1.0f, -128, 127), Error);
  EXPECT_EQ(ToUint8Params(p).zero_point[0], p.zero_point[0] + 128);
  EXPECT_EQ(ChooseActivationParams(-1.0f, 3.0f, DType::kUInt8).zero_point[0], p.zero_point[0] + 128);
}

TEST(QuantizeSymmetric, PerChannelAlongAxisAndPerTensor) {
  // Shape [2, 3]: channel 0 = {1, -2, 0.5}, channel 1 = {0, 0, 0}.
  const std::vector<float> w = {1.0f, -2.0f, 0.5f, 0.0f, 0.0f, 0.0f};
  QuantParams p;
  const auto q = QuantizeSymmetric(w, {2, 3}, 0, &p);
  ASSERT_EQ(p.scale.size(), 2u);
  EXPECT_FLOAT_EQ(p.scale[0], 2.0f / 127.0f);
  EXPECT_FLOAT_EQ(p.scale[1], 1.0f);  // all-zero channel
  EXPECT_EQ(q[1], -127);
  EXPECT_EQ(q[0], 64);  // round(63.5) away from zero
  EXPECT_EQ(q[3], 0);
  EXPECT_EQ(p.quantized_dimension, 0);
  // Axis 1 of shape [3, 2]: channels interleave.
  const auto q1 = QuantizeSymmetric({1, 10, -1, -10, 0.5f, 5}, {3, 2}, 1, &p);
  EXPECT_FLOAT_EQ(p.scale[0], 1.0f / 127.0f);
  EXPECT_FLOAT_EQ(p.scale[1], 10.0f / 127.0f);
  EXPECT_EQ(q1, (std::vector<int8_t>{127, 127, -127, -127, 64, 64}));
  const auto qt = QuantizeSymmetric(w, {2, 3}, -1, &p);
  EXPECT_EQ(p.scale.size(), 1u);
  EXPECT_EQ(qt[1], -127);
  EXPECT_THROW(QuantizeSymmetric({NAN}, {1}, -1, &p), Error);
}

TEST(QuantizeBias, ScaleIsInputTimesWeightScale) {
  QuantParams p;
  const auto q = QuantizeBias({0.5f, -1.0f}, 0.1f, {0.01f, 0.02f}, &p);
  EXPECT_FLOAT_EQ(p.scale[0], 0.001f);
  EXPECT_FLOAT_EQ(p.scale[1], 0.002f);
  EXPECT_EQ(q, (std::vector<int32_t>{500, -500}));
  EXPECT_EQ(p.zero_point, (std::vector<int64_t>{0, 0}));
}

TEST(Float16, KnownValuesAndRoundTrip) {
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(1e6f), 0x7c00);
  EXPECT_EQ(FloatToHalf(0.1f), 0x2e66);
  EXPECT_EQ(FloatToHalf(5.9604645e-8f), 0x0001);  // smallest subnormal
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 2048.0f), 0x3c00);  // tie rounds to even
  EXPECT_EQ(FloatToHalf(1.0f + 3.0f / 2048.0f), 0x3c02);
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    EXPECT_EQ(FloatToHalf(HalfToFloat(static_cast<uint16_t>(h))), h);
  }
}

TEST(Histogram, PercentileTrimsRareOutliers) {
  std::vector<float> v(100000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 1000) / 1000.0f;  // [0, 1)
  v[0] = 50.0f;  // one outlier
  Histogram h(0.0f, 50.0f, 2048);
  h.Add(v.data(), static_cast<int64_t>(v.size()));
  const TensorRange r = PercentileRange(h, 99.99);
  EXPECT_EQ(r.min, 0.0f);
  EXPECT_LT(r.max, 1.1f);
  EXPECT_GT(r.max, 0.9f);
  EXPECT_EQ(PercentileRange(h, 100).max, 50.0f);
}

TEST(Histogram, MseClipsALongTailAndBeatsTheOtherRanges) {
  std::vector<float> v;
  for (int i = 1; i <= 100000; ++i) v.push_back(-std::log(static_cast<float>(i) / 100001.0f));  // exponential
  float mx = 0;
  for (float x : v) mx = std::max(mx, x);
  Histogram h(0.0f, mx, 2048);
  h.Add(v.data(), static_cast<int64_t>(v.size()));
  const TensorRange m = MseRange(h);
  const TensorRange p = PercentileRange(h, 99.9);
  EXPECT_LT(m.max, 0.95f * mx);  // the optimum for 8 bits is near 10.5 of 11.5
  EXPECT_EQ(m.min, 0.0f);
  const double e = QuantizationMse(h, m.min, m.max);
  EXPECT_LT(e, QuantizationMse(h, 0.0f, mx));
  EXPECT_LE(e, QuantizationMse(h, p.min, p.max));
}

TEST(Histogram, MseKeepsFullRangeWithoutOutliers) {
  std::vector<float> v;
  for (int i = -1000; i <= 1000; ++i) v.push_back(static_cast<float>(i) / 1000.0f);
  Histogram h(-1.0f, 1.0f, 2048);
  h.Add(v.data(), static_cast<int64_t>(v.size()));
  const TensorRange m = MseRange(h);
  EXPECT_GT(m.max, 0.95f);
  EXPECT_LT(m.min, -0.95f);
}

}  // namespace
}  // namespace cae::quant
