// kernels/fast float32 elementwise ops against the reference kernels on every Highway target:
// LOGISTIC and TANH within 1e-5 relative (vector exp/tanh), the clamps, LEAKY_RELU and the binary
// ops bit for bit; sizes around the vector width and the parallel block, broadcasts of scalars and
// trailing blocks on either side, every fused activation; other broadcasts stay on ref.
#include <cmath>
#include <random>

#include "fast_options.h"
#include "fast_conv_support.h"
#include "hwy/targets.h"

namespace cae::testing {
namespace {

std::vector<double> Values(std::mt19937& rng, int64_t n, double scale) {
  std::uniform_real_distribution<double> u(-scale, scale);
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) x = static_cast<float>(u(rng));
  return v;
}

void CheckUnary() {
  std::mt19937 rng(3);
  const OpType ops[] = {OpType::LOGISTIC,     OpType::TANH,        OpType::RELU,
                        OpType::RELU6,        OpType::RELU_N1_TO_1, OpType::RELU_0_TO_1,
                        OpType::LEAKY_RELU};
  const std::vector<int32_t> shapes[] = {{1}, {7}, {16}, {17}, {2, 3, 5, 31}, {3, 70, 97}, {4097}};
  for (OpType op : ops) {
    for (const auto& shape : shapes) {
      const int64_t n = NumElements(shape);
      SCOPED_TRACE(StrCat(OpTypeName(op), " ", ShapeToString(shape)));
      // Mostly moderate values, some far in the tails (logistic underflow, tanh saturation).
      std::vector<double> x = Values(rng, n, 8.0);
      for (int64_t i = 0; i < n; i += 13) x[static_cast<size_t>(i)] *= 20.0;
      OpOptions o;
      o.alpha = 0.2f;
      const Model m = OneOpModel(op, o, {F(shape, x)}, {DType::kFloat32});
      EXPECT_EQ(ChosenKernel(m, {}), "fast/float/unary");
      const auto ref = Decode(RunOp(op, o, {F(shape, x)}, {DType::kFloat32}, {1, 0, true})[0]);
      for (int threads : {1, 2}) {
        const auto fast =
            Decode(RunOp(op, o, {F(shape, x)}, {DType::kFloat32}, FastOptions(threads))[0]);
        ASSERT_EQ(fast.size(), ref.size());
        const bool exact = op != OpType::LOGISTIC && op != OpType::TANH;
        for (size_t i = 0; i < ref.size(); ++i) {
          if (exact)
            ASSERT_EQ(fast[i], ref[i]) << "element " << i << " x " << x[i];
          else
            ASSERT_NEAR(fast[i], ref[i], 1e-5 * std::abs(ref[i]) + 1e-37)
                << "element " << i << " x " << x[i];
        }
      }
    }
  }
}

struct BinaryCase {
  std::vector<int32_t> a, b;
  bool fast;  // expected to run on the fast kernel
};

void CheckBinary() {
  std::mt19937 rng(4);
  const BinaryCase cases[] = {
      {{2, 5, 7, 16}, {2, 5, 7, 16}, true},  {{1, 4, 4, 8}, {8}, true},
      {{3, 6, 5, 3}, {1, 1, 1, 3}, true},    {{2, 3, 33}, {}, true},
      {{1}, {5, 9, 17}, true},               {{40}, {3, 40}, true},
      {{2, 9, 9, 70}, {9, 70}, true},        {{4099}, {4099}, true},
      {{2, 1, 3}, {1, 4, 1}, false},         {{2, 4, 3}, {2, 1, 3}, false},
  };
  const OpType ops[] = {OpType::ADD, OpType::SUB, OpType::MUL, OpType::MAXIMUM, OpType::MINIMUM};
  const Activation acts[] = {Activation::kNone, Activation::kRelu, Activation::kRelu6,
                             Activation::kReluN1To1};
  int k = 0;
  for (const BinaryCase& c : cases) {
    for (OpType op : ops) {
      OpOptions o;
      const bool fused = op == OpType::ADD || op == OpType::SUB || op == OpType::MUL;
      o.activation = fused ? acts[k++ % 4] : Activation::kNone;
      SCOPED_TRACE(StrCat(OpTypeName(op), " ", ShapeToString(c.a), " ", ShapeToString(c.b),
                          " act", static_cast<int>(o.activation)));
      // The interpreter feeds run-time inputs with a common batch: an operand of another
      // shape is a constant (a scalar may be either).
      std::vector<Arg> args = {F(c.a, Values(rng, NumElements(c.a), 4.0)),
                               F(c.b, Values(rng, NumElements(c.b), 4.0))};
      if (c.a != c.b) {
        Arg& small = NumElements(c.a) < NumElements(c.b) ? args[0] : args[1];
        small.constant = !small.shape.empty();
      }
      const Model m = OneOpModel(op, o, args, {DType::kFloat32});
      EXPECT_EQ(ChosenKernel(m, {}) == "fast/float/binary", c.fast);
      const auto ref = Decode(RunOp(op, o, args, {DType::kFloat32}, {1, 0, true})[0]);
      for (int threads : {1, 2}) {
        const auto fast = Decode(RunOp(op, o, args, {DType::kFloat32}, FastOptions(threads))[0]);
        ASSERT_EQ(fast, ref) << threads << " thread(s)";
      }
    }
  }
  // A constant per-channel operand (the folded BatchNorm form).
  const std::vector<Arg> args = {F({2, 3, 3, 5}, Values(rng, 90, 2.0)), CF({5}, Values(rng, 5, 2.0))};
  OpOptions o;
  o.activation = Activation::kRelu;
  const auto ref = Decode(RunOp(OpType::MUL, o, args, {DType::kFloat32}, {1, 0, true})[0]);
  EXPECT_EQ(Decode(RunOp(OpType::MUL, o, args, {DType::kFloat32}, FastOptions(2))[0]), ref);
}

TEST(FastFloatElementwise, UnaryMatchesReferenceOnEveryTarget) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    CheckUnary();
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST(FastFloatElementwise, BinarySameAsReferenceOnEveryTarget) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    CheckBinary();
  }
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace
}  // namespace cae::testing
