// Models built with the graph API, written by our writer and run by the real TFLite runtime:
// proves the writer's field ids, union codes and operator codes against values computed here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "tflite/op_version.h"
#include "tflite/reader.h"
#include "tflite/tflite_schema_generated.h"
#include "tflite/writer.h"
#include "tflite_test_util.h"

namespace cae {
namespace {

template <typename T>
std::vector<uint8_t> Bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<float> Floats(const std::vector<uint8_t>& b) {
  std::vector<float> v(b.size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), b.data(), v.size() * sizeof(float));
  return v;
}

int AddFloat(Graph& g, const std::string& name, std::vector<int32_t> shape,
             std::vector<float> data = {}) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.data = Bytes(data);
  return g.AddTensor(std::move(t));
}

int AddInt32(Graph& g, const std::string& name, std::vector<int32_t> data) {
  Tensor t;
  t.name = name;
  t.type = DType::kInt32;
  t.shape = {static_cast<int32_t>(data.size())};
  t.data = Bytes(data);
  return g.AddTensor(std::move(t));
}

// TFLite's nearest-neighbour source index (align_corners = false).
int Nearest(int dst, int in, int out, bool half_pixel) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const float offset = half_pixel ? 0.5f : 0.0f;
  int src = static_cast<int>(std::floor((static_cast<float>(dst) + offset) * scale));
  return std::max(0, std::min(src, in - 1));
}

