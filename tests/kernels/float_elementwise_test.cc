// Float reference kernels: broadcasting binary ops, activations and math, softmax.
#include <cmath>

#include "float_op_runner.h"

namespace cae::testing {
namespace {

using V = std::vector<double>;

TEST(FloatBinary, AddBroadcastsLastDim) {
  auto y = RunOp1(OpType::ADD, OpOptions{}, {F({2, 3}, {1, 2, 3, 4, 5, 6}), CF({3}, {10, 20, 30})}, {2, 3});
  EXPECT_VALUES_NEAR(y, (V{11, 22, 33, 14, 25, 36}), 1e-6);
}

TEST(FloatBinary, AddBroadcastsSixDimsBothWays) {
  auto y = RunOp1(OpType::ADD, OpOptions{},
                  {F({2, 1, 1, 1, 1, 2}, {1, 2, 3, 4}), CF({1, 1, 1, 1, 2, 1}, {10, 20})},
                  {2, 1, 1, 1, 2, 2});
  EXPECT_VALUES_NEAR(y, (V{11, 12, 21, 22, 13, 14, 23, 24}), 1e-6);
}

TEST(FloatBinary, SubWithFusedRelu) {
  OpOptions o;
  o.activation = Activation::kRelu;
  EXPECT_VALUES_NEAR(RunOp1(OpType::SUB, o, {F({2}, {1, 5}), CF({2}, {3, 3})}, {2}), (V{0, 2}), 0);
}

TEST(FloatBinary, MulDivMaxMinSquaredDifference) {
  const Arg a = F({3}, {1, -2, 3});
  const Arg b = CF({1}, {2});
  EXPECT_VALUES_NEAR(RunOp1(OpType::MUL, OpOptions{}, {a, b}, {3}), (V{2, -4, 6}), 1e-6);
  EXPECT_VALUES_NEAR(RunOp1(OpType::DIV, OpOptions{}, {a, b}, {3}), (V{0.5, -1, 1.5}), 1e-6);
  EXPECT_VALUES_NEAR(RunOp1(OpType::MAXIMUM, OpOptions{}, {a, b}, {3}), (V{2, 2, 3}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::MINIMUM, OpOptions{}, {a, b}, {3}), (V{1, -2, 2}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::SQUARED_DIFFERENCE, OpOptions{}, {a, b}, {3}), (V{1, 16, 1}), 1e-6);
}

TEST(FloatBinary, Int32AddAndMul) {
  const Arg a = I(DType::kInt32, {2}, {1, 2});
  const Arg b = Arg{DType::kInt32, {2}, {3, 4}, true, false};
  EXPECT_VALUES_NEAR(RunOp1(OpType::ADD, OpOptions{}, {a, b}, {2}, DType::kInt32), (V{4, 6}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::MUL, OpOptions{}, {a, b}, {2}, DType::kInt32), (V{3, 8}), 0);
}

TEST(FloatBinary, IncompatibleShapesFail) {
  EXPECT_THROW(RunOp1(OpType::ADD, OpOptions{}, {F({1, 3}, {1, 2, 3}), CF({2}, {1, 2})}, {1, 3}), Error);
}

TEST(FloatBinary, PreluBroadcastsAlpha) {
  auto y = RunOp1(OpType::PRELU, OpOptions{}, {F({1, 2, 2}, {-1, 2, -3, 4}), CF({2}, {0.5, 0.25})}, {1, 2, 2});
  EXPECT_VALUES_NEAR(y, (V{-0.5, 2, -1.5, 4}), 1e-6);
}

V Unary(OpType t, const V& x, OpOptions o = {}) {
  return RunOp1(t, o, {F({static_cast<int32_t>(x.size())}, x)}, {static_cast<int32_t>(x.size())});
}

TEST(FloatUnary, Activations) {
  const V x = {-2, -0.5, 0.5, 2};
  EXPECT_VALUES_NEAR(Unary(OpType::LOGISTIC, x), (V{0.1192029, 0.3775407, 0.6224593, 0.8807971}), 1e-6);
  EXPECT_VALUES_NEAR(Unary(OpType::TANH, x), (V{-0.9640276, -0.4621172, 0.4621172, 0.9640276}), 1e-6);
  EXPECT_VALUES_NEAR(Unary(OpType::RELU, x), (V{0, 0, 0.5, 2}), 0);
  EXPECT_VALUES_NEAR(Unary(OpType::RELU6, {-1, 3, 7}), (V{0, 3, 6}), 0);
  EXPECT_VALUES_NEAR(Unary(OpType::RELU_N1_TO_1, x), (V{-1, -0.5, 0.5, 1}), 0);
  OpOptions leaky;
  leaky.alpha = 0.1f;
  EXPECT_VALUES_NEAR(Unary(OpType::LEAKY_RELU, x, leaky), (V{-0.2, -0.05, 0.5, 2}), 1e-6);
  EXPECT_VALUES_NEAR(Unary(OpType::ELU, x), (V{-0.8646647, -0.3934693, 0.5, 2}), 1e-6);
  EXPECT_VALUES_NEAR(Unary(OpType::HARD_SWISH, x), (V{-1.0 / 3, -0.2083333, 0.2916667, 5.0 / 3}), 1e-6);
}

TEST(FloatUnary, GeluExactAndApproximate) {
  const V x = {-2, -0.5, 0.5, 2};
  EXPECT_VALUES_NEAR(Unary(OpType::GELU, x), (V{-0.0455003, -0.1542688, 0.3457312, 1.9544997}), 1e-6);
  OpOptions approx;
  approx.approximate = true;
  EXPECT_VALUES_NEAR(Unary(OpType::GELU, x, approx), (V{-0.0454023, -0.154286, 0.345714, 1.9545977}), 1e-6);
}

TEST(FloatUnary, Math) {
  EXPECT_VALUES_NEAR(Unary(OpType::EXP, {0, 1}), (V{1, std::exp(1.0)}), 1e-6);
  EXPECT_VALUES_NEAR(Unary(OpType::LOG, {1, std::exp(2.0)}), (V{0, 2}), 1e-6);
  EXPECT_VALUES_NEAR(Unary(OpType::SQRT, {4, 9}), (V{2, 3}), 1e-6);
  EXPECT_VALUES_NEAR(Unary(OpType::RSQRT, {4, 0.25}), (V{0.5, 2}), 1e-6);
  EXPECT_VALUES_NEAR(Unary(OpType::NEG, {1, -2}), (V{-1, 2}), 0);
  EXPECT_VALUES_NEAR(Unary(OpType::ABS, {1, -2}), (V{1, 2}), 0);
  EXPECT_VALUES_NEAR(Unary(OpType::SQUARE, {3, -2}), (V{9, 4}), 0);
}

TEST(FloatSoftmax, BetaAndLastAxis) {
  auto y = RunOp1(OpType::SOFTMAX, OpOptions{}, {F({2, 3}, {1, 2, 3, 1, 2, 3})}, {2, 3});
  EXPECT_VALUES_NEAR(y, (V{0.0900306, 0.2447285, 0.665241, 0.0900306, 0.2447285, 0.665241}), 1e-6);
  OpOptions beta2;
  beta2.beta = 2.0f;
  EXPECT_VALUES_NEAR(RunOp1(OpType::SOFTMAX, beta2, {F({2}, {0, 1})}, {2}), (V{0.1192029, 0.8807971}), 1e-6);
}

TEST(FloatSoftmax, LogSoftmax) {
  EXPECT_VALUES_NEAR(RunOp1(OpType::LOG_SOFTMAX, OpOptions{}, {F({3}, {1, 2, 3})}, {3}),
                     (V{-2.407606, -1.407606, -0.407606}), 1e-5);
}

}  // namespace
}  // namespace cae::testing
