// Every fixture model converted in every mode loads in the real TFLite runtime and computes what
// our interpreter computes (integer models bit for bit); float32 conversions equal the Keras model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "quant/convert.h"
#include "quant/fixture_models.h"
#include "tflite/writer.h"

namespace cae::quant {
namespace {

using namespace cae::quanttest;

struct Mode {
  const char* name;
  QuantMode quant;
  IoType io;
};

constexpr int kImages = 6;

void CheckAllModes(const FixtureModel& fm) {
  const std::string path = testing::SharedPath(fm.keras);
  if (!testing::FileExists(path)) GTEST_SKIP() << "fixture missing: " << path;
  const std::string data_path = fm.fashion ? kFashionMnistTrainImages : MnistTestImages();
  if (!testing::FileExists(data_path)) GTEST_SKIP() << "data missing: " << data_path;
  CAE_REQUIRE_ORACLE();
  const Model keras = LoadKeras(path);
  const TensorData calib = Images(data_path, 0, 100);
  const TensorData images = Images(data_path, 200, kImages);
  const std::vector<uint8_t> keras_out = RunOurs(keras, FitToInput(keras.main(), images));
  const std::vector<Mode> modes = {{"float32", QuantMode::kFloat32, IoType::kFloat32},
                                   {"float16", QuantMode::kFloat16, IoType::kFloat32},
                                   {"dynamic", QuantMode::kDynamic, IoType::kFloat32},
                                   {"int8", QuantMode::kInt8, IoType::kFloat32},
                                   {"int8-io-int8", QuantMode::kInt8, IoType::kInt8},
                                   {"int8-io-uint8", QuantMode::kInt8, IoType::kUInt8}};
  testing::TempDir dir;
  for (const Mode& mode : modes) {
    SCOPED_TRACE(std::string(fm.name) + " " + mode.name);
    ConvertOptions o;
    o.quant = mode.quant;
    o.io = mode.io;
    const Model m = ConvertModel(keras, o, &calib);
    const std::string out = dir.File(std::string(fm.name) + "_" + mode.name + ".tflite");
    WriteTflite(m, out);
    const TensorData in = FitToInput(m.main(), images);
    const std::string in_file = dir.File(std::string(fm.name) + "_" + mode.name + ".in");
    testing::WriteBytes(in_file, in.bytes);
    const testing::OracleRun run = testing::RunOracle(out, {in_file}, {"--no-xnnpack"}, kImages);
    ASSERT_EQ(run.exit_code, 0) << run.json;
    ASSERT_EQ(run.outputs.size(), 1u);
    const std::vector<uint8_t> ours = RunOurs(m, in);
    ASSERT_EQ(ours.size(), run.outputs[0].size());
    const std::vector<float> oracle_f = OutputFloats(m.main(), run.outputs[0]);
    const std::vector<float> keras_f = OutputFloats(keras.main(), keras_out);
    ASSERT_EQ(oracle_f.size(), keras_f.size());
    double max_vs_keras = 0, mean_vs_keras = 0;
    for (size_t i = 0; i < keras_f.size(); ++i) {
      const double d = std::fabs(static_cast<double>(oracle_f[i]) - keras_f[i]);
      max_vs_keras = std::max(max_vs_keras, d);
      mean_vs_keras += d / static_cast<double>(keras_f.size());
    }
    std::printf("[convert] %-20s %-14s oracle loads; vs Keras float: mean %.6f max %.6f\n", fm.name,
                mode.name, mean_vs_keras, max_vs_keras);
    if (mode.quant == QuantMode::kInt8) {
      const std::vector<float> ours_f = OutputFloats(m.main(), ours);
      int differing = 0;
      double worst = 0;
      for (size_t i = 0; i < ours.size(); ++i) {
        differing += ours[i] != run.outputs[0][i];
        worst = std::max(worst, std::fabs(static_cast<double>(ours_f[i]) - oracle_f[i]));
      }
      EXPECT_TRUE(ours == run.outputs[0]) << "output differs from TFLite --no-xnnpack in " << differing
                                          << " of " << ours.size() << " bytes, worst by " << worst;
    } else {
      const std::vector<float> ours_f = OutputFloats(m.main(), ours);
      double max_ours = 0;
      for (size_t i = 0; i < ours_f.size(); ++i)
        max_ours = std::max(max_ours, std::fabs(static_cast<double>(ours_f[i]) - oracle_f[i]));
      EXPECT_LE(max_ours, 1e-5) << "our interpreter vs TFLite on the converted model";
    }
    if (mode.quant == QuantMode::kFloat32) {
      EXPECT_LE(max_vs_keras, 1e-5);
    } else if (mode.quant == QuantMode::kFloat16) {
      EXPECT_LE(max_vs_keras, 0.02);
    } else {
      EXPECT_LE(mean_vs_keras, 0.05);
    }
  }
}

TEST(ConvertFixtures, MilesWQAllModesHeavy) { CheckAllModes(FixtureModels()[0]); }
TEST(ConvertFixtures, Cae12785AllModesHeavy) { CheckAllModes(FixtureModels()[1]); }
TEST(ConvertFixtures, HiwonyUNetAllModesHeavy) { CheckAllModes(FixtureModels()[2]); }
TEST(ConvertFixtures, QusaiTransposeConvAllModesHeavy) { CheckAllModes(FixtureModels()[3]); }
TEST(ConvertFixtures, HarshitAllModesHeavy) { CheckAllModes(FixtureModels()[4]); }
TEST(ConvertFixtures, KryptologystDenseAllModesHeavy) { CheckAllModes(FixtureModels()[5]); }

}  // namespace
}  // namespace cae::quant
