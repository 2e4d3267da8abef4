// Lowered models run through the interpreter give Keras's float results: hand-computed small
// models, independent reference loops, and the MNIST / Fashion-MNIST reconstruction errors.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/keras_import.h"
#include "keras_test_util.h"
#include "support/fixtures.h"

namespace cae::testing {
namespace {

TEST(KerasNumeric, ConvPoolUpsampleByHand) {
  KerasModel km = ModelFromJson(SequentialJson(
      "4, 4, 1",
      {R"({"class_name": "Conv2D", "config": {"name": "conv", "filters": 2, "kernel_size": [3, 3],
           "padding": "same", "activation": "relu", "use_bias": true}})",
       R"({"class_name": "MaxPooling2D", "config": {"name": "pool", "pool_size": [2, 2],
           "padding": "valid"}})",
       R"({"class_name": "UpSampling2D", "config": {"name": "up", "size": [2, 2]}})"}));
  // Filter 0 copies the centre pixel; filter 1 sums the 3x3 window, bias -10.
  std::vector<float> kernel(3 * 3 * 1 * 2, 0.0f);  // HWIO
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x) kernel[(y * 3 + x) * 2 + 1] = 1.0f;
  kernel[(1 * 3 + 1) * 2 + 0] = 1.0f;
  MutableLayer(km, "conv").weights = {{"kernel", {3, 3, 1, 2}, kernel}, {"bias", {2}, {0, -10}}};
  Model m = LowerKerasModel(km);
  std::vector<float> input(16);
  for (int i = 0; i < 16; ++i) input[i] = static_cast<float>(i);
  std::vector<int32_t> shape;
  std::vector<float> out = RunFloat(m, {1, 4, 4, 1}, input, &shape);
  ASSERT_EQ(shape, (std::vector<int32_t>{1, 4, 4, 2}));
  // Channel 0: max of each 2x2 block of 0..15 -> [[5,7],[13,15]].
  // Channel 1: relu(window sum - 10) = [[0,8,14,8],[17,35,44,29],[41,71,80,53],[32,56,62,40]],
  // pooled -> [[35,44],[71,80]]. Upsampling repeats each pooled value in a 2x2 block.
  const float pooled[2][2][2] = {{{5, 35}, {7, 44}}, {{13, 71}, {15, 80}}};
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x)
      for (int c = 0; c < 2; ++c)
        EXPECT_EQ(out[(y * 4 + x) * 2 + c], pooled[y / 2][x / 2][c]) << y << "," << x << "," << c;
}

// Keras Conv2DTranspose by its definition (scatter of each input pixel times the kernel), with
// TF's padding: total = max((in - 1) * s + k - out, 0), before = total / 2.
std::vector<float> TransposeConvReference(const std::vector<float>& x, int h, int w, int c,
                                          const std::vector<float>& k, int kh, int kw, int f, int s,
                                          int oh, int ow, const std::vector<float>& bias) {
  const int pad_h = std::max((h - 1) * s + kh - oh, 0) / 2;
  const int pad_w = std::max((w - 1) * s + kw - ow, 0) / 2;
  std::vector<float> out(static_cast<size_t>(oh) * ow * f);
  for (int i = 0; i < oh * ow; ++i)
    for (int o = 0; o < f; ++o) out[static_cast<size_t>(i) * f + o] = bias[o];
  for (int y = 0; y < h; ++y)
    for (int xx = 0; xx < w; ++xx)
      for (int ky = 0; ky < kh; ++ky)
        for (int kx = 0; kx < kw; ++kx) {
          const int oy = y * s + ky - pad_h, ox = xx * s + kx - pad_w;
          if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
          for (int o = 0; o < f; ++o)
            for (int i = 0; i < c; ++i)
              out[(static_cast<size_t>(oy) * ow + ox) * f + o] +=
                  x[(static_cast<size_t>(y) * w + xx) * c + i] *
                  k[((static_cast<size_t>(ky) * kw + kx) * f + o) * c + i];
        }
  return out;
}

