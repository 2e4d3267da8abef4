// kernels/fast DEPTHWISE_CONV_2D (int8 per-channel / per-tensor, uint8 with a filter zero point)
// against the reference kernel, bit-exact, on every Highway target this CPU runs (AVX-512, AVX2,
// SSE4, EMU128...): the conv shapes of fast_conv_support.h used as depthwise shapes (channels =
// out_c) plus a sweep of channel counts 1..70 (8, 16, 24, odd sizes) over strides 1/2, dilation,
// SAME/VALID, batch > 1; non-zero zero points, every fused activation, 1 and 2 threads. Depth
// multiplier > 1 stays on the reference kernel.
#include <random>

#include "fast_options.h"
#include "hwy/targets.h"

#include "fast_conv_support.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

std::vector<double> RandomInts(std::mt19937& rng, size_t n, int lo, int hi) {
  std::uniform_int_distribution<int> u(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return v;
}

// Restores Highway's own target choice when a check over the targets ends (also on ASSERT).
struct EveryTargetGuard {
  ~EveryTargetGuard() { hwy::SetSupportedTargetsForTest(0); }
};

OpOptions DepthwiseOptions(const ConvCase& c) {
  OpOptions o = ConvOptions(c);
  o.depth_multiplier = 1;
  return o;
}

void CheckDepthwise(DType t) {
  const bool u8 = t == DType::kUInt8;
  std::mt19937 rng(u8 ? 23 : 17);
  std::uniform_real_distribution<float> scale(0.002f, 0.05f);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const Activation acts[] = {Activation::kNone, Activation::kRelu, Activation::kRelu6,
                             Activation::kReluN1To1};
  auto cases = ConvCases({acts[0], acts[1], acts[2], acts[3]});
  cases.push_back({1, 15, 15, 1, 96, 3, 3, 2, 2, 1, 1, Padding::kSame, Activation::kRelu6, true});
  cases.push_back({2, 9, 7, 1, 33, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kNone, true});
  // MobileNet-like widths (wide channel blocks, stride 2, 5x5), and 1xN / Nx1 filters.
  cases.push_back({1, 20, 19, 1, 96, 3, 3, 2, 2, 1, 1, Padding::kSame, Activation::kRelu6, true});
  cases.push_back({1, 9, 9, 1, 144, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu6, true});
  cases.push_back({2, 11, 12, 1, 40, 5, 5, 1, 1, 1, 1, Padding::kSame, Activation::kNone, true});
  cases.push_back({1, 6, 13, 1, 24, 1, 3, 1, 2, 1, 1, Padding::kSame, Activation::kRelu, true});
  cases.push_back({1, 13, 6, 1, 8, 3, 1, 2, 1, 1, 1, Padding::kValid, Activation::kNone, false});
  // Channel counts around the vector widths (4, 8, 16 int32 lanes) on the layouts the kernel
  // distinguishes: stride 1 (flat rows), stride 2 (rows split into phases when a vector spans
  // pixels), dilation, a filter that is not 3x3, VALID with unused input columns.
  int sweep = 0;
  for (int ch : {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 24, 31, 32, 33, 40, 48, 63, 64, 70}) {
    const Activation a = acts[sweep++ % 4];
    cases.push_back({2, 7, 9, 1, ch, 3, 3, 1, 1, 1, 1, Padding::kSame, a, true});
    cases.push_back({1, 9, 8, 1, ch, 3, 3, 2, 2, 1, 1, Padding::kSame, a, sweep % 2 == 0});
    cases.push_back({1, 8, 11, 1, ch, 3, 3, 1, 2, 2, 2, Padding::kValid, a, true});
    cases.push_back({1, 9, 10, 1, ch, 3, 3, 1, 1, 2, 2, Padding::kSame, a, false});
    cases.push_back({2, 6, 10, 1, ch, 2, 5, 2, 3, 1, 1, Padding::kSame, a, true});
  }
  int index = 0, varied = 0, fast_chosen = 0, case_number = 0;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(c.Name());
    const int ch = c.out_c;  // depthwise: channels in = out
    const bool per_channel = !u8 && (index++ % 3) != 2;
    const auto x = RandomInts(rng, static_cast<size_t>(c.batch) * c.in_h * c.in_w * ch,
                              u8 ? 0 : -128, u8 ? 255 : 127);
    const auto w = RandomInts(rng, static_cast<size_t>(c.f_h) * c.f_w * ch, u8 ? 0 : -127,
                              u8 ? 255 : 127);
    // Every 11th case: biases near +-2^30, beyond the kernel's short-rounding bound.
    const bool big_bias = case_number % 11 == 5;
    const auto b = big_bias ? RandomInts(rng, static_cast<size_t>(ch), -1100000000, 1100000000)
                            : RandomInts(rng, static_cast<size_t>(ch), -3000, 3000);
    std::vector<Arg> args = {I(t, {c.batch, c.in_h, c.in_w, ch}, x),
                             {t, {1, c.f_h, c.f_w, ch}, w, true, false},
                             c.bias ? Arg{DType::kInt32, {ch}, b, true, false} : None()};
    Model m = OneOpModel(OpType::DEPTHWISE_CONV_2D, DepthwiseOptions(c), args, {t});
    Graph& g = m.main();
    const float in_scale = scale(rng);
    float out_scale = scale(rng) * 4;
    g.tensors[0].quant.scale = {in_scale};
    g.tensors[0].quant.zero_point = {u8 ? pick(100, 150) : pick(-20, 20)};
    QuantParams& wq = g.tensors[1].quant;
    const int n_scales = per_channel ? ch : 1;
    for (int k = 0; k < n_scales; ++k) {
      wq.scale.push_back(scale(rng) * 0.5f);
      wq.zero_point.push_back(u8 ? pick(110, 145) : 0);
    }
    wq.quantized_dimension = 3;
    if (c.bias) {
      for (int k = 0; k < n_scales; ++k) {
        g.tensors[2].quant.scale.push_back(in_scale * wq.scale[static_cast<size_t>(k)]);
        g.tensors[2].quant.zero_point.push_back(0);
      }
    }
    Tensor& out = g.tensors[static_cast<size_t>(g.ops[0].outputs[0])];
    // Every 7th case: output scale below in_scale * w_scale, multipliers > 1 (left shifts).
    if (case_number++ % 7 == 3) out_scale = in_scale * wq.scale[0] * 0.4f;
    out.quant.scale = {out_scale};
    out.quant.zero_point = {u8 ? pick(100, 150) : pick(-10, 10)};
    if (ChosenKernel(m, {}) == "fast/q8/depthwise_conv_2d") ++fast_chosen;

    TensorData input(t, {c.batch, c.in_h, c.in_w, ch});
    input.bytes = Encode(t, x);
    Interpreter ref(m, {1, 0, true});
    const std::vector<TensorData> expected = ref.Run({input});
    const EveryTargetGuard guard;
    for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
      hwy::SetSupportedTargetsForTest(target);
      for (int threads : {1, 2}) {
        Interpreter fast(m, FastOptions(threads));
        const std::vector<TensorData> got = fast.Run({input});
        ASSERT_EQ(got[0].shape, expected[0].shape);
        ASSERT_EQ(got[0].bytes, expected[0].bytes)
            << hwy::TargetName(target) << ", " << threads << " thread(s)";
      }
    }
    const auto v = Decode(expected[0]);
    for (size_t i = 1; i < v.size(); ++i)
      if (v[i] != v[0]) {
        ++varied;
        break;
      }
  }
  EXPECT_GT(varied, static_cast<int>(cases.size()) * 3 / 4);
  EXPECT_EQ(fast_chosen, static_cast<int>(cases.size()));
}

TEST(FastQuantDepthwise, Int8BitExactWithReference) { CheckDepthwise(DType::kInt8); }

TEST(FastQuantDepthwise, Uint8BitExactWithReference) { CheckDepthwise(DType::kUInt8); }

TEST(FastQuantDepthwise, DepthMultiplierTwoIsLeftToTheReferenceKernel) {
  ConvCase c{1, 4, 4, 2, 4, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kNone, false};
  OpOptions o = ConvOptions(c);
  o.depth_multiplier = 2;
  std::vector<Arg> args = {I(DType::kInt8, {1, 4, 4, 2}, std::vector<double>(32, 1)),
                           {DType::kInt8, {1, 3, 3, 4}, std::vector<double>(36, 1), true, false},
                           None()};
  Model m = OneOpModel(OpType::DEPTHWISE_CONV_2D, o, args, {DType::kInt8});
  EXPECT_EQ(ChosenKernel(m, {}), "ref/quantized/depthwise_conv_2d");
}

}  // namespace
}  // namespace cae::testing
