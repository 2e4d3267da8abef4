// Single-op quantized models built in code, written as .tflite, and run both in our interpreter
// (reference kernels) and in TFLite's builtin kernels (oracle --no-xnnpack) on the same random
// input bytes: the outputs must be byte-identical. Covers the ops and paths the coral models do
// not (int8 per-channel transpose conv, FC, pooling, resizes, element-wise and activations, ...).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "graph/error.h"
#include "kernels/quant_oracle_util.h"
#include "tflite/op_version.h"

namespace cae::testing {
namespace {

// Builds a one-op model step by step.
class OpBuilder {
 public:
  explicit OpBuilder(OpType type) {
    model_.subgraphs.resize(1);
    op_.type = type;
  }
  // A graph input (activation).
  int Input(DType t, std::vector<int32_t> shape, float scale = 0, int64_t zp = 0) {
    const int i = Add(t, std::move(shape), scale, zp);
    g().inputs.push_back(i);
    op_.inputs.push_back(i);
    return i;
  }
  // A constant with random bytes (quantized weights) or given bytes.
  int Const(DType t, std::vector<int32_t> shape, std::vector<float> scales = {},
            std::vector<int64_t> zps = {}, int32_t qdim = 0, std::vector<uint8_t> bytes = {}) {
    Tensor x;
    x.name = "c" + std::to_string(g().tensors.size());
    x.type = t;
    x.shape = std::move(shape);
    x.quant.scale = std::move(scales);
    x.quant.zero_point = std::move(zps);
    if (!x.quant.scale.empty() && x.quant.zero_point.empty()) {
      x.quant.zero_point.assign(x.quant.scale.size(), 0);
    }
    x.quant.quantized_dimension = qdim;
    const size_t n = static_cast<size_t>(NumBytes(x.shape, DTypeSize(t)));
    if (bytes.empty()) {
      bytes.resize(n);
      for (auto& b : bytes) b = static_cast<uint8_t>(rng_() & 0xFF);
      if (t == DType::kInt8) {  // weights are symmetric: -127..127
        for (auto& b : bytes) if (b == 0x80) b = 0x81;
      }
    }
    x.data = std::move(bytes);
    const int i = g().AddTensor(std::move(x));
    op_.inputs.push_back(i);
    return i;
  }
  int Int32Const(std::vector<int32_t> shape, const std::vector<int32_t>& v) {
    std::vector<uint8_t> bytes(v.size() * 4);
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return Const(DType::kInt32, std::move(shape), {}, {}, 0, std::move(bytes));
  }
  // Random int32 bias in [-r, r].
  int Bias(int n, float scale, int32_t r = 2000) {
    std::vector<int32_t> v(static_cast<size_t>(n));
    for (auto& x : v) x = static_cast<int32_t>(rng_() % (2 * r + 1)) - r;
    std::vector<uint8_t> bytes(v.size() * 4);
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return Const(DType::kInt32, {n}, {scale}, {0}, 0, std::move(bytes));
  }
  void Skip() { op_.inputs.push_back(-1); }
  int Output(DType t, std::vector<int32_t> shape, float scale = 0, int64_t zp = 0) {
    const int i = Add(t, std::move(shape), scale, zp);
    g().outputs.push_back(i);
    op_.outputs.push_back(i);
    return i;
  }
  OpOptions& options() { return op_.options; }
  Model Build() {
    g().ops.push_back(op_);
    AssignOpVersions(model_);
    return model_;
  }

