// Per-channel weight scale search (quant/weight_search.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "graph/error.h"
#include "quant/quant_math.h"
#include "quant/weight_search.h"

namespace cae::quant {
namespace {

double SquaredError(const std::vector<float>& w, const std::vector<int8_t>& q, const QuantParams& p,
                    size_t first, size_t count) {
  double e = 0;
  for (size_t i = first; i < first + count; ++i) {
    const double r = q[i] * static_cast<double>(p.scale[i / count]) - w[i];
    e += r * r;
  }
  return e;
}

TEST(WeightSearch, ClipsOutlierChannelAndNeverDoesWorseThanMaxAbs) {
  // Channel 0: every multiple k * 0.9 / 127 (|k| <= 127) twenty times, plus one outlier 1.0: the
  // scale 0.9 / 127 is exact but for the outlier, which max|w| / 127 = 1 / 127 rounds all of them
  // off the grid (clipping pays); channel 1: values at the extremes (clipping only hurts); channel
  // 2: all zero.
  const int inner = 255 * 20 + 1;
  std::vector<float> w(3 * inner, 0.0f);
  for (int k = 0; k < inner - 1; ++k) w[k] = static_cast<float>(k / 20 - 127) * 0.9f / 127.0f;
  w[inner - 1] = 1.0f;
  for (int k = 0; k < inner; ++k) w[inner + k] = (k % 2 ? 0.5f : -0.5f);
  const std::vector<int32_t> shape = {3, 1, 1, inner};
  QuantParams plain, searched;
  const std::vector<int8_t> qp = QuantizeSymmetric(w, shape, 0, &plain);
  const std::vector<int8_t> qs = QuantizeSymmetricSearched(w, shape, 0, &searched);
  ASSERT_EQ(searched.scale.size(), 3u);
  EXPECT_EQ(searched.zero_point, std::vector<int64_t>(3, 0));
  EXPECT_EQ(searched.quantized_dimension, 0);
  for (int8_t v : qs) EXPECT_GE(v, -127);
  EXPECT_LT(searched.scale[0], plain.scale[0]);  // the outlier is clipped
  EXPECT_LT(SquaredError(w, qs, searched, 0, inner), SquaredError(w, qp, plain, 0, inner));
  EXPECT_FLOAT_EQ(searched.scale[1], plain.scale[1]);  // exact at max|w| / 127
  EXPECT_EQ(SquaredError(w, qs, searched, inner, inner), SquaredError(w, qp, plain, inner, inner));
  EXPECT_FLOAT_EQ(searched.scale[2], 1.0f);
  // Decoded values are the int8 codes times the per-channel scale.
  for (int k = 0; k < inner; ++k) EXPECT_EQ(qs[k], static_cast<int8_t>(std::clamp(std::round(w[k] / searched.scale[0]), -127.0f, 127.0f)));
}

TEST(WeightSearch, RejectsBadInput) {
  QuantParams p;
  EXPECT_THROW(QuantizeSymmetricSearched({1, 2, 3}, {2, 2}, 0, &p), Error);
  EXPECT_THROW(QuantizeSymmetricSearched({1, NAN}, {2, 1}, 0, &p), Error);
  EXPECT_THROW(QuantizeSymmetricSearched({1, 2}, {2, 1}, 0, &p, 0), Error);
}

}  // namespace
}  // namespace cae::quant
