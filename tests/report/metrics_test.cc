#include "report/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "graph/error.h"
#include "report/json_util.h"

namespace cae {
namespace {

TensorData Filled(std::vector<int32_t> shape, float v) {
  TensorData t(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.as<float>()[i] = v;
  return t;
}

TensorData Random(std::vector<int32_t> shape, unsigned seed) {
  TensorData t(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.as<float>()[i] = u(rng);
  return t;
}

TEST(Metrics, MaeMseMaxAndPsnr) {
  TensorData a = Filled({2, 3}, 0.5f), b = Filled({2, 3}, 0.5f);
  b.as<float>()[0] = 0.8f;
  b.as<float>()[5] = 0.4f;
  EXPECT_NEAR(MeanAbsError(a, b), (0.3 + 0.1) / 6, 1e-7);
  EXPECT_NEAR(MeanSquaredError(a, b), (0.09 + 0.01) / 6, 1e-7);
  EXPECT_NEAR(MaxAbsDiff(a, b), 0.3, 1e-7);
  EXPECT_NEAR(PsnrFromMse(0.01), 20.0, 1e-12);
  EXPECT_TRUE(std::isinf(PsnrFromMse(0.0)));
  const ReconstructionMetrics same = CompareReconstruction(a, a);
  EXPECT_TRUE(std::isinf(same.psnr));
  EXPECT_FALSE(same.ssim.has_value());  // not images
  EXPECT_EQ(ToJson(same)["psnr"], "inf");
  EXPECT_TRUE(ToJson(same)["ssim"].is_null());
  EXPECT_THROW(MeanAbsError(a, Filled({3, 2}, 0)), Error);
}

TEST(Metrics, SsimOfIdenticalImagesIsOne) {
  const TensorData a = Random({3, 28, 28, 2}, 1);
  EXPECT_NEAR(*MeanSsim(a, a), 1.0, 1e-12);
  EXPECT_LT(*MeanSsim(a, Random({3, 28, 28, 2}, 2)), 0.2);
}

TEST(Metrics, SsimOfConstantImagesIsTheLuminanceTerm) {
  // Zero variance: SSIM = (2ab + C1) / (a^2 + b^2 + C1).
  const double c1 = 1e-4;
  const double expected = (2 * 0.5 * 0.25 + c1) / (0.25 + 0.0625 + c1);
  EXPECT_NEAR(*MeanSsim(Filled({1, 16, 12, 1}, 0.5f), Filled({1, 16, 12, 1}, 0.25f)), expected, 1e-9);
}

TEST(Metrics, SsimMatchesTheDirectFormulaOnOneWindow) {
  // An 11x11 image has a 1x1 map: compute it with explicit 2-D Gaussian weights.
  const TensorData x = Random({1, 11, 11, 1}, 3), y = Random({1, 11, 11, 1}, 4);
  double w[11][11], sum = 0;
  for (int i = 0; i < 11; ++i)
    for (int j = 0; j < 11; ++j) sum += w[i][j] = std::exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / (2 * 2.25));
  double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
  for (int i = 0; i < 11; ++i)
    for (int j = 0; j < 11; ++j) {
      const double a = x.as<float>()[i * 11 + j], b = y.as<float>()[i * 11 + j], g = w[i][j] / sum;
      mx += g * a;
      my += g * b;
      sxx += g * a * a;
      syy += g * b * b;
      sxy += g * a * b;
    }
  const double c1 = 1e-4, c2 = 9e-4;
  const double ssim = (2 * mx * my + c1) * (2 * (sxy - mx * my) + c2) /
                      ((mx * mx + my * my + c1) * (sxx - mx * mx + syy - my * my + c2));
  EXPECT_NEAR(*MeanSsim(x, y), ssim, 1e-9);
  EXPECT_FALSE(MeanSsim(Filled({1, 10, 11, 1}, 0), Filled({1, 10, 11, 1}, 0)).has_value());
}

}  // namespace
}  // namespace cae
