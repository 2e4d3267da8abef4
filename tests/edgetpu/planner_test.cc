// The planner on hand-built CAE graphs: what maps, what does not, and why.
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgetpu/planner.h"
#include "edgetpu/segment.h"
#include "graph/error.h"
#include "support/fixtures.h"

namespace cae::edgetpu {
namespace {

// Builds the small CAE the project targets: QUANTIZE in, CONV_2D(relu) -> MAX_POOL_2D ->
// CONV_2D -> RESIZE_NEAREST_NEIGHBOR(x2) -> CONCATENATION(with the first conv) -> CONV_2D ->
// LOGISTIC, QUANTIZE out. `act` is the activation type; io the graph input/output type;
// mid_filters the second conv's filters (its weights are mid_filters * 72 bytes).
struct CaeBuilder {
  DType act = DType::kInt8;
  DType io = DType::kUInt8;
  int batch = 1;
  int mid_filters = 8;
  Model model;

  int Activation(const std::string& name, std::vector<int32_t> shape, DType type) {
    Tensor t;
    t.name = name;
    t.type = type;
    t.shape = std::move(shape);
    if (IsQuantizedType(type)) {
      t.quant.scale = {0.05f};
      t.quant.zero_point = {0};
    }
    return model.main().AddTensor(std::move(t));
  }
  int Constant(const std::string& name, std::vector<int32_t> shape, DType type) {
    Tensor t;
    t.name = name;
    t.type = type;
    t.shape = std::move(shape);
    int64_t n = 1;
    for (int32_t d : t.shape) n *= d;
    t.data.assign(static_cast<size_t>(n) * DTypeSize(type), 1);
    if (IsQuantizedType(type)) {
      t.quant.scale = {0.01f};
      t.quant.zero_point = {0};
    }
    return model.main().AddTensor(std::move(t));
  }
  int Int32s(const std::string& name, const std::vector<int32_t>& values) {
    Tensor t;
    t.name = name;
    t.type = DType::kInt32;
    t.shape = {static_cast<int32_t>(values.size())};
    t.data.resize(values.size() * 4);
    std::memcpy(t.data.data(), values.data(), t.data.size());
    return model.main().AddTensor(std::move(t));
  }
  int AddOp(OpType type, std::vector<int> in, std::vector<int> out, OpOptions options = {}) {
    Op op;
    op.type = type;
    op.inputs = std::move(in);
    op.outputs = std::move(out);
    op.options = options;
    return model.main().AddOp(std::move(op));
  }
  Model Build() {
    model.subgraphs.emplace_back();
    model.source = "hand-built CAE";
    Graph& g = model.main();
    const DType weights = act == DType::kFloat32 ? DType::kFloat32 : DType::kInt8;
    const DType bias = act == DType::kFloat32 ? DType::kFloat32 : DType::kInt32;
    const int in = Activation("input", {batch, 28, 28, 1}, io);
    g.inputs = {in};
    int x = in;
    if (io != act) {
      const int q = Activation("input_q", {batch, 28, 28, 1}, act);
      AddOp(OpType::QUANTIZE, {x}, {q});
      x = q;
    }
    OpOptions relu;
    relu.activation = Activation::kRelu;
    const int c1 = Activation("conv1", {batch, 28, 28, 8}, act);
    AddOp(OpType::CONV_2D, {x, Constant("w1", {8, 3, 3, 1}, weights), Constant("b1", {8}, bias)},
          {c1}, relu);
    OpOptions pool;
    pool.filter_w = pool.filter_h = pool.stride_w = pool.stride_h = 2;
    const int p1 = Activation("pool1", {batch, 14, 14, 8}, act);
    AddOp(OpType::MAX_POOL_2D, {c1}, {p1}, pool);
    const int f = mid_filters;
    const int c2 = Activation("conv2", {batch, 14, 14, f}, act);
    AddOp(OpType::CONV_2D, {p1, Constant("w2", {f, 3, 3, 8}, weights), Constant("b2", {f}, bias)},
          {c2}, relu);
    const int up = Activation("up", {batch, 28, 28, f}, act);
    AddOp(OpType::RESIZE_NEAREST_NEIGHBOR, {c2, Int32s("size", {28, 28})}, {up});
    OpOptions concat;
    concat.axis = 3;
    const int cat = Activation("concat", {batch, 28, 28, f + 8}, act);
    AddOp(OpType::CONCATENATION, {up, c1}, {cat}, concat);
    const int c3 = Activation("conv3", {batch, 28, 28, 1}, act);
    AddOp(OpType::CONV_2D, {cat, Constant("w3", {1, 3, 3, f + 8}, weights), Constant("b3", {1}, bias)},
          {c3});
    const int sig = Activation("sigmoid", {batch, 28, 28, 1}, act);
    AddOp(OpType::LOGISTIC, {c3}, {sig});
    int y = sig;
    if (io != act) {
      y = Activation("output", {batch, 28, 28, 1}, io);
      AddOp(io == DType::kFloat32 ? OpType::DEQUANTIZE : OpType::QUANTIZE, {sig}, {y});
    }
    g.outputs = {y};
    return std::move(model);
  }
};

TEST(Planner, Int8CaeWithUint8IoMapsEntirely) {
  CaeBuilder b;
  const ModelPlan plan = PlanModel(b.Build());
  EXPECT_EQ(plan.total, 9);
  EXPECT_EQ(plan.mapped, 9);
  EXPECT_EQ(plan.tpu_subgraphs, 1);
  for (const OpPlan& p : plan.ops) {
    EXPECT_TRUE(p.on_tpu) << p.index << " " << p.op << ": " << p.reason << " " << p.detail;
    EXPECT_EQ(p.reason, "Mapped to Edge TPU");
  }
  EXPECT_TRUE(plan.advice.empty());
  // Raw parameters: weights 72 + 576 + 144 bytes, biases (8 + 8 + 1) * 4, the resize size 8.
  EXPECT_EQ(plan.raw_parameter_bytes, 72 + 576 + 144 + 68 + 8);
  EXPECT_EQ(plan.streamed_bytes, 0);
  EXPECT_GT(plan.cached_bytes, plan.raw_parameter_bytes);
}

TEST(Planner, FloatCaeStaysOnTheCpuForItsDataType) {
  CaeBuilder b;
  b.act = DType::kFloat32;
  b.io = DType::kFloat32;
  const ModelPlan plan = PlanModel(b.Build());
  EXPECT_EQ(plan.total, 7);
  EXPECT_EQ(plan.mapped, 0);
  EXPECT_EQ(plan.tpu_subgraphs, 0);
  for (const OpPlan& p : plan.ops) {
    EXPECT_FALSE(p.on_tpu);
    EXPECT_EQ(p.status, Status::kUnsupportedDataType) << p.op;
    EXPECT_EQ(p.reason, "Operation is working on an unsupported data type");
    EXPECT_NE(p.detail.find("float32"), std::string::npos) << p.detail;
  }
  EXPECT_NE(plan.advice.find("int8"), std::string::npos) << plan.advice;
  EXPECT_EQ(plan.cached_bytes + plan.streamed_bytes, 0);
}

TEST(Planner, FloatQuantizeAtTheInputDoesNotStopTheRest) {
  CaeBuilder b;
  b.io = DType::kFloat32;
  const ModelPlan plan = PlanModel(b.Build());
  ASSERT_EQ(plan.total, 9);
  EXPECT_EQ(plan.ops[0].op, "QUANTIZE");
  EXPECT_FALSE(plan.ops[0].on_tpu);
  EXPECT_EQ(plan.ops[0].status, Status::kUnsupportedDataType);
  for (int i = 1; i < 8; ++i) EXPECT_TRUE(plan.ops[i].on_tpu) << plan.ops[i].op;
  EXPECT_EQ(plan.ops[8].op, "DEQUANTIZE");
  EXPECT_EQ(plan.ops[8].status, Status::kNotSupported);
  EXPECT_EQ(plan.mapped, 7);
  EXPECT_NE(plan.advice.find("--io uint8"), std::string::npos) << plan.advice;
}

TEST(Planner, AnUnmappedOpPutsEverythingDownstreamOnTheCpu) {
  CaeBuilder b;
  Model m = b.Build();
  Graph& g = m.main();
  // Turn the x2 upsampling into a x3 one, which the planner is conservative about.
  g.tensors[g.ops[4].outputs[0]].shape = {1, 42, 42, 8};
  g.tensors[g.ops[5].inputs[0]].shape = {1, 42, 42, 8};
  const ModelPlan plan = PlanModel(m);
  EXPECT_EQ(plan.ops[4].op, "RESIZE_NEAREST_NEIGHBOR");
  EXPECT_EQ(plan.ops[4].status, Status::kUnspecifiedLimitation);
  EXPECT_NE(plan.ops[4].detail.find("conservative"), std::string::npos);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(plan.ops[i].on_tpu) << i;
  for (int i = 5; i < 9; ++i) {
    EXPECT_FALSE(plan.ops[i].on_tpu) << i;
    EXPECT_EQ(plan.ops[i].status, Status::kMoreThanOneSubgraph) << i;
  }
  EXPECT_EQ(plan.mapped, 4);
  EXPECT_FALSE(plan.advice.empty());
}

TEST(Planner, BatchAboveOneIsNamed) {
  CaeBuilder b;
  b.batch = 4;
  const ModelPlan plan = PlanModel(b.Build());
  EXPECT_EQ(plan.mapped, 0);
  EXPECT_EQ(plan.ops[0].status, Status::kUnsupportedBatch);
  EXPECT_NE(plan.ops[0].detail.find("batch must be 1"), std::string::npos);
  EXPECT_NE(plan.advice.find("batch size 1"), std::string::npos);
}

TEST(Planner, OpRulesFromTheReference) {
  CaeBuilder b;
  Model m = b.Build();
  Graph& g = m.main();
  // Fused activation on a pool, unequal dilation, a too-new op version.
  g.ops[2].options.activation = Activation::kRelu;
  EXPECT_EQ(CheckOp(g, 2).status, Status::kUnspecifiedLimitation);
  g.ops[2].options.activation = Activation::kNone;
  g.ops[1].options.dilation_w = 2;
  EXPECT_EQ(CheckOp(g, 1).status, Status::kUnspecifiedLimitation);
  g.ops[1].options.dilation_w = 1;
  g.ops[1].version = 6;
  EXPECT_EQ(CheckOp(g, 1).status, Status::kVersionNotSupported);
  EXPECT_EQ(std::string(StatusText(Status::kVersionNotSupported)),
            "Operation version not supported");
  g.ops[1].version = 3;
  EXPECT_TRUE(CheckOp(g, 1).mappable());
  // CAST is not on the list; custom ops never map; bad indices do not crash.
  g.ops[6].type = OpType::CAST;
  EXPECT_EQ(CheckOp(g, 6).status, Status::kNotSupported);
  g.ops[6].type = OpType::CUSTOM;
  g.ops[6].custom_code = "MyOp";
  EXPECT_NE(CheckOp(g, 6).detail.find("MyOp"), std::string::npos);
  g.ops[7].inputs = {12345};
  EXPECT_FALSE(CheckOp(g, 7).mappable());
  EXPECT_FALSE(CheckOp(g, 99).mappable());
}

TEST(Planner, SoftmaxAndMeanLimits) {
  Model m;
  m.subgraphs.emplace_back();
  Graph& g = m.main();
  auto act = [&](std::vector<int32_t> shape) {
    Tensor t;
    t.type = DType::kInt8;
    t.shape = std::move(shape);
    t.quant.scale = {0.1f};
    t.quant.zero_point = {0};
    return g.AddTensor(std::move(t));
  };
  const int a = act({1, 16001}), b = act({1, 16001});
  Op softmax;
  softmax.type = OpType::SOFTMAX;
  softmax.inputs = {a};
  softmax.outputs = {b};
  g.AddOp(softmax);
  EXPECT_EQ(CheckOp(g, 0).status, Status::kUnspecifiedLimitation);
  g.tensors[a].shape = g.tensors[b].shape = {1, 16000};
  EXPECT_TRUE(CheckOp(g, 0).mappable());
  g.tensors[a].shape = g.tensors[b].shape = {1, 10, 10};
  EXPECT_FALSE(CheckOp(g, 0).mappable());

  const int x = act({1, 8, 8, 6}), y = act({1, 8, 8, 1});
  Tensor axes;
  axes.type = DType::kInt32;
  axes.shape = {1};
  axes.data = {3, 0, 0, 0};
  const int ax = g.AddTensor(axes);
  Op mean;
  mean.type = OpType::MEAN;
  mean.inputs = {x, ax};
  mean.outputs = {y};
  g.AddOp(mean);
  EXPECT_EQ(CheckOp(g, 1).status, Status::kUnspecifiedLimitation);  // 6 channels
  g.tensors[x].shape = {1, 8, 8, 8};
  EXPECT_TRUE(CheckOp(g, 1).mappable());
}

TEST(Planner, CoCompilationGivesTheFirstModelCachePriority) {
  CaeBuilder a, b;
  // The first model alone overflows the cache (its second conv has 8.4 MB of weights): the
  // second then gets nothing cached.
  a.mid_filters = 116509;
  Model ma = a.Build(), mb = b.Build();
  const std::vector<ModelPlan> plans = PlanModels({&ma, &mb});
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(plans[0].cached_bytes, kOnChipParameterBytes);
  EXPECT_GT(plans[0].streamed_bytes, 0);
  EXPECT_EQ(plans[1].cached_bytes, 0);
  EXPECT_EQ(plans[1].streamed_bytes, plans[1].estimated_parameter_bytes);
}

// A broken graph (here an op writing the graph's input, as a hostile .tflite can) is refused by
// the plan and the segment split with one error naming the model, not planned.
TEST(Planner, ABrokenGraphIsRefusedNotPlanned) {
  CaeBuilder b;
  Model m = b.Build();
  m.main().ops[1].outputs = {m.main().inputs[0]};
  for (int segments : {0, 2}) {
    try {
      if (segments == 0) PlanModel(m); else PlanSegments(m, segments);
      FAIL() << "no error (" << segments << " segments)";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("hand-built CAE", 0), 0u) << e.what();
    }
  }
}

TEST(Planner, JsonHasTheDocumentedKeys) {
  CaeBuilder b;
  b.io = DType::kFloat32;
  const nlohmann::json j = PlanToJson(PlanModel(b.Build()));
  ASSERT_TRUE(j.contains("ops"));
  ASSERT_EQ(j["ops"].size(), 9u);
  for (const char* key : {"index", "op", "on_tpu", "reason"}) EXPECT_TRUE(j["ops"][0].contains(key));
  EXPECT_EQ(j["ops"][0]["on_tpu"], false);
  EXPECT_EQ(j["ops"][1]["on_tpu"], true);
  for (const char* key : {"cached_bytes", "streamed_bytes", "mapped", "total", "tpu_subgraphs",
                          "op_counts", "advice"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  const std::string text = FormatPlan(PlanModel(b.Build()));
  EXPECT_NE(text.find("Number of Edge TPU subgraphs: 1"), std::string::npos);
  EXPECT_NE(text.find("Operation is working on an unsupported data type"), std::string::npos);
}

}  // namespace
}  // namespace cae::edgetpu