// x [1,4,6,2] -> CONV_2D (3 filters 3x3, stride h1 w2, SAME, RELU) [1,4,3,3]
//   -> RESIZE_NEAREST_NEIGHBOR to 8x5 (half_pixel_centers) [1,8,5,3]
// x -> RESIZE_NEAREST_NEIGHBOR to 8x5 [1,8,5,2]
// CONCATENATION(axis 3) [1,8,5,5] -> LOGISTIC.
TEST(TfliteHandBuilt, ConvResizeConcatLogisticRunsInTheOracle) {
  constexpr int H = 4, W = 6, C = 2, F = 3, OH = 4, OW = 3, RH = 8, RW = 5;
  std::vector<float> x(H * W * C), w(F * 3 * 3 * C), b(F);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 2.0f * std::sin(0.37f * static_cast<float>(i));
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = 0.1f * static_cast<float>(static_cast<int>(i % 7) - 3);
  b = {0.25f, -0.5f, 0.125f};

  Model m;
  m.subgraphs.emplace_back();
  Graph& g = m.main();
  g.name = "main";
  const int tx = AddFloat(g, "x", {1, H, W, C});
  const int tw = AddFloat(g, "w", {F, 3, 3, C}, w);
  const int tb = AddFloat(g, "b", {F}, b);
  const int tc = AddFloat(g, "conv", {1, OH, OW, F});
  const int ts1 = AddInt32(g, "size1", {RH, RW});
  const int trc = AddFloat(g, "resize_conv", {1, RH, RW, F});
  const int ts2 = AddInt32(g, "size2", {RH, RW});
  const int trx = AddFloat(g, "resize_x", {1, RH, RW, C});
  const int tcat = AddFloat(g, "concat", {1, RH, RW, F + C});
  const int ty = AddFloat(g, "y", {1, RH, RW, F + C});
  g.inputs = {tx};
  g.outputs = {ty};
  Op conv;
  conv.type = OpType::CONV_2D;
  conv.inputs = {tx, tw, tb};
  conv.outputs = {tc};
  conv.options.padding = Padding::kSame;
  conv.options.stride_h = 1;
  conv.options.stride_w = 2;
  conv.options.activation = Activation::kRelu;
  g.AddOp(conv);
  Op r1;
  r1.type = OpType::RESIZE_NEAREST_NEIGHBOR;
  r1.inputs = {tc, ts1};
  r1.outputs = {trc};
  r1.options.half_pixel_centers = true;
  g.AddOp(r1);
  Op r2;
  r2.type = OpType::RESIZE_NEAREST_NEIGHBOR;
  r2.inputs = {tx, ts2};
  r2.outputs = {trx};
  g.AddOp(r2);
  Op cat;
  cat.type = OpType::CONCATENATION;
  cat.inputs = {trc, trx};
  cat.outputs = {tcat};
  cat.options.axis = 3;
  g.AddOp(cat);
  Op sig;
  sig.type = OpType::LOGISTIC;
  sig.inputs = {tcat};
  sig.outputs = {ty};
  g.AddOp(sig);
  AssignOpVersions(m);
  EXPECT_EQ(g.ops[0].version, 1);
  EXPECT_EQ(g.ops[1].version, 3);  // half_pixel_centers
  EXPECT_EQ(g.ops[2].version, 1);

  // Reference, computed here. SAME padding: h pads (1, 1), w pads (0, 1).
  std::vector<float> c(OH * OW * F);
  for (int oy = 0; oy < OH; ++oy) {
    for (int ox = 0; ox < OW; ++ox) {
      for (int f = 0; f < F; ++f) {
        float acc = b[f];
        for (int ky = 0; ky < 3; ++ky) {
          for (int kx = 0; kx < 3; ++kx) {
            const int iy = oy + ky - 1, ix = ox * 2 + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            for (int ch = 0; ch < C; ++ch)
              acc += x[(iy * W + ix) * C + ch] * w[((f * 3 + ky) * 3 + kx) * C + ch];
          }
        }
        c[(oy * OW + ox) * F + f] = std::max(acc, 0.0f);
      }
    }
  }
  std::vector<float> expected(RH * RW * (F + C));
  for (int y = 0; y < RH; ++y) {
    for (int xx = 0; xx < RW; ++xx) {
      float* out = &expected[(y * RW + xx) * (F + C)];
      const int cy = Nearest(y, OH, RH, true), cx = Nearest(xx, OW, RW, true);
      for (int f = 0; f < F; ++f) out[f] = c[(cy * OW + cx) * F + f];
      const int sy = Nearest(y, H, RH, false), sx = Nearest(xx, W, RW, false);
      for (int ch = 0; ch < C; ++ch) out[F + ch] = x[(sy * W + sx) * C + ch];
      for (int k = 0; k < F + C; ++k) out[k] = 1.0f / (1.0f + std::exp(-out[k]));
    }
  }

  testing::TempDir dir;
  const std::string model = dir.File("handbuilt.tflite");
  WriteTflite(m, model);
  const Model back = ReadTflite(model);
  Model described = m;  // the writer names itself when the model has no description
  described.description = std::string("cae2tpu ") + CAE_VERSION;
  testing::ExpectSameModel(described, back);

  CAE_REQUIRE_ORACLE();
  const std::string in = dir.File("x.bin");
  testing::WriteBytes(in, Bytes(x));
  const testing::OracleRun run = testing::RunOracle(model, {in});
  ASSERT_EQ(run.exit_code, 0) << run.json;
  ASSERT_EQ(run.outputs.size(), 1u);
  const std::vector<float> got = Floats(run.outputs[0]);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-6) << "element " << i;
  const auto info = nlohmann::json::parse(run.json).at("model_info");
  EXPECT_EQ(info.at("min_runtime_version").get<std::string>(),
            "2.3.0");  // RESIZE_NEAREST_NEIGHBOR v3
  EXPECT_EQ(info.at("ops").at("RESIZE_NEAREST_NEIGHBOR/v3").get<int>(), 1);
  EXPECT_EQ(info.at("ops").at("RESIZE_NEAREST_NEIGHBOR/v1").get<int>(), 1);
}

