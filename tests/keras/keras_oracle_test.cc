// The henrikcmf pair: the same trained weights as Keras HDF5 and as a .tflite made by the TFLite
// converter. Our import of the .h5, run by our interpreter, equals the real TFLite runtime on the
// converter's file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "keras/keras_import.h"
#include "keras_test_util.h"
#include "support/fixtures.h"

namespace cae::testing {
namespace {

TEST(KerasOracle, HenrikcmfMatchesConvertedTflite) {
  const std::string h5 = SharedPath("fixtures/keras/tflite_pairs/henrikcmf_autoencoder.h5");
  const std::string tfl = SharedPath("fixtures/keras/tflite_pairs/henrikcmf_autoencoder.tflite");
  CAE_REQUIRE_FILE(h5);
  CAE_REQUIRE_FILE(tfl);
  CAE_REQUIRE_ORACLE();
  constexpr int kRecords = 16, kFeatures = 50;
  std::vector<float> x(kRecords * kFeatures);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.61f * static_cast<float>(i)) * 2.0f;
  TempDir dir;
  const std::string in = dir.File("in.bin");
  std::vector<uint8_t> bytes(x.size() * sizeof(float));
  std::memcpy(bytes.data(), x.data(), bytes.size());
  WriteBytes(in, bytes);
  OracleRun ref = RunOracle(tfl, {in}, {"--no-xnnpack"}, kRecords);
  ASSERT_EQ(ref.exit_code, 0) << ref.json;
  ASSERT_EQ(ref.outputs.size(), 1u);
  ASSERT_EQ(ref.outputs[0].size(), x.size() * sizeof(float));
  std::vector<float> want(x.size());
  std::memcpy(want.data(), ref.outputs[0].data(), ref.outputs[0].size());

  std::vector<int32_t> shape;
  std::vector<float> got =
      RunFloat(LowerKerasModel(LoadKerasModel(h5)), {kRecords, kFeatures}, x, &shape);
  ASSERT_EQ(shape, (std::vector<int32_t>{kRecords, kFeatures}));
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-5f * std::max(1.0f, std::fabs(want[i]))) << i;
  }
}

}  // namespace
}  // namespace cae::testing
