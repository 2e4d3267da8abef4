// kernels/fast int8 CONV_2D against the reference kernel: bit-exact on many shapes, per-channel
// and per-tensor weight scales, non-zero input/output zero points, fused activations, 1 and 2
// threads.
#include <random>

#include "fast_options.h"
#include "fast_conv_support.h"
#include "hwy/targets.h"
#include "kernels/fast/conv_int8_vnni.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

std::vector<double> RandomInts(std::mt19937& rng, size_t n, int lo, int hi) {
  std::uniform_int_distribution<int> u(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return v;
}

// Shapes that reach every layout of the VNNI kernel: pixels in lanes (few output channels, long
// filter rows) with pixel tails, several 16-channel vector groups, dilation, in_c 1 and 3.
std::vector<ConvCase> VnniCases() {
  return {
      {2, 27, 27, 32, 1, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kNone, true},
      {1, 13, 11, 32, 2, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu, true},
      {1, 9, 9, 40, 3, 3, 3, 2, 2, 1, 1, Padding::kValid, Activation::kNone, false},
      {1, 8, 9, 64, 4, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu6, true},
      {1, 10, 10, 32, 1, 3, 3, 1, 1, 2, 2, Padding::kSame, Activation::kNone, true},
      {1, 11, 11, 3, 32, 3, 3, 2, 2, 1, 1, Padding::kSame, Activation::kRelu6, true},
      {3, 7, 5, 24, 100, 1, 1, 1, 1, 1, 1, Padding::kValid, Activation::kNone, true},
      {1, 6, 7, 17, 50, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu, true},
      {1, 5, 5, 130, 33, 3, 3, 1, 2, 1, 1, Padding::kValid, Activation::kNone, true},
      {4, 4, 4, 8, 8, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu, true},
  };
}

void CheckInt8Cases(bool vnni_shapes = false) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> scale(0.002f, 0.05f);
  auto cases = ConvCases({Activation::kNone, Activation::kRelu, Activation::kRelu6,
                          Activation::kReluN1To1});
  if (vnni_shapes) {
    const auto more = VnniCases();
    cases.insert(cases.end(), more.begin(), more.end());
  }
  int case_index = 0, varied_cases = 0;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(c.Name());
    const bool per_channel = (case_index++ % 3) != 2;
    const auto x = RandomInts(rng, static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c, -128, 127);
    const auto w = RandomInts(rng, static_cast<size_t>(c.out_c) * c.f_h * c.f_w * c.in_c, -127, 127);
    const auto b = RandomInts(rng, static_cast<size_t>(c.out_c), -3000, 3000);
    std::vector<Arg> args = {I(DType::kInt8, {c.batch, c.in_h, c.in_w, c.in_c}, x),
                             {DType::kInt8, {c.out_c, c.f_h, c.f_w, c.in_c}, w, true, false},
                             c.bias ? Arg{DType::kInt32, {c.out_c}, b, true, false} : None()};
    Model m = OneOpModel(OpType::CONV_2D, ConvOptions(c), args, {DType::kInt8});
    Graph& g = m.main();
    const float in_scale = scale(rng), out_scale = scale(rng) * 4;
    g.tensors[0].quant.scale = {in_scale};
    g.tensors[0].quant.zero_point = {std::uniform_int_distribution<int>(-20, 20)(rng)};
    QuantParams& wq = g.tensors[1].quant;
    const int n_scales = per_channel ? c.out_c : 1;
    for (int k = 0; k < n_scales; ++k) {
      wq.scale.push_back(scale(rng) * 0.5f);
      wq.zero_point.push_back(0);
    }
    wq.quantized_dimension = 0;
    const int bias_index = c.bias ? 2 : -1;
    if (bias_index >= 0) {
      for (int k = 0; k < n_scales; ++k) {
        g.tensors[2].quant.scale.push_back(in_scale * wq.scale[static_cast<size_t>(k)]);
        g.tensors[2].quant.zero_point.push_back(0);
      }
    }
    Tensor& out = g.tensors[static_cast<size_t>(g.ops[0].outputs[0])];
    out.quant.scale = {out_scale};
    out.quant.zero_point = {std::uniform_int_distribution<int>(-10, 10)(rng)};
    EXPECT_EQ(ChosenKernel(m, {}), "fast/int8/conv_2d");

    TensorData input(DType::kInt8, {c.batch, c.in_h, c.in_w, c.in_c});
    input.bytes = Encode(DType::kInt8, x);
    Interpreter ref(m, {1, 0, true});
    const std::vector<TensorData> expected = ref.Run({input});
    for (int threads : {1, 2}) {
      Interpreter fast(m, FastOptions(threads));
      const std::vector<TensorData> got = fast.Run({input});
      ASSERT_EQ(got[0].shape, expected[0].shape);
      ASSERT_EQ(got[0].bytes, expected[0].bytes) << threads << " thread(s)";
    }
    // Count cases whose outputs vary (a saturated output would prove little).
    const auto v = Decode(expected[0]);
    for (size_t i = 1; i < v.size(); ++i)
      if (v[i] != v[0]) {
        ++varied_cases;
        break;
      }
  }
  EXPECT_GT(varied_cases, static_cast<int>(cases.size()) * 3 / 4);
}

// Every SIMD target Highway compiled and this CPU runs (x86: the pmaddwd path on each).
TEST(FastConvInt8, BitExactWithReferenceOnManyShapesOnEveryTarget) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    CheckInt8Cases();
  }
  hwy::SetSupportedTargetsForTest(0);
}

// Every target the CPU runs, including AVX3_DL (VNNI), which this test's own Highway build does
// not generate but conv_int8_vnni.cc checks for at run time.
TEST(FastConvInt8, BitExactWithReferenceWithVnni) {
  if (!fast::VnniAvailable()) GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
  hwy::SetSupportedTargetsForTest(0);
  CheckInt8Cases(true);
}

TEST(FastConvInt8, Uint8RunsFastOnlyWithVnni) {
  const ConvCase c{1, 4, 4, 2, 3, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kNone, false};
  std::vector<Arg> args = {I(DType::kUInt8, {1, 4, 4, 2}, std::vector<double>(32, 1)),
                           {DType::kUInt8, {3, 3, 3, 2}, std::vector<double>(54, 1), true, false},
                           None()};
  Model m = OneOpModel(OpType::CONV_2D, ConvOptions(c), args, {DType::kUInt8});
  for (Tensor& t : m.main().tensors) {
    t.quant.scale = {0.05f};
    t.quant.zero_point = {128};
  }
  // uint8 runs fast only on VNNI CPUs (fast_quant_conv_uint8_test.cc).
  EXPECT_EQ(ChosenKernel(m, {}), fast::VnniAvailable() ? "fast/uint8/conv_2d" : "ref/quantized/conv_2d");
}

}  // namespace
}  // namespace cae::testing