// x [1,3,4,2] -> TRANSPOSE_CONV (VALID, stride h2 w1, bias) [1,6,5,2] -> LEAKY_RELU (0.2)
//   -> MAX_POOL_2D (filter h2 w3, stride h2 w1, VALID) [1,3,3,2] -> SUB [2] (RELU6)
//   -> MUL [1,1,1,2] -> STRIDED_SLICE (begin/end masks) [1,3,2,2] -> SQUEEZE [3,2,2]
//   -> SPLIT (axis 2, 2 ways) -> two [3,2,1] outputs.
TEST(TfliteHandBuilt, TransposeConvPoolSliceSplitRunsInTheOracle) {
  constexpr int H = 3, W = 4, C = 2, OH = 6, OW = 5, O = 2;
  std::vector<float> x(H * W * C), w(O * 2 * 2 * C), bias = {0.1f, -0.3f};
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = 1.5f * std::cos(0.61f * static_cast<float>(i)) + 0.2f;
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = 0.25f * static_cast<float>(static_cast<int>(i % 5) - 2);
  const std::vector<float> sub_k = {0.3f, -0.2f}, mul_k = {1.5f, -0.75f};

  Model m;
  m.subgraphs.emplace_back();
  Graph& g = m.main();
  const int tx = AddFloat(g, "x", {1, H, W, C});
  const int tshape = AddInt32(g, "output_shape", {1, OH, OW, O});
  const int tw = AddFloat(g, "w", {O, 2, 2, C}, w);
  const int tb = AddFloat(g, "bias", {O}, bias);
  const int ttc = AddFloat(g, "tconv", {1, OH, OW, O});
  const int tlr = AddFloat(g, "leaky", {1, OH, OW, O});
  const int tpool = AddFloat(g, "pool", {1, 3, 3, O});
  const int tk = AddFloat(g, "k", {O}, sub_k);
  const int tsub = AddFloat(g, "sub", {1, 3, 3, O});
  const int tm = AddFloat(g, "m", {1, 1, 1, O}, mul_k);
  const int tmul = AddFloat(g, "mul", {1, 3, 3, O});
  const int tbegin = AddInt32(g, "begin", {5, 0, 1, 5});  // dims 0 and 3 masked: values ignored
  const int tend = AddInt32(g, "end", {0, 3, 3, 0});
  const int tstrides = AddInt32(g, "strides", {1, 1, 1, 1});
  const int tslice = AddFloat(g, "slice", {1, 3, 2, O});
  const int tsq = AddFloat(g, "squeeze", {3, 2, O});
  Tensor axis;
  axis.name = "axis";
  axis.type = DType::kInt32;
  axis.data = Bytes(std::vector<int32_t>{2});
  const int taxis = g.AddTensor(axis);
  const int ts0 = AddFloat(g, "split0", {3, 2, 1});
  const int ts1 = AddFloat(g, "split1", {3, 2, 1});
  g.inputs = {tx};
  g.outputs = {ts0, ts1};
  auto add_op = [&](OpType type, std::vector<int> in, std::vector<int> out) -> Op& {
    Op op;
    op.type = type;
    op.inputs = std::move(in);
    op.outputs = std::move(out);
    return g.ops[g.AddOp(op)];
  };
  Op& tc = add_op(OpType::TRANSPOSE_CONV, {tshape, tw, tx, tb}, {ttc});
  tc.options.padding = Padding::kValid;
  tc.options.stride_h = 2;
  tc.options.stride_w = 1;
  add_op(OpType::LEAKY_RELU, {ttc}, {tlr}).options.alpha = 0.2f;
  Op& pool = add_op(OpType::MAX_POOL_2D, {tlr}, {tpool});
  pool.options.padding = Padding::kValid;
  pool.options.filter_h = 2;
  pool.options.filter_w = 3;
  pool.options.stride_h = 2;
  pool.options.stride_w = 1;
  add_op(OpType::SUB, {tpool, tk}, {tsub}).options.activation = Activation::kRelu6;
  add_op(OpType::MUL, {tsub, tm}, {tmul});
  Op& ss = add_op(OpType::STRIDED_SLICE, {tmul, tbegin, tend, tstrides}, {tslice});
  ss.options.begin_mask = 0b1001;
  ss.options.end_mask = 0b1001;
  add_op(OpType::SQUEEZE, {tslice}, {tsq}).options.squeeze_dims = {0};
  add_op(OpType::SPLIT, {taxis, tsq}, {ts0, ts1}).options.num_splits = 2;
  AssignOpVersions(m);
  EXPECT_EQ(g.ops[0].version, 3);  // TRANSPOSE_CONV with bias
  EXPECT_EQ(MinRuntimeVersion(m), "2.3.0");

  // Reference.
  std::vector<float> t(OH * OW * O, 0.0f);
  for (int o = 0; o < O; ++o) {
    for (int i = 0; i < OH * OW; ++i) t[i * O + o] = bias[o];
  }
  for (int iy = 0; iy < H; ++iy) {
    for (int ix = 0; ix < W; ++ix) {
      for (int ky = 0; ky < 2; ++ky) {
        for (int kx = 0; kx < 2; ++kx) {
          const int oy = iy * 2 + ky, ox = ix + kx;
          for (int o = 0; o < O; ++o) {
            for (int c = 0; c < C; ++c)
              t[(oy * OW + ox) * O + o] +=
                  x[(iy * W + ix) * C + c] * w[((o * 2 + ky) * 2 + kx) * C + c];
          }
        }
      }
    }
  }
  for (float& v : t) v = v > 0 ? v : 0.2f * v;
  float v3[3][3][O];
  for (int py = 0; py < 3; ++py) {
    for (int px = 0; px < 3; ++px) {
      for (int o = 0; o < O; ++o) {
        float mx = -INFINITY;
        for (int ky = 0; ky < 2; ++ky) {
          for (int kx = 0; kx < 3; ++kx)
            mx = std::max(mx, t[((py * 2 + ky) * OW + px + kx) * O + o]);
        }
        const float s = std::min(std::max(mx - sub_k[o], 0.0f), 6.0f);
        v3[py][px][o] = s * mul_k[o];
      }
    }
  }
  std::vector<float> split0, split1;  // slice: rows 0..2, cols 1..2; split along channels
  for (int y = 0; y < 3; ++y) {
    for (int xx = 1; xx < 3; ++xx) {
      split0.push_back(v3[y][xx][0]);
      split1.push_back(v3[y][xx][1]);
    }
  }

  // The chain is not degenerate: both halves carry distinct non-zero values.
  auto nonzero = [](const std::vector<float>& v) {
    return std::count_if(v.begin(), v.end(), [](float f) { return f != 0; });
  };
  EXPECT_GE(nonzero(split0), 3);
  EXPECT_GE(nonzero(split1), 3);

  CAE_REQUIRE_ORACLE();
  testing::TempDir dir;
  const std::string model = dir.File("handbuilt2.tflite");
  WriteTflite(m, model);
  const std::string in = dir.File("x.bin");
  testing::WriteBytes(in, Bytes(x));
  const testing::OracleRun run = testing::RunOracle(model, {in});
  ASSERT_EQ(run.exit_code, 0) << run.json;
  ASSERT_EQ(run.outputs.size(), 2u);
  const std::vector<float> got0 = Floats(run.outputs[0]), got1 = Floats(run.outputs[1]);
  ASSERT_EQ(got0.size(), split0.size());
  ASSERT_EQ(got1.size(), split1.size());
  for (size_t i = 0; i < got0.size(); ++i) {
    EXPECT_NEAR(got0[i], split0[i], 1e-5) << "split0 element " << i;
    EXPECT_NEAR(got1[i], split1[i], 1e-5) << "split1 element " << i;
  }
}

