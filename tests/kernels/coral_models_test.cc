// Real quantized models (../shared/fixtures/coral): our reference integer kernels must produce
// the same bytes as TFLite's builtin kernels (oracle --no-xnnpack) on the same inputs, for a real
// image and for random inputs. On a mismatch the test names the first op whose output differs.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernels/quant_oracle_util.h"
#include "tflite/reader.h"

namespace cae::testing {
namespace {

std::string Coral(const std::string& name) { return SharedPath("fixtures/coral/" + name); }

// The image as the model's input bytes, made by the oracle's img2input helper.
TensorData ImageInput(const std::string& image, const std::string& model, const Tensor& input) {
  TempDir dir;
  const std::string out = dir.File("img.bin");
  const CommandResult r = RunCommand("node '" + SharedPath("tools/tflite-oracle/img2input.mjs") +
                                     "' '" + image + "' '" + model + "' '" + out + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  TensorData d(input.type, input.shape);
  const std::vector<uint8_t> bytes = ReadBytes(out);
  EXPECT_EQ(bytes.size(), d.bytes.size());
  if (bytes.size() == d.bytes.size()) d.bytes = bytes;
  return d;
}

// Runs both and expects identical outputs; on failure, reports the differing ops. Returns ours.
std::vector<TensorData> ExpectSameAsOracle(const std::string& path, const Model& model,
                                           const std::vector<TensorData>& in) {
  const std::vector<TensorData> ours = RunOurs(model, in);
  TempDir dir;
  const OracleRun run = RunOracle(path, WriteInputs(dir, in));
  EXPECT_EQ(run.exit_code, 0) << run.json.substr(0, 400);
  EXPECT_EQ(run.outputs.size(), ours.size());
  if (run.exit_code != 0 || run.outputs.size() != ours.size()) return ours;
  bool same = true;
  for (size_t i = 0; i < ours.size(); ++i) {
    const ByteDiff d = CompareRaw(ours[i].type, ours[i].bytes, run.outputs[i]);
    EXPECT_EQ(d.count, 0) << "output " << i << ": " << d.count << " of " << d.elements
                          << " elements differ (max " << d.max_abs << ")";
    same = same && d.count == 0;
  }
  if (!same) {
    int first = -1;
    const std::string report = CompareAllOps(model, in, &first);
    ADD_FAILURE() << "first differing op " << first << ":\n" << report.substr(0, 3000);
  }
  return ours;
}

class CoralModel : public ::testing::Test {
 protected:
  void Load(const std::string& name) {
    path_ = Coral(name);
    model_ = ReadTflite(path_);
  }
  std::string path_;
  Model model_;
};

TEST_F(CoralModel, MobilenetV1BirdIsChickadeeAndMatchesTflite) {
  CAE_REQUIRE_ORACLE();
  CAE_REQUIRE_FILE(Coral("mobilenet_v1_0.25_128_quant.tflite"));
  Load("mobilenet_v1_0.25_128_quant.tflite");
  const Tensor& input = model_.main().tensors[model_.main().inputs[0]];
  const std::vector<TensorData> in = {ImageInput(Coral("bird.bmp"), path_, input)};
  const std::vector<TensorData> out = RunOurs(model_, in);
  ASSERT_EQ(out.size(), 1u);
  const uint8_t* p = out[0].as<uint8_t>();
  const int64_t best = std::max_element(p, p + out[0].num_elements()) - p;
  EXPECT_EQ(best, 20);
  ExpectSameAsOracle(path_, model_, in);
}

TEST_F(CoralModel, MobilenetV1RandomInputsMatchTflite) {
  CAE_REQUIRE_ORACLE();
  CAE_REQUIRE_FILE(Coral("mobilenet_v1_0.25_128_quant.tflite"));
  Load("mobilenet_v1_0.25_128_quant.tflite");
  for (uint32_t seed : {1u, 2u}) ExpectSameAsOracle(path_, model_, RandomInputs(model_, seed));
}

TEST_F(CoralModel, MobilenetV2PtqMatchesTfliteHeavy) {
  CAE_REQUIRE_ORACLE();
  CAE_REQUIRE_FILE(Coral("tf2_mobilenet_v2_1.0_224_ptq.tflite"));
  Load("tf2_mobilenet_v2_1.0_224_ptq.tflite");
  const Tensor& input = model_.main().tensors[model_.main().inputs[0]];
  ExpectSameAsOracle(path_, model_, {ImageInput(Coral("cat.bmp"), path_, input)});
  ExpectSameAsOracle(path_, model_, RandomInputs(model_, 7));
}

TEST_F(CoralModel, DeeplabV3PascalMatchesTfliteHeavy) {
  CAE_REQUIRE_ORACLE();
  CAE_REQUIRE_FILE(Coral("deeplabv3_mnv2_dm05_pascal_quant.tflite"));
  Load("deeplabv3_mnv2_dm05_pascal_quant.tflite");
  const Tensor& input = model_.main().tensors[model_.main().inputs[0]];
  ExpectSameAsOracle(path_, model_, {ImageInput(Coral("bird.bmp"), path_, input)});
  ExpectSameAsOracle(path_, model_, RandomInputs(model_, 11));
}

TEST_F(CoralModel, DeeplabEdgetpuSlimCityscapesMatchesTfliteHeavy) {
  CAE_REQUIRE_ORACLE();
  CAE_REQUIRE_FILE(Coral("deeplab_mobilenet_edgetpu_slim_cityscapes_quant.tflite"));
  Load("deeplab_mobilenet_edgetpu_slim_cityscapes_quant.tflite");
  const Tensor& input = model_.main().tensors[model_.main().inputs[0]];
  const std::vector<TensorData> out = ExpectSameAsOracle(
      path_, model_, {ImageInput(Coral("cityscapes_segmentation.bmp"), path_, input)});
  // Agreement of the predicted classes with the reference mask (information, loosely bounded).
  int w = 0, h = 0;
  const std::vector<uint8_t> mask = ReadMaskBmp(Coral("cityscapes_segmentation_mask.bmp"), &w, &h);
  ASSERT_FALSE(mask.empty());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].num_elements(), int64_t{w} * h);
  int64_t agree = 0;
  for (int64_t i = 0; i < out[0].num_elements(); ++i) {
    const int64_t cls = out[0].type == DType::kInt64 ? out[0].as<int64_t>()[i] : out[0].as<int32_t>()[i];
    agree += cls == mask[static_cast<size_t>(i)];
  }
  const double fraction = double(agree) / double(out[0].num_elements());
  std::printf("cityscapes pixel agreement with the reference mask: %.2f%%\n", 100 * fraction);
  EXPECT_GT(fraction, 0.5);
  ExpectSameAsOracle(path_, model_, RandomInputs(model_, 13));
}

}  // namespace
}  // namespace cae::testing
