// float16, dynamic-range and full-integer quantizers on hand-built graphs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "graph/error.h"
#include "passes/fold_batchnorm.h"
#include "passes/test_graphs.h"
#include "quant/dynamic_range.h"
#include "quant/float16.h"
#include "quant/int8_quantizer.h"
#include "quant/quant_math.h"
#include "tflite/op_version.h"

namespace cae::quant {
namespace {

using namespace cae::testgraphs;

TEST(Float16, ConstantsBecomeHalfWithDequantizeFirst) {
  Graph g = ConvBnRelu();
  passes::FoldBatchNorm(g);
  const int w = g.ops[0].inputs[1];
  const std::vector<float> wf = Floats(g.tensors[w]);
  EXPECT_EQ(QuantizeFloat16(g), 2);  // weights and bias (the BN constants are no longer read)
  ASSERT_EQ(g.ops.size(), 4u);
  EXPECT_EQ(g.ops[0].type, OpType::DEQUANTIZE);
  EXPECT_EQ(g.ops[1].type, OpType::DEQUANTIZE);
  EXPECT_EQ(g.ops[2].type, OpType::CONV_2D);
  EXPECT_FALSE(g.tensors[w].is_constant());
  EXPECT_EQ(g.tensors[w].type, DType::kFloat32);
  const Tensor& h = g.tensors[g.ops[0].inputs[0]];
  EXPECT_EQ(h.type, DType::kFloat16);
  ASSERT_EQ(h.data.size(), wf.size() * 2);
  for (size_t i = 0; i < wf.size(); ++i) {
    uint16_t v;
    std::memcpy(&v, &h.data[i * 2], 2);
    EXPECT_EQ(v, FloatToHalf(wf[i]));
  }
  EXPECT_EQ(g.ops[0].outputs[0], w);
}

TEST(DynamicRange, QuantizesLargeWeightsOnlyWithTfliteLayout) {
  Graph g;
  const int x = Act(g, "x", {1, 64});
  const int w = Const(g, "w", {32, 64}, Ramp(32 * 64, -1.0f, 1.0f / 1024));
  const int b = Const(g, "b", {32}, Ramp(32, 0, 1));
  const int y = Act(g, "fc", {1, 32});
  const int w2 = Const(g, "w2", {2, 32}, Ramp(64, 0, 1));
  const int z = Act(g, "fc2", {1, 2});
  g.inputs = {x};
  g.outputs = {z};
  AddOp(g, OpType::FULLY_CONNECTED, {x, w, b}, {y});
  AddOp(g, OpType::FULLY_CONNECTED, {y, w2, -1}, {z});
  EXPECT_EQ(QuantizeDynamicRange(g), 1);
  EXPECT_EQ(g.tensors[w].type, DType::kInt8);
  EXPECT_EQ(g.tensors[w].quant.scale.size(), 1u);
  EXPECT_TRUE(g.ops[0].options.asymmetric_quantize_inputs);
  EXPECT_EQ(g.tensors[b].type, DType::kFloat32);
  EXPECT_EQ(g.tensors[w2].type, DType::kFloat32);  // 64 < 1024 elements
  EXPECT_FALSE(g.ops[1].options.asymmetric_quantize_inputs);
  EXPECT_EQ(g.tensors[y].type, DType::kFloat32);
}

TEST(DynamicRange, ConvIsPerChannel) {
  Graph g;
  const int x = Act(g, "x", {1, 8, 8, 16});
  const int w = Const(g, "w", {8, 3, 3, 16}, Ramp(8 * 9 * 16, -2.0f, 0.003f));
  const int y = Act(g, "conv", {1, 8, 8, 8});
  g.inputs = {x};
  g.outputs = {y};
  AddOp(g, OpType::CONV_2D, {x, w, -1}, {y});
  EXPECT_EQ(QuantizeDynamicRange(g), 1);
  EXPECT_EQ(g.tensors[w].quant.scale.size(), 8u);
  EXPECT_EQ(g.tensors[w].quant.quantized_dimension, 0);
}

// x[1,4,4,2] -> CONV_2D(relu) -> MAX_POOL -> RESIZE_NN -> CONCAT(with x... shapes) -> LOGISTIC
struct UNetLike {
  Graph g;
  int x, w, b, c, p, u, cat, w2, b2, c2, out;
};

UNetLike MakeUNetLike() {
  UNetLike m;
  Graph& g = m.g;
  m.x = Act(g, "x", {1, 4, 4, 2});
  m.w = Const(g, "w", {3, 1, 1, 2}, {1, -1, 0.5f, 0.25f, -2, 2});
  m.b = Const(g, "b", {3}, {0.1f, 0.2f, 0.3f});
  m.c = Act(g, "conv", {1, 4, 4, 3});
  m.p = Act(g, "pool", {1, 2, 2, 3});
  m.u = Act(g, "up", {1, 4, 4, 3});
  m.cat = Act(g, "cat", {1, 4, 4, 5});
  m.w2 = Const(g, "w2", {1, 1, 1, 5}, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f});
  m.b2 = Const(g, "b2", {1}, {0.0f});
  m.c2 = Act(g, "conv2", {1, 4, 4, 1});
  m.out = Act(g, "sigmoid", {1, 4, 4, 1});
  g.inputs = {m.x};
  g.outputs = {m.out};
  AddOp(g, OpType::CONV_2D, {m.x, m.w, m.b}, {m.c}, Activation::kRelu);
  const int k = AddOp(g, OpType::MAX_POOL_2D, {m.c}, {m.p});
  g.ops[k].options.filter_w = g.ops[k].options.filter_h = g.ops[k].options.stride_w = g.ops[k].options.stride_h = 2;
  const int size = ConstI32(g, "size", {2}, {4, 4});
  AddOp(g, OpType::RESIZE_NEAREST_NEIGHBOR, {m.p, size}, {m.u});
  const int ci = AddOp(g, OpType::CONCATENATION, {m.u, m.x}, {m.cat});
  g.ops[ci].options.axis = 3;
  AddOp(g, OpType::CONV_2D, {m.cat, m.w2, m.b2}, {m.c2});
  AddOp(g, OpType::LOGISTIC, {m.c2}, {m.out});
  return m;
}

RangeTable Ranges(const UNetLike& m) {
  RangeTable r(m.g.tensors.size());
  r[m.x] = {-1.0f, 1.0f, true};
  r[m.c] = {-0.5f, 3.0f, true};  // conv has a fused RELU: the min is raised to 0
  r[m.p] = {0.0f, 3.0f, true};
  r[m.u] = {0.0f, 3.0f, true};
  r[m.cat] = {-1.0f, 3.0f, true};
  r[m.c2] = {-4.0f, 4.0f, true};
  r[m.out] = {0.0f, 1.0f, true};
  return r;
}

bool SameParams(const Tensor& a, const Tensor& b) {
  return a.quant.scale == b.quant.scale && a.quant.zero_point == b.quant.zero_point;
}

TEST(FullInt8, FollowsTheSpecOnAUNetLikeGraph) {
  UNetLike m = MakeUNetLike();
  const Int8Summary s = QuantizeFullInt8(m.g, Ranges(m), {.io = IoType::kInt8});
  const Graph& g = m.g;
  EXPECT_EQ(s.weights, 2);
  EXPECT_EQ(s.biases, 2);
  for (const Tensor& t : g.tensors) EXPECT_NE(t.type, DType::kFloat32) << t.name;
  // Per-channel weights along axis 0, symmetric.
  EXPECT_EQ(g.tensors[m.w].quant.scale.size(), 3u);
  EXPECT_EQ(g.tensors[m.w].quant.zero_point, (std::vector<int64_t>{0, 0, 0}));
  // Bias scale = input scale * weight scale, int32.
  EXPECT_EQ(g.tensors[m.b].type, DType::kInt32);
  for (int c = 0; c < 3; ++c)
    EXPECT_FLOAT_EQ(g.tensors[m.b].quant.scale[c], g.tensors[m.x].quant.scale[0] * g.tensors[m.w].quant.scale[c]);
  // Same-scale group: conv output, pool, resize, concat inputs (incl. x) and output.
  EXPECT_TRUE(SameParams(g.tensors[m.c], g.tensors[m.p]));
  EXPECT_TRUE(SameParams(g.tensors[m.p], g.tensors[m.u]));
  EXPECT_TRUE(SameParams(g.tensors[m.u], g.tensors[m.cat]));
  EXPECT_TRUE(SameParams(g.tensors[m.x], g.tensors[m.cat]));
  // The group covers the union [-1, 3]; zero exact.
  const QuantParams& q = g.tensors[m.cat].quant;
  EXPECT_FLOAT_EQ(q.scale[0], 4.0f / 255.0f);
  EXPECT_EQ(q.zero_point[0], -128 + static_cast<int64_t>(std::round(1.0f / q.scale[0])));
  // Fixed sigmoid output.
  EXPECT_FLOAT_EQ(g.tensors[m.out].quant.scale[0], 1.0f / 256.0f);
  EXPECT_EQ(g.tensors[m.out].quant.zero_point[0], -128);
  EXPECT_EQ(g.tensors[m.out].type, DType::kInt8);
  EXPECT_EQ(g.ops.size(), 6u);  // no edge ops for int8 IO
  // Constant int32 resize size untouched.
  EXPECT_EQ(g.tensors[g.ops[2].inputs[1]].type, DType::kInt32);
}

TEST(FullInt8, FloatIoAddsQuantizeAndDequantizeAtTheEdges) {
  UNetLike m = MakeUNetLike();
  QuantizeFullInt8(m.g, Ranges(m), {.io = IoType::kFloat32});
  const Graph& g = m.g;
  ASSERT_EQ(g.ops.size(), 8u);
  EXPECT_EQ(g.ops.front().type, OpType::QUANTIZE);
  EXPECT_EQ(g.ops.back().type, OpType::DEQUANTIZE);
  EXPECT_EQ(g.tensors[g.inputs[0]].type, DType::kFloat32);
  EXPECT_EQ(g.tensors[g.inputs[0]].name, "x");
  EXPECT_EQ(g.tensors[g.outputs[0]].type, DType::kFloat32);
  EXPECT_EQ(g.tensors[g.outputs[0]].name, "sigmoid");
  EXPECT_EQ(g.tensors[g.ops.front().outputs[0]].type, DType::kInt8);
  // Every op between the edges reads the int8 input, not the float one.
  for (size_t i = 1; i < g.ops.size(); ++i) {
    for (int t : g.ops[i].inputs) EXPECT_NE(t, g.inputs[0]);
  }
}

TEST(FullInt8, Uint8IoUsesZeroPointPlus128) {
  UNetLike m = MakeUNetLike();
  QuantizeFullInt8(m.g, Ranges(m), {.io = IoType::kUInt8});
  const Graph& g = m.g;
  EXPECT_EQ(g.ops.front().type, OpType::QUANTIZE);
  EXPECT_EQ(g.ops.back().type, OpType::QUANTIZE);
  const Tensor& in = g.tensors[g.inputs[0]];
  const Tensor& in8 = g.tensors[g.ops.front().outputs[0]];
  EXPECT_EQ(in.type, DType::kUInt8);
  EXPECT_EQ(in.quant.scale, in8.quant.scale);
  EXPECT_EQ(in.quant.zero_point[0], in8.quant.zero_point[0] + 128);
  const Tensor& out = g.tensors[g.outputs[0]];
  EXPECT_EQ(out.type, DType::kUInt8);
  EXPECT_EQ(out.quant.zero_point[0], 0);
  EXPECT_FLOAT_EQ(out.quant.scale[0], 1.0f / 256.0f);
}

TEST(FullInt8, PerTensorOption) {
  UNetLike m = MakeUNetLike();
  QuantizeFullInt8(m.g, Ranges(m), {.io = IoType::kInt8, .per_tensor = true});
  EXPECT_EQ(m.g.tensors[m.w].quant.scale.size(), 1u);
  EXPECT_FLOAT_EQ(m.g.tensors[m.w].quant.scale[0], 2.0f / 127.0f);
}

// GlobalMaxPooling lowers to REDUCE_MAX: int8 with the input's scale and zero point (it was
// refused as having no int8 form). TFLite's int8 REDUCE_MAX is version 2.
TEST(FullInt8, ReduceMaxKeepsItsInputsParameters) {
  Graph g;
  const int x = Act(g, "x", {1, 4, 4, 3});
  const int w = Const(g, "w", {3, 1, 1, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  const int b = Const(g, "b", {3}, {0, 0, 0});
  const int c = Act(g, "conv", {1, 4, 4, 3});
  const int axes = ConstI32(g, "axes", {2}, {1, 2});
  const int y = Act(g, "gmp", {1, 3});
  g.inputs = {x};
  g.outputs = {y};
  AddOp(g, OpType::CONV_2D, {x, w, b}, {c});
  AddOp(g, OpType::REDUCE_MAX, {c, axes}, {y});
  RangeTable r(g.tensors.size());
  r[x] = {-1.0f, 1.0f, true};
  r[c] = {-1.0f, 1.0f, true};
  r[y] = {-0.5f, 1.0f, true};
  QuantizeFullInt8(g, r, {.io = IoType::kInt8});
  EXPECT_EQ(g.tensors[y].type, DType::kInt8);
  EXPECT_TRUE(SameParams(g.tensors[y], g.tensors[c]));
  EXPECT_EQ(TfliteOpVersion(g, 1), 2);
}

TEST(FullInt8, RejectsUnsupportedOpsAndMissingRangesByName) {
  UNetLike m = MakeUNetLike();
  m.g.ops[5].type = OpType::EXP;
  m.g.ops[5].origin = "my_exp_layer";
  try {
    QuantizeFullInt8(m.g, Ranges(m), {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("my_exp_layer"), std::string::npos) << e.what();
  }
  UNetLike n = MakeUNetLike();
  RangeTable r = Ranges(n);
  r[n.c2].valid = false;
  try {
    QuantizeFullInt8(n.g, r, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("conv2"), std::string::npos) << e.what();
  }
}

TEST(FullInt8, ConflictingFixedParametersInOneGroupThrow) {
  Graph g;
  const int x = Act(g, "x", {1, 4});
  const int s = Act(g, "s", {1, 4});
  const int t = Act(g, "t", {1, 4});
  const int c = Act(g, "c", {1, 8});
  g.inputs = {x};
  g.outputs = {c};
  AddOp(g, OpType::LOGISTIC, {x}, {s});
  AddOp(g, OpType::TANH, {x}, {t});
  AddOp(g, OpType::CONCATENATION, {s, t}, {c});
  RangeTable r(g.tensors.size());
  r[x] = {-1, 1, true};
  EXPECT_THROW(QuantizeFullInt8(g, r, {}), Error);
}

}  // namespace
}  // namespace cae::quant

namespace cae::quant {
namespace {

TEST(FullInt8, BiasCorrectionRemovesTheMeanShiftOfWeightRounding) {
  using namespace cae::testgraphs;
  // FC with one output: weights chosen so rounding shifts the output mean.
  const auto make = [] {
    Graph g;
    const int x = Act(g, "x", {1, 3});
    const int w = Const(g, "w", {1, 3}, {1.0f, 0.3f, 0.3f});
    const int b = Const(g, "b", {1}, {0.0f});
    const int y = Act(g, "y", {1, 1});
    g.inputs = {x};
    g.outputs = {y};
    AddOp(g, OpType::FULLY_CONNECTED, {x, w, b}, {y});
    return g;
  };
  RangeTable r(4);
  r[0] = {0, 2, true};
  r[3] = {0, 4, true};
  Graph plain = make();
  QuantizeFullInt8(plain, r, {.io = IoType::kInt8});
  Graph corrected = make();
  ChannelMeans means(4);
  means[0] = {1.0f, 2.0f, 2.0f};
  QuantizeFullInt8(corrected, r, {.io = IoType::kInt8}, &means);
  // w quantized with scale 1/127: 0.3 -> round(38.1) = 38 -> 0.29921; shift = 2 * 2 * (-0.00079).
  const float shift = 4.0f * (38.0f / 127.0f - 0.3f);
  int32_t qb_plain, qb_corr;
  std::memcpy(&qb_plain, plain.tensors[2].data.data(), 4);
  std::memcpy(&qb_corr, corrected.tensors[2].data.data(), 4);
  EXPECT_EQ(qb_plain, 0);
  EXPECT_EQ(qb_corr, static_cast<int32_t>(std::round(-shift / corrected.tensors[2].quant.scale[0])));
  EXPECT_NE(qb_corr, 0);
}

}  // namespace
}  // namespace cae::quant
