// Quantization quality against ONNX Runtime's per-channel QDQ int8 (fixtures/anchors): mean
// |int8 - float| over the whole test set, with 100 calibration images chosen as for the anchors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "quant/convert.h"
#include "quant/fixture_models.h"
#include "tflite/writer.h"

namespace cae::quant {
namespace {

using namespace cae::quanttest;

double MeanAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::fabs(static_cast<double>(a[i]) - b[i]);
  return s / static_cast<double>(a.size());
}

struct QualityCase {
  const char* model;
  std::string test_images;
  std::string calib_images;
  int64_t calib_first;
  double ort;  // ONNX Runtime MinMax QInt8 per-channel: mean |int8 - float| (fixtures/README.md)
};

void CheckQuality(const QualityCase& q) {
  const std::string path = testing::SharedPath(q.model);
  CAE_REQUIRE_FILE(path);
  CAE_REQUIRE_FILE(q.test_images);
  CAE_REQUIRE_FILE(q.calib_images);
  const Model keras = LoadKeras(path);
  const TensorData test = Images(q.test_images, 0, 10000);
  const TensorData calib = Images(q.calib_images, q.calib_first, 100);
  const std::vector<uint8_t> float_bytes = RunOurs(keras, FitToInput(keras.main(), test));
  const std::vector<float> ref = OutputFloats(keras.main(), float_bytes);
  double best = 1e9;
  double minmax = 0;
  for (CalibrationMethod method : {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile, CalibrationMethod::kMse}) {
    ConvertOptions o;
    o.quant = QuantMode::kInt8;
    o.calibration.method = method;
    const Model m = ConvertModel(keras, o, &calib);
    const std::vector<float> out = OutputFloats(m.main(), RunOurs(m, FitToInput(m.main(), test)));
    ASSERT_EQ(out.size(), ref.size());
    const double d = MeanAbsDiff(out, ref);
    std::printf("[quality] %-45s %-10s mean |int8 - float| = %.5f  (ONNX Runtime QDQ: %.5f, ratio %.3f)\n",
                q.model, CalibrationMethodName(method), d, q.ort, d / q.ort);
    if (method == CalibrationMethod::kMinMax) minmax = d;
    best = std::min(best, d);
  }
  EXPECT_LE(minmax, q.ort) << "minmax worse than ONNX Runtime";
  EXPECT_LE(best, 0.8 * q.ort) << "best method not 20% better than ONNX Runtime";
}

TEST(Quality, MilesWQAgainstOnnxRuntimeHeavy) {
  // Calibrated on the LAST 100 MNIST test images, as the anchor was.
  CheckQuality({"fixtures/keras/MilesWQ__conv_autoencoder.h5", MnistTestImages(), MnistTestImages(), 9900, 0.00421});
}

TEST(Quality, Cae12785AgainstOnnxRuntimeHeavy) {
  // Calibrated on the first 100 Fashion-MNIST training images, as the anchor was.
  CheckQuality({"fixtures/anchors/cae12785_fmnist.h5", kFashionMnistTestImages, kFashionMnistTrainImages, 0, 0.00946});
}

TEST(Quality, FileSizesHeavy) {
  const std::string path = testing::SharedPath("fixtures/anchors/cae12785_fmnist.h5");
  CAE_REQUIRE_FILE(path);
  CAE_REQUIRE_FILE(kFashionMnistTrainImages);
  const Model keras = LoadKeras(path);
  const TensorData calib = Images(kFashionMnistTrainImages, 0, 100);
  testing::TempDir dir;
  std::vector<double> sizes, constants;
  for (QuantMode mode : {QuantMode::kFloat32, QuantMode::kFloat16, QuantMode::kInt8}) {
    ConvertOptions o;
    o.quant = mode;
    o.io = mode == QuantMode::kInt8 ? IoType::kInt8 : IoType::kFloat32;
    const Model m = ConvertModel(keras, o, &calib);
    const std::string file = dir.File(std::string(QuantModeName(mode)) + ".tflite");
    WriteTflite(m, file);
    sizes.push_back(static_cast<double>(testing::ReadBytes(file).size()));
    constants.push_back(static_cast<double>(ConstantBytes(m)));
    std::printf("[size] cae12785 %-8s file %8.0f bytes, constants %lld bytes\n", QuantModeName(mode),
                sizes.back(), static_cast<long long>(ConstantBytes(m)));
  }
  // The constants shrink 2x / 4x; the file also holds the graph (names, shapes, quantization
  // parameters), a fixed overhead that is large for a 12,785-parameter model.
  EXPECT_NEAR(sizes[1] / sizes[0], 0.5, 0.1);
  EXPECT_LT(sizes[2] / sizes[0], 0.4);
  EXPECT_NEAR(constants[1] / constants[0], 0.5, 0.01);
  EXPECT_NEAR(constants[2] / constants[0], 0.25, 0.01);  // int32 biases keep 4 bytes
}

}  // namespace
}  // namespace cae::quant
