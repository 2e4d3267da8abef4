// TFLite op-version rules on small synthetic graphs (the fixtures cover the common cases).
#include "tflite/op_version.h"

#include <gtest/gtest.h>

namespace cae {
namespace {

// One op whose inputs have the given types (-1: omitted), output of out_type; weights (input 1)
// get per-channel quantization when per_channel.
struct OneOp {
  Model m;
  OneOp(OpType type, std::vector<int> input_types, DType out_type, bool per_channel = false) {
    m.subgraphs.emplace_back();
    Graph& g = m.main();
    Op op;
    op.type = type;
    for (size_t i = 0; i < input_types.size(); ++i) {
      if (input_types[i] < 0) {
        op.inputs.push_back(-1);
        continue;
      }
      Tensor t;
      t.type = static_cast<DType>(input_types[i]);
      t.shape = {2, 3, 3, 2};
      if (IsQuantizedType(t.type)) {
        t.quant.scale = {0.5f};
        t.quant.zero_point = {0};
      }
      if (per_channel && i == 1) {
        t.quant.scale = {0.1f, 0.2f};
        t.quant.zero_point = {0, 0};
      }
      op.inputs.push_back(g.AddTensor(t));
    }
    Tensor out;
    out.type = out_type;
    out.shape = {2, 3, 3, 2};
    if (IsQuantizedType(out_type)) {
      out.quant.scale = {0.5f};
      out.quant.zero_point = {0};
    }
    op.outputs = {g.AddTensor(out)};
    g.AddOp(op);
  }
  Op& op() { return m.main().ops[0]; }
  int version() { return TfliteOpVersion(m.main(), 0); }
};

constexpr int F32 = static_cast<int>(DType::kFloat32);
constexpr int I8 = static_cast<int>(DType::kInt8);
constexpr int U8 = static_cast<int>(DType::kUInt8);
constexpr int I16 = static_cast<int>(DType::kInt16);
constexpr int I32 = static_cast<int>(DType::kInt32);
constexpr int F16 = static_cast<int>(DType::kFloat16);

TEST(TfliteOpVersion, Convolutions) {
  EXPECT_EQ(OneOp(OpType::CONV_2D, {F32, F32, F32}, DType::kFloat32).version(), 1);
  EXPECT_EQ(OneOp(OpType::CONV_2D, {I8, I8, I32}, DType::kInt8).version(), 3);
  EXPECT_EQ(OneOp(OpType::CONV_2D, {F32, I8, F32}, DType::kFloat32).version(), 2);
  EXPECT_EQ(OneOp(OpType::CONV_2D, {F32, I8, F32}, DType::kFloat32, true).version(), 5);
  EXPECT_EQ(OneOp(OpType::DEPTHWISE_CONV_2D, {F32, I8, F32}, DType::kFloat32, true).version(), 6);
  EXPECT_EQ(OneOp(OpType::DEPTHWISE_CONV_2D, {F32, I8, F32}, DType::kFloat32).version(), 4);
  OneOp dilated(OpType::DEPTHWISE_CONV_2D, {U8, U8, I32}, DType::kUInt8);
  dilated.op().options.dilation_h = 2;
  EXPECT_EQ(dilated.version(), 2);
  EXPECT_EQ(OneOp(OpType::TRANSPOSE_CONV, {I32, I8, I8, -1}, DType::kInt8).version(), 2);
  EXPECT_EQ(OneOp(OpType::TRANSPOSE_CONV, {I32, I8, I8, I32}, DType::kInt8).version(), 3);
  OneOp fused(OpType::TRANSPOSE_CONV, {I32, F32, F32}, DType::kFloat32);
  fused.op().options.activation = Activation::kRelu;
  EXPECT_EQ(fused.version(), 4);
}

TEST(TfliteOpVersion, FullyConnected) {
  EXPECT_EQ(OneOp(OpType::FULLY_CONNECTED, {F32, F32, F32}, DType::kFloat32).version(), 1);
  EXPECT_EQ(OneOp(OpType::FULLY_CONNECTED, {F32, F32}, DType::kFloat32).version(), 6);
  EXPECT_EQ(OneOp(OpType::FULLY_CONNECTED, {I8, I8, I32}, DType::kInt8).version(), 4);
  EXPECT_EQ(OneOp(OpType::FULLY_CONNECTED, {F32, I8, F32}, DType::kFloat32).version(), 3);
  OneOp asym(OpType::FULLY_CONNECTED, {F32, I8, F32}, DType::kFloat32);
  asym.op().options.asymmetric_quantize_inputs = true;
  EXPECT_EQ(asym.version(), 9);
  OneOp keep(OpType::FULLY_CONNECTED, {U8, U8, I32}, DType::kUInt8);
  keep.op().options.keep_num_dims = true;
  EXPECT_EQ(keep.version(), 5);
}

TEST(TfliteOpVersion, ElementwiseAndShapes) {
  EXPECT_EQ(OneOp(OpType::ADD, {I8, I8}, DType::kInt8).version(), 2);
  EXPECT_EQ(OneOp(OpType::ADD, {U8, U8}, DType::kUInt8).version(), 1);
  OneOp add16(OpType::ADD, {I16, I16}, DType::kInt16);
  add16.op().options.pot_scale_int16 = false;
  EXPECT_EQ(add16.version(), 3);
  EXPECT_EQ(OneOp(OpType::SUB, {I8, I8}, DType::kInt8).version(), 2);
  // MUL: input1_scale * input2_scale / output_scale = 0.5 * 0.5 / 0.5 < 1 -> int8 rule.
  EXPECT_EQ(OneOp(OpType::MUL, {I8, I8}, DType::kInt8).version(), 2);
  OneOp mul(OpType::MUL, {U8, U8}, DType::kUInt8);
  mul.m.main().tensors[mul.op().outputs[0]].quant.scale = {0.125f};  // 0.25 / 0.125 >= 1
  EXPECT_EQ(mul.version(), 3);
  EXPECT_EQ(OneOp(OpType::LOGISTIC, {I16}, DType::kInt16).version(), 3);
  EXPECT_EQ(OneOp(OpType::TANH, {I8}, DType::kInt8).version(), 2);
  EXPECT_EQ(OneOp(OpType::LEAKY_RELU, {I16}, DType::kInt16).version(), 2);
  EXPECT_EQ(OneOp(OpType::RELU, {U8}, DType::kUInt8).version(), 2);
  EXPECT_EQ(OneOp(OpType::RELU6, {I8}, DType::kInt8).version(), 2);
  EXPECT_EQ(OneOp(OpType::HARD_SWISH, {I8}, DType::kInt8).version(), 1);
  EXPECT_EQ(OneOp(OpType::SOFTMAX, {I16}, DType::kInt16).version(), 3);
  EXPECT_EQ(OneOp(OpType::CONCATENATION, {I8, I8}, DType::kInt8).version(), 2);
  EXPECT_EQ(OneOp(OpType::SPLIT, {I32, I8}, DType::kInt8).version(), 2);
  EXPECT_EQ(OneOp(OpType::TILE, {I8, I32}, DType::kInt8).version(), 3);
  EXPECT_EQ(OneOp(OpType::GELU, {U8}, DType::kUInt8).version(), 2);
  OneOp ss(OpType::STRIDED_SLICE, {F32, I32, I32, I32}, DType::kFloat32);
  ss.op().options.offset = true;
  EXPECT_EQ(ss.version(), 8);
  ss.op().options.offset = false;
  ss.op().options.new_axis_mask = 1;
  EXPECT_EQ(ss.version(), 6);
  OneOp rn(OpType::RESIZE_NEAREST_NEIGHBOR, {I8, I32}, DType::kInt8);
  EXPECT_EQ(rn.version(), 2);
  rn.op().options.align_corners = true;
  EXPECT_EQ(rn.version(), 3);
}

TEST(TfliteOpVersion, QuantizeDequantize) {
  EXPECT_EQ(OneOp(OpType::DEQUANTIZE, {F16}, DType::kFloat32).version(), 3);
  EXPECT_EQ(OneOp(OpType::DEQUANTIZE, {I8}, DType::kFloat32).version(), 2);
  EXPECT_EQ(OneOp(OpType::DEQUANTIZE, {U8}, DType::kFloat32).version(), 1);
  EXPECT_EQ(OneOp(OpType::QUANTIZE, {F32}, DType::kInt16).version(), 2);
  EXPECT_EQ(OneOp(OpType::QUANTIZE, {F32}, DType::kInt8).version(), 1);
}

TEST(TfliteOpVersion, AssignSkipsCustomOpsAndSetsMinRuntime) {
  OneOp custom(OpType::CUSTOM, {F32}, DType::kFloat32);
  custom.op().custom_code = "edgetpu-custom-op";
  custom.op().version = 7;
  AssignOpVersions(custom.m);
  EXPECT_EQ(custom.op().version, 7);
  EXPECT_EQ(MinRuntimeVersion(custom.m), "");

  OneOp conv(OpType::CONV_2D, {F32, I8, F32}, DType::kFloat32, true);
  AssignOpVersions(conv.m);
  EXPECT_EQ(conv.op().version, 5);
  EXPECT_EQ(MinRuntimeVersion(conv.m), "2.4.0");
}

}  // namespace
}  // namespace cae
