// Quantization-aware training (train/qat.h): the int8 model the trainer simulates against the one
// `convert --quant int8` writes from the trained weights and ranges, run by our interpreter.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "keras/keras_writer.h"
#include "quant/convert.h"
#include "support/fixtures.h"
#include "train/qat.h"
#include "train/train_test_util.h"

namespace cae::train {
namespace {

// n smooth images in [0, 1] (sums of two sinusoids per image), like photos more than noise.
TensorData Images(int n, int h, int w, int c, uint64_t seed) {
  TensorData t(DType::kFloat32, {n, h, w, c});
  float* v = t.as<float>();
  for (int s = 0; s < n; ++s) {
    const float a = 0.2f + 0.6f * UnitFloat(Mix(seed, s, 1)), b = 0.2f + 0.6f * UnitFloat(Mix(seed, s, 2));
    const float p = 6.28f * UnitFloat(Mix(seed, s, 3));
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < c; ++k)
          *v++ = 0.5f + 0.25f * std::sin(a * x + p + k) + 0.25f * std::cos(b * y - p);
  }
  return t;
}

TensorData Threshold(const TensorData& x, float at) {
  TensorData y = x;
  for (int64_t i = 0; i < y.num_elements(); ++i) y.as<float>()[i] = x.as<float>()[i] > at ? 1.0f : 0.0f;
  return y;
}

struct QatResult {
  TensorData simulated;  // Trainer::Predict with QAT: the int8 model as the trainer sees it
  TensorData converted;  // our interpreter on the int8 .tflite graph convert makes
  TensorData float_out;  // the same weights in float
  quant::ConvertReport report;
  std::vector<std::string> uncovered;
};

QatResult TrainAndConvert(KerasModel km, const TensorData& x, const TensorData& y, int epochs,
                          bool per_tensor = false) {
  TrainOptions o;
  o.epochs = epochs;
  o.batch_size = 16;
  o.qat = true;
  o.qat_options.per_tensor = per_tensor;
  Trainer t(km, o, nullptr);
  t.Fit(x, y, nullptr, nullptr);
  QatResult r;
  r.simulated = t.Predict(x);
  r.uncovered = t.net().qat()->uncovered();
  t.StoreWeights(km);
  quant::ConvertOptions co;
  co.quant = quant::QuantMode::kInt8;
  co.per_tensor = per_tensor;
  co.qat_ranges = StoredQatRanges(t.net().qat()->RangesJson());
  Interpreter converted(quant::ConvertModel(LowerKerasModel(km), co, nullptr, &r.report));
  r.converted = converted.Run({x})[0];
  Interpreter fl(LowerKerasModel(km));
  r.float_out = fl.Run({x})[0];
  return r;
}

double MeanAbsDiff(const TensorData& a, const TensorData& b, float* max_diff) {
  EXPECT_EQ(a.shape, b.shape);
  double sum = 0;
  *max_diff = 0;
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    const float d = std::abs(a.as<float>()[i] - b.as<float>()[i]);
    sum += d;
    *max_diff = std::max(*max_diff, d);
  }
  return sum / static_cast<double>(a.num_elements());
}

// The simulated model is the converted one up to the integer kernels' own rounding (requantized
// accumulators, int32 biases, the LOGISTIC table): far closer than the float model is.
void ExpectSimulationMatches(const QatResult& r, float max_steps, double min_equal_share,
                             const std::string& what) {
  EXPECT_EQ(r.report.calibration_samples, 0) << what;
  EXPECT_EQ(r.report.qat_ranges_used, r.report.activations_quantized) << what;
  EXPECT_TRUE(r.uncovered.empty()) << what << ": " << r.uncovered.size() << " not simulated, e.g. "
                                   << (r.uncovered.empty() ? "" : r.uncovered[0]);
  float sim_max = 0, float_max = 0;
  const double sim = MeanAbsDiff(r.simulated, r.converted, &sim_max);
  const double fl = MeanAbsDiff(r.float_out, r.converted, &float_max);
  int64_t equal = 0;
  for (int64_t i = 0; i < r.converted.num_elements(); ++i)
    equal += r.simulated.as<float>()[i] == r.converted.as<float>()[i];
  const double share = static_cast<double>(equal) / static_cast<double>(r.converted.num_elements());
  EXPECT_LE(sim_max, max_steps / 256.0f) << what;
  EXPECT_GE(share, min_equal_share) << what;
  EXPECT_LT(sim * 3, fl) << what << ": simulated vs int8 " << sim << ", float vs int8 " << fl;
  std::printf("[qat] %s: simulated = int8 on %.2f%% of outputs, |simulated - int8| mean %.2e max "
              "%.2e; |float - int8| mean %.2e max %.2e\n",
              what.c_str(), 100 * share, sim, sim_max, fl, float_max);
}