struct TransposeCase {
  const char* padding;
  int stride, kernel;
  const char* output_padding;  // JSON
  int out;                     // expected output size for a 3x3 input
};

class KerasTransposeConvTest : public ::testing::TestWithParam<TransposeCase> {};

TEST_P(KerasTransposeConvTest, MatchesDefinition) {
  const TransposeCase& tc = GetParam();
  const int h = 3, w = 3, c = 2, f = 3, k = tc.kernel;
  KerasModel km = ModelFromJson(SequentialJson(
      "3, 3, 2", {std::string(R"({"class_name": "Conv2DTranspose", "config": {"name": "tc",
           "filters": 3, "kernel_size": [)") +
                  std::to_string(k) + ", " + std::to_string(k) + R"(], "strides": [)" +
                  std::to_string(tc.stride) + ", " + std::to_string(tc.stride) +
                  R"(], "padding": ")" + tc.padding + R"(", "output_padding": )" +
                  tc.output_padding + R"(, "activation": "linear", "use_bias": true}})"}));
  std::vector<float> kernel(static_cast<size_t>(k) * k * f * c), bias = {0.5f, -1.0f, 0.25f};
  for (size_t i = 0; i < kernel.size(); ++i) kernel[i] = std::sin(static_cast<float>(i) * 0.7f);
  MutableLayer(km, "tc").weights = {{"kernel", {k, k, f, c}, kernel}, {"bias", {f}, bias}};
  std::vector<float> x(static_cast<size_t>(h) * w * c);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(static_cast<float>(i) * 1.3f);
  Model m = LowerKerasModel(km);
  std::vector<int32_t> shape;
  std::vector<float> out = RunFloat(m, {1, h, w, c}, x, &shape);
  ASSERT_EQ(shape, (std::vector<int32_t>{1, tc.out, tc.out, f}));
  std::vector<float> ref =
      TransposeConvReference(x, h, w, c, kernel, k, k, f, tc.stride, tc.out, tc.out, bias);
  ASSERT_EQ(out.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(out[i], ref[i], 1e-5f) << i;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, KerasTransposeConvTest,
    ::testing::Values(TransposeCase{"same", 2, 3, "null", 6},    // in * s
                      TransposeCase{"valid", 2, 3, "null", 7},   // (in - 1) * s + k
                      TransposeCase{"valid", 3, 2, "null", 9},   // in * s + max(k - s, 0)
                      TransposeCase{"same", 2, 3, "[1, 1]", 6},  // (in-1)*s + k - 2*(k/2) + 1
                      TransposeCase{"valid", 2, 3, "[1, 1]", 8},
                      TransposeCase{"same", 1, 3, "null", 3}));

// Each activation lowered and run elementwise against Keras's formula.
struct ActivationCase {
  const char* layer_json;  // class_name + config of a layer over a [1, 8] input
  const char* keras_version;
  float (*expected)(float);
};

class KerasActivationTest : public ::testing::TestWithParam<ActivationCase> {};

TEST_P(KerasActivationTest, MatchesKerasFormula) {
  const ActivationCase& ac = GetParam();
  KerasModel km = ModelFromJson(SequentialJson("8", {ac.layer_json}), ac.keras_version);
  Model m = LowerKerasModel(km);
  const std::vector<float> x = {-30.0f, -4.0f, -1.0f, -0.3f, 0.0f, 0.4f, 2.5f, 30.0f};
  std::vector<float> y = RunFloat(m, {1, 8}, x);
  ASSERT_EQ(y.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const float want = ac.expected(x[i]);
    EXPECT_NEAR(y[i], want, 1e-5f * std::max(1.0f, std::fabs(want))) << "x=" << x[i];
  }
}

float Selu(float x) {
  return 1.0507009873554805f * (x > 0 ? x : 1.6732632423543772f * std::expm1(x));
}

INSTANTIATE_TEST_SUITE_P(
    Activations, KerasActivationTest,
    ::testing::Values(
        ActivationCase{
            R"({"class_name": "Activation", "config": {"name": "a", "activation": "selu"}})",
            "2.4.0", Selu},
        ActivationCase{
            R"({"class_name": "Activation", "config": {"name": "a", "activation": "softplus"}})",
            "2.4.0",
            [](float x) { return std::log1p(std::exp(-std::fabs(x))) + std::max(x, 0.0f); }},
        ActivationCase{
            R"({"class_name": "Activation", "config": {"name": "a", "activation": "swish"}})",
            "2.4.0", [](float x) { return x / (1.0f + std::exp(-x)); }},
        ActivationCase{
            R"({"class_name": "Activation", "config": {"name": "a", "activation": "elu"}})",
            "2.4.0", [](float x) { return x > 0 ? x : std::expm1(x); }},
        ActivationCase{
            R"({"class_name": "Activation", "config": {"name": "a", "activation": "gelu"}})",
            "2.4.0", [](float x) { return 0.5f * x * (1.0f + std::erf(x / std::sqrt(2.0f))); }},
        ActivationCase{
            R"({"class_name": "Activation", "config": {"name": "a", "activation": "hard_sigmoid"}})",
            "2.4.0", [](float x) { return std::clamp(0.2f * x + 0.5f, 0.0f, 1.0f); }},
        ActivationCase{
            R"({"class_name": "Activation", "config": {"name": "a", "activation": "hard_sigmoid"}})",
            "3.8.0", [](float x) { return std::clamp(x + 3.0f, 0.0f, 6.0f) / 6.0f; }},
        ActivationCase{
            R"({"class_name": "Activation", "config": {"name": "a", "activation": "sigmoid"}})",
            "2.4.0", [](float x) { return 1.0f / (1.0f + std::exp(-x)); }},
        ActivationCase{
            R"({"class_name": "Activation", "config": {"name": "a", "activation": "tanh"}})",
            "2.4.0", [](float x) { return std::tanh(x); }},
        ActivationCase{R"({"class_name": "ELU", "config": {"name": "a", "alpha": 0.5}})", "2.4.0",
                       [](float x) { return x > 0 ? x : 0.5f * std::expm1(x); }},
        ActivationCase{R"({"class_name": "LeakyReLU", "config": {"name": "a", "alpha": 0.1}})",
                       "2.4.0", [](float x) { return x > 0 ? x : 0.1f * x; }},
        ActivationCase{R"({"class_name": "LeakyReLU", "config": {"name": "a"}})", "3.8.0",
                       [](float x) { return x > 0 ? x : 0.3f * x; }},
        ActivationCase{R"({"class_name": "ReLU", "config": {"name": "a", "max_value": 6.0}})",
                       "2.4.0", [](float x) { return std::clamp(x, 0.0f, 6.0f); }},
        ActivationCase{R"({"class_name": "ReLU", "config": {"name": "a", "max_value": 2.0,
                       "negative_slope": 0.5}})",
                       "2.4.0", [](float x) { return x >= 0 ? std::min(x, 2.0f) : 0.5f * x; }},
        ActivationCase{
            R"({"class_name": "Rescaling", "config": {"name": "a", "scale": 0.5, "offset": 1.0}})",
            "3.8.0", [](float x) { return 0.5f * x + 1.0f; }},
        ActivationCase{R"({"class_name": "ReLU", "config": {"name": "a", "negative_slope": 0.2}})",
                       "2.4.0", [](float x) { return x >= 0 ? x : 0.2f * x; }}));

