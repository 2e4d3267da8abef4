// Float reference kernels that move elements: concat, reshape family, pads, slices, transpose,
// arg max/min, tile, split, pack/unpack, cast, shape, gather.
#include "float_op_runner.h"

namespace cae::testing {
namespace {

using V = std::vector<double>;
const V k1To6 = {1, 2, 3, 4, 5, 6};
const V k1To9 = {1, 2, 3, 4, 5, 6, 7, 8, 9};

TEST(FloatLayout, ConcatenationNegativeAxisAndActivation) {
  OpOptions o;
  o.axis = -1;
  o.activation = Activation::kRelu;
  auto y = RunOp1(OpType::CONCATENATION, o, {F({1, 2, 1}, {-1, 2}), CF({1, 2, 2}, {3, 4, -5, 6})}, {1, 2, 3});
  EXPECT_VALUES_NEAR(y, (V{0, 3, 4, 2, 0, 6}), 0);
}

TEST(FloatLayout, ConcatenationInt32) {
  auto y = RunOp1(OpType::CONCATENATION, OpOptions{},
                  {I(DType::kInt32, {1}, {7}), Arg{DType::kInt32, {2}, {8, 9}, true, false}}, {3}, DType::kInt32);
  EXPECT_VALUES_NEAR(y, (V{7, 8, 9}), 0);
}

TEST(FloatLayout, ReshapeSqueezeExpandDims) {
  EXPECT_VALUES_NEAR(RunOp1(OpType::RESHAPE, OpOptions{}, {F({2, 3}, k1To6), CI({2}, {3, -1})}, {3, 2}), k1To6, 0);
  OpOptions opt_shape;
  opt_shape.new_shape = {6};
  EXPECT_VALUES_NEAR(RunOp1(OpType::RESHAPE, opt_shape, {F({2, 3}, k1To6)}, {6}), k1To6, 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::SQUEEZE, OpOptions{}, {F({1, 2, 1}, {1, 2})}, {2}), (V{1, 2}), 0);
  OpOptions sq;
  sq.squeeze_dims = {2};
  EXPECT_VALUES_NEAR(RunOp1(OpType::SQUEEZE, sq, {F({1, 2, 1}, {1, 2})}, {1, 2}), (V{1, 2}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::EXPAND_DIMS, OpOptions{}, {F({2}, {1, 2}), CI({1}, {-1})}, {2, 1}), (V{1, 2}), 0);
}

TEST(FloatLayout, PadAndPadV2) {
  EXPECT_VALUES_NEAR(RunOp1(OpType::PAD, OpOptions{}, {F({2, 2}, {1, 2, 3, 4}), CI({2, 2}, {1, 0, 0, 1})}, {3, 3}),
                     (V{0, 0, 0, 1, 2, 0, 3, 4, 0}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::PADV2, OpOptions{},
                            {F({2}, {1, 2}), CI({1, 2}, {1, 2}), CF({}, {9})}, {5}),
                     (V{9, 1, 2, 9, 9}), 0);
}

TEST(FloatLayout, MirrorPadReflectAndSymmetric) {
  OpOptions reflect;
  reflect.mirror_pad_mode = 0;
  EXPECT_VALUES_NEAR(RunOp1(OpType::MIRROR_PAD, reflect, {F({3}, {1, 2, 3}), CI({1, 2}, {2, 2})}, {7}),
                     (V{3, 2, 1, 2, 3, 2, 1}), 0);
  OpOptions symmetric;
  symmetric.mirror_pad_mode = 1;
  EXPECT_VALUES_NEAR(RunOp1(OpType::MIRROR_PAD, symmetric, {F({3}, {1, 2, 3}), CI({1, 2}, {2, 2})}, {7}),
                     (V{2, 1, 1, 2, 3, 3, 2}), 0);
}

TEST(FloatLayout, Slice) {
  EXPECT_VALUES_NEAR(RunOp1(OpType::SLICE, OpOptions{}, {F({3, 3}, k1To9), CI({2}, {1, 0}), CI({2}, {-1, 2})}, {2, 2}),
                     (V{4, 5, 7, 8}), 0);
}

TEST(FloatLayout, StridedSliceNegativeStrideMasksShrink) {
  EXPECT_VALUES_NEAR(RunOp1(OpType::STRIDED_SLICE, OpOptions{},
                            {F({4}, {0, 1, 2, 3}), CI({1}, {3}), CI({1}, {0}), CI({1}, {-1})}, {3}),
                     (V{3, 2, 1}), 0);
  OpOptions shrink;
  shrink.shrink_axis_mask = 1;
  EXPECT_VALUES_NEAR(RunOp1(OpType::STRIDED_SLICE, shrink,
                            {F({2, 3}, k1To6), CI({2}, {1, 0}), CI({2}, {2, 3}), CI({2}, {1, 2})}, {2}),
                     (V{4, 6}), 0);
  OpOptions masks;
  masks.begin_mask = 1;
  EXPECT_VALUES_NEAR(RunOp1(OpType::STRIDED_SLICE, masks,
                            {F({4}, {0, 1, 2, 3}), CI({1}, {2}), CI({1}, {-2}), CI({1}, {1})}, {2}),
                     (V{0, 1}), 0);
  masks.end_mask = 1;
  EXPECT_VALUES_NEAR(RunOp1(OpType::STRIDED_SLICE, masks,
                            {F({4}, {0, 1, 2, 3}), CI({1}, {2}), CI({1}, {1}), CI({1}, {2})}, {2}),
                     (V{0, 2}), 0);
}

TEST(FloatLayout, Transpose) {
  EXPECT_VALUES_NEAR(RunOp1(OpType::TRANSPOSE, OpOptions{}, {F({2, 3}, k1To6), CI({2}, {1, 0})}, {3, 2}),
                     (V{1, 4, 2, 5, 3, 6}), 0);
}

TEST(FloatLayout, ArgMaxArgMin) {
  const Arg x = F({2, 3}, {1, 5, 5, 7, 2, 3});
  EXPECT_VALUES_NEAR(RunOp1(OpType::ARG_MAX, OpOptions{}, {x, CI({1}, {1})}, {2}, DType::kInt64), (V{1, 0}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::ARG_MIN, OpOptions{}, {x, CI({1}, {0})}, {3}, DType::kInt32), (V{0, 1, 1}), 0);
}

TEST(FloatLayout, Tile) {
  EXPECT_VALUES_NEAR(RunOp1(OpType::TILE, OpOptions{}, {F({1, 2}, {1, 2}), CI({2}, {2, 2})}, {2, 4}),
                     (V{1, 2, 1, 2, 1, 2, 1, 2}), 0);
}

TEST(FloatLayout, SplitAndSplitV) {
  auto outs = RunOp(OpType::SPLIT, OpOptions{}, {CI({}, {1}), F({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8})},
                    {DType::kFloat32, DType::kFloat32});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].shape, (std::vector<int32_t>{2, 2}));
  EXPECT_VALUES_NEAR(Decode(outs[0]), (V{1, 2, 5, 6}), 0);
  EXPECT_VALUES_NEAR(Decode(outs[1]), (V{3, 4, 7, 8}), 0);
  auto v = RunOp(OpType::SPLIT_V, OpOptions{}, {F({2, 3}, k1To6), CI({2}, {1, -1}), CI({}, {1})},
                 {DType::kFloat32, DType::kFloat32});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].shape, (std::vector<int32_t>{2, 2}));
  EXPECT_VALUES_NEAR(Decode(v[0]), (V{1, 4}), 0);
  EXPECT_VALUES_NEAR(Decode(v[1]), (V{2, 3, 5, 6}), 0);
}

