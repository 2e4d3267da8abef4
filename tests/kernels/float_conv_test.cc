// Float reference kernels: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED on
// hand-computed cases.
#include "float_op_runner.h"

namespace cae::testing {
namespace {

OpOptions ConvOpts(Padding p, int stride, int dilation = 1, Activation a = Activation::kNone) {
  OpOptions o;
  o.padding = p;
  o.stride_h = o.stride_w = stride;
  o.dilation_h = o.dilation_w = dilation;
  o.activation = a;
  return o;
}

TEST(FloatConv, ValidWithBias) {
  auto y = RunOp1(OpType::CONV_2D, ConvOpts(Padding::kValid, 1),
                  {F({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), CF({1, 2, 2, 1}, {1, 2, 3, 4}),
                   CF({1}, {10})},
                  {1, 2, 2, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{47, 57, 77, 87}), 1e-5);
}

TEST(FloatConv, SameStride2PutsExtraPadBottomRight) {
  std::vector<double> in;
  for (int i = 1; i <= 16; ++i) in.push_back(i);
  auto y = RunOp1(OpType::CONV_2D, ConvOpts(Padding::kSame, 2),
                  {F({1, 4, 4, 1}, in), CF({1, 3, 3, 1}, std::vector<double>(9, 1.0)), None()},
                  {1, 2, 2, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{54, 45, 72, 54}), 1e-5);
}

TEST(FloatConv, Dilation) {
  auto y = RunOp1(OpType::CONV_2D, ConvOpts(Padding::kValid, 1, 2),
                  {F({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), CF({1, 2, 2, 1}, {1, 1, 1, 1})},
                  {1, 1, 1, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{20}), 1e-5);
}

TEST(FloatConv, ChannelsAndFusedRelu) {
  auto y = RunOp1(OpType::CONV_2D, ConvOpts(Padding::kValid, 1, 1, Activation::kRelu),
                  {F({1, 1, 1, 2}, {1, 2}), CF({2, 1, 1, 2}, {1, 1, -1, -1})}, {1, 1, 1, 2});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{3, 0}), 1e-6);
}

TEST(FloatConv, BatchOfTwoImages) {
  auto y = RunOp1(OpType::CONV_2D, ConvOpts(Padding::kValid, 1, 1, Activation::kRelu6),
                  {F({2, 1, 1, 1}, {2, 10}), CF({1, 1, 1, 1}, {1.5})}, {2, 1, 1, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{3, 6}), 1e-6);
}

TEST(FloatConv, GroupedConvolutionIsRejected) {
  EXPECT_THROW(RunOp1(OpType::CONV_2D, ConvOpts(Padding::kValid, 1),
                      {F({1, 1, 1, 4}, {1, 2, 3, 4}), CF({2, 1, 1, 2}, {1, 1, 1, 1})}, {1, 1, 1, 2}),
               Error);
}

TEST(FloatDepthwiseConv, MultiplierTwoWithBias) {
  OpOptions o = ConvOpts(Padding::kValid, 1);
  o.depth_multiplier = 2;
  // Input channel 0: 1,3,5,7; channel 1: 2,4,6,8. Filter per output channel: 1, 2, 0.5, -1.
  std::vector<double> w;
  for (int k = 0; k < 4; ++k) w.insert(w.end(), {1, 2, 0.5, -1});
  auto y = RunOp1(OpType::DEPTHWISE_CONV_2D, o,
                  {F({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}), CF({1, 2, 2, 4}, w),
                   CF({4}, {0, 0, 0, 1})},
                  {1, 1, 1, 4});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{16, 32, 10, -19}), 1e-5);
}

TEST(FloatDepthwiseConv, SameStride2) {
  std::vector<double> in;
  for (int i = 1; i <= 16; ++i) in.push_back(i);
  auto y = RunOp1(OpType::DEPTHWISE_CONV_2D, ConvOpts(Padding::kSame, 2),
                  {F({1, 4, 4, 1}, in), CF({1, 3, 3, 1}, std::vector<double>(9, 1.0))},
                  {1, 2, 2, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{54, 45, 72, 54}), 1e-5);
}

TEST(FloatTransposeConv, ValidStride2) {
  auto y = RunOp1(OpType::TRANSPOSE_CONV, ConvOpts(Padding::kValid, 2),
                  {CI({4}, {1, 4, 4, 1}), CF({1, 2, 2, 1}, {1, 2, 3, 4}), F({1, 2, 2, 1}, {1, 2, 3, 4})},
                  {1, 4, 4, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16}), 1e-5);
}

TEST(FloatTransposeConv, SameStride2WithBias) {
  auto y = RunOp1(OpType::TRANSPOSE_CONV, ConvOpts(Padding::kSame, 2),
                  {CI({4}, {1, 4, 4, 1}), CF({1, 3, 3, 1}, std::vector<double>(9, 1.0)),
                   F({1, 2, 2, 1}, {1, 2, 3, 4}), CF({1}, {1})},
                  {1, 4, 4, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{2, 2, 4, 3, 2, 2, 4, 3, 5, 5, 11, 7, 4, 4, 8, 5}), 1e-5);
}

TEST(FloatTransposeConv, ChannelsMixPerOutputChannel) {
  // 1x1 filter, 2 in / 2 out channels: out[oc] = sum_ic in[ic] * w[oc][ic].
  auto y = RunOp1(OpType::TRANSPOSE_CONV, ConvOpts(Padding::kValid, 1),
                  {CI({4}, {1, 1, 1, 2}), CF({2, 1, 1, 2}, {1, 2, 3, 4}), F({1, 1, 1, 2}, {10, 1})},
                  {1, 1, 1, 2});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{12, 34}), 1e-5);
}

TEST(FloatFullyConnected, BiasAndRelu) {
  OpOptions o;
  o.activation = Activation::kRelu;
  auto y = RunOp1(OpType::FULLY_CONNECTED, o,
                  {F({2, 3}, {1, 2, 3, 4, 5, 6}), CF({2, 3}, {1, 0, -1, 1, 1, 1}), CF({2}, {1, 0})},
                  {2, 2});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{0, 6, 0, 15}), 1e-5);
}

TEST(FloatFullyConnected, KeepNumDimsWithoutBias) {
  OpOptions o;
  o.keep_num_dims = true;
  auto y = RunOp1(OpType::FULLY_CONNECTED, o,
                  {F({1, 2, 3}, {1, 2, 3, 4, 5, 6}), CF({2, 3}, {1, 0, -1, 1, 1, 1}), None()},
                  {1, 2, 2});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{-2, 6, -2, 15}), 1e-5);
}

TEST(FloatFullyConnected, FlattensHigherRankInput) {
  auto y = RunOp1(OpType::FULLY_CONNECTED, OpOptions{},
                  {F({1, 2, 2}, {1, 2, 3, 4}), CF({1, 4}, {1, 1, 1, 1})}, {1, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{10}), 1e-6);
}

}  // namespace
}  // namespace cae::testing
