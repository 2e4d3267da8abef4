// kernels/fast ADD/SUB on int8/uint8 (same shapes) against the reference kernel, byte for byte,
// on every Highway target this CPU runs (AVX-512, AVX2, SSE4, EMU128...): random scales (either
// input the larger), zero points, every fused activation, sizes with vector tails, 1 and 2
// threads. Broadcasting stays on the reference kernel.
#include <random>

#include "fast_options.h"
#include "hwy/targets.h"

#include "fast_conv_support.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

struct EveryTargetGuard {
  ~EveryTargetGuard() { hwy::SetSupportedTargetsForTest(0); }
};

TEST(FastQuantAdd, AddAndSubSameAsReference) {
  std::mt19937 rng(8);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::uniform_real_distribution<float> scale(0.005f, 0.2f);
  const Activation acts[] = {Activation::kNone, Activation::kRelu, Activation::kRelu6,
                             Activation::kReluN1To1};
  int fast = 0, cases = 0;
  for (OpType op : {OpType::ADD, OpType::SUB})
    for (DType t : {DType::kInt8, DType::kUInt8})
      for (int n : {1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 64, 1000, 50001}) {
        const int lo = t == DType::kInt8 ? -128 : 0, hi = t == DType::kInt8 ? 127 : 255;
        std::vector<double> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
        for (double& v : a) v = pick(lo, hi);
        for (double& v : b) v = pick(lo, hi);
        OpOptions o;
        o.activation = acts[pick(0, 3)];
        Model m = OneOpModel(op, o, {I(t, {1, n}, a), I(t, {1, n}, b)}, {t});
        SCOPED_TRACE(std::string(OpTypeName(op)) + " " + std::string(DTypeName(t)) +
                     " n=" + std::to_string(n));
        for (Tensor& tensor : m.main().tensors) {
          tensor.quant.scale = {scale(rng)};
          tensor.quant.zero_point = {(lo + hi) / 2 + pick(-20, 20)};
        }
        ++cases;
        if (ChosenKernel(m, {}) == (op == OpType::ADD ? "fast/q8/add" : "fast/q8/sub")) ++fast;
        TensorData ta(t, {1, n}), tb(t, {1, n});
        ta.bytes = Encode(t, a);
        tb.bytes = Encode(t, b);
        Interpreter ref(m, {1, 0, true});
        const std::vector<TensorData> expected = ref.Run({ta, tb});
        const EveryTargetGuard guard;
        for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
          hwy::SetSupportedTargetsForTest(target);
          for (int threads : {1, 2}) {
            Interpreter f(m, FastOptions(threads));
            ASSERT_EQ(f.Run({ta, tb})[0].bytes, expected[0].bytes)
                << hwy::TargetName(target) << ", " << threads << " thread(s)";
          }
        }
      }
  EXPECT_EQ(fast, cases);
}

TEST(FastQuantAdd, BroadcastIsLeftToTheReferenceKernel) {
  Model m = OneOpModel(OpType::ADD, OpOptions{},
                       {I(DType::kInt8, {2, 3}, std::vector<double>(6, 1)),
                        I(DType::kInt8, {1, 3}, std::vector<double>(3, 1))},
                       {DType::kInt8});
  for (Tensor& tensor : m.main().tensors) {
    tensor.quant.scale = {0.1f};
    tensor.quant.zero_point = {0};
  }
  EXPECT_EQ(ChosenKernel(m, {}), "ref/quantized/add");
}

}  // namespace
}  // namespace cae::testing