 private:
  Graph& g() { return model_.subgraphs[0]; }
  int Add(DType t, std::vector<int32_t> shape, float scale, int64_t zp) {
    Tensor x;
    x.name = "t" + std::to_string(g().tensors.size());
    x.type = t;
    x.shape = std::move(shape);
    if (scale > 0) {
      x.quant.scale = {scale};
      x.quant.zero_point = {zp};
    }
    return g().AddTensor(std::move(x));
  }
  Model model_;
  Op op_;
  std::mt19937 rng_{1234};
};

void ExpectMatchesOracle(const Model& model, std::vector<uint32_t> seeds = {1, 2}) {
  for (uint32_t seed : seeds) {
    const std::vector<TensorData> in = RandomInputs(model, seed);
    const std::vector<TensorData> ours = RunOurs(model, in);
    TempDir dir;
    WriteTflite(model, dir.File("op.tflite"));
    const OracleRun run = RunOracle(dir.File("op.tflite"), WriteInputs(dir, in));
    ASSERT_EQ(run.exit_code, 0) << run.json.substr(0, 600);
    ASSERT_EQ(run.outputs.size(), ours.size());
    for (size_t i = 0; i < ours.size(); ++i) {
      const ByteDiff d = CompareRaw(ours[i].type, ours[i].bytes, run.outputs[i]);
      EXPECT_EQ(d.count, 0) << "seed " << seed << " output " << i << ": " << d.count << " of "
                            << d.elements << " differ (max " << d.max_abs << ")";
    }
  }
}

// Float outputs: the largest |ours - theirs| relative to the largest |theirs|.
void ExpectFloatCloseToOracle(const Model& model, double tolerance, uint32_t seed = 1) {
  const std::vector<TensorData> in = RandomInputs(model, seed);
  const std::vector<TensorData> ours = RunOurs(model, in);
  TempDir dir;
  WriteTflite(model, dir.File("op.tflite"));
  const OracleRun run = RunOracle(dir.File("op.tflite"), WriteInputs(dir, in));
  ASSERT_EQ(run.exit_code, 0) << run.json.substr(0, 600);
  ASSERT_EQ(run.outputs.size(), ours.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    ASSERT_EQ(ours[i].bytes.size(), run.outputs[i].size());
    const float* a = ours[i].as<float>();
    const float* b = reinterpret_cast<const float*>(run.outputs[i].data());
    double worst = 0, scale = 0;
    for (int64_t k = 0; k < ours[i].num_elements(); ++k) {
      worst = std::max(worst, std::fabs(double(a[k]) - double(b[k])));
      scale = std::max(scale, std::fabs(double(b[k])));
    }
    EXPECT_LE(worst, tolerance * std::max(scale, 1e-6)) << "output " << i << ": max difference "
                                                        << worst << ", scale " << scale;
  }
}

std::vector<uint8_t> FloatBytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

constexpr DType kI8 = DType::kInt8;
constexpr DType kU8 = DType::kUInt8;

TEST(QuantOps, Conv2DInt8PerChannelStrideDilationRelu6) {
  CAE_REQUIRE_ORACLE();
  OpBuilder b(OpType::CONV_2D);
  b.Input(kI8, {1, 9, 11, 5}, 0.05f, -3);
  b.Const(kI8, {6, 3, 3, 5}, {0.01f, 0.02f, 0.005f, 0.03f, 0.015f, 0.008f}, {}, 0);
  b.Bias(6, 0.05f * 0.01f);
  b.Output(kI8, {1, 5, 6, 6}, 0.08f, 5);
  b.options().stride_h = b.options().stride_w = 2;
  b.options().activation = Activation::kRelu6;
  ExpectMatchesOracle(b.Build());
}

TEST(QuantOps, Conv2DUint8ValidDilated) {
  CAE_REQUIRE_ORACLE();
  OpBuilder b(OpType::CONV_2D);
  b.Input(kU8, {1, 10, 10, 3}, 0.02f, 120);
  b.Const(kU8, {4, 3, 3, 3}, {0.01f}, {130});
  b.Bias(4, 0.02f * 0.01f);
  b.Output(kU8, {1, 6, 6, 4}, 0.1f, 100);
  b.options().padding = Padding::kValid;
  b.options().dilation_h = b.options().dilation_w = 2;
  ExpectMatchesOracle(b.Build());
}

// A dilation so large that SAME padding spans gigabytes (or overflows int32) is refused at
// Prepare with one error naming the op, by the reference and the fast kernels alike, int8 and
// float (the fast int8 conv used to ask for a 60 GB padded image; the int32 padding and tap
// arithmetic overflowed).
TEST(QuantOps, ConvHugeDilationIsRefusedNamingTheOp) {
  for (const DType dtype : {kI8, DType::kFloat32}) {
    const bool q = dtype == kI8;
    for (const OpType type : {OpType::CONV_2D, OpType::DEPTHWISE_CONV_2D}) {
      for (const int32_t dilation : {1000000000, 2000000000}) {
        OpBuilder b(type);
        b.Input(dtype, {1, 28, 28, 4}, q ? 0.05f : 0.0f, q ? -3 : 0);
        const std::vector<int32_t> filter = type == OpType::CONV_2D
                                                ? std::vector<int32_t>{4, 3, 3, 4}
                                                : std::vector<int32_t>{1, 3, 3, 4};
        if (q) {
          b.Const(kI8, filter, {0.01f});
          b.Bias(4, 0.05f * 0.01f);
        } else {
          b.Const(DType::kFloat32, filter, {}, {}, 0,
                  FloatBytes(std::vector<float>(static_cast<size_t>(NumElements(filter)), 0.1f)));
          b.Const(DType::kFloat32, {4}, {}, {}, 0, FloatBytes({0, 0, 0, 0}));
        }
        b.Output(dtype, {1, 28, 28, 4}, q ? 0.08f : 0.0f, q ? 5 : 0);
        b.options().dilation_h = dilation;
        const Model m = b.Build();
        for (const bool reference : {true, false}) {
          InterpreterOptions io;
          io.reference_kernels = reference;
          io.threads = 1;
          const std::string what = StrCat(DTypeName(dtype), " ", OpTypeName(type), " dilation ",
                                           dilation, reference ? " (ref)" : " (fast)");
          try {
            Interpreter interp(m, io);
            interp.Run({TensorData(dtype, {1, 28, 28, 4})});
            ADD_FAILURE() << what << " ran";
          } catch (const Error& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find(OpTypeName(type)), std::string::npos) << what << ": " << msg;
            EXPECT_NE(msg.find("dilation " + std::to_string(dilation)), std::string::npos)
                << what << ": " << msg;
          }
        }
      }
    }
  }
}

TEST(QuantOps, DepthwiseInt8MultiplierDilation) {
  CAE_REQUIRE_ORACLE();
  OpBuilder b(OpType::DEPTHWISE_CONV_2D);
  b.Input(kI8, {1, 8, 8, 3}, 0.05f, 2);
  b.Const(kI8, {1, 3, 3, 6}, {0.01f, 0.02f, 0.03f, 0.01f, 0.02f, 0.03f}, {}, 3);
  b.Bias(6, 0.05f * 0.01f);
  b.Output(kI8, {1, 8, 8, 6}, 0.05f, -4);
  b.options().depth_multiplier = 2;
  b.options().dilation_h = b.options().dilation_w = 2;
  b.options().activation = Activation::kRelu;
  ExpectMatchesOracle(b.Build());
}

TEST(QuantOps, TransposeConvInt8WithAndWithoutBias) {
  CAE_REQUIRE_ORACLE();
  for (bool bias : {true, false}) {
    OpBuilder b(OpType::TRANSPOSE_CONV);
    // Large enough (25600 outputs) that a different rounding of the requantization shows.
    std::vector<float> scales(16);
    for (size_t i = 0; i < scales.size(); ++i) scales[i] = 0.002f + 0.0007f * float(i % 5);
    b.Int32Const({4}, {1, 40, 40, 16});
    b.Const(kI8, {16, 3, 3, 8}, scales, {}, 0);
    b.Input(kI8, {1, 20, 20, 8}, 0.05f, 1);
    if (bias) {
      b.Bias(16, 0.05f * 0.002f);
    } else {
      b.Skip();
    }
    b.Output(kI8, {1, 40, 40, 16}, 0.05f, -2);
    b.options().stride_h = b.options().stride_w = 2;
    ExpectMatchesOracle(b.Build());
  }
}

TEST(QuantOps, TransposeConvUint8Valid) {
  CAE_REQUIRE_ORACLE();
  OpBuilder b(OpType::TRANSPOSE_CONV);
  b.Int32Const({4}, {1, 11, 11, 2});
  b.Const(kU8, {2, 3, 3, 3}, {0.01f}, {128});
  b.Input(kU8, {1, 5, 5, 3}, 0.05f, 128);
  b.Output(kU8, {1, 11, 11, 2}, 0.2f, 128);
  b.options().padding = Padding::kValid;
  b.options().stride_h = b.options().stride_w = 2;
  ExpectMatchesOracle(b.Build());
}

TEST(QuantOps, FullyConnectedInt8AndUint8) {
  CAE_REQUIRE_ORACLE();
  {
    OpBuilder b(OpType::FULLY_CONNECTED);
    b.Input(kI8, {64, 40}, 0.05f, -5);
    b.Const(kI8, {256, 40}, {0.01f});
    b.Bias(256, 0.05f * 0.01f);
    b.Output(kI8, {64, 256}, 0.1f, 3);
    b.options().activation = Activation::kRelu;
    ExpectMatchesOracle(b.Build());
  }
  {
    OpBuilder b(OpType::FULLY_CONNECTED);
    b.Input(kU8, {8, 32}, 0.05f, 128);
    b.Const(kU8, {50, 32}, {0.01f}, {120});
    b.Bias(50, 0.05f * 0.01f);
    b.Output(kU8, {8, 50}, 0.1f, 128);
    ExpectMatchesOracle(b.Build());
  }
}

TEST(QuantOps, FullyConnectedInt8PerChannel) {
  CAE_REQUIRE_ORACLE();
  // 64 x 256 outputs: enough for rounding differences to show.
  std::vector<float> scales(256);
  for (size_t i = 0; i < scales.size(); ++i) scales[i] = 0.004f + 0.0005f * float(i % 11);
  OpBuilder b(OpType::FULLY_CONNECTED);
  b.Input(kI8, {64, 40}, 0.05f, -5);
  b.Const(kI8, {256, 40}, scales, {}, 0);
  b.Skip();
  b.Output(kI8, {64, 256}, 0.1f, 3);
  ExpectMatchesOracle(b.Build());
}

TEST(QuantOps, PoolsInt8) {
  CAE_REQUIRE_ORACLE();
  for (OpType t : {OpType::MAX_POOL_2D, OpType::AVERAGE_POOL_2D}) {
    OpBuilder b(t);
    b.Input(kI8, {1, 39, 39, 16}, 0.05f, -3);
    b.Output(kI8, {1, 20, 20, 16}, 0.05f, -3);
    b.options().filter_h = b.options().filter_w = 3;
    b.options().stride_h = b.options().stride_w = 2;
    b.options().activation = Activation::kRelu6;
    ExpectMatchesOracle(b.Build());
  }
}

TEST(QuantOps, ResizeInt8AndUint8) {
  CAE_REQUIRE_ORACLE();
  for (OpType t : {OpType::RESIZE_NEAREST_NEIGHBOR, OpType::RESIZE_BILINEAR}) {
    for (DType dt : {kI8, kU8}) {
      for (int mode = 0; mode < 3; ++mode) {
        OpBuilder b(t);
        b.Input(dt, {1, 10, 14, 8}, 0.05f, dt == kI8 ? 2 : 128);
        b.Int32Const({2}, {27, 19});
        b.Output(dt, {1, 27, 19, 8}, 0.05f, dt == kI8 ? 2 : 128);
        b.options().align_corners = mode == 1;
        b.options().half_pixel_centers = mode == 2;
        SCOPED_TRACE(OpTypeName(t) + " " + std::string(DTypeName(dt)) + " mode " +
                     std::to_string(mode));
        ExpectMatchesOracle(b.Build(), {1});
      }
    }
  }
}

TEST(QuantOps, AddSubMulInt8Broadcast) {
  CAE_REQUIRE_ORACLE();
  for (OpType t : {OpType::ADD, OpType::SUB, OpType::MUL}) {
    for (DType dt : {kI8, kU8}) {
      OpBuilder b(t);
      const int64_t z = dt == kI8 ? 0 : 128;
      b.Input(dt, {2, 40, 25, 8}, 0.05f, z + 3);
      b.Input(dt, {2, 1, 25, 1}, 0.03f, z - 7);
      b.Output(dt, {2, 40, 25, 8}, 0.06f, z + 1);
      b.options().activation = Activation::kNone;
      SCOPED_TRACE(OpTypeName(t) + " " + std::string(DTypeName(dt)));
      ExpectMatchesOracle(b.Build());
    }
  }
}

TEST(QuantOps, MaximumMinimumInt8) {
  CAE_REQUIRE_ORACLE();
  for (OpType t : {OpType::MAXIMUM, OpType::MINIMUM}) {
    OpBuilder b(t);
    b.Input(kI8, {2, 30, 40}, 0.05f, 1);
    b.Input(kI8, {2, 30, 40}, 0.05f, 1);
    b.Output(kI8, {2, 30, 40}, 0.05f, 1);
    ExpectMatchesOracle(b.Build());
  }
}

TEST(QuantOps, ActivationsInt8AndUint8) {
  CAE_REQUIRE_ORACLE();
  struct Case {
    OpType t;
    float out_scale;
    int64_t out_zp;
  };
  for (DType dt : {kI8, kU8}) {
    const int64_t z = dt == kI8 ? 0 : 128;
    for (const Case& c : {Case{OpType::LOGISTIC, 1.0f / 256, dt == kI8 ? -128 : 0},
                          Case{OpType::TANH, 1.0f / 128, z}, Case{OpType::RELU, 0.04f, z - 100},
                          Case{OpType::RELU6, 0.03f, z - 120},
                          Case{OpType::LEAKY_RELU, 0.05f, z + 10},
                          Case{OpType::HARD_SWISH, 0.07f, z - 20}}) {
      OpBuilder b(c.t);
      b.Input(dt, {4, 32, 32}, 0.06f, z + 5);
      b.Output(dt, {4, 32, 32}, c.out_scale, c.out_zp);
      b.options().alpha = 0.2f;
      SCOPED_TRACE(OpTypeName(c.t) + " " + std::string(DTypeName(dt)));
      ExpectMatchesOracle(b.Build(), {1});
    }
  }
}

TEST(QuantOps, PreluInt8) {
  CAE_REQUIRE_ORACLE();
  OpBuilder b(OpType::PRELU);
  b.Input(kI8, {1, 16, 16, 3}, 0.05f, 4);
  b.Const(kI8, {1, 1, 3}, {0.01f}, {0});
  b.Output(kI8, {1, 16, 16, 3}, 0.04f, -2);
  ExpectMatchesOracle(b.Build());
}

TEST(QuantOps, SoftmaxInt8AndUint8) {
  CAE_REQUIRE_ORACLE();
  for (DType dt : {kI8, kU8}) {
    OpBuilder b(OpType::SOFTMAX);
    b.Input(dt, {3, 10}, 0.1f, dt == kI8 ? 0 : 128);
    b.Output(dt, {3, 10}, 1.0f / 256, dt == kI8 ? -128 : 0);
    b.options().beta = 1.0f;
    ExpectMatchesOracle(b.Build());
  }
}

TEST(QuantOps, ConcatenationRequantizesUint8) {
  CAE_REQUIRE_ORACLE();
  OpBuilder b(OpType::CONCATENATION);
  b.Input(kU8, {1, 30, 30, 2}, 0.05f, 128);
  b.Input(kU8, {1, 30, 30, 4}, 0.02f, 100);
  b.Output(kU8, {1, 30, 30, 6}, 0.04f, 120);
  b.options().axis = 3;
  ExpectMatchesOracle(b.Build());
}

TEST(QuantOps, PadTileSplitReshapeInt8) {
  CAE_REQUIRE_ORACLE();
  {
    OpBuilder b(OpType::PAD);
    b.Input(kI8, {1, 3, 4, 2}, 0.05f, -7);
    b.Int32Const({4, 2}, {0, 0, 1, 2, 2, 1, 0, 0});
    b.Output(kI8, {1, 6, 7, 2}, 0.05f, -7);
    ExpectMatchesOracle(b.Build(), {1});
  }
  {
    OpBuilder b(OpType::TILE);
    b.Input(kI8, {1, 2, 3}, 0.05f, 0);
    b.Int32Const({3}, {2, 1, 3});
    b.Output(kI8, {2, 2, 9}, 0.05f, 0);
    ExpectMatchesOracle(b.Build(), {1});
  }
  {
    OpBuilder b(OpType::SPLIT);
    b.Int32Const({}, {2});
    b.Input(kI8, {2, 3, 6}, 0.05f, 0);
    b.Output(kI8, {2, 3, 2}, 0.05f, 0);
    b.Output(kI8, {2, 3, 2}, 0.05f, 0);
    b.Output(kI8, {2, 3, 2}, 0.05f, 0);
    b.options().num_splits = 3;
    ExpectMatchesOracle(b.Build(), {1});
  }
}

TEST(QuantOps, MeanAndSumPaths) {
  CAE_REQUIRE_ORACLE();
  struct Case {
    OpType t;
    bool keep;
    std::vector<int32_t> axes, out_shape;
    float out_scale;
    int64_t out_zp;
  };
  for (DType dt : {kI8, kU8}) {
    const int64_t z = dt == kI8 ? 0 : 128;
    for (const Case& c : {Case{OpType::MEAN, true, {1, 2}, {1, 1, 1, 5}, 0.03f, z + 4},
                          Case{OpType::MEAN, false, {1, 2}, {1, 5}, 0.03f, z + 4},
                          Case{OpType::MEAN, false, {3}, {1, 4, 6}, 0.05f, z - 3}}) {
      OpBuilder b(c.t);
      b.Input(dt, {1, 4, 6, 5}, 0.05f, z - 3);
      b.Int32Const({static_cast<int32_t>(c.axes.size())}, c.axes);
      b.Output(dt, c.out_shape, c.out_scale, c.out_zp);
      b.options().keep_dims = c.keep;
      SCOPED_TRACE(OpTypeName(c.t) + " " + std::string(DTypeName(dt)) + " keep " +
                   std::to_string(c.keep) + " out " + ShapeToString(c.out_shape));
      ExpectMatchesOracle(b.Build(), {1});
    }
  }
}

// SUM and MEAN whose output quantization differs from the input's, on many outputs (rounding
// ties are frequent): SUM rounds once (like ruy), MEAN twice.
TEST(QuantOps, SumAndMeanRescaledManyOutputs) {
  CAE_REQUIRE_ORACLE();
  for (OpType t : {OpType::SUM, OpType::MEAN}) {
    for (DType dt : {kI8, kU8}) {
      const int64_t z = dt == kI8 ? 0 : 128;
      OpBuilder b(t);
      b.Input(dt, {2, 30, 7, 20}, 0.05f, z - 3);
      b.Int32Const({1}, {2});
      b.Output(dt, {2, 30, 20}, t == OpType::SUM ? 0.3f : 0.04f, z + 2);
      SCOPED_TRACE(OpTypeName(t) + " " + std::string(DTypeName(dt)));
      ExpectMatchesOracle(b.Build());
    }
  }
}

TEST(QuantOps, MeanSameQuantizationManyOutputs) {
  CAE_REQUIRE_ORACLE();
  for (DType dt : {kI8, kU8}) {
    const int64_t z = dt == kI8 ? -5 : 120;
    OpBuilder b(OpType::MEAN);
    b.Input(dt, {2, 30, 7, 20}, 0.05f, z);
    b.Int32Const({1}, {2});
    b.Output(dt, {2, 30, 20}, 0.05f, z);
    SCOPED_TRACE(DTypeName(dt));
    ExpectMatchesOracle(b.Build(), {1});
  }
}

// REDUCE_MAX / REDUCE_MIN (GlobalMax/MinPooling) on int8 and uint8 with the output's scale and
// zero point equal to the input's, as the converter writes them.
TEST(QuantOps, ReduceMaxAndMinSameQuantization) {
  CAE_REQUIRE_ORACLE();
  for (OpType t : {OpType::REDUCE_MAX, OpType::REDUCE_MIN}) {
    for (DType dt : {kI8, kU8}) {
      const int64_t z = dt == kI8 ? -7 : 121;
      OpBuilder b(t);
      b.Input(dt, {2, 5, 6, 7}, 0.04f, z);
      b.Int32Const({2}, {1, 2});
      b.Output(dt, {2, 7}, 0.04f, z);
      SCOPED_TRACE(OpTypeName(t) + " " + std::string(DTypeName(dt)));
      ExpectMatchesOracle(b.Build(), {1});
    }
  }
}

TEST(QuantOps, SumSameQuantization) {
  CAE_REQUIRE_ORACLE();
  OpBuilder b(OpType::SUM);
  b.Input(kI8, {1, 4, 6, 5}, 0.05f, 0);
  b.Int32Const({1}, {2});
  b.Output(kI8, {1, 4, 5}, 0.05f, 0);
  ExpectMatchesOracle(b.Build(), {1});
}

// Strided, and dilated (TFLite's hybrid CONV_2D honours dilation: a kernel that ignored it was
// off by up to 0.5 on a dilated Keras model).
TEST(QuantOps, HybridConvPerChannelAndPerTensor) {
  CAE_REQUIRE_ORACLE();
  for (bool per_channel : {true, false}) {
    for (bool dilated : {false, true}) {
      OpBuilder b(OpType::CONV_2D);
      b.Input(DType::kFloat32, {2, 7, 8, 3});
      b.Const(kI8, {4, 3, 3, 3},
              per_channel ? std::vector<float>{0.01f, 0.02f, 0.005f, 0.03f}
                          : std::vector<float>{0.01f},
              {}, 0);
      b.Const(DType::kFloat32, {4}, {}, {}, 0, FloatBytes({0.1f, -0.2f, 0.3f, 0.05f}));
      if (dilated) {
        b.Output(DType::kFloat32, {2, 7, 8, 4});
        b.options().dilation_h = 2;
        b.options().dilation_w = 3;
      } else {
        b.Output(DType::kFloat32, {2, 4, 4, 4});
        b.options().stride_h = b.options().stride_w = 2;
      }
      b.options().activation = Activation::kRelu;
      SCOPED_TRACE(std::string(per_channel ? "per-channel" : "per-tensor") +
                   (dilated ? " dilation 2x3" : " stride 2"));
      ExpectFloatCloseToOracle(b.Build(), 1e-6);
    }
  }
}

TEST(QuantOps, HybridDepthwise) {
  CAE_REQUIRE_ORACLE();
  OpBuilder b(OpType::DEPTHWISE_CONV_2D);
  b.Input(DType::kFloat32, {1, 6, 6, 2});
  b.Const(kI8, {1, 3, 3, 4}, {0.01f, 0.02f, 0.03f, 0.015f}, {}, 3);
  b.Const(DType::kFloat32, {4}, {}, {}, 0, FloatBytes({0.1f, -0.2f, 0.3f, 0.05f}));
  b.Output(DType::kFloat32, {1, 6, 6, 4});
  b.options().depth_multiplier = 2;
  ExpectFloatCloseToOracle(b.Build(), 1e-6);
}

TEST(QuantOps, HybridFullyConnectedSymmetricAndAsymmetric) {
  CAE_REQUIRE_ORACLE();
  for (bool asymmetric : {false, true}) {
    OpBuilder b(OpType::FULLY_CONNECTED);
    b.Input(DType::kFloat32, {3, 24});
    b.Const(kI8, {6, 24}, {0.02f});
    b.Const(DType::kFloat32, {6}, {}, {}, 0, FloatBytes({0.1f, -0.2f, 0.3f, 0.05f, 0, 1}));
    b.Output(DType::kFloat32, {3, 6});
    b.options().asymmetric_quantize_inputs = asymmetric;
    SCOPED_TRACE(asymmetric ? "asymmetric" : "symmetric");
    ExpectFloatCloseToOracle(b.Build(), 1e-6);
  }
}

TEST(QuantOps, Int16QuantizeDequantizeRequantize) {
  CAE_REQUIRE_ORACLE();
  {
    OpBuilder b(OpType::QUANTIZE);
    b.Input(DType::kFloat32, {3, 40});
    b.Output(DType::kInt16, {3, 40}, 1.0f / 20000, 0);
    ExpectMatchesOracle(b.Build());
  }
  {
    OpBuilder b(OpType::DEQUANTIZE);
    b.Input(DType::kInt16, {3, 40}, 1.0f / 3000, 0);
    b.Output(DType::kFloat32, {3, 40});
    ExpectMatchesOracle(b.Build());
  }
  {
    OpBuilder b(OpType::QUANTIZE);
    b.Input(DType::kInt16, {3, 40}, 1.0f / 3000, 0);
    b.Output(kI8, {3, 40}, 0.05f, 3);
    ExpectMatchesOracle(b.Build());
  }
}

TEST(QuantOps, QuantizeDequantizeArgMax) {
  CAE_REQUIRE_ORACLE();
  {
    OpBuilder b(OpType::QUANTIZE);
    b.Input(DType::kFloat32, {2, 50});
    b.Output(kI8, {2, 50}, 0.01f, -3);
    ExpectMatchesOracle(b.Build());
  }
  {
    OpBuilder b(OpType::QUANTIZE);
    b.Input(kU8, {2, 50}, 0.02f, 128);
    b.Output(kI8, {2, 50}, 0.015f, -5);
    ExpectMatchesOracle(b.Build());
  }
  {
    OpBuilder b(OpType::QUANTIZE);
    b.Input(kI8, {2, 50}, 0.02f, 3);
    b.Output(kI8, {2, 50}, 0.03f, -5);
    ExpectMatchesOracle(b.Build());
  }
  {
    OpBuilder b(OpType::DEQUANTIZE);
    b.Input(kI8, {2, 50}, 0.0123f, 3);
    b.Output(DType::kFloat32, {2, 50});
    ExpectMatchesOracle(b.Build());
  }
  {
    OpBuilder b(OpType::ARG_MAX);
    b.Input(kU8, {1, 6, 7, 9}, 0.1f, 0);
    b.Int32Const({1}, {3});
    b.Output(DType::kInt32, {1, 6, 7});
    b.options().output_type = DType::kInt32;
    ExpectMatchesOracle(b.Build());
  }
}

}  // namespace
}  // namespace cae::testing