TEST(KerasNumeric, PReLUSharedAxesAndBatchNorm) {
  KerasModel km = ModelFromJson(SequentialJson(
      "2, 2, 3", {R"({"class_name": "BatchNormalization", "config": {"name": "bn", "axis": -1,
           "epsilon": 0.001, "center": true, "scale": false}})",
                  R"({"class_name": "PReLU", "config": {"name": "pr", "shared_axes": [1, 2]}})"}));
  MutableLayer(km, "bn").weights = {{"beta", {3}, {0.5f, -0.5f, 0.0f}},
                                    {"moving_mean", {3}, {1.0f, 2.0f, -1.0f}},
                                    {"moving_variance", {3}, {4.0f, 0.25f, 1.0f}}};
  MutableLayer(km, "pr").weights = {{"alpha", {1, 1, 3}, {0.1f, 0.2f, 0.3f}}};
  Model m = LowerKerasModel(km);
  std::vector<float> x(12);
  for (int i = 0; i < 12; ++i) x[i] = static_cast<float>(i) - 6.0f;
  std::vector<float> y = RunFloat(m, {1, 2, 2, 3}, x);
  const float mean[3] = {1, 2, -1}, var[3] = {4, 0.25f, 1}, beta[3] = {0.5f, -0.5f, 0};
  const float alpha[3] = {0.1f, 0.2f, 0.3f};
  for (int i = 0; i < 12; ++i) {
    const int c = i % 3;
    float v = (x[i] - mean[c]) / std::sqrt(var[c] + 0.001f) + beta[c];
    v = v >= 0 ? v : alpha[c] * v;
    EXPECT_NEAR(y[i], v, 1e-5f) << i;
  }
}

