// kernels/fast float32 CONV_2D against the reference kernel: the same one-op model run with all
// kernels and with reference kernels only must agree within 1e-5 relative (summation order).
#include <cmath>
#include <random>

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

void CheckFloatCases() {
  std::mt19937 rng(7);
  const auto cases = ConvCases({Activation::kNone, Activation::kRelu, Activation::kRelu6,
                                Activation::kReluN1To1, Activation::kTanh});
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
                                     {threads, 0, false})[0]);
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
