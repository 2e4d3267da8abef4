// Data-driven bias correction (quant/data_bias_correction.h) through ConvertModel.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "graph/error.h"
#include "quant/convert.h"
#include "quant/data_bias_correction.h"
#include "quant/fixture_models.h"

namespace cae::quant {
namespace {

using namespace cae::quanttest;

double MeanAbs(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::fabs(static_cast<double>(a[i]) - b[i]);
  return s / static_cast<double>(a.size());
}

TEST(DataBiasCorrection, ChangesOnlyInt32BiasesAndLowersErrorHeavy) {
  const std::string path = testing::SharedPath("fixtures/keras/MilesWQ__conv_autoencoder.h5");
  CAE_REQUIRE_FILE(path);
  CAE_REQUIRE_FILE(MnistTestImages());
  const Model keras = LoadKeras(path);
  const TensorData calib = Images(MnistTestImages(), 9900, 100);
  const TensorData held_out = Images(MnistTestImages(), 0, 200);
  const std::vector<float> ref = OutputFloats(keras.main(), RunOurs(keras, FitToInput(keras.main(), held_out)));
  for (IoType io : {IoType::kFloat32, IoType::kUInt8}) {
    SCOPED_TRACE(IoTypeName(io));
    ConvertOptions o;
    o.quant = QuantMode::kInt8;
    o.io = io;
    o.calibration.method = CalibrationMethod::kPercentile;
    o.bias_correction = false;
    const Model plain = ConvertModel(keras, o, &calib);
    o.bias_correction = true;
    const Model corrected = ConvertModel(keras, o, &calib);
    const Graph& a = plain.main();
    const Graph& b = corrected.main();
    ASSERT_EQ(a.tensors.size(), b.tensors.size());
    int changed = 0;
    for (size_t t = 0; t < a.tensors.size(); ++t) {
      EXPECT_EQ(a.tensors[t].type, b.tensors[t].type) << a.tensors[t].name;
      EXPECT_EQ(a.tensors[t].quant.scale, b.tensors[t].quant.scale) << a.tensors[t].name;
      EXPECT_EQ(a.tensors[t].quant.zero_point, b.tensors[t].quant.zero_point) << a.tensors[t].name;
      if (a.tensors[t].data != b.tensors[t].data) {
        EXPECT_EQ(a.tensors[t].type, DType::kInt32) << a.tensors[t].name << ": only biases may change";
        ++changed;
      }
    }
    EXPECT_GT(changed, 0);
    if (io == IoType::kFloat32) {
      const double before = MeanAbs(OutputFloats(a, RunOurs(plain, FitToInput(a, held_out))), ref);
      const double after = MeanAbs(OutputFloats(b, RunOurs(corrected, FitToInput(b, held_out))), ref);
      std::printf("[bias] MilesWQ percentile on 200 held-out images: %.5f without, %.5f with correction\n",
                  before, after);
      EXPECT_LT(after, before);
    }
  }
}

TEST(DataBiasCorrection, RejectsSamplesOfTheWrongSize) {
  const std::string path = testing::SharedPath("fixtures/keras/MilesWQ__conv_autoencoder.h5");
  CAE_REQUIRE_FILE(path);
  Model keras = LoadKeras(path);
  TensorData wrong(DType::kFloat32, {2, 5});
  EXPECT_THROW(CorrectBiasesOnData(keras, keras, wrong, 2), Error);
}

}  // namespace
}  // namespace cae::quant
