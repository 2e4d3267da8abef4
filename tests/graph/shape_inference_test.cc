// Shape inference on representative graphs: a conv autoencoder at a new batch, reshape batch
// rules, the SHAPE->STRIDED_SLICE->PACK->RESHAPE pattern, layout ops, and errors naming the op.
#include "graph/shape_inference.h"

#include <gtest/gtest.h>

#include <cstring>

#include "graph/error.h"
#include "graph/shape.h"

namespace cae {
namespace {

using S = std::vector<int32_t>;

class G {
 public:
  int In(S shape) {
    const int t = Act(shape);
    g.inputs.push_back(t);
    return t;
  }
  int Act(S shape = {}, DType type = DType::kFloat32) {
    Tensor t;
    t.name = "t" + std::to_string(g.tensors.size());
    t.shape = std::move(shape);
    t.type = type;
    return g.AddTensor(t);
  }
  int W(S shape) {
    Tensor t;
    t.name = "w" + std::to_string(g.tensors.size());
    t.shape = shape;
    t.data.assign(static_cast<size_t>(NumElements(shape)) * 4, 0);
    return g.AddTensor(t);
  }
  int Ints(std::vector<int32_t> v, S shape = {-1}) {
    Tensor t;
    t.name = "c" + std::to_string(g.tensors.size());
    t.type = DType::kInt32;
    t.shape = shape == S{-1} ? S{static_cast<int32_t>(v.size())} : shape;
    t.data.resize(v.size() * 4);
    std::memcpy(t.data.data(), v.data(), t.data.size());
    return g.AddTensor(t);
  }
  int Op1(OpType type, std::vector<int> inputs, OpOptions o = {}, DType out_type = DType::kFloat32) {
    const int out = Act({}, out_type);
    Op op;
    op.type = type;
    op.inputs = std::move(inputs);
    op.outputs = {out};
    op.options = o;
    g.AddOp(op);
    return out;
  }
  const S& Shape(int t) const { return g.tensors[t].shape; }
  Graph g;
};

OpOptions Conv(Padding p, int stride) {
  OpOptions o;
  o.padding = p;
  o.stride_h = o.stride_w = stride;
  return o;
}

TEST(ShapeInference, ConvAutoencoderFollowsTheBatch) {
  G b;
  const int x = b.In({1, 28, 28, 1});
  const int c1 = b.Op1(OpType::CONV_2D, {x, b.W({16, 3, 3, 1}), b.W({16})}, Conv(Padding::kSame, 1));
  OpOptions pool = Conv(Padding::kSame, 2);
  pool.filter_h = pool.filter_w = 2;
  const int p1 = b.Op1(OpType::MAX_POOL_2D, {c1}, pool);
  const int c2 = b.Op1(OpType::CONV_2D, {p1, b.W({8, 3, 3, 16}), -1}, Conv(Padding::kValid, 2));
  const int up = b.Op1(OpType::TRANSPOSE_CONV, {b.Ints({1, 12, 12, 4}), b.W({4, 3, 3, 8}), c2},
                       Conv(Padding::kSame, 2));
  const int rs = b.Op1(OpType::RESIZE_BILINEAR, {up, b.Ints({24, 24})});
  const int dw = b.Op1(OpType::DEPTHWISE_CONV_2D, {rs, b.W({1, 3, 3, 8}), b.W({8})}, Conv(Padding::kValid, 1));
  OpOptions cat;
  cat.axis = -1;
  const int cc = b.Op1(OpType::CONCATENATION, {dw, dw}, cat);
  InferShapes(b.g);
  EXPECT_EQ(b.Shape(c1), (S{1, 28, 28, 16}));
  EXPECT_EQ(b.Shape(p1), (S{1, 14, 14, 16}));
  EXPECT_EQ(b.Shape(c2), (S{1, 6, 6, 8}));
  EXPECT_EQ(b.Shape(up), (S{1, 12, 12, 4}));
  EXPECT_EQ(b.Shape(rs), (S{1, 24, 24, 4}));
  EXPECT_EQ(b.Shape(dw), (S{1, 22, 22, 8}));
  EXPECT_EQ(b.Shape(cc), (S{1, 22, 22, 16}));
  InferShapesForBatch(b.g, 5);
  EXPECT_EQ(b.Shape(x), (S{5, 28, 28, 1}));
  EXPECT_EQ(b.Shape(up), (S{5, 12, 12, 4}));
  EXPECT_EQ(b.Shape(cc), (S{5, 22, 22, 16}));
}

TEST(ShapeInference, FullyConnectedAndReductions) {
  G b;
  const int x = b.In({2, 4, 4, 3});
  OpOptions keep;
  keep.keep_dims = true;
  const int m1 = b.Op1(OpType::MEAN, {x, b.Ints({1, 2})});
  const int m2 = b.Op1(OpType::REDUCE_MAX, {x, b.Ints({-1})}, keep);
  const int fc = b.Op1(OpType::FULLY_CONNECTED, {x, b.W({5, 3}), -1});
  OpOptions kd;
  kd.keep_num_dims = true;
  const int fk = b.Op1(OpType::FULLY_CONNECTED, {x, b.W({5, 3}), b.W({5})}, kd);
  InferShapes(b.g);
  EXPECT_EQ(b.Shape(m1), (S{2, 3}));
  EXPECT_EQ(b.Shape(m2), (S{2, 4, 4, 1}));
  EXPECT_EQ(b.Shape(fc), (S{32, 5}));
  EXPECT_EQ(b.Shape(fk), (S{2, 4, 4, 5}));
}

TEST(ShapeInference, ReshapeLeadingStoredBatchScales) {
  G b;
  const int x = b.In({1, 4, 4, 2});
  const int r1 = b.Op1(OpType::RESHAPE, {x, b.Ints({1, 32})});
  const int r2 = b.Op1(OpType::RESHAPE, {x, b.Ints({1, -1})});
  OpOptions o;
  o.new_shape = {-1, 8};
  const int r3 = b.Op1(OpType::RESHAPE, {x}, o);
  InferShapes(b.g);
  EXPECT_EQ(b.Shape(r3), (S{4, 8}));
  InferShapesForBatch(b.g, 3);
  EXPECT_EQ(b.Shape(r1), (S{3, 32}));
  EXPECT_EQ(b.Shape(r2), (S{3, 32}));
  EXPECT_EQ(b.Shape(r3), (S{12, 8}));
}

TEST(ShapeInference, ReshapeWithOtherFixedLeadingDimFailsNamingTheBatch) {
  G b;
  const int x = b.In({1, 4, 4, 2});
  b.Op1(OpType::RESHAPE, {x, b.Ints({2, 16})});
  InferShapes(b.g);
  try {
    InferShapesForBatch(b.g, 3);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch 3 not supported by op 0 (RESHAPE)"), std::string::npos)
        << e.what();
  }
}

TEST(ShapeInference, DynamicBatchShapePattern) {
  // SHAPE -> STRIDED_SLICE (batch, shrunk to a scalar) -> PACK with 32 -> RESHAPE.
  G b;
  const int x = b.In({1, 4, 4, 2});
  const int shape = b.Op1(OpType::SHAPE, {x}, {}, DType::kInt32);
  OpOptions shrink;
  shrink.shrink_axis_mask = 1;
  const int n = b.Op1(OpType::STRIDED_SLICE, {shape, b.Ints({0}), b.Ints({1}), b.Ints({1})}, shrink, DType::kInt32);
  const int packed = b.Op1(OpType::PACK, {n, b.Ints({32}, {})}, {}, DType::kInt32);
  const int r = b.Op1(OpType::RESHAPE, {x, packed});
  InferShapesForBatch(b.g, 7);
  EXPECT_EQ(b.Shape(shape), (S{4}));
  EXPECT_EQ(b.Shape(n), (S{}));
  EXPECT_EQ(b.Shape(packed), (S{2}));
  EXPECT_EQ(b.Shape(r), (S{7, 32}));
}

TEST(ShapeInference, LayoutOps) {
  G b;
  const int x = b.In({2, 3, 4});
  const int pad = b.Op1(OpType::PAD, {x, b.Ints({0, 0, 1, 2, 3, 0}, {3, 2})});
  const int sl = b.Op1(OpType::SLICE, {x, b.Ints({0, 1, 0}), b.Ints({-1, 2, 3})});
  OpOptions ss;
  ss.end_mask = 4;
  const int st = b.Op1(OpType::STRIDED_SLICE, {x, b.Ints({0, 0, 1}), b.Ints({2, 3, 0}), b.Ints({1, 2, 2})}, ss);
  const int tr = b.Op1(OpType::TRANSPOSE, {x, b.Ints({2, 0, 1})});
  const int am = b.Op1(OpType::ARG_MAX, {x, b.Ints({-1})}, {}, DType::kInt64);
  const int ti = b.Op1(OpType::TILE, {x, b.Ints({1, 2, 3})});
  const int ed = b.Op1(OpType::EXPAND_DIMS, {x, b.Ints({1}, {})});
  const int sq = b.Op1(OpType::SQUEEZE, {ed});
  const int add = b.Op1(OpType::ADD, {x, b.W({3, 1})});
  OpOptions pack;
  pack.axis = 1;
  const int pk = b.Op1(OpType::PACK, {x, x}, pack);
  InferShapes(b.g);
  EXPECT_EQ(b.Shape(pad), (S{2, 6, 7}));
  EXPECT_EQ(b.Shape(sl), (S{2, 2, 3}));
  EXPECT_EQ(b.Shape(st), (S{2, 2, 2}));
  EXPECT_EQ(b.Shape(tr), (S{4, 2, 3}));
  EXPECT_EQ(b.Shape(am), (S{2, 3}));
  EXPECT_EQ(b.Shape(ti), (S{2, 6, 12}));
  EXPECT_EQ(b.Shape(ed), (S{2, 1, 3, 4}));
  EXPECT_EQ(b.Shape(sq), (S{2, 3, 4}));
  EXPECT_EQ(b.Shape(add), (S{2, 3, 4}));
  EXPECT_EQ(b.Shape(pk), (S{2, 2, 3, 4}));
}

TEST(ShapeInference, SplitOutputs) {
  G b;
  const int x = b.In({2, 6});
  Op split;
  split.type = OpType::SPLIT;
  split.inputs = {b.Ints({1}, {}), x};
  split.outputs = {b.Act(), b.Act(), b.Act()};
  b.g.AddOp(split);
  Op v;
  v.type = OpType::SPLIT_V;
  v.inputs = {x, b.Ints({1, -1}), b.Ints({-1}, {})};
  v.outputs = {b.Act(), b.Act()};
  b.g.AddOp(v);
  InferShapes(b.g);
  EXPECT_EQ(b.Shape(split.outputs[2]), (S{2, 2}));
  EXPECT_EQ(b.Shape(v.outputs[0]), (S{2, 1}));
  EXPECT_EQ(b.Shape(v.outputs[1]), (S{2, 5}));
}

TEST(ShapeInference, ErrorsNameTheOp) {
  G b;
  const int x = b.In({1, 8, 8, 3});
  b.Op1(OpType::RELU, {x});
  b.Op1(OpType::CONV_2D, {x, b.W({4, 3, 3, 2}), -1}, Conv(Padding::kSame, 1));
  try {
    InferShapes(b.g);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("op 1 (CONV_2D)"), std::string::npos) << e.what();
  }
  G c;
  const int y = c.In({2, 3});
  c.Op1(OpType::ADD, {y, c.W({4})});
  EXPECT_THROW(InferShapes(c.g), Error);
}

TEST(ShapeInference, UnknownOpsKeepShapesOnlyWhileInputsAreUnchanged) {
  G b;
  const int x = b.In({1, 4});
  const int y = b.Op1(OpType::FLOOR_MOD, {x, x});
  Op custom;
  custom.type = OpType::CUSTOM;
  custom.custom_code = "MyOp";
  custom.inputs = {x};
  custom.outputs = {b.Act({1, 9})};
  b.g.AddOp(custom);
  InferShapes(b.g);
  EXPECT_EQ(b.Shape(y), (S{1, 4}));
  EXPECT_EQ(b.Shape(custom.outputs[0]), (S{1, 9}));
  EXPECT_THROW(InferShapesForBatch(b.g, 2), Error);
}

TEST(ShapeInference, ConvGeometryHelpers) {
  EXPECT_EQ(ConvOutputSize(Padding::kSame, 7, 3, 2, 1), 4);
  EXPECT_EQ(ConvOutputSize(Padding::kValid, 7, 3, 2, 1), 3);
  EXPECT_EQ(ConvOutputSize(Padding::kValid, 7, 3, 1, 2), 3);  // effective filter 5
  EXPECT_EQ(ConvPaddingBefore(2, 1, 4, 3, 2), 0);  // total 1: the extra pad goes after
  EXPECT_EQ(ConvPaddingBefore(1, 1, 5, 3, 5), 1);
  EXPECT_EQ(BroadcastShapes({3, 1}, {1, 4}), (S{3, 4}));
  EXPECT_THROW(BroadcastShapes({3}, {4}), Error);
}

}  // namespace
}  // namespace cae
