// Hybrid (dynamic-range int8 weights) and float16-weight models from ../shared/fixtures/keras/
// tflite_pairs against TFLite (oracle --no-xnnpack) on the same float inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "kernels/quant_oracle_util.h"
#include "tflite/reader.h"

namespace cae::testing {
namespace {

std::string Pair(const std::string& name) {
  return SharedPath("fixtures/keras/tflite_pairs/" + name);
}

// Largest |ours - theirs| over all float outputs, relative to the largest |theirs| (the outputs'
// scale: elementwise relative errors of tiny values measure only summation order).
double MaxRelativeError(const std::string& path, const Model& model,
                        const std::vector<TensorData>& in, int64_t* compared) {
  const std::vector<TensorData> ours = RunOurs(model, in);
  TempDir dir;
  const OracleRun run = RunOracle(path, WriteInputs(dir, in));
  EXPECT_EQ(run.exit_code, 0) << run.json.substr(0, 400);
  EXPECT_EQ(run.outputs.size(), ours.size());
  double worst = 0, scale = 0;
  *compared = 0;
  for (size_t i = 0; i < ours.size() && i < run.outputs.size(); ++i) {
    EXPECT_EQ(ours[i].type, DType::kFloat32);
    EXPECT_EQ(ours[i].bytes.size(), run.outputs[i].size());
    if (ours[i].bytes.size() != run.outputs[i].size()) continue;
    const float* a = ours[i].as<float>();
    const float* b = reinterpret_cast<const float*>(run.outputs[i].data());
    for (int64_t k = 0; k < ours[i].num_elements(); ++k) {
      const double err = std::fabs(double(a[k]) - double(b[k]));
      worst = std::max(worst, std::isnan(err) ? 1e30 : err);
      scale = std::max(scale, std::fabs(double(b[k])));
      ++*compared;
    }
  }
  std::printf("max abs difference %.3g, output scale %.3g\n", worst, scale);
  return scale > 0 ? worst / scale : worst;
}

TEST(TflitePairs, HybridAutoencoderMatchesTflite) {
  CAE_REQUIRE_ORACLE();
  CAE_REQUIRE_FILE(Pair("autoencoder_int8.tflite"));
  const std::string path = Pair("autoencoder_int8.tflite");
  const Model model = ReadTflite(path);
  for (uint32_t seed : {3u, 4u}) {
    int64_t n = 0;
    const double err = MaxRelativeError(path, model, RandomInputs(model, seed), &n);
    EXPECT_GT(n, 0);
    EXPECT_LE(err, 1e-5) << "seed " << seed;
  }
}

TEST(TflitePairs, Float16AutoencoderMatchesTflite) {
  CAE_REQUIRE_ORACLE();
  CAE_REQUIRE_FILE(Pair("autoencoder_float16.tflite"));
  const std::string path = Pair("autoencoder_float16.tflite");
  const Model model = ReadTflite(path);
  for (uint32_t seed : {5u, 6u}) {
    int64_t n = 0;
    const double err = MaxRelativeError(path, model, RandomInputs(model, seed), &n);
    EXPECT_GT(n, 0);
    EXPECT_LE(err, 1e-5) << "seed " << seed;
  }
}

}  // namespace
}  // namespace cae::testing