TEST(FloatLayout, PackAndUnpack) {
  OpOptions axis1;
  axis1.axis = 1;
  EXPECT_VALUES_NEAR(RunOp1(OpType::PACK, axis1, {F({2}, {1, 2}), CF({2}, {3, 4})}, {2, 2}), (V{1, 3, 2, 4}), 0);
  auto outs = RunOp(OpType::UNPACK, axis1, {F({2, 2}, {1, 2, 3, 4})}, {DType::kFloat32, DType::kFloat32});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_VALUES_NEAR(Decode(outs[0]), (V{1, 3}), 0);
  EXPECT_VALUES_NEAR(Decode(outs[1]), (V{2, 4}), 0);
}

TEST(FloatLayout, Cast) {
  const Arg x = F({3}, {-1.7, 2.5, 300});
  EXPECT_VALUES_NEAR(RunOp1(OpType::CAST, OpOptions{}, {x}, {3}, DType::kInt32), (V{-1, 2, 300}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::CAST, OpOptions{}, {x}, {3}, DType::kUInt8), (V{0, 2, 255}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::CAST, OpOptions{}, {F({2}, {0, -0.5})}, {2}, DType::kBool), (V{0, 1}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::CAST, OpOptions{}, {I(DType::kInt64, {2}, {-3, 4})}, {2}), (V{-3, 4}), 0);
}

TEST(FloatLayout, ShapeAndGather) {
  EXPECT_VALUES_NEAR(RunOp1(OpType::SHAPE, OpOptions{}, {F({2, 3}, k1To6)}, {2}, DType::kInt32), (V{2, 3}), 0);
  EXPECT_VALUES_NEAR(RunOp1(OpType::GATHER, OpOptions{}, {CF({3, 2}, k1To6), I(DType::kInt32, {2}, {2, 0})}, {2, 2}),
                     (V{5, 6, 1, 2}), 0);
  EXPECT_THROW(RunOp1(OpType::GATHER, OpOptions{}, {CF({3, 2}, k1To6), I(DType::kInt32, {2}, {3, 0})}, {2, 2}), Error);
}

}  // namespace
}  // namespace cae::testing

namespace cae::testing {
namespace {

TEST(FloatLayout, DepthToSpaceAndBack) {
  OpOptions o;
  o.block_size = 2;
  // One pixel, 4 channels -> a 2x2 image of 1 channel, in (dy, dx) order.
  EXPECT_VALUES_NEAR(RunOp1(OpType::DEPTH_TO_SPACE, o, {F({1, 1, 1, 4}, {1, 2, 3, 4})}, {1, 2, 2, 1}),
                     (V{1, 2, 3, 4}), 0);
  // 2 channels: channel c of pixel (dy, dx) comes from input channel (dy*2+dx)*2 + c.
  EXPECT_VALUES_NEAR(RunOp1(OpType::DEPTH_TO_SPACE, o, {F({1, 1, 1, 8}, {1, 2, 3, 4, 5, 6, 7, 8})}, {1, 2, 2, 2}),
                     (V{1, 2, 3, 4, 5, 6, 7, 8}), 0);
  // A 2x4 image: SPACE_TO_DEPTH gathers each 2x2 block into one pixel.
  EXPECT_VALUES_NEAR(RunOp1(OpType::SPACE_TO_DEPTH, o, {F({1, 2, 4, 1}, {1, 2, 3, 4, 5, 6, 7, 8})}, {1, 1, 2, 4}),
                     (V{1, 2, 5, 6, 3, 4, 7, 8}), 0);
}

}  // namespace
}  // namespace cae::testing
