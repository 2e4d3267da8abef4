// kernels/fast float32 TRANSPOSE_CONV against the reference kernel on every Highway target: within
// 1e-5 relative (of max(|ref|, 1)) on strides 1-3, SAME/VALID, filters 1x1-4x4, channel counts
// around the vector width, batch > 1, with and without bias, every fused activation.
#include <cmath>
#include <random>

#include "fast_options.h"
#include "fast_conv_support.h"
#include "hwy/targets.h"

namespace cae::testing {
namespace {

void CheckTransposeConvCases() {
  std::mt19937 rng(17);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const Activation acts[] = {Activation::kNone, Activation::kRelu, Activation::kRelu6,
                             Activation::kReluN1To1, Activation::kTanh};
  for (int i = 0; i < 40; ++i) {
    const int batch = pick(1, 3), in_h = pick(1, 7), in_w = pick(1, 9);
    const int in_c = i == 0 ? 16 : pick(1, 40), out_c = i == 0 ? 8 : pick(1, 40);
    const int f_h = i == 0 ? 3 : pick(1, 4), f_w = i == 0 ? 3 : pick(1, 4);
    OpOptions o;
    o.stride_h = i == 0 ? 2 : pick(1, 3);
    o.stride_w = i == 0 ? 2 : pick(1, 3);
    o.padding = pick(0, 1) ? Padding::kSame : Padding::kValid;
    o.activation = acts[pick(0, 4)];
    const bool bias = pick(0, 2) != 0;
    const int out_h = o.padding == Padding::kSame ? in_h * o.stride_h : (in_h - 1) * o.stride_h + f_h;
    const int out_w = o.padding == Padding::kSame ? in_w * o.stride_w : (in_w - 1) * o.stride_w + f_w;
    SCOPED_TRACE(StrCat("b", batch, " in", in_h, "x", in_w, "x", in_c, " f", f_h, "x", f_w, " oc",
                        out_c, " s", o.stride_h, ",", o.stride_w,
                        o.padding == Padding::kSame ? " SAME" : " VALID", " act",
                        static_cast<int>(o.activation), bias ? " bias" : ""));
    auto values = [&](size_t n, double scale) {
      std::vector<double> v(n);
      for (double& x : v) x = static_cast<float>(u(rng) * scale);
      return v;
    };
    const std::vector<Arg> args = {
        CI({4}, {double(batch), double(out_h), double(out_w), double(out_c)}),
        CF({out_c, f_h, f_w, in_c}, values(static_cast<size_t>(out_c) * f_h * f_w * in_c, 0.5)),
        F({batch, in_h, in_w, in_c}, values(static_cast<size_t>(batch) * in_h * in_w * in_c, 1.0)),
        bias ? CF({out_c}, values(static_cast<size_t>(out_c), 0.5)) : None()};
    const Model m = OneOpModel(OpType::TRANSPOSE_CONV, o, args, {DType::kFloat32});
    EXPECT_EQ(ChosenKernel(m, {}), "fast/float/transpose_conv");
    const auto ref =
        Decode(RunOp(OpType::TRANSPOSE_CONV, o, args, {DType::kFloat32}, {1, 0, true})[0]);
    for (int threads : {1, 2}) {
      const auto fast = Decode(
          RunOp(OpType::TRANSPOSE_CONV, o, args, {DType::kFloat32}, FastOptions(threads))[0]);
      ASSERT_EQ(fast.size(), ref.size());
      for (size_t k = 0; k < ref.size(); ++k)
        ASSERT_NEAR(fast[k], ref[k], 1e-5 * std::max(std::abs(ref[k]), 1.0)) << "element " << k;
    }
  }
}

TEST(FastFloatTransposeConv, MatchesReferenceOnEveryTarget) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    CheckTransposeConvCases();
  }
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace
}  // namespace cae::testing