TEST(KerasNumeric, DepthwiseSeparableDenseAndMerges) {
  // input -> DepthwiseConv2D(m=2) -> SeparableConv2D(4) -> GlobalAveragePooling2D -> Dense(2),
  // checked against direct loops.
  KerasModel km = ModelFromJson(SequentialJson(
      "4, 4, 2",
      {R"({"class_name": "DepthwiseConv2D", "config": {"name": "dw", "kernel_size": [3, 3],
           "padding": "same", "depth_multiplier": 2, "activation": "linear", "use_bias": true}})",
       R"({"class_name": "SeparableConv2D", "config": {"name": "sep", "filters": 4,
           "kernel_size": [3, 3], "padding": "valid", "activation": "relu", "use_bias": true}})",
       R"({"class_name": "GlobalAveragePooling2D", "config": {"name": "gap"}})",
       R"({"class_name": "Dense", "config": {"name": "fc", "units": 2, "activation": "linear"}})"}));
  auto fill = [](size_t n, float seed) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = std::sin(seed + 0.37f * static_cast<float>(i));
    return v;
  };
  const auto dwk = fill(3 * 3 * 2 * 2, 1), dwb = fill(4, 2), sdk = fill(3 * 3 * 4 * 1, 3),
             spk = fill(4 * 4, 4), sb = fill(4, 5), fck = fill(4 * 2, 6), fcb = fill(2, 7);
  MutableLayer(km, "dw").weights = {{"depthwise_kernel", {3, 3, 2, 2}, dwk}, {"bias", {4}, dwb}};
  MutableLayer(km, "sep").weights = {{"depthwise_kernel", {3, 3, 4, 1}, sdk},
                                     {"pointwise_kernel", {1, 1, 4, 4}, spk},
                                     {"bias", {4}, sb}};
  MutableLayer(km, "fc").weights = {{"kernel", {4, 2}, fck}, {"bias", {2}, fcb}};
  const auto x = fill(4 * 4 * 2, 8);
  Model m = LowerKerasModel(km);
  std::vector<float> y = RunFloat(m, {1, 4, 4, 2}, x);

  // Reference: depthwise same (pad 1), channel c*2+q uses kernel[ky][kx][c][q].
  std::vector<float> d(4 * 4 * 4);
  for (int oy = 0; oy < 4; ++oy)
    for (int ox = 0; ox < 4; ++ox)
      for (int c = 0; c < 2; ++c)
        for (int q = 0; q < 2; ++q) {
          float s = dwb[c * 2 + q];
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy + ky - 1, ix = ox + kx - 1;
              if (iy < 0 || iy >= 4 || ix < 0 || ix >= 4) continue;
              s += x[(iy * 4 + ix) * 2 + c] * dwk[((ky * 3 + kx) * 2 + c) * 2 + q];
            }
          d[(oy * 4 + ox) * 4 + c * 2 + q] = s;
        }
  // Separable valid: 4x4 -> 2x2, depthwise (no bias) then pointwise + bias, relu.
  std::vector<float> sep(2 * 2 * 4);
  for (int oy = 0; oy < 2; ++oy)
    for (int ox = 0; ox < 2; ++ox) {
      float dd[4];
      for (int c = 0; c < 4; ++c) {
        dd[c] = 0;
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx)
            dd[c] += d[((oy + ky) * 4 + ox + kx) * 4 + c] * sdk[(ky * 3 + kx) * 4 + c];
      }
      for (int o = 0; o < 4; ++o) {
        float s = sb[o];
        for (int c = 0; c < 4; ++c) s += dd[c] * spk[c * 4 + o];
        sep[(oy * 2 + ox) * 4 + o] = std::max(s, 0.0f);
      }
    }
  float gap[4];
  for (int c = 0; c < 4; ++c) gap[c] = (sep[c] + sep[4 + c] + sep[8 + c] + sep[12 + c]) / 4.0f;
  ASSERT_EQ(y.size(), 2u);
  for (int o = 0; o < 2; ++o) {
    float s = fcb[o];
    for (int c = 0; c < 4; ++c) s += gap[c] * fck[c * 2 + o];
    EXPECT_NEAR(y[o], s, 1e-5f);
  }
}

