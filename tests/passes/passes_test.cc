#include <gtest/gtest.h>

#include "graph/error.h"
#include "passes/fold_batchnorm.h"
#include "passes/fuse_activation.h"
#include "passes/graph_edit.h"
#include "passes/pipeline.h"
#include "passes/remove_dead.h"
#include "passes/remove_identity.h"
#include "passes/set_batch.h"
#include "passes/test_graphs.h"

namespace cae::passes {
namespace {

using namespace cae::testgraphs;

TEST(FoldBatchNorm, FoldsMulThenAddIntoConvWeightsAndBias) {
  Graph g = ConvBnRelu();
  EXPECT_EQ(FoldBatchNorm(g), 2);
  ASSERT_EQ(g.ops.size(), 2u);
  const Op& conv = g.ops[0];
  EXPECT_EQ(conv.type, OpType::CONV_2D);
  EXPECT_EQ(g.tensors[conv.outputs[0]].name, "bn_add");
  const std::vector<float> w = Floats(g.tensors[conv.inputs[1]]);
  const std::vector<float> w0 = Ramp(6, -1.0f, 0.5f);
  const float s[3] = {2.0f, 0.5f, -1.0f};
  for (int oc = 0; oc < 3; ++oc) {
    for (int i = 0; i < 2; ++i) EXPECT_FLOAT_EQ(w[oc * 2 + i], w0[oc * 2 + i] * s[oc]);
  }
  const std::vector<float> b = Floats(g.tensors[conv.inputs[2]]);
  EXPECT_FLOAT_EQ(b[0], 0.1f * 2.0f + 1.0f);
  EXPECT_FLOAT_EQ(b[1], -0.2f * 0.5f + 2.0f);
  EXPECT_FLOAT_EQ(b[2], 0.3f * -1.0f + 3.0f);
  EXPECT_EQ(g.ops[1].type, OpType::RELU);
  EXPECT_EQ(g.ops[1].inputs[0], conv.outputs[0]);
}

TEST(FoldBatchNorm, DepthwiseScalesAlongLastAxisAndCreatesMissingBias) {
  Graph g;
  const int x = Act(g, "x", {1, 2, 2, 2});
  const int w = Const(g, "w", {1, 1, 2, 2}, {1, 2, 3, 4});  // 1HW(C): channel is the last dim
  const int y = Act(g, "dw", {1, 2, 2, 2});
  const int s = Const(g, "s", {2}, {10, 100});
  const int m = Act(g, "mul", {1, 2, 2, 2});
  const int t = Const(g, "t", {2}, {1, 2});
  const int a = Act(g, "sub", {1, 2, 2, 2});
  g.inputs = {x};
  g.outputs = {a};
  AddOp(g, OpType::DEPTHWISE_CONV_2D, {x, w, -1}, {y});
  AddOp(g, OpType::MUL, {s, y}, {m});
  AddOp(g, OpType::SUB, {m, t}, {a}, Activation::kRelu6);
  EXPECT_EQ(FoldBatchNorm(g), 2);
  ASSERT_EQ(g.ops.size(), 1u);
  EXPECT_EQ(Floats(g.tensors[g.ops[0].inputs[1]]), (std::vector<float>{10, 200, 30, 400}));
  EXPECT_EQ(Floats(g.tensors[g.ops[0].inputs[2]]), (std::vector<float>{-1, -2}));
  EXPECT_EQ(g.ops[0].options.activation, Activation::kRelu6);
}

TEST(FoldBatchNorm, LeavesConvWithSecondReaderOrFusedActivationAlone) {
  Graph g = ConvBnRelu();
  g.outputs.push_back(g.ops[0].outputs[0]);  // conv output is also a graph output
  EXPECT_EQ(FoldBatchNorm(g), 0);
  Graph h = ConvBnRelu();
  h.ops[0].options.activation = Activation::kRelu;  // relu before BN: not linear
  EXPECT_EQ(FoldBatchNorm(h), 0);
  EXPECT_EQ(h.ops.size(), 4u);
}

TEST(FoldBatchNorm, CopiesSharedWeightsSoTheOtherOpIsUnchanged) {
  Graph g = ConvBnRelu();
  const int w = g.ops[0].inputs[1];
  const int x2 = Act(g, "x2", {1, 4, 4, 2});
  const int y2 = Act(g, "conv2", {1, 4, 4, 3});
  g.inputs.push_back(x2);
  g.outputs.push_back(y2);
  AddOp(g, OpType::CONV_2D, {x2, w, -1}, {y2});
  EXPECT_EQ(FoldBatchNorm(g), 2);
  EXPECT_EQ(Floats(g.tensors[w]), Ramp(6, -1.0f, 0.5f));
  EXPECT_NE(g.ops[0].inputs[1], w);
}

TEST(FuseActivations, FusesReluIntoConvButNotTransposeConv) {
  Graph g = ConvBnRelu();
  FoldBatchNorm(g);
  EXPECT_EQ(FuseActivations(g), 1);
  ASSERT_EQ(g.ops.size(), 1u);
  EXPECT_EQ(g.ops[0].options.activation, Activation::kRelu);
  EXPECT_EQ(g.tensors[g.ops[0].outputs[0]].name, "relu");

  Graph t;
  const int x = Act(t, "x", {1, 2, 2, 1});
  const int os = ConstI32(t, "os", {4}, {1, 4, 4, 1});
  const int w = Const(t, "w", {1, 2, 2, 1}, {1, 1, 1, 1});
  const int y = Act(t, "tc", {1, 4, 4, 1});
  const int r = Act(t, "r", {1, 4, 4, 1});
  t.inputs = {x};
  t.outputs = {r};
  AddOp(t, OpType::TRANSPOSE_CONV, {os, w, x, -1}, {y});
  AddOp(t, OpType::RELU, {y}, {r});
  EXPECT_EQ(FuseActivations(t), 0);
}

TEST(FuseActivations, PoolAndConcatOnlyWhenAllowed) {
  const auto make = [] {
    Graph g;
    const int x = Act(g, "x", {1, 4, 4, 1});
    const int p = Act(g, "pool", {1, 2, 2, 1});
    const int r = Act(g, "r6", {1, 2, 2, 1});
    g.inputs = {x};
    g.outputs = {r};
    const int k = AddOp(g, OpType::MAX_POOL_2D, {x}, {p});
    g.ops[k].options.filter_w = g.ops[k].options.filter_h = 2;
    AddOp(g, OpType::RELU6, {p}, {r});
    return g;
  };
  Graph a = make();
  EXPECT_EQ(FuseActivations(a), 1);
  EXPECT_EQ(a.ops[0].options.activation, Activation::kRelu6);
  Graph b = make();
  EXPECT_EQ(FuseActivations(b, {.into_pools_and_concat = false}), 0);
}

TEST(RemoveIdentityOps, RewiresReadersAndKeepsGraphOutputNames) {
  Graph g;
  const int x = Act(g, "x", {1, 4});
  const int w = Const(g, "w", {4, 4}, Ramp(16, 0, 1));
  const int y = Act(g, "fc", {1, 4});
  const int r = Act(g, "reshape", {1, 4});
  const int one = Const(g, "one", {1}, {1.0f});
  const int m = Act(g, "out", {1, 4});
  g.inputs = {x};
  g.outputs = {m};
  AddOp(g, OpType::FULLY_CONNECTED, {x, w, -1}, {y});
  AddOp(g, OpType::RESHAPE, {y}, {r});
  AddOp(g, OpType::MUL, {r, one}, {m});
  EXPECT_EQ(RemoveIdentityOps(g), 2);
  ASSERT_EQ(g.ops.size(), 1u);
  EXPECT_EQ(g.ops[0].outputs[0], m);  // the FC now writes the graph output itself
}

TEST(RemoveIdentityOps, KeepsOpsThatChangeValuesOrShape) {
  Graph g;
  const int x = Act(g, "x", {1, 4});
  const int r = Act(g, "r", {4, 1});
  const int two = Const(g, "two", {1}, {2.0f});
  const int m = Act(g, "m", {4, 1});
  g.inputs = {x};
  g.outputs = {m};
  AddOp(g, OpType::RESHAPE, {x}, {r});
  AddOp(g, OpType::MUL, {r, two}, {m});
  EXPECT_EQ(RemoveIdentityOps(g), 0);
  EXPECT_EQ(g.ops.size(), 2u);
}

TEST(RemoveDeadOps, DropsUnreadOpsAndRenumbersTensors) {
  Graph g = ConvBnRelu();
  g.outputs = {g.ops[0].outputs[0]};  // only the conv output matters now
  const DeadRemoval d = RemoveDeadOps(g);
  EXPECT_EQ(d.ops, 3);
  EXPECT_EQ(d.tensors, 5);
  ASSERT_EQ(g.ops.size(), 1u);
  ASSERT_EQ(g.tensors.size(), 4u);
  EXPECT_EQ(g.tensors[g.outputs[0]].name, "conv");
  for (int t : g.ops[0].inputs) EXPECT_TRUE(ValidTensor(g, t));
}

TEST(SetBatch, SetsLeadingDimAndReshapeTargets) {
  Graph g;
  const int x = Act(g, "x", {-1, 8});
  g.tensors[x].shape = {1, 8};
  g.tensors[x].shape_signature = {-1, 8};
  const int shp = ConstI32(g, "shape", {4}, {1, 2, 2, 2});
  const int r = Act(g, "r", {1, 2, 2, 2});
  g.inputs = {x};
  g.outputs = {r};
  const int k = AddOp(g, OpType::RESHAPE, {x, shp}, {r});
  g.ops[k].options.new_shape = {-1, 2, 2, 2};
  EXPECT_EQ(SetBatch(g, 3), 2);
  EXPECT_EQ(g.tensors[x].shape, (std::vector<int32_t>{3, 8}));
  EXPECT_TRUE(g.tensors[x].shape_signature.empty());
  EXPECT_EQ(g.tensors[r].shape, (std::vector<int32_t>{3, 2, 2, 2}));
  int32_t d0;
  std::memcpy(&d0, g.tensors[g.ops[0].inputs[1]].data.data(), 4);
  EXPECT_EQ(d0, 3);
  EXPECT_EQ(g.ops[0].options.new_shape[0], -1);
  EXPECT_THROW(SetBatch(g, 0), Error);
}

TEST(SetBatch, RejectsReshapeThatFoldsTheBatch) {
  Graph g;
  const int x = Act(g, "x", {2, 4});
  const int r = Act(g, "r", {8});
  g.inputs = {x};
  g.outputs = {r};
  const int k = AddOp(g, OpType::RESHAPE, {x}, {r});
  g.ops[k].options.new_shape = {8};
  EXPECT_THROW(SetBatch(g, 1), Error);
}

// A TRANSPOSE_CONV's output shape (constant input 0) follows the batch; convert --batch 3 left it
// at 1, and TFLite then produced [1,...] (or refused a following CONCATENATION).
TEST(SetBatch, SetsTransposeConvOutputShapes) {
  Graph g;
  const int x = Act(g, "x", {1, 4, 4, 2});
  const int shp = ConstI32(g, "output_shape", {4}, {1, 8, 8, 3});
  const int w = ConstI32(g, "w_stand_in", {1}, {0});  // the weights' contents do not matter here
  const int y = Act(g, "y", {1, 8, 8, 3});
  g.inputs = {x};
  g.outputs = {y};
  AddOp(g, OpType::TRANSPOSE_CONV, {shp, w, x}, {y});
  SetBatch(g, 3);
  int32_t d0;
  std::memcpy(&d0, g.tensors[g.ops[0].inputs[0]].data.data(), 4);
  EXPECT_EQ(d0, 3);
  EXPECT_EQ(g.tensors[y].shape, (std::vector<int32_t>{3, 8, 8, 3}));
}

TEST(Pipeline, ReportsEveryPass) {
  Graph g = ConvBnRelu();
  const auto results = RunStandardPasses(g, {});
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[1].name, "fold-batchnorm");
  EXPECT_EQ(results[1].changes, 2);
  EXPECT_EQ(results[2].changes, 1);
  EXPECT_EQ(g.ops.size(), 1u);
  EXPECT_EQ(g.tensors.size(), 4u);  // x, w, b, relu
}

}  // namespace
}  // namespace cae::passes
