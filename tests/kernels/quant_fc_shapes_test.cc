// int8 FULLY_CONNECTED over shapes that select different TFLite GEMM paths (batch 1 vs many rows,
// per-tensor vs per-channel weights, small and large depth): our reference kernel must match the
// real TFLite runtime (oracle --no-xnnpack) byte for byte. The test also computes each shape with
// single and with double rounding itself, and reports which one TFLite used, so a failure says
// which rounding rule the kernel got wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <sstream>

#include "kernels/quant_math.h"
#include "kernels/quant_oracle_util.h"
#include "tflite/op_version.h"

namespace cae::testing {
namespace {

struct FcCase {
  int batch, depth, units;
  bool per_channel;
};

struct FcModel {
  Model model;
  std::vector<int8_t> weights;
  std::vector<int32_t> bias;
  std::vector<float> wscales;
  float in_scale = 0.05f, out_scale = 0.1f;
  int in_zp = -5, out_zp = 3;
};

FcModel BuildFc(const FcCase& c, uint32_t seed) {
  std::mt19937 rng(seed);
  FcModel f;
  f.model.subgraphs.resize(1);
  Graph& g = f.model.subgraphs[0];
  // The output scale grows with depth so outputs do not all saturate.
  f.out_scale = 0.002f * static_cast<float>(c.depth);
  auto add = [&](DType t, std::vector<int32_t> shape, std::vector<float> s,
                 std::vector<int64_t> zp, std::vector<uint8_t> data) {
    Tensor x;
    x.name = "t" + std::to_string(g.tensors.size());
    x.type = t;
    x.shape = std::move(shape);
    x.quant.scale = std::move(s);
    x.quant.zero_point = std::move(zp);
    x.data = std::move(data);
    return g.AddTensor(std::move(x));
  };
  const int in = add(DType::kInt8, {c.batch, c.depth}, {f.in_scale}, {f.in_zp}, {});
  f.weights.resize(static_cast<size_t>(c.units) * c.depth);
  for (auto& w : f.weights) w = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  if (c.per_channel) {
    for (int u = 0; u < c.units; ++u) f.wscales.push_back(0.004f + 0.00037f * float(u % 13));
  } else {
    f.wscales = {0.0061f};
  }
  std::vector<uint8_t> wb(f.weights.size());
  std::memcpy(wb.data(), f.weights.data(), wb.size());
  const int w = add(DType::kInt8, {c.units, c.depth}, f.wscales,
                    std::vector<int64_t>(f.wscales.size(), 0), std::move(wb));
  f.bias.resize(static_cast<size_t>(c.units));
  for (auto& b : f.bias) b = static_cast<int32_t>(rng() % 4001) - 2000;
  std::vector<uint8_t> bb(f.bias.size() * 4);
  std::memcpy(bb.data(), f.bias.data(), bb.size());
  std::vector<float> bscales;
  for (float s : f.wscales) bscales.push_back(s * f.in_scale);
  const int b = add(DType::kInt32, {c.units}, bscales, std::vector<int64_t>(bscales.size(), 0),
                    std::move(bb));
  const int out = add(DType::kInt8, {c.batch, c.units}, {f.out_scale}, {f.out_zp}, {});
  Op op;
  op.type = OpType::FULLY_CONNECTED;
  op.inputs = {in, w, b};
  op.outputs = {out};
  g.ops.push_back(op);
  g.inputs = {in};
  g.outputs = {out};
  AssignOpVersions(f.model);
  return f;
}

// The FC output computed here with one rounding rule (multipliers as our kernel derives them).
std::vector<uint8_t> Expected(const FcModel& f, const FcCase& c, const TensorData& input,
                              bool single) {
  std::vector<uint8_t> out(static_cast<size_t>(c.batch) * c.units);
  const auto* x = reinterpret_cast<const int8_t*>(input.bytes.data());
  for (int bt = 0; bt < c.batch; ++bt) {
    for (int u = 0; u < c.units; ++u) {
      int32_t acc = f.bias[u];
      for (int k = 0; k < c.depth; ++k) {
        acc += int32_t{f.weights[size_t(u) * c.depth + k]} * (int32_t{x[bt * c.depth + k]} - f.in_zp);
      }
      const float ws = c.per_channel ? f.wscales[u] : f.wscales[0];
      const double real = c.per_channel ? double(f.in_scale) * double(ws) / double(f.out_scale)
                                        : double(f.in_scale * ws) / double(f.out_scale);
      const QuantizedMultiplier m = QuantizeMultiplier(real);
      int32_t v = (single ? MultiplyByQuantizedMultiplierSingleRounding(acc, m)
                          : MultiplyByQuantizedMultiplier(acc, m)) + f.out_zp;
      v = std::clamp(v, -128, 127);
      out[size_t(bt) * c.units + u] = static_cast<uint8_t>(static_cast<int8_t>(v));
    }
  }
  return out;
}

int64_t CountDiff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  int64_t n = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) n += a[i] != b[i];
  return n;
}

TEST(QuantFcShapes, MatchesTfliteOnGemvAndGemmShapes) {
  CAE_REQUIRE_ORACLE();
  // Every shape here has outputs where single and double rounding disagree (checked below):
  // batch 1 (GEMV) with depth below, at and above 8, batch 2, and batch 64 (GEMM).
  const std::vector<FcCase> cases = {
      {1, 64, 8192, true},  {1, 8, 8192, true},   {1, 7, 8192, true}, {2, 64, 4096, true},
      {64, 40, 256, true},  {1, 64, 8192, false}, {1, 7, 8192, false}, {64, 40, 256, false},
  };
  for (const FcCase& c : cases) {
    const FcModel f = BuildFc(c, 7);
    const std::vector<TensorData> in = RandomInputs(f.model, 11);
    TempDir dir;
    WriteTflite(f.model, dir.File("fc.tflite"));
    const OracleRun run = RunOracle(dir.File("fc.tflite"), WriteInputs(dir, in));
    ASSERT_EQ(run.exit_code, 0) << run.json.substr(0, 400);
    ASSERT_EQ(run.outputs.size(), 1u);
    const std::vector<uint8_t>& tfl = run.outputs[0];
    const int64_t d_single = CountDiff(Expected(f, c, in[0], true), tfl);
    const int64_t d_double = CountDiff(Expected(f, c, in[0], false), tfl);
    const std::vector<TensorData> ours = RunOurs(f.model, in);
    const int64_t d_ours = CountDiff(ours.at(0).bytes, tfl);
    std::ostringstream what;
    what << "batch " << c.batch << " depth " << c.depth << " units " << c.units
         << (c.per_channel ? " per-channel" : " per-tensor") << ": vs TFLite single-rounding "
         << d_single << ", double-rounding " << d_double << ", ours " << d_ours << " of "
         << tfl.size() << " differ";
    std::printf("%s\n", what.str().c_str());
    EXPECT_EQ(d_ours, 0) << what.str();
    // The shape must tell the two rules apart, or it checks nothing about rounding.
    EXPECT_TRUE(d_single != 0 || d_double != 0) << what.str();
  }
}

}  // namespace
}  // namespace cae::testing