TEST(KerasNumeric, FunctionalMergesPaddingCropping) {
  // Two branches from one input: ZeroPadding2D then Cropping2D (back to 3x3), Average with the
  // input, Subtract, Multiply, Concatenate, Flatten, Reshape; three model outputs.
  KerasModel km = ModelFromJson(R"({"class_name": "Functional", "config": {"name": "f",
    "layers": [
      {"name": "in", "class_name": "InputLayer", "config": {"batch_shape": [null, 3, 3, 1], "name": "in"}, "inbound_nodes": []},
      {"name": "pad", "class_name": "ZeroPadding2D", "config": {"name": "pad", "padding": [[1, 2], [0, 1]]},
       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}}], "kwargs": {}}]},
      {"name": "crop", "class_name": "Cropping2D", "config": {"name": "crop", "cropping": [[1, 2], [0, 1]]},
       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["pad", 0, 0]}}], "kwargs": {}}]},
      {"name": "avg", "class_name": "Average", "config": {"name": "avg"},
       "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history": ["crop", 0, 0]}},
                                    {"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}}]], "kwargs": {}}]},
      {"name": "sub", "class_name": "Subtract", "config": {"name": "sub"},
       "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history": ["avg", 0, 0]}},
                                    {"class_name": "__keras_tensor__", "config": {"keras_history": ["crop", 0, 0]}}]], "kwargs": {}}]},
      {"name": "mul", "class_name": "Multiply", "config": {"name": "mul"},
       "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history": ["avg", 0, 0]}},
                                    {"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}},
                                    {"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}}]], "kwargs": {}}]},
      {"name": "cat", "class_name": "Concatenate", "config": {"name": "cat", "axis": -1},
       "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history": ["mul", 0, 0]}},
                                    {"class_name": "__keras_tensor__", "config": {"keras_history": ["avg", 0, 0]}}]], "kwargs": {}}]},
      {"name": "flat", "class_name": "Flatten", "config": {"name": "flat"},
       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["cat", 0, 0]}}], "kwargs": {}}]},
      {"name": "resh", "class_name": "Reshape", "config": {"name": "resh", "target_shape": [-1, 6]},
       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["flat", 0, 0]}}], "kwargs": {}}]}
    ],
    "input_layers": ["in", 0, 0], "output_layers": [["resh", 0, 0], ["pad", 0, 0], ["sub", 0, 0]]}})",
                                "3.8.0");
  Model m = LowerKerasModel(km);
  ASSERT_EQ(m.main().outputs.size(), 3u);
  EXPECT_EQ(m.main().tensors[m.main().outputs[0]].shape, (std::vector<int32_t>{1, 3, 6}));
  EXPECT_EQ(m.main().tensors[m.main().outputs[1]].shape, (std::vector<int32_t>{1, 6, 4, 1}));
  Interpreter interp(m);
  TensorData in(DType::kFloat32, {1, 3, 3, 1});
  for (int i = 0; i < 9; ++i) in.as<float>()[i] = static_cast<float>(i + 1);
  std::vector<TensorData> out = interp.Run({in});
  ASSERT_EQ(out.size(), 3u);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(out[2].as<float>()[i], 0.0f);  // avg - crop
  const float* r = out[0].as<float>();
  const float* pad = out[1].as<float>();
  // pad: rows 1..3, cols 0..2 of a 6x4 hold the input; the rest is 0.
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 4; ++x) {
      const bool inside = y >= 1 && y <= 3 && x <= 2;
      EXPECT_EQ(pad[y * 4 + x], inside ? static_cast<float>((y - 1) * 3 + x + 1) : 0.0f);
    }
  // avg = (crop + in) / 2 = in; mul = in^3; cat = [in^3, in] per pixel; flatten/reshape to 3x6.
  for (int i = 0; i < 9; ++i) {
    const float v = static_cast<float>(i + 1);
    EXPECT_FLOAT_EQ(r[i * 2], v * v * v);
    EXPECT_FLOAT_EQ(r[i * 2 + 1], v);
  }
}

}  // namespace
}  // namespace cae::testing

