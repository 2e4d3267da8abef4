// 1-D layers run through the interpreter against direct loops of Keras's definitions.
#include <gtest/gtest.h>

#include <cmath>

#include "graph/shape_inference.h"
#include "graph/validate.h"
#include "keras/keras_import.h"
#include "keras_test_util.h"

namespace cae::testing {
namespace {

struct Conv1DCase {
  const char* padding;
  int kernel, stride, dilation;
};

class KerasConv1DTest : public ::testing::TestWithParam<Conv1DCase> {};

TEST_P(KerasConv1DTest, MatchesDefinition) {
  const Conv1DCase& cc = GetParam();
  const int len = 9, c = 2, f = 3, k = cc.kernel, s = cc.stride, d = cc.dilation;
  KerasModel km = ModelFromJson(SequentialJson(
      "9, 2",
      {std::string(R"({"class_name": "Conv1D", "config": {"name": "c", "filters": 3,
               "kernel_size": [)") +
       std::to_string(k) + R"(], "strides": [)" + std::to_string(s) + R"(], "dilation_rate": [)" +
       std::to_string(d) + R"(], "padding": ")" + cc.padding + R"(", "activation": "tanh"}})"}));
  std::vector<float> kernel(static_cast<size_t>(k) * c * f), bias = {0.1f, -0.2f, 0.3f};
  for (size_t i = 0; i < kernel.size(); ++i) kernel[i] = std::sin(0.9f * static_cast<float>(i));
  MutableLayer(km, "c").weights = {{"kernel", {k, c, f}, kernel}, {"bias", {f}, bias}};
  std::vector<float> x(static_cast<size_t>(len) * c);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.4f * static_cast<float>(i));
  Model m = LowerKerasModel(km);
  ValidateGraph(m);
  Graph copy = m.main();
  InferShapes(copy);
  for (size_t i = 0; i < copy.tensors.size(); ++i) {
    EXPECT_EQ(copy.tensors[i].shape, m.main().tensors[i].shape) << copy.tensors[i].name;
  }
  std::vector<int32_t> shape;
  std::vector<float> y = RunFloat(m, {1, len, c}, x, &shape);

  // Keras: causal = left pad (k-1)*d then valid; same = TF SAME (extra pad after).
  const int eff = (k - 1) * d + 1;
  const std::string pad = cc.padding;
  int left = 0, out_len;
  if (pad == "causal") {
    left = eff - 1;
    out_len = (len + left - eff) / s + 1;
  } else if (pad == "same") {
    out_len = (len + s - 1) / s;
    left = std::max((out_len - 1) * s + eff - len, 0) / 2;
  } else {
    out_len = (len - eff) / s + 1;
  }
  ASSERT_EQ(shape, (std::vector<int32_t>{1, out_len, f}));
  for (int o = 0; o < out_len; ++o)
    for (int q = 0; q < f; ++q) {
      float acc = bias[q];
      for (int t = 0; t < k; ++t) {
        const int pos = o * s + t * d - left;
        if (pos < 0 || pos >= len) continue;
        for (int i = 0; i < c; ++i) acc += x[pos * c + i] * kernel[(t * c + i) * f + q];
      }
      EXPECT_NEAR(y[o * f + q], std::tanh(acc), 1e-5f) << o << "," << q;
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, KerasConv1DTest,
                         ::testing::Values(Conv1DCase{"same", 3, 1, 1}, Conv1DCase{"same", 4, 2, 1},
                                           Conv1DCase{"valid", 3, 2, 1},
                                           Conv1DCase{"causal", 3, 1, 2},
                                           Conv1DCase{"causal", 2, 1, 1}));

TEST(KerasConv1D, PoolUpsampleGlobalAverage) {
  KerasModel km = ModelFromJson(SequentialJson(
      "6, 2", {R"({"class_name": "MaxPooling1D", "config": {"name": "p", "pool_size": 2}})",
               R"({"class_name": "UpSampling1D", "config": {"name": "u", "size": 3}})",
               R"({"class_name": "GlobalAveragePooling1D", "config": {"name": "g"}})"}));
  const std::vector<float> x = {1, -1, 5, 2, 0, 0, 3, 4, -2, 8, 7, 1};
  std::vector<int32_t> shape;
  std::vector<float> y = RunFloat(LowerKerasModel(km), {1, 6, 2}, x, &shape);
  ASSERT_EQ(shape, (std::vector<int32_t>{1, 2}));
  // Pooled: steps (1,-1)|(5,2) -> (5,2); (0,0)|(3,4) -> (3,4); (-2,8)|(7,1) -> (7,8).
  // Upsampling repeats each 3 times; the mean over steps equals the mean of the pooled steps.
  EXPECT_FLOAT_EQ(y[0], (5.0f + 3.0f + 7.0f) / 3.0f);
  EXPECT_FLOAT_EQ(y[1], (2.0f + 4.0f + 8.0f) / 3.0f);
}

}  // namespace
}  // namespace cae::testing
