// int8 conversions with integer IO are what the Edge TPU compiler needs (../shared/reference/
// EDGETPU.md): only listed ops in supported forms, only 8-bit activations, batch 1, static shapes.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "quant/convert.h"
#include "quant/fixture_models.h"

namespace cae::quant {
namespace {

using namespace cae::quanttest;

const std::set<OpType>& EdgeTpuOps() {
  static const std::set<OpType> ops = {
      OpType::ADD, OpType::AVERAGE_POOL_2D, OpType::MAX_POOL_2D, OpType::CONCATENATION, OpType::CONV_2D,
      OpType::DEPTHWISE_CONV_2D, OpType::EXPAND_DIMS, OpType::FULLY_CONNECTED, OpType::L2_NORMALIZATION,
      OpType::LOGISTIC, OpType::MAXIMUM, OpType::MINIMUM, OpType::MEAN, OpType::MUL, OpType::PACK,
      OpType::PAD, OpType::PRELU, OpType::QUANTIZE, OpType::REDUCE_MAX, OpType::REDUCE_MIN, OpType::RELU,
      OpType::RELU6, OpType::RELU_N1_TO_1, OpType::RESHAPE, OpType::RESIZE_BILINEAR,
      OpType::RESIZE_NEAREST_NEIGHBOR, OpType::SLICE, OpType::SOFTMAX, OpType::SPACE_TO_DEPTH,
      OpType::SPLIT, OpType::SQUEEZE, OpType::STRIDED_SLICE, OpType::SUB, OpType::SUM, OpType::TANH,
      OpType::TRANSPOSE, OpType::TRANSPOSE_CONV};
  return ops;
}

bool Is8Bit(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

void ExpectEdgeTpuReady(const Model& m, const std::string& what) {
  const Graph& g = m.main();
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    const std::string who = what + " " + DescribeOp(g, static_cast<int>(i));
    EXPECT_TRUE(EdgeTpuOps().count(op.type)) << who << ": not on the Edge TPU op list";
    if (op.type == OpType::QUANTIZE) {
      EXPECT_TRUE(Is8Bit(g.tensors[op.inputs[0]].type)) << who << ": float QUANTIZE stays on the CPU";
    }
    if (op.type == OpType::MAX_POOL_2D || op.type == OpType::AVERAGE_POOL_2D || op.type == OpType::CONCATENATION) {
      EXPECT_EQ(op.options.activation, Activation::kNone) << who << ": fused activation not mapped";
    }
    if (op.type == OpType::CONV_2D || op.type == OpType::DEPTHWISE_CONV_2D) {
      EXPECT_EQ(op.options.dilation_w, op.options.dilation_h) << who;
    }
    if (op.type == OpType::FULLY_CONNECTED) {
      EXPECT_EQ(op.options.weights_format, 0) << who;
    }
    for (int t : op.outputs) EXPECT_TRUE(Is8Bit(g.tensors[t].type)) << who << ": output not 8-bit";
    for (int t : op.inputs) {
      if (t < 0) continue;
      const Tensor& x = g.tensors[t];
      if (x.is_constant()) {
        EXPECT_TRUE(Is8Bit(x.type) || x.type == DType::kInt32) << who << ": constant " << x.name << " is "
                                                               << DTypeName(x.type);
      } else {
        EXPECT_TRUE(Is8Bit(x.type)) << who << ": input " << x.name << " is " << DTypeName(x.type);
      }
    }
  }
  for (const Tensor& t : g.tensors) {
    if (t.is_constant()) continue;
    ASSERT_FALSE(t.shape.empty()) << what << " " << t.name;
    EXPECT_EQ(t.shape[0], 1) << what << " " << t.name << ": batch must be 1";
    for (int32_t d : t.shape_signature) EXPECT_GE(d, 0) << what << " " << t.name << ": dynamic shape";
    const auto big = std::count_if(t.shape.begin(), t.shape.end(), [](int32_t d) { return d > 1; });
    EXPECT_LE(big, 3) << what << " " << t.name << ": more than 3 dims larger than 1";
  }
  for (int t : g.inputs) EXPECT_TRUE(Is8Bit(g.tensors[t].type)) << what << ": float input";
  for (int t : g.outputs) EXPECT_TRUE(Is8Bit(g.tensors[t].type)) << what << ": float output";
}

TEST(EdgeTpuReady, IntegerIoModelsUseOnlyMappableOpsHeavy) {
  for (const FixtureModel& fm : FixtureModels()) {
    const std::string path = testing::SharedPath(fm.keras);
    const std::string data_path = fm.fashion ? kFashionMnistTrainImages : MnistTestImages();
    if (!testing::FileExists(path) || !testing::FileExists(data_path)) continue;
    const Model keras = LoadKeras(path);
    const TensorData calib = Images(data_path, 0, 10);
    for (IoType io : {IoType::kInt8, IoType::kUInt8}) {
      ConvertOptions o;
      o.quant = QuantMode::kInt8;
      o.io = io;
      const Model m = ConvertModel(keras, o, &calib);
      ExpectEdgeTpuReady(m, std::string(fm.name) + " io " + IoTypeName(io));
    }
  }
}

TEST(EdgeTpuReady, FloatIoModelIsNotReady) {
  // The check above can fail: a float-IO int8 model has float edges.
  const std::string path = testing::SharedPath(FixtureModels()[0].keras);
  CAE_REQUIRE_FILE(path);
  CAE_REQUIRE_FILE(MnistTestImages());
  const Model keras = LoadKeras(path);
  const TensorData calib = Images(MnistTestImages(), 0, 4);
  ConvertOptions o;
  o.quant = QuantMode::kInt8;
  const Model m = ConvertModel(keras, o, &calib);
  const Graph& g = m.main();
  EXPECT_EQ(g.tensors[g.inputs[0]].type, DType::kFloat32);
  EXPECT_EQ(g.ops.front().type, OpType::QUANTIZE);
  EXPECT_EQ(g.ops.back().type, OpType::DEQUANTIZE);
}

}  // namespace
}  // namespace cae::quant