// GELU (code 150): operator codes above 127 go in builtin_code with deprecated_builtin_code 127.
TEST(TfliteHandBuilt, GeluUsesExtendedBuiltinCode) {
  Model m;
  m.subgraphs.emplace_back();
  Graph& g = m.main();
  const int tx = AddFloat(g, "x", {1, 16});
  const int ty = AddFloat(g, "y", {1, 16});
  g.inputs = {tx};
  g.outputs = {ty};
  Op gelu;
  gelu.type = OpType::GELU;
  gelu.inputs = {tx};
  gelu.outputs = {ty};
  g.AddOp(gelu);
  AssignOpVersions(m);

  const std::vector<uint8_t> bytes = WriteTfliteBuffer(m);
  const auto* fm = tflite_fb::GetModel(bytes.data());
  ASSERT_EQ(fm->operator_codes()->size(), 1u);
  EXPECT_EQ(fm->operator_codes()->Get(0)->deprecated_builtin_code(), 127);
  EXPECT_EQ(fm->operator_codes()->Get(0)->builtin_code(), 150);
  EXPECT_EQ(fm->subgraphs()->Get(0)->operators()->Get(0)->builtin_options_type(),
            tflite_fb::BuiltinOptions::GeluOptions);
  EXPECT_EQ(static_cast<int>(tflite_fb::BuiltinOptions::GeluOptions), 116);

  CAE_REQUIRE_ORACLE();
  testing::TempDir dir;
  const std::string model = dir.File("gelu.tflite");
  WriteTflite(m, model);
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[i] = -4.0f + 0.5f * static_cast<float>(i);
  const std::string in = dir.File("x.bin");
  testing::WriteBytes(in, Bytes(x));
  const testing::OracleRun run = testing::RunOracle(model, {in});
  ASSERT_EQ(run.exit_code, 0) << run.json;
  const std::vector<float> got = Floats(run.outputs.at(0));
  ASSERT_EQ(got.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    EXPECT_NEAR(got[i], 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))), 1e-5) << "x=" << v;
  }
}

}  // namespace
}  // namespace cae
