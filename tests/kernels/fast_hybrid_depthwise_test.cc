// kernels/fast hybrid DEPTHWISE_CONV_2D (fast/hybrid/depthwise_conv_2d: float32 input/output,
// int8 filter with per-channel scales) against ref/hybrid/depthwise_conv_2d, byte for byte, on
// every Highway target this CPU runs and on 1 and 2 threads: hand-picked MobileNet-like layers
// (wide channel counts, stride 2, depth multiplier 2 and 4) followed by random cases from a fixed
// seed: batch 1-3, input channels 1-70 (around the 4/8/16-lane vector widths), depth multiplier
// 1-3, filters 1x1..5x5, strides 1-2, dilation 1-2, SAME/VALID, every float fused activation the
// hybrid kernels take, with and without bias, inputs with and without negative values (zero point
// -128 or inside the range, so padded taps meet a non-zero zero point) and all-zero batches.
#include <random>

#include "fast_conv_support.h"
#include "fast_options.h"

namespace cae::testing {
namespace {

struct HybridDwCase {
  int batch, in_h, in_w, in_c, mult, f_h, f_w, stride_h, stride_w, dil_h, dil_w;
  Padding padding;
  Activation act;
  bool bias, positive, zero_batch;
};

std::vector<HybridDwCase> Cases() {
  std::vector<HybridDwCase> cases = {
      {1, 16, 16, 32, 1, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu6, true, false, false},
      {1, 15, 15, 96, 1, 3, 3, 2, 2, 1, 1, Padding::kSame, Activation::kRelu6, true, true, false},
      {2, 9, 11, 70, 1, 5, 5, 1, 1, 1, 1, Padding::kSame, Activation::kNone, false, false, true},
      {1, 8, 8, 3, 4, 3, 3, 1, 1, 1, 1, Padding::kValid, Activation::kRelu, true, true, false},
      {3, 10, 7, 17, 2, 3, 3, 2, 1, 2, 2, Padding::kSame, Activation::kReluN1To1, true, false, true},
      {1, 7, 9, 1, 1, 3, 2, 1, 2, 1, 1, Padding::kSame, Activation::kNone, false, false, false},
  };
  std::mt19937 rng(71);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  while (cases.size() < 56) {
    HybridDwCase c;
    c.batch = pick(1, 3);
    c.in_h = pick(1, 10);
    c.in_w = pick(1, 10);
    c.in_c = pick(0, 4) == 0 ? pick(1, 3) : pick(1, 70);
    c.mult = pick(0, 2) == 0 ? pick(2, 3) : 1;
    c.f_h = pick(1, 5);
    c.f_w = pick(1, 5);
    c.stride_h = pick(1, 2);
    c.stride_w = pick(1, 2);
    c.dil_h = pick(1, 2);
    c.dil_w = pick(1, 2);
    c.padding = pick(0, 1) ? Padding::kSame : Padding::kValid;
    c.act = kQuantActivations[pick(0, 3)];
    c.bias = pick(0, 2) != 0;
    c.positive = pick(0, 2) == 0;  // e.g. images in [0, 1]: zero point -128
    c.zero_batch = c.batch > 1 && pick(0, 3) == 0;
    if (c.padding == Padding::kValid &&
        (c.in_h < (c.f_h - 1) * c.dil_h + 1 || c.in_w < (c.f_w - 1) * c.dil_w + 1))
      c.padding = Padding::kSame;
    cases.push_back(c);
  }
  return cases;
}

TEST(FastHybridDepthwise, BitExactWithReference) {
  std::mt19937 rng(73);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  int index = 0, varied = 0;
  for (const HybridDwCase& c : Cases()) {
    const int out_c = c.in_c * c.mult;
    SCOPED_TRACE(StrCat("case ", index++, ": b", c.batch, " in", c.in_h, "x", c.in_w, "x", c.in_c,
                        " m", c.mult, " f", c.f_h, "x", c.f_w, " s", c.stride_h, ",", c.stride_w,
                        " d", c.dil_h, ",", c.dil_w,
                        c.padding == Padding::kSame ? " SAME" : " VALID", " act",
                        static_cast<int>(c.act), c.bias ? " bias" : "",
                        c.positive ? " positive" : "", c.zero_batch ? " zero batch" : ""));
    OpOptions o;
    o.padding = c.padding;
    o.stride_h = c.stride_h;
    o.stride_w = c.stride_w;
    o.dilation_h = c.dil_h;
    o.dilation_w = c.dil_w;
    o.depth_multiplier = c.mult;
    o.activation = c.act;
    std::vector<double> x(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c);
    for (double& v : x) v = c.positive ? 0.5 * (unit(rng) + 1.0) : unit(rng) * 3.0;
    if (c.zero_batch) std::fill(x.begin(), x.begin() + static_cast<long>(x.size() / c.batch), 0.0);
    std::vector<double> w(static_cast<size_t>(c.f_h) * c.f_w * out_c);
    for (double& v : w) v = pick(-127, 127);
    std::vector<double> b(static_cast<size_t>(out_c));
    for (double& v : b) v = unit(rng) * 0.5;
    Model m = OneOpModel(OpType::DEPTHWISE_CONV_2D, o,
                         {F({c.batch, c.in_h, c.in_w, c.in_c}, x),
                          {DType::kInt8, {1, c.f_h, c.f_w, out_c}, w, true, false},
                          c.bias ? CF({out_c}, b) : None()},
                         {DType::kFloat32});
    Graph& g = m.main();
    QuantParams& wq = g.tensors[static_cast<size_t>(g.ops[0].inputs[1])].quant;
    for (int k = 0; k < out_c; ++k) {
      wq.scale.push_back(0.002 + 0.0007 * ((k * 5) % 11));
      wq.zero_point.push_back(0);
    }
    wq.quantized_dimension = 3;
    ASSERT_EQ(ChosenKernel(m, {}), "fast/hybrid/depthwise_conv_2d");
    TensorData input(DType::kFloat32, {c.batch, c.in_h, c.in_w, c.in_c});
    input.bytes = Encode(DType::kFloat32, x);
    ForEveryHwyTarget([&] { ExpectSameBytesAsReference(m, {input}); });
    if (::testing::Test::HasFatalFailure()) return;
    // The case tests something only if its outputs differ from each other.
    const auto v = Decode(Interpreter(m, {1, 0, true}).Run({input})[0]);
    for (size_t i = 1; i < v.size(); ++i)
      if (v[i] != v[0]) {
        ++varied;
        break;
      }
  }
  EXPECT_GT(varied, 40);
}

}  // namespace
}  // namespace cae::testing
