// kernels/fast ADD/SUB/MUL on int8/uint8 (same shapes) against the reference kernel, byte for byte,
// on every Highway target this CPU runs (AVX-512, AVX2, SSE4, EMU128...): random scales (either
// input the larger), zero points, every fused activation, sizes with vector tails, 1 and 2
// threads. Of the broadcasts only the second input repeated along the last axis runs fast.
#include <random>

#include "fast_options.h"
#include "hwy/targets.h"

#include "fast_conv_support.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

std::string FastName(OpType op) {
  return op == OpType::ADD ? "fast/q8/add" : op == OpType::SUB ? "fast/q8/sub" : "fast/q8/mul";
}

struct EveryTargetGuard {
  ~EveryTargetGuard() { hwy::SetSupportedTargetsForTest(0); }
};

TEST(FastQuantAdd, AddSubMulSameAsReference) {
  std::mt19937 rng(8);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::uniform_real_distribution<float> scale(0.005f, 0.2f);
  const Activation acts[] = {Activation::kNone, Activation::kRelu, Activation::kRelu6,
                             Activation::kReluN1To1};
  int fast = 0, cases = 0;
  for (OpType op : {OpType::ADD, OpType::SUB, OpType::MUL})
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
        if (ChosenKernel(m, {}) == FastName(op)) ++fast;
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

// The second input repeated along the last axis (a folded BatchNorm's per-channel offset) runs
// on the fast kernel: shapes whose rows do and do not fill the kernel's 1024-element tile, tails,
// [C] and [1, 1, 1, C] vectors; every target, 1 and 2 threads.
TEST(FastQuantAdd, LastAxisBroadcastSameAsReference) {
  std::mt19937 rng(11);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::uniform_real_distribution<float> scale(0.005f, 0.2f);
  int fast = 0, cases = 0;
  for (OpType op : {OpType::ADD, OpType::SUB, OpType::MUL})
    for (DType t : {DType::kInt8, DType::kUInt8})
      for (const std::vector<int32_t>& shape :
           std::vector<std::vector<int32_t>>{{2, 5, 7, 14}, {3, 1}, {1, 33}, {4, 9, 9, 3},
                                             {2, 28, 28, 16}, {1, 3, 1000}, {7, 1025}}) {
        const int c = shape.back();
        std::vector<int32_t> bs = pick(0, 1) ? std::vector<int32_t>{c}
                                             : std::vector<int32_t>(shape.size(), 1);
        bs.back() = c;
        const int lo = t == DType::kInt8 ? -128 : 0, hi = t == DType::kInt8 ? 127 : 255;
        std::vector<double> a(static_cast<size_t>(NumElements(shape))), b(static_cast<size_t>(c));
        for (double& v : a) v = pick(lo, hi);
        for (double& v : b) v = pick(lo, hi);
        OpOptions o;
        o.activation = pick(0, 1) ? Activation::kRelu : Activation::kNone;
        // The per-channel vector is a constant, as in converted models.
        Model m = OneOpModel(op, o, {I(t, shape, a), Arg{t, bs, b, true, false}}, {t});
        SCOPED_TRACE(std::string(OpTypeName(op)) + " " + std::string(DTypeName(t)) + " " +
                     ShapeToString(shape) + " + " + ShapeToString(bs));
        for (Tensor& tensor : m.main().tensors) {
          tensor.quant.scale = {scale(rng)};
          tensor.quant.zero_point = {(lo + hi) / 2 + pick(-20, 20)};
        }
        ++cases;
        if (ChosenKernel(m, {}) == FastName(op)) ++fast;
        TensorData ta(t, shape);
        ta.bytes = Encode(t, a);
        Interpreter ref(m, {1, 0, true});
        const std::vector<TensorData> expected = ref.Run({ta});
        const EveryTargetGuard guard;
        for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
          hwy::SetSupportedTargetsForTest(target);
          for (int threads : {1, 2}) {
            Interpreter f(m, FastOptions(threads));
            ASSERT_EQ(f.Run({ta})[0].bytes, expected[0].bytes)
                << hwy::TargetName(target) << ", " << threads << " thread(s)";
          }
        }
      }
  EXPECT_EQ(fast, cases);
}

TEST(FastQuantAdd, OtherBroadcastsAreLeftToTheReferenceKernel) {
  for (const std::vector<int32_t>& bshape :
       std::vector<std::vector<int32_t>>{{2, 1}, {1, 1}, {1}}) {
    Model m = OneOpModel(OpType::ADD, OpOptions{},
                         {I(DType::kInt8, {2, 3}, std::vector<double>(6, 1)),
                          I(DType::kInt8, bshape, std::vector<double>(NumElements(bshape), 1))},
                         {DType::kInt8});
    for (Tensor& tensor : m.main().tensors) {
      tensor.quant.scale = {0.1f};
      tensor.quant.zero_point = {0};
    }
    EXPECT_EQ(ChosenKernel(m, {}), "ref/quantized/add") << ShapeToString(bshape);
  }
}

}  // namespace
}  // namespace cae::testing
