// kernels/fast int8/uint8 TRANSPOSE_CONV (fast/q8/transpose_conv) against the reference kernel,
// bit-exact, on every Highway target and on 1 and 2 threads: channel counts 1..33 in and out,
// filters 2x2..5x5, strides 1-3, SAME/VALID, output sizes with the extra rows/columns the
// padding arithmetic allows, batch 1-3, int8 per-channel and per-tensor weights, uint8 with a
// weight zero point, with and without bias, every quantized fused activation, non-zero zero points,
// some multipliers > 1.
#include <cmath>
#include <random>

#include "fast_conv_support.h"
#include "fast_options.h"

namespace cae::testing {
namespace {

std::vector<double> RandomInts(std::mt19937& rng, size_t n, int lo, int hi) {
  std::uniform_int_distribution<int> u(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return v;
}

void CheckTransposeConvQ8(DType t, int cases) {
  const bool u8 = t == DType::kUInt8;
  std::mt19937 rng(u8 ? 71 : 37);
  std::uniform_real_distribution<float> scale(0.002f, 0.05f);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int varied = 0;
  for (int i = 0; i < cases; ++i) {
    // Case 0 is the U-Net decoder layer [1,14,14,32] -> [1,28,28,16], 3x3 stride 2 SAME.
    const bool first = i == 0;
    const int batch = first ? 1 : pick(1, 3), in_h = first ? 14 : pick(1, 7);
    const int in_w = first ? 14 : pick(1, 8);
    const int in_c = first ? 32 : pick(1, 33), out_c = first ? 16 : pick(1, 33);
    const int f_h = first ? 3 : pick(2, 5), f_w = first ? 3 : pick(2, 5);
    OpOptions o;
    o.stride_h = first ? 2 : pick(1, 3);
    o.stride_w = first ? 2 : pick(1, 3);
    o.padding = first || pick(0, 1) ? Padding::kSame : Padding::kValid;
    o.activation = kQuantActivations[first ? 1 : pick(0, 3)];
    const bool bias = first || pick(0, 2) != 0;
    const bool per_channel = !u8 && pick(0, 2) != 0;
    // The output sizes whose forward convolution gives back in_h x in_w (extra rows allowed).
    const int xh = pick(0, o.stride_h - 1), xw = pick(0, o.stride_w - 1);
    const bool same = o.padding == Padding::kSame;
    const int out_h = same ? in_h * o.stride_h - xh : (in_h - 1) * o.stride_h + f_h + xh;
    const int out_w = same ? in_w * o.stride_w - xw : (in_w - 1) * o.stride_w + f_w + xw;
    SCOPED_TRACE(StrCat(u8 ? "uint8" : "int8", " case ", i, ": b", batch, " in", in_h, "x", in_w,
                        "x", in_c, " out", out_h, "x", out_w, "x", out_c, " f", f_h, "x", f_w,
                        " s", o.stride_h, ",", o.stride_w, same ? " SAME" : " VALID", " act",
                        static_cast<int>(o.activation), bias ? " bias" : "",
                        per_channel ? " per-channel" : " per-tensor"));
    const auto x = RandomInts(rng, static_cast<size_t>(batch) * in_h * in_w * in_c,
                              u8 ? 0 : -128, u8 ? 255 : 127);
    const auto w = RandomInts(rng, static_cast<size_t>(out_c) * f_h * f_w * in_c, u8 ? 0 : -127,
                              u8 ? 255 : 127);
    const auto b = RandomInts(rng, static_cast<size_t>(out_c), -5000, 5000);
    const std::vector<Arg> args = {
        CI({4}, {double(batch), double(out_h), double(out_w), double(out_c)}),
        {t, {out_c, f_h, f_w, in_c}, w, true, false},
        I(t, {batch, in_h, in_w, in_c}, x),
        bias ? Arg{DType::kInt32, {out_c}, b, true, false} : None()};
    Model m = OneOpModel(OpType::TRANSPOSE_CONV, o, args, {t});
    Graph& g = m.main();
    const Op& op = g.ops[0];
    const float in_scale = scale(rng);
    Tensor& in_t = g.tensors[static_cast<size_t>(op.inputs[2])];
    in_t.quant.scale = {in_scale};
    in_t.quant.zero_point = {u8 ? pick(100, 150) : pick(-20, 20)};
    QuantParams& wq = g.tensors[static_cast<size_t>(op.inputs[1])].quant;
    const int n_scales = per_channel ? out_c : 1;
    for (int k = 0; k < n_scales; ++k) {
      wq.scale.push_back(scale(rng) * 0.5f);
      wq.zero_point.push_back(u8 ? pick(110, 145) : 0);
    }
    wq.quantized_dimension = 0;
    if (bias) {
      QuantParams& bq = g.tensors[static_cast<size_t>(op.inputs[3])].quant;
      for (int k = 0; k < n_scales; ++k) {
        bq.scale.push_back(in_scale * wq.scale[static_cast<size_t>(k)]);
        bq.zero_point.push_back(0);
      }
    }
    Tensor& out = g.tensors[static_cast<size_t>(op.outputs[0])];
    // Roughly sum-sized output scale so the outputs vary; every 7th case a multiplier > 1.
    const float taps = static_cast<float>(in_c * f_h * f_w);
    float out_scale = in_scale * wq.scale[0] * 200.0f * std::sqrt(taps);
    if (i % 7 == 3) out_scale = in_scale * wq.scale[0] * 0.4f;
    out.quant.scale = {out_scale};
    out.quant.zero_point = {u8 ? pick(100, 150) : pick(-10, 10)};
    ASSERT_EQ(ChosenKernel(m, {}), "fast/q8/transpose_conv");

    TensorData input(t, {batch, in_h, in_w, in_c});
    input.bytes = Encode(t, x);
    ForEveryHwyTarget([&] { ExpectSameBytesAsReference(m, {input}); });
    if (::testing::Test::HasFatalFailure()) return;
    const auto v = Decode(Interpreter(m, {1, 0, true}).Run({input})[0]);
    for (size_t k = 1; k < v.size(); ++k)
      if (v[k] != v[0]) {
        ++varied;
        break;
      }
  }
  EXPECT_GT(varied, cases / 2);  // the outputs are not all clamped to one value
}

TEST(FastTransposeConvQ8, Int8BitExactWithReference) { CheckTransposeConvQ8(DType::kInt8, 60); }

TEST(FastTransposeConvQ8, Uint8BitExactWithReference) { CheckTransposeConvQ8(DType::kUInt8, 40); }

}  // namespace
}  // namespace cae::testing
