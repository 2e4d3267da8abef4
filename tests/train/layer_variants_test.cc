// Layer variants the trainer supports beyond the built-in architectures (Conv2DTranspose with
// output_padding or a kernel smaller than the stride, bilinear UpSampling2D, SpatialDropout2D):
// the trainer's forward pass gives the same output shape and values as the importer + interpreter
// on the same weights, so what is trained is what gets converted.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "keras/keras_builders.h"
#include "keras/keras_import.h"
#include "runtime/interpreter.h"
#include "train/layer.h"
#include "train/trainer.h"

namespace cae::train {
namespace {

using json = nlohmann::json;

TensorData RandomImages(int n, int h, int w, int c) {
  TensorData t(DType::kFloat32, {n, h, w, c});
  for (int64_t i = 0; i < t.num_elements(); ++i) t.as<float>()[i] = UnitFloat(Mix(9, i, 3));
  return t;
}

// Initializes km's weights from a seed, then compares Trainer::Predict with the interpreter.
void ExpectTrainerMatchesInterpreter(KerasModel km, int n, int h, int w, int c) {
  TrainOptions o;
  o.epochs = 0;
  Trainer t(km, o, nullptr);
  t.StoreWeights(km);
  const TensorData x = RandomImages(n, h, w, c);
  const TensorData mine = t.Predict(x);
  Interpreter interp(LowerKerasModel(km));
  const std::vector<TensorData> ran = interp.Run({x});
  ASSERT_EQ(ran.size(), 1u);
  ASSERT_EQ(ran[0].shape, mine.shape) << km.layers.back().name;
  float worst = 0.0f;
  for (int64_t i = 0; i < mine.num_elements(); ++i)
    worst = std::max(worst, std::abs(ran[0].as<float>()[i] - mine.as<float>()[i]));
  EXPECT_LE(worst, 1e-5f) << km.layers.back().name;
}

KerasModel OneLayer(std::vector<int> shape, const std::string& cls, const json& config) {
  KerasModelBuilder b("variant");
  std::string x = b.Input(shape);
  x = b.Add("Conv2D", Conv2DConfig(shape[2], 1, "linear"), {x}, "pre");
  x = b.Add(cls, config, {x});
  return b.Finish(x);
}

TEST(LayerVariants, Conv2DTransposeOutputPaddingMatchesInterpreter) {
  json same_op = Conv2DTransposeConfig(3, 3, 2, "linear", "same");
  same_op["output_padding"] = {1, 0};
  ExpectTrainerMatchesInterpreter(OneLayer({5, 4, 2}, "Conv2DTranspose", same_op), 2, 5, 4, 2);
  json same_k4 = Conv2DTransposeConfig(2, 4, 2, "relu", "same");
  same_k4["output_padding"] = {1, 1};
  ExpectTrainerMatchesInterpreter(OneLayer({3, 4, 3}, "Conv2DTranspose", same_k4), 2, 3, 4, 3);
  json valid_op = Conv2DTransposeConfig(2, 2, 3, "linear", "valid");
  valid_op["output_padding"] = 2;
  ExpectTrainerMatchesInterpreter(OneLayer({4, 3, 2}, "Conv2DTranspose", valid_op), 1, 4, 3, 2);
  ExpectTrainerMatchesInterpreter(
      OneLayer({4, 3, 2}, "Conv2DTranspose", Conv2DTransposeConfig(2, 2, 3, "linear", "valid")), 2,
      4, 3, 2);
}

// Conv2D with 1-3 filters (output heads), same/valid, strides and dilation, per activation.
TEST(LayerVariants, Conv2DVariantsMatchInterpreter) {
  for (int filters : {1, 2, 3}) {
    ExpectTrainerMatchesInterpreter(
        OneLayer({6, 7, 3}, "Conv2D", Conv2DConfig(filters, 3, "sigmoid")), 2, 6, 7, 3);
    ExpectTrainerMatchesInterpreter(
        OneLayer({7, 6, 2}, "Conv2D", Conv2DConfig(filters, 3, "relu", "valid", 2)), 2, 7, 6, 2);
    ExpectTrainerMatchesInterpreter(
        OneLayer({5, 8, 2}, "Conv2D", Conv2DConfig(filters, 2, "linear", "same", 3)), 1, 5, 8, 2);
    json dilated = Conv2DConfig(filters, 3, "tanh");
    dilated["dilation_rate"] = {2, 1};
    ExpectTrainerMatchesInterpreter(OneLayer({6, 5, 2}, "Conv2D", dilated), 2, 6, 5, 2);
  }
}

TEST(LayerVariants, BilinearUpSamplingMatchesInterpreter) {
  for (std::pair<int, int> size : {std::pair{2, 2}, std::pair{3, 2}}) {
    json up = UpSamplingConfig(2);
    up["interpolation"] = "bilinear";
    up["size"] = {size.first, size.second};
    // The builder writes Keras 2.2.4 (TF1 resize, no half-pixel centers); tf.keras 2.13 uses
    // half-pixel centers. The trainer must follow the importer in both.
    KerasModel km = OneLayer({5, 3, 2}, "UpSampling2D", up);
    ExpectTrainerMatchesInterpreter(km, 2, 5, 3, 2);
    km.keras_version = "2.13.1";
    ExpectTrainerMatchesInterpreter(km, 2, 5, 3, 2);
  }
}

TEST(LayerVariants, SpatialDropoutIsIdentityInInference) {
  ExpectTrainerMatchesInterpreter(
      OneLayer({4, 4, 3}, "SpatialDropout2D", {{"rate", 0.4}, {"data_format", "channels_last"}}), 2,
      4, 4, 3);
}

}  // namespace
}  // namespace cae::train
