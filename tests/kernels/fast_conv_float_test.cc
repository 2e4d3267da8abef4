// kernels/fast float32 CONV_2D against the reference kernel: the same one-op model run with all
// kernels and with reference kernels only must agree within 1e-5 relative (summation order).
#include <cmath>
#include <random>

#include "fast_options.h"
#include "fast_conv_support.h"
#include "hwy/targets.h"

namespace cae::testing {
namespace {

std::vector<double> RandomValues(std::mt19937& rng, size_t n, double scale) {
  std::uniform_real_distribution<double> u(-scale, scale);
  std::vector<double> v(n);
  for (double& x : v) x = static_cast<float>(u(rng));
  return v;
}

// Shapes that reach every block size of the float kernel: rows wide enough for 8-pixel blocks
// and their 4/2/1 tails, first layers (in_c 1-3), last layers (out_c 1-4, narrow path when the
// filter rows are long, with input reuse on 3- and 5-wide rows), out_c <= 8 (8-lane vectors), 1x1, strides and dilation on wide rows.
std::vector<ConvCase> WideRowCases(const std::vector<Activation>& acts) {
  std::mt19937 rng(99);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<ConvCase> cases = {
      {2, 28, 28, 32, 1, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kNone, true},
      {1, 16, 16, 16, 32, 3, 3, 1, 1, 1, 1, Padding::kValid, Activation::kRelu, true},
      {2, 7, 7, 16, 8, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu, true},
      {1, 4, 4, 8, 8, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu, true},
      {1, 20, 37, 3, 24, 3, 3, 2, 2, 1, 1, Padding::kSame, Activation::kRelu6, true},
      {1, 9, 33, 2, 4, 5, 5, 1, 1, 1, 1, Padding::kSame, Activation::kNone, true},
      {1, 5, 30, 40, 3, 1, 1, 1, 1, 1, 1, Padding::kValid, Activation::kRelu, true},
      {1, 6, 31, 7, 2, 3, 3, 1, 1, 1, 3, Padding::kSame, Activation::kTanh, true},
      // Narrow path with input reuse (stride_w 1, 3- or 5-wide rows): in_c a multiple of the
      // full vector, of 8 and of 4 lanes, none of them (no reuse), strided / dilated rows.
      {1, 5, 26, 16, 1, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kNone, true},
      {1, 3, 40, 64, 1, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kTanh, true},
      {2, 9, 21, 8, 3, 3, 3, 2, 1, 2, 1, Padding::kValid, Activation::kRelu, true},
      {1, 4, 30, 12, 2, 5, 5, 1, 1, 1, 1, Padding::kSame, Activation::kRelu6, false},
      {1, 3, 19, 17, 4, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kReluN1To1, true},
  };
  const int in_cs[] = {1, 2, 3, 5, 8, 16, 17, 32, 64};
  const int out_cs[] = {1, 2, 3, 4, 5, 8, 9, 16, 24, 32, 33, 64, 65};
  for (int i = 0; i < 36; ++i) {
    ConvCase c;
    c.batch = pick(1, 2);
    c.in_h = pick(1, 6);
    c.in_w = pick(8, 40);
    c.in_c = in_cs[pick(0, 8)];
    c.out_c = out_cs[pick(0, 12)];
    c.f_h = pick(1, 3);
    c.f_w = pick(1, 5);
    c.stride_h = pick(1, 2);
    c.stride_w = pick(0, 2) == 0 ? 2 : 1;
    c.dil_h = pick(1, 2);
    c.dil_w = pick(0, 3) == 0 ? 2 : 1;
    c.padding = pick(0, 1) ? Padding::kSame : Padding::kValid;
    c.act = acts[static_cast<size_t>(pick(0, static_cast<int>(acts.size()) - 1))];
    c.bias = pick(0, 3) != 0;
    if (c.padding == Padding::kValid &&
        (c.in_h < (c.f_h - 1) * c.dil_h + 1 || c.in_w < (c.f_w - 1) * c.dil_w + 1))
      c.padding = Padding::kSame;
    cases.push_back(c);
  }
  return cases;
}

void CheckFloatCases() {
  std::mt19937 rng(7);
  const std::vector<Activation> acts = {Activation::kNone, Activation::kRelu, Activation::kRelu6,
                                        Activation::kReluN1To1, Activation::kTanh};
  auto cases = ConvCases(acts);
  for (const ConvCase& c : WideRowCases(acts)) cases.push_back(c);
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(c.Name());
    const auto x = RandomValues(rng, static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c, 1.0);
    const auto w = RandomValues(rng, static_cast<size_t>(c.out_c) * c.f_h * c.f_w * c.in_c, 0.5);
    const auto b = RandomValues(rng, static_cast<size_t>(c.out_c), 0.5);
    std::vector<Arg> args = {F({c.batch, c.in_h, c.in_w, c.in_c}, x),
                             CF({c.out_c, c.f_h, c.f_w, c.in_c}, w),
                             c.bias ? CF({c.out_c}, b) : None()};
    const Model m = OneOpModel(OpType::CONV_2D, ConvOptions(c), args, {DType::kFloat32});
    EXPECT_EQ(ChosenKernel(m, {}), "fast/float/conv_2d");
    for (int threads : {1, 2}) {
      const auto fast = Decode(RunOp(OpType::CONV_2D, ConvOptions(c), args, {DType::kFloat32},
                                     FastOptions(threads))[0]);
      const auto ref = Decode(RunOp(OpType::CONV_2D, ConvOptions(c), args, {DType::kFloat32},
                                    {1, 0, true})[0]);
      ASSERT_EQ(fast.size(), ref.size());
      for (size_t i = 0; i < ref.size(); ++i) {
        // Relative to the magnitude of the terms summed (cancellation makes plain relative error
        // meaningless near zero): |fast - ref| <= 1e-5 * max(|ref|, 1).
        ASSERT_NEAR(fast[i], ref[i], 1e-5 * std::max(std::abs(ref[i]), 1.0)) << "element " << i;
      }
    }
  }
}


// Every SIMD target Highway compiled and this CPU runs (SSSE3, SSE4, AVX2, AVX-512...).
TEST(FastConvFloat, MatchesReferenceOnManyShapesOnEveryTarget) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    CheckFloatCases();
  }
  hwy::SetSupportedTargetsForTest(0);
}
}  // namespace
}  // namespace cae::testing
