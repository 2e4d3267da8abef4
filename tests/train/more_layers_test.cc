// The trainer's layers for the rest of the 2-D Keras layers the importer lowers: ZeroPadding2D,
// Cropping2D, global pooling, Subtract/Multiply/Average/Maximum/Minimum, Rescaling, the noise
// layers, PReLU and SeparableConv2D. For each: gradients against central finite differences
// (training mode), the trainer's forward pass against the importer + interpreter on the same
// weights (inference mode), and clear errors for configs neither supports.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "graph/error.h"
#include "keras/keras_builders.h"
#include "keras/keras_import.h"
#include "kernels/parallel.h"
#include "runtime/interpreter.h"
#include "train/layer.h"
#include "train/net.h"
#include "train/trainer.h"
#include "train/train_test_util.h"

namespace cae::train {
namespace {

using json = nlohmann::json;

// input -> conv a (3 filters, linear), conv b (3 filters, tanh) -> merge(a, b[, a]) -> conv.
KerasModel TwoBranches(const std::string& merge, bool three_inputs, json merge_config = {}) {
  KerasModelBuilder b("branches");
  std::string in = b.Input({4, 5, 2});
  std::string a = b.Add("Conv2D", Conv2DConfig(3, 3, "linear"), {in}, "a");
  std::string c = b.Add("Conv2D", Conv2DConfig(3, 1, "tanh"), {in}, "b");
  std::vector<std::string> ins = {a, c};
  if (three_inputs) ins.push_back(b.Add("Conv2D", Conv2DConfig(3, 1, "sigmoid"), {a}, "c"));
  if (merge_config.is_null()) merge_config = json::object();
  std::string m = b.Add(merge, merge_config, ins);
  std::string out = b.Add("Conv2D", Conv2DConfig(2, 1, "linear"), {m}, "post");
  return b.Finish(out);
}

// input -> 1x1 conv "pre" -> the layer (-> optional tail).
KerasModel OneLayer(std::vector<int> shape, const std::string& cls, const json& config,
                    const std::vector<std::pair<std::string, json>>& tail = {}) {
  std::vector<std::pair<std::string, json>> layers{{cls, config}};
  layers.insert(layers.end(), tail.begin(), tail.end());
  return Chain(shape, layers);
}

json SeparableConfig(int filters, int kernel, const std::string& activation,
                     const std::string& padding = "same", int stride = 1, int multiplier = 1) {
  return {{"filters", filters},
          {"kernel_size", {kernel, kernel}},
          {"strides", {stride, stride}},
          {"padding", padding},
          {"data_format", "channels_last"},
          {"dilation_rate", {1, 1}},
          {"depth_multiplier", multiplier},
          {"activation", activation},
          {"use_bias", true}};
}

json ConstantInit(float v) { return {{"class_name", "Constant"}, {"config", {{"value", v}}}}; }

// ---- ZeroPadding2D / Cropping2D ----

TEST(MoreLayersGradients, ZeroPaddingAndCropping) {
  CheckGradients(Chain({3, 4, 2}, {{"ZeroPadding2D", {{"padding", {{1, 2}, {0, 3}}}}},
                                   {"Conv2D", Conv2DConfig(2, 3, "linear")},
                                   {"Cropping2D", {{"cropping", {{2, 0}, {1, 3}}}}}}),
                 2, true);
  CheckGradients(Chain({5, 6, 2}, {{"Cropping2D", {{"cropping", {1, 2}}}},
                                   {"ZeroPadding2D", {{"padding", 1}}},
                                   {"Conv2D", Conv2DConfig(2, 3, "linear")},
                                   {"ZeroPadding2D", {{"padding", {0, 2}}}},
                                   {"Cropping2D", {{"cropping", 1}}}}),
                 2, true);
}

TEST(MoreLayersInterpreter, ZeroPaddingAndCropping) {
  for (const json& p : {json(2), json({1, 3}), json({{0, 2}, {3, 1}}), json(nullptr)}) {
    json cfg = {{"data_format", "channels_last"}};
    if (!p.is_null()) cfg["padding"] = p;  // absent: 1 on every side
    ExpectTrainerMatchesInterpreter(OneLayer({4, 3, 2}, "ZeroPadding2D", cfg), 2, {4, 3, 2});
  }
  for (const json& c : {json(1), json({2, 0}), json({{0, 3}, {1, 2}})}) {
    ExpectTrainerMatchesInterpreter(OneLayer({6, 5, 2}, "Cropping2D", {{"cropping", c}}), 2,
                                    {6, 5, 2});
  }
}

TEST(MoreLayersErrors, PaddingAndCroppingConfigs) {
  ExpectNetError(OneLayer({4, 4, 2}, "Cropping2D", {{"cropping", {{2, 2}, {0, 0}}}}),
                 "removes the whole input");
  ExpectNetError(OneLayer({4, 4, 2}, "ZeroPadding2D", {{"padding", {1, 2, 3}}}),
                 "config 'padding' must be an int, a pair or ((top, bottom), (left, right))");
  ExpectNetError(OneLayer({4, 4, 2}, "ZeroPadding2D", {{"padding", -1}}),
                 "must hold non-negative integers");
  ExpectNetError(OneLayer({4, 4, 2}, "ZeroPadding2D", {{"data_format", "channels_first"}}),
                 "channels_last");
}

// ---- Global pooling ----

TEST(MoreLayersGradients, GlobalPooling) {
  for (const char* cls :
       {"GlobalAveragePooling2D", "GlobalMaxPooling2D", "GlobalAvgPool2D", "GlobalMaxPool2D"}) {
    SCOPED_TRACE(cls);
    CheckGradients(Chain({3, 4, 3}, {{cls, json::object()}, {"Dense", DenseConfig(2, "tanh")}}), 2,
                   true);
    CheckGradients(
        Chain({3, 4, 3}, {{cls, {{"keepdims", true}}}, {"Conv2D", Conv2DConfig(2, 1, "linear")}}),
        2, true);
  }
}

TEST(MoreLayersInterpreter, GlobalPooling) {
  for (const char* cls : {"GlobalAveragePooling2D", "GlobalMaxPooling2D"}) {
    for (bool keep : {false, true}) {
      ExpectTrainerMatchesInterpreter(OneLayer({5, 3, 3}, cls, {{"keepdims", keep}}), 3, {5, 3, 3});
      ExpectTrainerMatchesInterpreter(
          OneLayer({5, 3, 3}, cls, {{"keepdims", keep}}, {{"Dense", DenseConfig(2, "linear")}}), 2,
          {5, 3, 3});
    }
  }
}

// The maximum's gradient goes to the first maximal pixel only.
TEST(MoreLayers, GlobalMaxGradientGoesToFirstMaximum) {
  KerasModelBuilder b("gmax");
  std::string x = b.Input({2, 2, 1});
  x = b.Add("GlobalMaxPooling2D", json::object(), {x});
  Net net(b.Finish(x), 1);
  Layer* layer = net.layers()[0];
  const std::vector<float> in = {0.5f, 2.0f, 2.0f, -1.0f};
  std::vector<float> out(1), dout = {3.0f}, din(4, 0.0f);
  RunContext ctx;
  layer->Forward(ctx, 1, {in.data()}, out.data());
  EXPECT_EQ(out[0], 2.0f);
  layer->Backward(ctx, 1, {in.data()}, out.data(), dout.data(), {din.data()});
  EXPECT_EQ(din, (std::vector<float>{0.0f, 3.0f, 0.0f, 0.0f}));
}

// ---- Merges ----

TEST(MoreLayersGradients, Merges) {
  CheckGradients(TwoBranches("Subtract", false), 2, true);
  for (const char* cls : {"Multiply", "Average", "Maximum", "Minimum"}) {
    SCOPED_TRACE(cls);
    CheckGradients(TwoBranches(cls, false), 2, true);
    CheckGradients(TwoBranches(cls, true), 2, true);
  }
}

TEST(MoreLayersInterpreter, Merges) {
  ExpectTrainerMatchesInterpreter(TwoBranches("Subtract", false), 2, {4, 5, 2});
  for (const char* cls : {"Multiply", "Average", "Maximum", "Minimum"}) {
    ExpectTrainerMatchesInterpreter(TwoBranches(cls, false), 2, {4, 5, 2});
    ExpectTrainerMatchesInterpreter(TwoBranches(cls, true), 2, {4, 5, 2});
  }
}

// Maximum and Minimum give a tie to the first input (as tf.maximum / tf.minimum's gradients).
TEST(MoreLayers, MaximumMinimumTiesGoToTheFirstInput) {
  for (const char* cls : {"Maximum", "Minimum"}) {
    KerasModelBuilder b("ties");
    std::string in = b.Input({1, 1, 3});
    std::string x = b.Add(cls, json::object(), {in, in, in});
    Net net(b.Finish(x), 1);
    Layer* layer = net.layers()[0];
    const std::vector<float> a = {1.0f, 2.0f, 5.0f}, c = {1.0f, 3.0f, 0.0f}, d = {0.0f, 3.0f, 5.0f};
    std::vector<float> out(3), dout = {1.0f, 1.0f, 1.0f}, da(3, 0.0f), dc(3, 0.0f), dd(3, 0.0f);
    RunContext ctx;
    layer->Forward(ctx, 1, {a.data(), c.data(), d.data()}, out.data());
    layer->Backward(ctx, 1, {a.data(), c.data(), d.data()}, out.data(), dout.data(),
                    {da.data(), dc.data(), dd.data()});
    if (std::string(cls) == "Maximum") {
      EXPECT_EQ(out, (std::vector<float>{1.0f, 3.0f, 5.0f}));
      EXPECT_EQ(da, (std::vector<float>{1.0f, 0.0f, 1.0f}));
      EXPECT_EQ(dc, (std::vector<float>{0.0f, 1.0f, 0.0f}));
      EXPECT_EQ(dd, (std::vector<float>{0.0f, 0.0f, 0.0f}));
    } else {
      EXPECT_EQ(out, (std::vector<float>{0.0f, 2.0f, 0.0f}));
      EXPECT_EQ(da, (std::vector<float>{0.0f, 1.0f, 0.0f}));
      EXPECT_EQ(dc, (std::vector<float>{0.0f, 0.0f, 1.0f}));
      EXPECT_EQ(dd, (std::vector<float>{1.0f, 0.0f, 0.0f}));
    }
  }
}

TEST(MoreLayersErrors, Merges) {
  for (const char* cls : {"Subtract", "Multiply", "Average", "Maximum", "Minimum"}) {
    KerasModelBuilder b("broadcast");
    std::string in = b.Input({4, 4, 2});
    std::string a = b.Add("Conv2D", Conv2DConfig(3, 1, "linear"), {in}, "a");
    std::string c = b.Add("Conv2D", Conv2DConfig(1, 1, "linear"), {in}, "b");
    ExpectNetError(b.Finish(b.Add(cls, json::object(), {a, c})),
                   "differ (broadcasting is not supported)");
  }
  ExpectNetError(TwoBranches("Subtract", true), "Subtract expects exactly two inputs, got 3");
  KerasModelBuilder b("single");
  std::string in = b.Input({4, 4, 2});
  ExpectNetError(b.Finish(b.Add("Multiply", json::object(), {in})),
                 "expects at least two inputs, got 1");
}

// ---- Rescaling ----

TEST(MoreLayersGradients, Rescaling) {
  CheckGradients(Chain({3, 3, 2}, {{"Rescaling", {{"scale", -0.5}, {"offset", 0.25}}},
                                   {"Conv2D", Conv2DConfig(2, 1, "tanh")}}),
                 2, true);
}

TEST(MoreLayersInterpreter, Rescaling) {
  ExpectTrainerMatchesInterpreter(OneLayer({3, 4, 2}, "Rescaling", {{"scale", 1.0 / 255}}), 2,
                                  {3, 4, 2});
  ExpectTrainerMatchesInterpreter(
      OneLayer({3, 4, 2}, "Rescaling", {{"scale", 2.0}, {"offset", -1.0}}), 2, {3, 4, 2});
  ExpectTrainerMatchesInterpreter(OneLayer({3, 4, 2}, "Rescaling", {{"offset", 0.5}}), 2,
                                  {3, 4, 2});
}

TEST(MoreLayersErrors, RescalingNeedsScalars) {
  ExpectNetError(OneLayer({3, 3, 2}, "Rescaling", {{"scale", {0.5, 0.25}}}),
                 "Rescaling scale must be a scalar number");
  ExpectNetError(OneLayer({3, 3, 2}, "Rescaling", {{"scale", 1.0}, {"offset", {1, 2}}}),
                 "Rescaling offset must be a scalar number");
}

// ---- Noise layers ----

const std::vector<std::pair<std::string, json>>& NoiseLayers() {
  static const std::vector<std::pair<std::string, json>> layers = {
      {"GaussianNoise", {{"stddev", 0.3}}},
      {"GaussianDropout", {{"rate", 0.3}}},
      {"AlphaDropout", {{"rate", 0.25}}},
      {"ActivityRegularization", {{"l1", 0.01}, {"l2", 0.02}}},
  };
  return layers;
}

TEST(MoreLayersGradients, NoiseLayers) {
  for (const auto& [cls, cfg] : NoiseLayers()) {
    SCOPED_TRACE(cls);
    KerasModel km = Chain({3, 4, 2}, {{cls, cfg}, {"Conv2D", Conv2DConfig(2, 3, "tanh")}});
    CheckGradients(km, 2, true);
    CheckGradients(km, 2, false);
  }
  CheckGradients(Chain({3, 4, 2}, NoiseLayers()), 3, true);
}

TEST(MoreLayersInterpreter, NoiseLayersAreIdentityInInference) {
  for (const auto& [cls, cfg] : NoiseLayers())
    ExpectTrainerMatchesInterpreter(OneLayer({3, 4, 2}, cls, cfg), 2, {3, 4, 2});
}

// Runs one noise layer alone on x in the given mode; returns its output.
std::vector<float> RunNoise(const std::string& cls, const json& cfg, const std::vector<float>& x,
                            bool training, uint64_t step_seed, ThreadPool* pool = nullptr) {
  KerasModelBuilder b("noise");
  std::string in = b.Input({8, 8, 16});
  std::string y = b.Add(cls, cfg, {in}, "noise");
  Net net(b.Finish(y), 1);
  RunContext ctx{pool, training, step_seed};
  const int n = static_cast<int>(x.size() / net.input_dims().size());
  net.Forward(ctx, x.data(), n);
  return net.output();
}

TEST(MoreLayers, NoiseIsDeterministicPerStepAndIdentityInInference) {
  ThreadPool pool(2);
  // Values with mean 0 and variance 1 (4 samples of 8 x 8 x 16, Keras layout).
  std::vector<float> x(8 * 8 * 16 * 4);
  for (size_t i = 0; i < x.size(); ++i) {
    const float u1 = std::max(UnitFloat(Mix(5, i, 1)), 1e-7f), u2 = UnitFloat(Mix(5, i, 2));
    x[i] = std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
  }
  for (const auto& [cls, cfg] : NoiseLayers()) {
    SCOPED_TRACE(cls);
    EXPECT_EQ(RunNoise(cls, cfg, x, false, 7), RunNoise(cls, cfg, x, false, 7));
    // Inference: the identity, whatever the step seed. Net reorders NHWC -> CHW: compare sorted.
    std::vector<float> inf = RunNoise(cls, cfg, x, false, 99), sorted_x = x;
    std::sort(inf.begin(), inf.end());
    std::sort(sorted_x.begin(), sorted_x.end());
    EXPECT_EQ(inf, sorted_x);
    const std::vector<float> a = RunNoise(cls, cfg, x, true, 7);
    EXPECT_EQ(a, RunNoise(cls, cfg, x, true, 7));
    EXPECT_EQ(a, RunNoise(cls, cfg, x, true, 7, &pool));  // independent of the thread count
    if (cls == "ActivityRegularization") {
      EXPECT_EQ(a, RunNoise(cls, cfg, x, false, 7));
      continue;
    }
    EXPECT_NE(a, RunNoise(cls, cfg, x, true, 8));
    // Statistics of the training output for the N(0, 1) input.
    const std::vector<float> id = RunNoise(cls, cfg, x, false, 7);  // x in the trainer's layout
    double mean = 0, var = 0, resid = 0, dropped = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      mean += a[i];
      var += static_cast<double>(a[i]) * a[i];
      resid += (static_cast<double>(a[i]) - id[i]) * (a[i] - id[i]);
    }
    mean /= a.size();
    var = var / a.size() - mean * mean;
    resid = std::sqrt(resid / a.size());
    if (cls == "GaussianNoise") {
      EXPECT_NEAR(resid, 0.3, 0.02);  // y - x ~ N(0, 0.3^2)
    } else if (cls == "GaussianDropout") {
      EXPECT_NEAR(resid, std::sqrt(0.3 / 0.7), 0.06);  // y - x = x * sqrt(rate/(1-rate)) * z
    } else {
      // AlphaDropout keeps the mean 0 and variance 1 of its input; a quarter is dropped to one
      // value a * alpha' + b.
      const double alpha_p = -1.7580993408473766, rate = 0.25;
      const double am = std::pow((1 - rate) * (1 + rate * alpha_p * alpha_p), -0.5);
      const float drop_value = static_cast<float>(am * alpha_p - am * alpha_p * rate);
      for (float v : a) dropped += std::abs(v - drop_value) < 1e-6f;
      EXPECT_NEAR(dropped / a.size(), 0.25, 0.03);
      EXPECT_NEAR(mean, 0.0, 0.05);
      EXPECT_NEAR(var, 1.0, 0.06);
    }
  }
}

TEST(MoreLayersErrors, NoiseConfigs) {
  ExpectNetError(OneLayer({3, 3, 2}, "GaussianDropout", {{"rate", 1.0}}), "rate must be in [0, 1)");
  ExpectNetError(OneLayer({3, 3, 2}, "AlphaDropout", {{"rate", -0.1}}), "rate must be in [0, 1)");
  ExpectNetError(
      OneLayer({3, 3, 2}, "AlphaDropout", {{"rate", 0.1}, {"noise_shape", {1, 1, 1, 2}}}),
      "noise_shape is not supported");
  ExpectNetError(OneLayer({3, 3, 2}, "GaussianNoise", {{"stddev", -1}}), "stddev >= 0");
}

// ---- PReLU ----

TEST(MoreLayersGradients, PReLU) {
  const json init = ConstantInit(0.25f);
  CheckGradients(
      Chain({3, 4, 2}, {{"PReLU", {{"alpha_initializer", init}}},
                        {"Conv2D", Conv2DConfig(2, 3, "linear")},
                        {"PReLU", {{"alpha_initializer", init}, {"shared_axes", {1, 2}}}},
                        {"Conv2D", Conv2DConfig(3, 1, "linear")},
                        {"PReLU", {{"alpha_initializer", init}, {"shared_axes", 3}}}}),
      2, true);
  CheckGradients(Chain({5}, {{"PReLU", {{"alpha_initializer", init}}},
                             {"Dense", DenseConfig(3, "linear")},
                             {"PReLU", {{"alpha_initializer", init}, {"shared_axes", {1}}}}}),
                 3, true);
}

TEST(MoreLayersInterpreter, PReLU) {
  for (const json& shared : {json(nullptr), json({1, 2}), json({3}), json(2), json({1, 2, 3})}) {
    json cfg = json::object();
    if (!shared.is_null()) cfg["shared_axes"] = shared;
    ExpectTrainerMatchesInterpreter(OneLayer({3, 4, 2}, "PReLU", cfg), 2, {3, 4, 2});
  }
  ExpectTrainerMatchesInterpreter(
      Chain({6}, {{"PReLU", json::object()}, {"Dense", DenseConfig(3, "linear")}}), 2, {6});
  ExpectTrainerMatchesInterpreter(
      OneLayer({3, 4, 2}, "GlobalAveragePooling2D", {{"keepdims", true}},
               {{"PReLU", {{"shared_axes", {1, 2}}}}}),
      2, {3, 4, 2});
}

TEST(MoreLayers, PReLUWeightRoundTrip) {
  ExpectWeightRoundTrip(OneLayer({3, 4, 2}, "PReLU", {{"shared_axes", {1}}}, {}), "PReLU",
                        {{"alpha", {1, 4, 2}}});
  ExpectWeightRoundTrip(OneLayer({3, 4, 2}, "PReLU", json::object()), "PReLU",
                        {{"alpha", {3, 4, 2}}});
  ExpectWeightRoundTrip(Chain({5}, {{"PReLU", json::object()}}), "PReLU", {{"alpha", {5}}});
  // A 1 x 1 x C image input: the loaded weight's rank tells the Keras shape.
  ExpectWeightRoundTrip(OneLayer({3, 4, 2}, "GlobalAveragePooling2D", {{"keepdims", true}},
                                 {{"PReLU", json::object()}}),
                        "PReLU", {{"alpha", {1, 1, 2}}});
}

TEST(MoreLayers, PReLUDefaultsAndInitializers) {
  Net zeros(OneLayer({3, 4, 2}, "PReLU", {{"shared_axes", {1, 2}}}), 1);
  ASSERT_EQ(zeros.layers()[1]->params.size(), 1u);
  EXPECT_EQ(zeros.layers()[1]->params[0].value, std::vector<float>(2, 0.0f));
  EXPECT_EQ(zeros.layers()[1]->StoreKerasWeights()[0].shape, (std::vector<int32_t>{1, 1, 2}));
  Net constant(OneLayer({3, 4, 2}, "PReLU", {{"alpha_initializer", ConstantInit(0.25f)}}), 1);
  EXPECT_EQ(constant.layers()[1]->params[0].value, std::vector<float>(24, 0.25f));
}

TEST(MoreLayersErrors, PReLUConfigs) {
  ExpectNetError(OneLayer({3, 4, 2}, "PReLU", {{"shared_axes", {4}}}),
                 "shared_axes must hold axes 1..3");
  ExpectNetError(Chain({5}, {{"PReLU", {{"shared_axes", {0}}}}}),
                 "shared_axes must hold axes 1..3");
  ExpectNetError(OneLayer({3, 4, 2}, "PReLU", {{"alpha_initializer", "he_normal"}}),
                 "alpha_initializer \"he_normal\" is not supported by the trainer");
  KerasModel km = OneLayer({3, 4, 2}, "PReLU", json::object());
  km.layers.back().weights.push_back({"alpha", {3, 4, 1}, std::vector<float>(12, 0.0f)});
  ExpectNetError(km, "expected [3,4,2]");
}

// ---- SeparableConv2D ----

TEST(MoreLayersGradients, SeparableConv2D) {
  json dilated = SeparableConfig(2, 3, "tanh");
  dilated["dilation_rate"] = {2, 1};
  json no_bias = SeparableConfig(3, 2, "linear", "valid", 1, 2);
  no_bias["use_bias"] = false;
  CheckGradients(
      Chain({5, 6, 2}, {{"SeparableConv2D", SeparableConfig(3, 3, "relu", "same", 1, 2)},
                        {"SeparableConv2D", SeparableConfig(2, 3, "sigmoid", "valid", 2)}}),
      2, true);
  CheckGradients(Chain({6, 5, 2}, {{"SeparableConv2D", dilated}, {"SeparableConv2D", no_bias}}), 2,
                 true);
  ThreadPool pool(2);
  CheckGradients(
      Chain({4, 4, 3}, {{"SeparableConv2D", SeparableConfig(2, 3, "linear", "same", 2, 3)}}), 3,
      true, &pool);
}

// The Net's weight regularizers reach the new layers' params by their Keras names
// (depthwise_regularizer, pointwise_regularizer, alpha_regularizer).
TEST(MoreLayersGradients, RegularizedSeparableConv2DAndPReLU) {
  const json l1l2 = {{"class_name", "L1L2"}, {"config", {{"l1", 0.05}, {"l2", 0.1}}}};
  json sep = SeparableConfig(2, 3, "tanh", "same", 1, 2);
  sep["depthwise_regularizer"] = l1l2;
  sep["pointwise_regularizer"] = l1l2;
  sep["bias_regularizer"] = l1l2;
  CheckGradients(
      Chain({4, 4, 2},
            {{"SeparableConv2D", sep},
             {"PReLU", {{"alpha_initializer", ConstantInit(0.25f)}, {"alpha_regularizer", l1l2}}}}),
      2, true);
}

TEST(MoreLayersInterpreter, SeparableConv2D) {
  json dilated = SeparableConfig(2, 3, "tanh");
  dilated["dilation_rate"] = {2, 2};
  json no_bias = SeparableConfig(3, 2, "relu6", "valid", 1, 2);
  no_bias["use_bias"] = false;
  for (const json& cfg :
       {SeparableConfig(3, 3, "relu", "same", 1, 2), SeparableConfig(2, 3, "sigmoid", "valid", 2),
        SeparableConfig(4, 3, "linear", "same", 2, 3), dilated, no_bias}) {
    ExpectTrainerMatchesInterpreter(OneLayer({7, 6, 2}, "SeparableConv2D", cfg), 2, {7, 6, 2});
  }
}

TEST(MoreLayers, SeparableConv2DParamsAndWeightRoundTrip) {
  Net net(OneLayer({5, 5, 2}, "SeparableConv2D", SeparableConfig(3, 3, "relu", "same", 1, 2)), 7);
  const Layer& l = *net.layers()[1];
  ASSERT_EQ(l.params.size(), 3u);
  EXPECT_EQ(l.params[0].keras_name, "depthwise_kernel");
  EXPECT_EQ(l.params[1].keras_name, "pointwise_kernel");
  EXPECT_EQ(l.params[2].keras_name, "bias");
  EXPECT_EQ(l.params[0].value.size(), 3u * 3 * 2 * 2);
  EXPECT_EQ(l.params[1].value.size(), 4u * 3);
  // Glorot-uniform with Keras's fans: depthwise limit sqrt(6 / (9 * 2 + 9 * 2)), pointwise
  // sqrt(6 / (4 + 3)); both nonzero, inside the limit, and not the same draws.
  for (const auto& [p, limit] :
       {std::pair{0, std::sqrt(6.0f / 36.0f)}, std::pair{1, std::sqrt(6.0f / 7.0f)}}) {
    float largest = 0.0f;
    for (float v : l.params[p].value) largest = std::max(largest, std::abs(v));
    EXPECT_LE(largest, limit);
    EXPECT_GT(largest, 0.5f * limit);
  }
  EXPECT_EQ(l.params[2].value, std::vector<float>(3, 0.0f));

  ExpectWeightRoundTrip(
      OneLayer({5, 5, 2}, "SeparableConv2D", SeparableConfig(3, 3, "relu", "same", 1, 2)),
      "SeparableConv2D",
      {{"depthwise_kernel", {3, 3, 2, 2}}, {"pointwise_kernel", {1, 1, 4, 3}}, {"bias", {3}}});
  json no_bias = SeparableConfig(3, 2, "linear", "valid");
  no_bias["use_bias"] = false;
  ExpectWeightRoundTrip(OneLayer({5, 5, 2}, "SeparableConv2D", no_bias), "SeparableConv2D",
                        {{"depthwise_kernel", {2, 2, 2, 1}}, {"pointwise_kernel", {1, 1, 2, 3}}});
}

// One optimizer-style update of the params (the master copies) reaches the forward pass.
TEST(MoreLayers, SeparableConv2DUsesUpdatedParams) {
  Net net(OneLayer({4, 4, 2}, "SeparableConv2D", SeparableConfig(2, 3, "linear")), 3);
  const std::vector<float> x = RandomValues(2 * 4 * 4 * 2, 4);
  RunContext ctx;
  net.Forward(ctx, x.data(), 2);
  const std::vector<float> before = net.output();
  net.layers()[1]->params[2].value[0] += 1.0f;  // bias of filter 0
  net.Forward(ctx, x.data(), 2);
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_FLOAT_EQ(net.output()[i], before[i] + (i < 16              ? 1.0f
                                                  : i >= 32 && i < 48 ? 1.0f
                                                                      : 0.0f))
        << i;
}

TEST(MoreLayersErrors, SeparableConv2DConfigs) {
  ExpectNetError(OneLayer({4, 4, 2}, "SeparableConv2D", {{"filters", 0}, {"kernel_size", 3}}),
                 "filters must be 1..65536");
  ExpectNetError(OneLayer({4, 4, 2}, "SeparableConv2D", {{"filters", 2}}), "missing kernel_size");
  KerasModel km = OneLayer({4, 4, 2}, "SeparableConv2D", SeparableConfig(3, 3, "relu"));
  km.layers.back().weights = {{"depthwise_kernel", {3, 3, 2, 1}, std::vector<float>(18)},
                              {"pointwise_kernel", {1, 1, 3, 3}, std::vector<float>(9)},
                              {"bias", {3}, std::vector<float>(3)}};
  ExpectNetError(km, "expected [1,1,2,3] (pointwise_kernel)");
}

}  // namespace
}  // namespace cae::train
