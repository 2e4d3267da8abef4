// Every trainable layer's gradients against central finite differences, on small shapes.
// Each model starts with a 1x1 Conv2D (or Dense) so that the gradient a layer passes to its input
// is checked too (through that first layer's weight gradients).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "keras/keras_builders.h"
#include "kernels/parallel.h"
#include "train/layer.h"
#include "train/loss.h"
#include "train/net.h"
#include "train/train_test_util.h"

namespace cae::train {
namespace {

using json = nlohmann::json;

TEST(GradientCheck, Conv2DSameRelu) {
  CheckGradients(Chain({5, 6, 2}, {{"Conv2D", Conv2DConfig(3, 3, "relu")}}), 2, true);
}

TEST(GradientCheck, Conv2DValidStridedSigmoid) {
  CheckGradients(Chain({7, 6, 2}, {{"Conv2D", Conv2DConfig(3, 3, "sigmoid", "valid", 2)}}), 2,
                 true);
}

TEST(GradientCheck, Conv2DSameStridedTanhAndDilated) {
  json dilated = Conv2DConfig(2, 3, "linear");
  dilated["dilation_rate"] = {2, 2};
  CheckGradients(Chain({7, 7, 2}, {{"Conv2D", Conv2DConfig(3, 3, "tanh", "same", 2)},
                                   {"Conv2D", dilated}}),
                 2, true);
}

// Stride-1 convs that narrow the channels run in kn2row form (per-tap products shifted into
// place): same and valid padding, a 1-filter head, dilation, a kernel wider than the image.
TEST(GradientCheck, Conv2DNarrowingKn2Row) {
  json dilated = Conv2DConfig(1, 3, "sigmoid");
  dilated["dilation_rate"] = {2, 1};
  CheckGradients(Chain({6, 5, 4}, {{"Conv2D", Conv2DConfig(3, 3, "relu")},
                                   {"Conv2D", Conv2DConfig(2, 3, "tanh", "valid")},
                                   {"Conv2D", dilated}}),
                 2, true);
  json wide = Conv2DConfig(1, 3, "linear");
  wide["dilation_rate"] = {3, 3};
  CheckGradients(Chain({2, 3, 3}, {{"Conv2D", wide}}), 2, true);
  json rect = Conv2DConfig(2, 1, "relu");
  rect["kernel_size"] = {1, 3};
  CheckGradients(Chain({4, 5, 3}, {{"Conv2D", rect}}), 2, true);
}

TEST(GradientCheck, Conv2DTransposeSameAndValid) {
  CheckGradients(Chain({3, 4, 2}, {{"Conv2DTranspose", Conv2DTransposeConfig(3, 3, 2, "linear", "same")},
                                   {"Conv2DTranspose", Conv2DTransposeConfig(2, 2, 2, "sigmoid", "valid")}}),
                 2, true);
}

TEST(GradientCheck, Conv2DTransposeOutputPaddingAndSmallKernel) {
  json same_op = Conv2DTransposeConfig(3, 3, 2, "linear", "same");
  same_op["output_padding"] = {1, 0};  // 3x4 -> 6x7
  json valid_op = Conv2DTransposeConfig(2, 2, 3, "tanh", "valid");
  valid_op["output_padding"] = 2;      // 6x7 -> 19x22
  CheckGradients(Chain({3, 4, 2}, {{"Conv2DTranspose", same_op}, {"Conv2DTranspose", valid_op}}), 2,
                 true);
  // kernel < stride without output_padding: Keras gives in * stride (zeros between the taps).
  CheckGradients(Chain({2, 3, 2}, {{"Conv2DTranspose", Conv2DTransposeConfig(2, 2, 3, "sigmoid", "valid")}}),
                 2, true);
}

TEST(GradientCheck, DepthwiseConv2D) {
  json c = {{"kernel_size", {3, 3}}, {"strides", {1, 1}}, {"padding", "same"},
            {"depth_multiplier", 2}, {"activation", "linear"}, {"use_bias", true}};
  json v = c;
  v["padding"] = "valid";
  v["strides"] = {2, 2};
  v["depth_multiplier"] = 1;
  CheckGradients(Chain({6, 5, 2}, {{"DepthwiseConv2D", c}, {"DepthwiseConv2D", v}}), 2, true);
}

TEST(GradientCheck, DenseActivations) {
  CheckGradients(Chain({6}, {{"Dense", DenseConfig(5, "tanh")}, {"Dense", DenseConfig(4, "sigmoid")},
                             {"Dense", DenseConfig(3, "softmax")}}),
                 3, true);
}

TEST(GradientCheck, MaxAndAveragePoolSameAndValid) {
  json avg = PoolConfig(2, "same");
  json max3 = PoolConfig(3, "valid");
  max3["strides"] = {1, 1};
  CheckGradients(Chain({5, 7, 2}, {{"MaxPooling2D", PoolConfig(2, "same")},
                                   {"Conv2D", Conv2DConfig(2, 1, "linear")},
                                   {"AveragePooling2D", avg}}),
                 2, true);
  CheckGradients(Chain({5, 5, 1}, {{"MaxPooling2D", max3}}), 2, true);
}

TEST(GradientCheck, UpSamplingNearest) {
  CheckGradients(Chain({3, 2, 2}, {{"UpSampling2D", UpSamplingConfig(2)},
                                   {"Conv2D", Conv2DConfig(2, 3, "linear")}}),
                 2, true);
}

TEST(GradientCheck, UpSamplingBilinear) {
  json up = UpSamplingConfig(2);
  up["interpolation"] = "bilinear";
  json up3 = up;
  up3["size"] = {3, 2};
  CheckGradients(Chain({3, 2, 2}, {{"UpSampling2D", up}, {"Conv2D", Conv2DConfig(2, 3, "linear")},
                                   {"UpSampling2D", up3}}),
                 2, true);
}

TEST(GradientCheck, BatchNormTrainingAndInference) {
  const KerasModel km = Chain({4, 3, 3}, {{"BatchNormalization", BatchNormConfig()},
                                          {"Conv2D", Conv2DConfig(2, 3, "linear")}});
  CheckGradients(km, 3, true);
  CheckGradients(km, 3, false);
  CheckGradients(Chain({5}, {{"BatchNormalization", BatchNormConfig()},
                             {"Dense", DenseConfig(2, "linear")}}),
                 4, true);
}

TEST(GradientCheck, DropoutAndActivationLayers) {
  CheckGradients(Chain({4, 4, 2}, {{"Dropout", {{"rate", 0.3}}},
                                   {"Activation", {{"activation", "sigmoid"}}},
                                   {"LeakyReLU", {{"alpha", 0.2}}},
                                   {"ELU", {{"alpha", 1.0}}},
                                   {"ReLU", {{"max_value", 6.0}}},
                                   {"Softmax", {{"axis", -1}}}}),
                 2, true);
}

TEST(GradientCheck, SpatialDropout2D) {
  CheckGradients(Chain({3, 4, 6}, {{"SpatialDropout2D", {{"rate", 0.5}, {"data_format", "channels_last"}}},
                                   {"Conv2D", Conv2DConfig(2, 3, "linear")}}),
                 3, true);
}

// SpatialDropout2D zeroes whole feature maps in training (and keeps the rest scaled by 2 at rate
// 0.5); identity in inference.
TEST(SpatialDropout2D, DropsWholeChannels) {
  KerasModelBuilder b("sd");
  std::string x = b.Input({4, 5, 32});
  x = b.Add("SpatialDropout2D", {{"rate", 0.5}}, {x});
  Net net(b.Finish(x), 1);
  const int n = 2;
  std::vector<float> input(static_cast<size_t>(n * net.input_dims().size()), 1.0f);
  RunContext train_ctx{nullptr, true, 77};
  net.Forward(train_ctx, input.data(), n);
  int dropped = 0;
  const int64_t P = 20;
  for (int64_t plane = 0; plane < n * 32; ++plane) {
    const float first = net.output()[plane * P];
    EXPECT_TRUE(first == 0.0f || first == 2.0f) << first;
    for (int64_t p = 1; p < P; ++p) ASSERT_EQ(net.output()[plane * P + p], first) << plane;
    dropped += first == 0.0f;
  }
  EXPECT_GT(dropped, 10);
  EXPECT_LT(dropped, 54);
  RunContext infer_ctx{nullptr, false, 77};
  net.Forward(infer_ctx, input.data(), n);
  for (float v : net.output()) ASSERT_EQ(v, 1.0f);
}

TEST(GradientCheck, FlattenDenseReshape) {
  CheckGradients(Chain({3, 2, 2}, {{"Flatten", json::object()},
                                   {"Dense", DenseConfig(12, "linear")},
                                   {"Reshape", {{"target_shape", {2, 3, 2}}}},
                                   {"Conv2D", Conv2DConfig(2, 2, "linear")}}),
                 2, true);
}

TEST(GradientCheck, ConcatenateAndAddSkips) {
  KerasModelBuilder b("skips");
  std::string in = b.Input({4, 4, 2});
  std::string a = b.Add("Conv2D", Conv2DConfig(3, 3, "linear"), {in});
  std::string c = b.Add("Conv2D", Conv2DConfig(3, 1, "tanh"), {a});
  std::string s = b.Add("Add", json::object(), {a, c});
  std::string cat = b.Add("Concatenate", {{"axis", -1}}, {s, a});
  std::string out = b.Add("Conv2D", Conv2DConfig(2, 3, "linear"), {cat});
  CheckGradients(b.Finish(out), 2, true);
}

TEST(GradientCheck, SmallUnetWithThreads) {
  UnetOptions o;
  o.height = o.width = 4;
  o.depth = 1;
  o.base_filters = 2;
  o.classes = 3;
  ThreadPool pool(2);
  CheckGradients(BuildUnet(o), 3, true, &pool);
}

// The losses' gradients against central differences of LossSum / n.
TEST(GradientCheck, Losses) {
  const Dims d{3, 2, 2};
  const int n = 2;
  const size_t count = static_cast<size_t>(n * d.size());
  std::vector<float> y = RandomValues(count, 5, 0.05f, 0.95f);
  std::vector<float> t = RandomValues(count, 6, 0.0f, 1.0f);
  for (Loss loss : {Loss::kMse, Loss::kBce, Loss::kCce}) {
    std::vector<float> grad;
    LossSum(loss, y.data(), t.data(), d, n, &grad);
    for (size_t i = 0; i < count; ++i) {
      const float h = 1e-3f, saved = y[i];
      y[i] = saved + h;
      const double up = LossSum(loss, y.data(), t.data(), d, n, nullptr) / n;
      y[i] = saved - h;
      const double down = LossSum(loss, y.data(), t.data(), d, n, nullptr) / n;
      y[i] = saved;
      EXPECT_NEAR((up - down) / (2 * h), grad[i], 1e-3 + 1e-2 * std::abs(grad[i]))
          << KerasLossName(loss) << " element " << i;
    }
  }
}

}  // namespace
}  // namespace cae::train