TEST(Qat, FakeQuantizeRoundsOnTheGridAndMasksClippedValues) {
  const FakeQuantParams p{0.5f, -28};  // representable: [(-128 + 28) * 0.5, (127 + 28) * 0.5]
  const std::vector<float> x{0.0f, 0.2f, 0.26f, -50.0f, -50.3f, 77.5f, 77.8f, 1e9f};
  std::vector<float> y(x.size());
  std::vector<uint8_t> mask(x.size());
  FakeQuantize(x.data(), static_cast<int64_t>(x.size()), p, y.data(), mask.data());
  EXPECT_EQ(y, (std::vector<float>{0.0f, 0.0f, 0.5f, -50.0f, -50.0f, 77.5f, 77.5f, 77.5f}));
  EXPECT_EQ(mask, (std::vector<uint8_t>{1, 1, 1, 1, 0, 1, 0, 0}));
}

TEST(Qat, KernelsAreQuantizedPerOutputChannelAsTheConverterDoes) {
  // Conv2DTranspose [kh, kw, out, in]: channel = axis 2; out channel 1 has 10x the values.
  KerasWeight k{"kernel", {1, 2, 2, 3}, {}};
  for (int i = 0; i < 12; ++i) k.values.push_back(((i / 3) % 2 ? 10.0f : 1.0f) * (0.013f * i - 0.05f));
  std::vector<KerasWeight> w{k, {"bias", {2}, {0.123456f, -1.0f}}};
  ASSERT_TRUE(FakeQuantizeKerasWeights("Conv2DTranspose", false, w));
  for (int i = 0; i < 12; ++i) {
    const bool big = (i / 3) % 2;
    float absmax = 0;
    for (int j = 0; j < 12; ++j)
      if (((j / 3) % 2) == big) absmax = std::max(absmax, std::abs(k.values[j]));
    const float s = absmax / 127.0f;
    EXPECT_FLOAT_EQ(w[0].values[i], std::round(k.values[i] / s) * s) << i;
  }
  EXPECT_EQ(w[1].values, (std::vector<float>{0.123456f, -1.0f}));  // biases stay float
  EXPECT_FALSE(FakeQuantizeKerasWeights("BatchNormalization", false, w));
}

TEST(Qat, CaeSimulationMatchesTheConvertedInt8Model) {
  const TensorData x = Images(96, 28, 28, 1, 5);
  QatResult r = TrainAndConvert(BuildCae(28, 28, 1, {8, 4, 4}), x, x, 2);
  ExpectSimulationMatches(r, 1, 0.995, "CAE per-channel");
  r = TrainAndConvert(BuildCae(28, 28, 1, {8, 4, 4}), x, x, 1, /*per_tensor=*/true);
  ExpectSimulationMatches(r, 1, 0.995, "CAE per-tensor");
}

TEST(Qat, UnetWithBatchNormConcatAndTransposeConvMatchesTheConvertedModel) {
  const TensorData x = Images(64, 16, 16, 1, 6);
  UnetOptions u;
  u.height = u.width = 16;
  u.depth = 2;
  u.base_filters = 4;
  QatResult r = TrainAndConvert(BuildUnet(u), x, Threshold(x, 0.5f), 2);
  ExpectSimulationMatches(r, 4, 0.85, "U-Net transpose, sigmoid");
  u.transpose_up = false;
  u.classes = 3;
  TensorData onehot(DType::kFloat32, {64, 16, 16, 3});
  for (int64_t i = 0; i < x.num_elements(); ++i) {
    const int cls = x.as<float>()[i] < 0.4f ? 0 : (x.as<float>()[i] < 0.6f ? 1 : 2);
    for (int k = 0; k < 3; ++k) onehot.as<float>()[i * 3 + k] = k == cls;
  }
  r = TrainAndConvert(BuildUnet(u), x, onehot, 1);
  ExpectSimulationMatches(r, 6, 0.85, "U-Net nearest, softmax");
}

TEST(Qat, DenseAutoencoderMatchesTheConvertedModel) {
  const TensorData x = Images(64, 8, 8, 1, 7);
  const QatResult r = TrainAndConvert(BuildDenseAe(8, 8, 1, {32, 16}), x, x, 2);
  ExpectSimulationMatches(r, 1, 0.995, "dense AE");
}

