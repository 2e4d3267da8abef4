// kernels/fast FULLY_CONNECTED against the reference kernels on every Highway target this CPU
// runs, bit-exact: int8 (per-tensor and per-channel weights), uint8 (weights with a zero point)
// and float32 (summed in the reference's order). Depths and unit counts around the vector widths
// (odd depths for the int16 pairs, 1..70 units, the dense autoencoder's 784x256), 1..9 rows
// (tails of the 4-row groups), rank-4 inputs with keep_num_dims, with and without bias, every
// fused activation; 1 and 2 threads. With AVX3_DL among the targets, int8 and per-tensor uint8
// run as the AVX-512 VNNI 1x1 convolution where the CPU has it.
#define HWY_WANT_AVX3_DL  // list AVX3_DL among the targets (before hwy headers)

#include <cmath>
#include <random>

#include "fast_conv_support.h"
#include "hwy/targets.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

struct FcCase {
  DType type;
  int batch, depth, units;
  bool keep_dims, bias, per_channel;
  Activation act;
  std::string Name() const {
    return StrCat(DTypeName(type), " b", batch, " depth", depth, " units", units,
                  keep_dims ? " keep_dims" : "", bias ? " bias" : "", per_channel ? " per-channel" : "",
                  " act", static_cast<int>(act));
  }
};

std::vector<FcCase> FcCases() {
  std::mt19937 rng(21);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const DType types[] = {DType::kFloat32, DType::kInt8, DType::kUInt8};
  std::vector<FcCase> cases;
  for (DType t : types) {
    // The dense autoencoder's first layer with a batch that leaves a 3-row tail.
    cases.push_back({t, 7, 784, 256, false, true, t == DType::kInt8, Activation::kRelu});
    cases.push_back({t, 1, 1, 1, false, false, false, Activation::kNone});
  }
  const int depths[] = {1, 2, 3, 7, 16, 31, 32, 33, 64, 97, 128, 255};
  for (int i = 0; i < 60; ++i) {
    FcCase c;
    c.type = types[i % 3];
    c.batch = pick(1, 9);
    c.depth = depths[pick(0, 11)];
    c.units = pick(0, 3) == 0 ? pick(1, 4) : pick(1, 70);
    c.keep_dims = pick(0, 3) == 0;
    c.bias = pick(0, 3) != 0;
    c.per_channel = c.type == DType::kInt8 && pick(0, 1) == 1;
    c.act =
        c.type == DType::kFloat32 ? kFloatActivations[pick(0, 4)] : kQuantActivations[pick(0, 3)];
    cases.push_back(c);
  }
  return cases;
}

void CheckFcCases() {
  std::mt19937 rng(8);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (const FcCase& c : FcCases()) {
    SCOPED_TRACE(c.Name());
    const bool q = c.type != DType::kFloat32;
    const int lo = c.type == DType::kUInt8 ? 0 : -128, hi = c.type == DType::kUInt8 ? 255 : 127;
    // keep_num_dims: a [batch, 2, 3, depth] input gives [batch, 2, 3, units].
    const std::vector<int32_t> in_shape =
        c.keep_dims ? std::vector<int32_t>{c.batch, 2, 3, c.depth} : std::vector<int32_t>{c.batch, c.depth};
    const int64_t rows = c.keep_dims ? int64_t{c.batch} * 6 : c.batch;
    std::vector<double> x(static_cast<size_t>(rows) * c.depth);
    std::vector<double> w(static_cast<size_t>(c.units) * c.depth), b(static_cast<size_t>(c.units));
    for (double& v : x) v = q ? pick(lo, hi) : pick(-3000, 3000) / 2999.0;
    for (double& v : w) v = q ? pick(lo, hi) : pick(-3000, 3000) / 5000.0;
    for (double& v : b) v = q ? pick(-3000, 3000) : pick(-3000, 3000) / 3000.0;
    OpOptions o;
    o.activation = c.act;
    o.keep_num_dims = c.keep_dims;
    const DType bias_type = q ? DType::kInt32 : DType::kFloat32;
    std::vector<Arg> args = {I(c.type, in_shape, x),
                             {c.type, {c.units, c.depth}, w, true, false},
                             c.bias ? Arg{bias_type, {c.units}, b, true, false} : None()};
    Model m = OneOpModel(OpType::FULLY_CONNECTED, o, args, {c.type});
    Graph& g = m.main();
    if (q) {
      const Op& op = g.ops[0];
      QuantParams& in_q = g.tensors[static_cast<size_t>(op.inputs[0])].quant;
      QuantParams& w_q = g.tensors[static_cast<size_t>(op.inputs[1])].quant;
      QuantParams& out_q = g.tensors[static_cast<size_t>(op.outputs[0])].quant;
      const bool u8 = c.type == DType::kUInt8;
      in_q.scale = {0.02f};
      in_q.zero_point = {u8 ? pick(100, 150) : pick(-10, 10)};
      if (c.per_channel) {
        for (int u = 0; u < c.units; ++u) w_q.scale.push_back(0.003f + 0.0004f * static_cast<float>(u % 11));
        w_q.zero_point.assign(static_cast<size_t>(c.units), 0);
      } else {
        w_q.scale = {0.0047f};
        w_q.zero_point = {u8 ? pick(110, 140) : 0};
      }
      // Output scale grows like the accumulators (sqrt(depth)) so that few outputs saturate; zero
      // point off-center so the Relu clamps bite.
      out_q.scale = {0.006f * std::sqrt(static_cast<float>(c.depth))};
      out_q.zero_point = {u8 ? pick(60, 200) : pick(-60, 60)};
      if (c.bias) {
        QuantParams& b_q = g.tensors[static_cast<size_t>(op.inputs[2])].quant;
        b_q.scale = {in_q.scale[0] * w_q.scale[0]};
        b_q.zero_point = {0};
      }
    }
    EXPECT_EQ(ChosenKernel(m, {}), q ? "fast/q8/fully_connected" : "fast/float/fully_connected");
    std::vector<TensorData> inputs;
    TensorData xin(c.type, in_shape);
    xin.bytes = Encode(c.type, x);
    inputs.push_back(xin);
    ExpectSameBytesAsReference(m, inputs);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(FastFullyConnected, MatchesReferenceFloatInt8Uint8OnEveryTarget) {
  ForEveryHwyTarget([] { CheckFcCases(); });  // a lambda: this file's own target list
}

}  // namespace
}  // namespace cae::testing