namespace cae::testing {
namespace {

TEST(KerasNumeric, TwoInputsSharedLayerCalledTwice) {
  // Keras 2 functional model with two inputs; one Dense layer is called on each (two nodes), and
  // the second call's output (node 1) feeds the Add.
  KerasModel km = ModelFromJson(R"({"class_name": "Model", "config": {"name": "two",
    "layers": [
      {"name": "a", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "a"}, "inbound_nodes": []},
      {"name": "b", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "b"}, "inbound_nodes": []},
      {"name": "shared", "class_name": "Dense", "config": {"name": "shared", "units": 1, "activation": "linear"},
       "inbound_nodes": [[["a", 0, 0, {}]], [["b", 0, 0, {}]]]},
      {"name": "sum", "class_name": "Add", "config": {"name": "sum"},
       "inbound_nodes": [[["shared", 0, 0, {}], ["shared", 1, 0, {}], ["b", 0, 0, {}]]]}],
    "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["sum", 0, 0]]}})");
  MutableLayer(km, "shared").weights = {{"kernel", {2, 1}, {2.0f, 3.0f}}, {"bias", {1}, {1.0f}}};
  Model m = LowerKerasModel(km);
  ASSERT_EQ(m.main().inputs.size(), 2u);
  EXPECT_EQ(CountOps(m)["FULLY_CONNECTED"], 2);
  EXPECT_EQ(CountOps(m)["ADD"], 2);
  Interpreter interp(m);
  TensorData a(DType::kFloat32, {1, 2}), b(DType::kFloat32, {1, 2});
  a.as<float>()[0] = 1;
  a.as<float>()[1] = 1;  // shared(a) = 2 + 3 + 1 = 6
  b.as<float>()[0] = 10;
  b.as<float>()[1] = -1;  // shared(b) = 20 - 3 + 1 = 18
  std::vector<TensorData> out = interp.Run({a, b});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].shape, (std::vector<int32_t>{1, 2}));
  // 6 + 18 + b (broadcast [1,1] + [1,2]) = [34, 23].
  EXPECT_FLOAT_EQ(out[0].as<float>()[0], 34.0f);
  EXPECT_FLOAT_EQ(out[0].as<float>()[1], 23.0f);
}

}  // namespace
}  // namespace cae::testing
