// Float reference kernels: pools, reductions and resizes on hand-computed cases.
#include "float_op_runner.h"

namespace cae::testing {
namespace {

OpOptions PoolOpts(Padding p, int f, int s) {
  OpOptions o;
  o.padding = p;
  o.filter_h = o.filter_w = f;
  o.stride_h = o.stride_w = s;
  return o;
}

const std::vector<double> k1To9 = {1, 2, 3, 4, 5, 6, 7, 8, 9};

TEST(FloatPool, MaxSameClipsAtBottomRight) {
  auto y = RunOp1(OpType::MAX_POOL_2D, PoolOpts(Padding::kSame, 2, 2), {F({1, 3, 3, 1}, k1To9)}, {1, 2, 2, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{5, 6, 8, 9}), 0);
}

TEST(FloatPool, AverageCountsOnlyInputElements) {
  auto y = RunOp1(OpType::AVERAGE_POOL_2D, PoolOpts(Padding::kSame, 2, 2), {F({1, 3, 3, 1}, k1To9)}, {1, 2, 2, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{3, 4.5, 7.5, 9}), 1e-6);
}

TEST(FloatPool, MaxValidWithFusedRelu6) {
  OpOptions o = PoolOpts(Padding::kValid, 2, 1);
  o.activation = Activation::kRelu6;
  auto y = RunOp1(OpType::MAX_POOL_2D, o, {F({1, 3, 3, 1}, k1To9)}, {1, 2, 2, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{5, 6, 6, 6}), 0);
}

TEST(FloatReduce, MeanOverSpatialKeepDims) {
  OpOptions o;
  o.keep_dims = true;
  auto y = RunOp1(OpType::MEAN, o, {F({1, 2, 2, 2}, {1, 10, 2, 20, 3, 30, 4, 40}), CI({2}, {1, 2})},
                  {1, 1, 1, 2});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{2.5, 25}), 1e-6);
}

TEST(FloatReduce, SumMaxMinWithNegativeAxis) {
  const Arg x = F({2, 3}, {1, -2, 3, -4, 5, -6});
  EXPECT_VALUES_NEAR(RunOp1(OpType::SUM, OpOptions{}, {x, CI({1}, {-1})}, {2}),
                     (std::vector<double>{2, -5}), 1e-6);
  EXPECT_VALUES_NEAR(RunOp1(OpType::REDUCE_MAX, OpOptions{}, {x, CI({1}, {0})}, {3}),
                     (std::vector<double>{1, 5, 3}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::REDUCE_MIN, OpOptions{}, {x, CI({2}, {0, 1})}, {}),
                     (std::vector<double>{-6}), 0);
}

OpOptions ResizeOpts(bool align, bool half) {
  OpOptions o;
  o.align_corners = align;
  o.half_pixel_centers = half;
  return o;
}

TEST(FloatResizeBilinear, EachFlagCombination) {
  const Arg x = F({1, 1, 2, 1}, {0, 4});
  const Arg size = CI({2}, {1, 4});
  EXPECT_VALUES_NEAR(RunOp1(OpType::RESIZE_BILINEAR, ResizeOpts(false, false), {x, size}, {1, 1, 4, 1}),
                     (std::vector<double>{0, 2, 4, 4}), 1e-6);
  EXPECT_VALUES_NEAR(RunOp1(OpType::RESIZE_BILINEAR, ResizeOpts(true, false), {x, size}, {1, 1, 4, 1}),
                     (std::vector<double>{0, 4.0 / 3, 8.0 / 3, 4}), 1e-6);
  EXPECT_VALUES_NEAR(RunOp1(OpType::RESIZE_BILINEAR, ResizeOpts(false, true), {x, size}, {1, 1, 4, 1}),
                     (std::vector<double>{0, 1, 3, 4}), 1e-6);
}

TEST(FloatResizeBilinear, TwoDimensionsAlignCorners) {
  auto y = RunOp1(OpType::RESIZE_BILINEAR, ResizeOpts(true, false),
                  {F({1, 2, 2, 1}, {0, 1, 2, 3}), CI({2}, {3, 3})}, {1, 3, 3, 1});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3}), 1e-6);
}

TEST(FloatResizeNearest, EachFlagCombination) {
  const Arg x = F({1, 1, 3, 1}, {10, 20, 30});
  const Arg size = CI({2}, {1, 5});
  EXPECT_VALUES_NEAR(RunOp1(OpType::RESIZE_NEAREST_NEIGHBOR, ResizeOpts(false, false), {x, size}, {1, 1, 5, 1}),
                     (std::vector<double>{10, 10, 20, 20, 30}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::RESIZE_NEAREST_NEIGHBOR, ResizeOpts(true, false), {x, size}, {1, 1, 5, 1}),
                     (std::vector<double>{10, 20, 20, 30, 30}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::RESIZE_NEAREST_NEIGHBOR, ResizeOpts(false, true), {x, size}, {1, 1, 5, 1}),
                     (std::vector<double>{10, 10, 20, 30, 30}), 0);
}

TEST(FloatResizeNearest, UpsampleByTwoKeepsChannels) {
  auto y = RunOp1(OpType::RESIZE_NEAREST_NEIGHBOR, ResizeOpts(false, false),
                  {F({1, 1, 2, 2}, {1, 2, 3, 4}), CI({2}, {2, 4})}, {1, 2, 4, 2});
  EXPECT_VALUES_NEAR(y, (std::vector<double>{1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4}), 0);
}

}  // namespace
}  // namespace cae::testing
