// Float32 .tflite fixtures run in our interpreter and in the real TFLite runtime (the oracle,
// builtin kernels, same input bytes) agree within 1e-5 relative to the output tensor's largest
// magnitude. (Per element, small outputs differ more: TFLite's GEMM sums in another order, and
// through 8 convolutions a pre-sigmoid value of -3.6 moves by 5e-5, so a sigmoid output of 0.026
// differs by 5e-5 of itself while that is 1.3e-6 of the tensor's scale.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "runtime/interpreter.h"
#include "support/fixtures.h"
#include "tflite/reader.h"

namespace cae {
namespace {

using testing::TempDir;

void ExpectMatchesOracle(const std::string& relative, int batch) {
  const std::string path = testing::SharedPath(relative);
  CAE_REQUIRE_FILE(path);
  CAE_REQUIRE_ORACLE();
  const Model model = ReadTflite(path);
  Interpreter interp(model, {1, 0, true});
  ASSERT_EQ(interp.num_inputs(), 1);
  const Tensor& in = interp.input(0);
  ASSERT_EQ(in.type, DType::kFloat32);
  std::vector<int32_t> shape = in.shape;
  shape[0] = batch;
  TensorData x(DType::kFloat32, shape);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < x.num_elements(); ++i) x.as<float>()[i] = dist(rng);

  TempDir dir;
  const std::string input_file = dir.File("input0.bin");
  testing::WriteBytes(input_file, x.bytes);
  const testing::OracleRun oracle = testing::RunOracle(path, {input_file}, {"--no-xnnpack"}, batch);
  ASSERT_EQ(oracle.exit_code, 0) << oracle.json;
  ASSERT_EQ(oracle.outputs.size(), 1u);

  const std::vector<TensorData> ours = interp.Run({x});
  ASSERT_EQ(ours.size(), 1u);
  ASSERT_EQ(ours[0].type, DType::kFloat32);
  ASSERT_EQ(ours[0].bytes.size(), oracle.outputs[0].size());
  const int64_t n = ours[0].num_elements();
  std::vector<float> expected(static_cast<size_t>(n));
  std::memcpy(expected.data(), oracle.outputs[0].data(), oracle.outputs[0].size());
  double scale = 0;
  for (float e : expected) scale = std::max(scale, static_cast<double>(std::fabs(e)));
  ASSERT_GT(scale, 0.0) << "the oracle's output is all zeros";
  for (int64_t i = 0; i < n; ++i) {
    const double a = ours[0].as<float>()[i], e = expected[i];
    ASSERT_LE(std::fabs(a - e), 1e-5 * scale) << "element " << i << ": ours " << a << ", TFLite " << e;
  }
}

TEST(TfliteOracle, HenrikcmfAutoencoderFloat32) {
  ExpectMatchesOracle("fixtures/keras/tflite_pairs/henrikcmf_autoencoder.tflite", 1);
}

TEST(TfliteOracle, AutoencoderRevisionFloat32) {
  ExpectMatchesOracle("fixtures/keras/tflite_pairs/autoencoder_revision.tflite", 1);
}

TEST(TfliteOracle, BatchOfSixMatchesSixOracleInvokes) {
  ExpectMatchesOracle("fixtures/keras/tflite_pairs/autoencoder_revision.tflite", 6);
}

}  // namespace
}  // namespace cae