TEST(Qat, Conv1DModelMatchesTheConvertedModel) {
  // Conv1D lowers to RESHAPE, CONV_2D, RESHAPE: the CONV_2D output shares the layer output's
  // scale, so it is simulated through it.
  KerasModelBuilder b("conv1d_ae");
  std::string h = b.Input({32, 2});
  h = b.Add("Conv1D", Conv1DConfig(6, 3, "relu", "same"), {h});
  h = b.Add("MaxPooling1D", {{"pool_size", {2}}, {"strides", {2}}, {"padding", "valid"}}, {h});
  h = b.Add("UpSampling1D", {{"size", 2}}, {h});
  h = b.Add("Conv1D", Conv1DConfig(2, 3, "sigmoid", "same"), {h});
  TensorData x = Images(48, 1, 32, 2, 10);
  x.shape = {48, 32, 2};
  const QatResult r = TrainAndConvert(b.Finish(h), x, x, 2);
  ExpectSimulationMatches(r, 1, 0.995, "Conv1D AE");
}

TEST(Qat, RangesTravelWithTheSavedModelAndStartTheNextTraining) {
  const TensorData x = Images(32, 28, 28, 1, 8);
  KerasModel km = BuildCae(28, 28, 1, {4, 4, 4});
  TrainOptions o;
  o.epochs = 1;
  o.batch_size = 16;
  o.qat = true;
  Trainer t(km, o, nullptr);
  t.Fit(x, x, nullptr, nullptr);
  t.StoreWeights(km);
  km.qat = t.net().qat()->RangesJson();
  EXPECT_EQ(km.qat["ranges"].size(), 15u);  // input, 7 convs, 3 pools, 3 resizes, sigmoid
  testing::TempDir dir;
  const std::string path = dir.File("qat.h5");
  SaveKerasH5(km, path);
  const KerasModel back = LoadKerasModel(path);
  EXPECT_EQ(back.qat, km.qat);
  // Fine-tuning starts from the stored ranges: with decay 1 - 0 the ranges stay put for a Predict.
  TrainOptions again = o;
  again.epochs = 0;
  Trainer t2(back, again, nullptr);
  EXPECT_EQ(t2.net().qat()->RangesJson(), km.qat);
  // Same weights, same ranges: the same simulated outputs.
  EXPECT_EQ(t2.Predict(x).bytes, t.Predict(x).bytes);
}

TEST(Qat, ActivationsTheTrainerCannotSeeNeedCalibrationData) {
  // A BatchNormalization straight after the input is MUL + ADD in the int8 model: the MUL's
  // output is inside the layer, so it is not simulated and convert needs --calib for it.
  KerasModelBuilder b("bn_first");
  std::string h = b.Input({8, 8, 2});
  h = b.Add("BatchNormalization", BatchNormConfig(), {h}, "bn");
  h = b.Add("Conv2D", Conv2DConfig(2, 3, "relu"), {h}, "conv");
  KerasModel km = b.Finish(h);
  const TensorData x = Images(16, 8, 8, 2, 9);
  TrainOptions o;
  o.epochs = 1;
  o.batch_size = 8;
  o.qat = true;
  TensorData y(DType::kFloat32, {16, 8, 8, 2});
  Trainer t(km, o, nullptr);
  ASSERT_EQ(t.net().qat()->uncovered().size(), 1u);
  EXPECT_NE(t.net().qat()->uncovered()[0].find("bn/"), std::string::npos);
  t.Fit(x, x, nullptr, nullptr);
  t.StoreWeights(km);
  quant::ConvertOptions co;
  co.quant = quant::QuantMode::kInt8;
  co.qat_ranges = StoredQatRanges(t.net().qat()->RangesJson());
  try {
    quant::ConvertModel(LowerKerasModel(km), co, nullptr);
    ADD_FAILURE() << "converted without ranges for the BatchNormalization's MUL";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bn/"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--calib"), std::string::npos) << e.what();
  }
  quant::ConvertReport report;
  quant::ConvertModel(LowerKerasModel(km), co, &x, &report);
  EXPECT_EQ(report.qat_ranges_used + 1, report.activations_quantized);
  EXPECT_GT(report.calibration_samples, 0);
}

TEST(Qat, ModelsWithoutAnInt8FormAreRefused) {
  KerasModelBuilder b("elu");
  std::string h = b.Input({4, 4, 1});
  h = b.Add("Conv2D", Conv2DConfig(2, 3, "elu"), {h}, "conv_elu");
  const KerasModel km = b.Finish(h);
  QatOptions q;
  try {
    Net net(km, 1, &q);
    ADD_FAILURE() << "no error for ELU";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no int8 form"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("conv_elu"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cae::train
