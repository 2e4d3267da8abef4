// kernels/fast float32 DEPTHWISE_CONV_2D against the reference kernel, element by element, on every
// Highway target, 1 and 2 threads (every op sent to the pool): channels 1-35, depth_multiplier
// 1-3, filters 3x3 / 5x5 / 1xN / Nx1, strides 1-2, dilation 1-2, SAME/VALID, odd sizes, batch
// 1-3, with and without bias, every fused activation the fast float
// kernels take. The kernel keeps the reference's summation order, so outputs are byte-identical;
// the 1e-5 relative bound (of max(|ref|, 1)) is checked first to report how far off a value is.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "fast_conv_support.h"
#include "fast_options.h"

namespace cae::testing {
namespace {

struct DwCase {
  int batch, in_h, in_w, in_c, mult, f_h, f_w, stride_h, stride_w, dil_h, dil_w;
  Padding padding;
  Activation act;
  bool bias, const_filter;
  std::string Name() const {
    return StrCat("b", batch, " in", in_h, "x", in_w, "x", in_c, " m", mult, " f", f_h, "x", f_w,
                  " s", stride_h, ",", stride_w, " d", dil_h, ",", dil_w,
                  padding == Padding::kSame ? " SAME" : " VALID", " act", static_cast<int>(act),
                  bias ? " bias" : "", const_filter ? "" : " runtime-filter");
  }
};

std::vector<DwCase> DwCases() {
  std::vector<DwCase> cases = {
      {1, 16, 16, 32, 1, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu6, true, true},
      {2, 9, 7, 16, 1, 3, 3, 2, 2, 1, 1, Padding::kSame, Activation::kRelu, true, true},
      {1, 11, 13, 17, 2, 5, 5, 1, 1, 1, 1, Padding::kSame, Activation::kNone, true, true},
      {3, 8, 9, 3, 3, 3, 3, 1, 2, 2, 2, Padding::kValid, Activation::kReluN1To1, false, true},
      {1, 5, 12, 35, 1, 1, 7, 1, 1, 1, 1, Padding::kSame, Activation::kTanh, true, true},
      {1, 12, 5, 8, 2, 7, 1, 2, 1, 1, 1, Padding::kSame, Activation::kNone, true, true},
      {1, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kNone, true, true},
      {2, 6, 40, 64, 1, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu, true, true},
      {1, 7, 21, 20, 3, 3, 3, 1, 1, 1, 2, Padding::kValid, Activation::kRelu6, false, true},
  };
  std::mt19937 rng(4242);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int filters[][2] = {{3, 3}, {5, 5}, {1, 3}, {1, 5}, {3, 1}, {2, 2}, {1, 1}};
  const size_t n_acts = std::size(kFloatActivations);
  for (int i = 0; i < 60; ++i) {
    DwCase c;
    c.batch = pick(1, 3);
    c.in_h = pick(1, 13);
    c.in_w = pick(1, 19);
    c.in_c = pick(1, 35);
    c.mult = pick(1, 3);
    const auto& f = filters[pick(0, 6)];
    c.f_h = f[0];
    c.f_w = f[1];
    c.stride_h = pick(1, 2);
    c.stride_w = pick(1, 2);
    c.dil_h = pick(0, 3) == 0 ? 2 : 1;
    c.dil_w = pick(0, 3) == 0 ? 2 : 1;
    c.padding = pick(0, 1) ? Padding::kSame : Padding::kValid;
    c.act = kFloatActivations[static_cast<size_t>(i) % n_acts];
    c.bias = pick(0, 2) != 0;
    c.const_filter = true;
    if (c.padding == Padding::kValid &&
        (c.in_h < (c.f_h - 1) * c.dil_h + 1 || c.in_w < (c.f_w - 1) * c.dil_w + 1))
      c.padding = Padding::kSame;
    cases.push_back(c);
  }
  return cases;
}

void CheckDepthwiseCase(const DwCase& c) {
  SCOPED_TRACE(c.Name());
  std::mt19937 rng(static_cast<unsigned>(c.in_c * 131 + c.in_w * 17 + c.in_h));
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  auto values = [&](size_t n, double scale) {
    std::vector<double> v(n);
    for (double& x : v) x = static_cast<float>(u(rng) * scale);
    return v;
  };
  const int out_c = c.in_c * c.mult;
  OpOptions o;
  o.padding = c.padding;
  o.stride_h = c.stride_h;
  o.stride_w = c.stride_w;
  o.dilation_h = c.dil_h;
  o.dilation_w = c.dil_w;
  o.depth_multiplier = c.mult;
  o.activation = c.act;
  const std::vector<int32_t> in_shape = {c.batch, c.in_h, c.in_w, c.in_c};
  const std::vector<int32_t> f_shape = {1, c.f_h, c.f_w, out_c};
  const auto in_vals = values(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c, 2.0);
  const auto f_vals = values(static_cast<size_t>(c.f_h) * c.f_w * out_c, 1.0);
  const std::vector<Arg> args = {
      F(in_shape, in_vals), c.const_filter ? CF(f_shape, f_vals) : F(f_shape, f_vals),
      c.bias ? CF({out_c}, values(static_cast<size_t>(out_c), 0.5)) : None()};
  const Model m = OneOpModel(OpType::DEPTHWISE_CONV_2D, o, args, {DType::kFloat32});
  EXPECT_EQ(ChosenKernel(m, {}), "fast/float/depthwise_conv_2d");
  std::vector<TensorData> inputs;
  for (const Arg& a : args) {
    if (a.omitted || a.constant) continue;
    TensorData d(a.type, a.shape);
    d.bytes = Encode(a.type, a.values);
    inputs.push_back(std::move(d));
  }
  CompareFastWithReference(
      m, inputs, [](const std::vector<TensorData>& got, const std::vector<TensorData>& expected) {
        const std::vector<double> fast = Decode(got[0]), ref = Decode(expected[0]);
        ASSERT_EQ(fast.size(), ref.size());
        for (size_t k = 0; k < ref.size(); ++k)
          ASSERT_NEAR(fast[k], ref[k], 1e-5 * std::max(std::abs(ref[k]), 1.0)) << "element " << k;
        ASSERT_EQ(got[0].bytes, expected[0].bytes) << "within 1e-5 but not byte-identical";
      });
}

TEST(FastDepthwiseFloat, MatchesReferenceOnEveryTarget) {
  const std::vector<DwCase> cases = DwCases();
  ForEveryHwyTarget([&] {
    for (const DwCase& c : cases) {
      CheckDepthwiseCase(c);
      if (::testing::Test::HasFatalFailure()) return;
    }
  });
}

TEST(FastDepthwiseFloat, SignBitActivationStaysOnReference) {
  OpOptions o;
  o.activation = Activation::kSignBit;
  o.padding = Padding::kSame;
  const Model m = OneOpModel(OpType::DEPTHWISE_CONV_2D, o,
                             {F({1, 4, 4, 2}, std::vector<double>(32, 1.0)),
                              CF({1, 3, 3, 2}, std::vector<double>(18, 0.5)), None()},
                             {DType::kFloat32});
  EXPECT_EQ(ChosenKernel(m, {}), "ref/float/depthwise_conv_2d");
}


// Not a check: prints the best of 20 runs of [1,64,64,32] 3x3 SAME + RELU6 on the reference and
// the fast kernel (1 and 2 threads). Run with --gtest_also_run_disabled_tests.
TEST(FastDepthwiseFloat, DISABLED_PrintTiming) {
  OpOptions o;
  o.padding = Padding::kSame;
  o.activation = Activation::kRelu6;
  std::vector<double> x(64 * 64 * 32), w(9 * 32), b(32);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37 % 101) / 50.0 - 1.0);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 13 % 17) / 8.0 - 1.0);
  const Model m = OneOpModel(OpType::DEPTHWISE_CONV_2D, o,
                             {F({1, 64, 64, 32}, x), CF({1, 3, 3, 32}, w), CF({32}, b)},
                             {DType::kFloat32});
  TensorData in(DType::kFloat32, {1, 64, 64, 32});
  in.bytes = Encode(DType::kFloat32, x);
  auto best_ms = [&](InterpreterOptions io) {
    Interpreter interp(m, io);
    double best = 1e9;
    for (int r = 0; r < 20; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      interp.Run({in});
      best = std::min(best, std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - t0).count());
    }
    return best;
  };
  std::printf("depthwise [1,64,64,32] 3x3: reference %.3f ms, fast 1 thread %.3f ms, 2 threads %.3f ms\n",
              best_ms({1, 0, true}), best_ms(FastOptions(1)), best_ms(FastOptions(2)));
}

}  // namespace
}  // namespace cae::testing
