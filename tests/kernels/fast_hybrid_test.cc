// kernels/fast hybrid CONV_2D and FULLY_CONNECTED (fast/hybrid/*: float32 input/output, int8
// weights) against the reference kernels, byte for byte, on every Highway target and on 1 and 2
// threads. FULLY_CONNECTED: 1-5 rows, depths 1-300 (around the vector widths), 1-150 units (over
// the 64-unit task blocks), symmetric and asymmetric input quantization, per-tensor and
// per-channel weights, with and without bias, every float fused activation. CONV_2D: batch 1-3,
// channels 1-40 in and 1-33 out, filters 1x1..5x5, strides 1-3, dilations 1-3, SAME/VALID,
// per-tensor weights (symmetric input quantization) and per-channel weights (asymmetric, so
// padded taps meet a non-zero zero point), with and without bias, every float fused activation the kernel takes,
// inputs with and without negative values, and an all-zero batch. With AVX3_DL among the
// targets, CONV_2D runs as the AVX-512 VNNI kernel (hybrid_conv_vnni.h) where the CPU has it.
#define HWY_WANT_AVX3_DL  // list AVX3_DL among the targets (before hwy headers)

#include <random>

#include "fast_conv_support.h"
#include "fast_options.h"

namespace cae::testing {
namespace {

TEST(FastHybridConv, BitExactWithReference) {
  std::mt19937 rng(53);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  for (int i = 0; i < 50; ++i) {
    // Case 0 is the demo CAE's second conv: [1,14,14,32] -> 16 channels, 3x3 SAME, ReLU.
    const bool first = i == 0;
    const int batch = first ? 1 : pick(1, 3), in_h = first ? 14 : pick(1, 9);
    const int in_w = first ? 14 : pick(1, 9), in_c = first ? 32 : pick(1, 40);
    const int out_c = first ? 16 : pick(1, 33);
    const int f_h = first ? 3 : pick(1, std::min(5, in_h)), f_w = first ? 3 : pick(1, std::min(5, in_w));
    OpOptions o;
    o.stride_h = first ? 1 : pick(1, 3);
    o.stride_w = first ? 1 : pick(1, 3);
    // Dilation where the dilated filter still fits the input (VALID needs it).
    o.dilation_h = first || f_h == 1 ? 1 : std::max(1, std::min(pick(1, 3), (in_h - 1) / (f_h - 1)));
    o.dilation_w = first || f_w == 1 ? 1 : std::max(1, std::min(pick(1, 3), (in_w - 1) / (f_w - 1)));
    o.padding = first || pick(0, 1) ? Padding::kSame : Padding::kValid;
    o.activation = kQuantActivations[first ? 1 : pick(0, 3)];
    const bool bias = first || pick(0, 2) != 0;
    const bool per_channel = out_c > 1 && pick(0, 1) == 1;
    const bool positive = pick(0, 2) == 0;  // e.g. images in [0, 1]: zero point at -128
    const bool zero_batch = batch > 1 && pick(0, 3) == 0;
    SCOPED_TRACE(StrCat("case ", i, ": b", batch, " in", in_h, "x", in_w, "x", in_c, " oc", out_c,
                        " f", f_h, "x", f_w, " s", o.stride_h, ",", o.stride_w, " d", o.dilation_h, ",",
                        o.dilation_w,
                        o.padding == Padding::kSame ? " SAME" : " VALID", " act",
                        static_cast<int>(o.activation), bias ? " bias" : "",
                        per_channel ? " per-channel" : " per-tensor",
                        positive ? " positive" : "", zero_batch ? " zero batch" : ""));
    std::vector<double> x(static_cast<size_t>(batch) * in_h * in_w * in_c);
    for (double& v : x) v = positive ? 0.5 * (unit(rng) + 1.0) : unit(rng) * 3.0;
    if (zero_batch) std::fill(x.begin(), x.begin() + static_cast<long>(x.size() / batch), 0.0);
    std::vector<double> w(static_cast<size_t>(out_c) * f_h * f_w * in_c);
    for (double& v : w) v = pick(-127, 127);
    std::vector<double> b(static_cast<size_t>(out_c));
    for (double& v : b) v = unit(rng);
    Model m = OneOpModel(OpType::CONV_2D, o,
                         {F({batch, in_h, in_w, in_c}, x),
                          {DType::kInt8, {out_c, f_h, f_w, in_c}, w, true, false},
                          bias ? CF({out_c}, b) : None()},
                         {DType::kFloat32});
    Graph& g = m.main();
    QuantParams& wq = g.tensors[static_cast<size_t>(g.ops[0].inputs[1])].quant;
    for (int k = 0; k < (per_channel ? out_c : 1); ++k) {
      wq.scale.push_back(0.002 + 0.001 * k);
      wq.zero_point.push_back(0);
    }
    wq.quantized_dimension = 0;
    ASSERT_EQ(ChosenKernel(m, {}), "fast/hybrid/conv_2d");
    TensorData input(DType::kFloat32, {batch, in_h, in_w, in_c});
    input.bytes = Encode(DType::kFloat32, x);
    ForEveryHwyTarget([&] { ExpectSameBytesAsReference(m, {input}); });
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(FastHybridFullyConnected, BitExactWithReference) {
  std::mt19937 rng(61);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  for (int i = 0; i < 40; ++i) {
    // Case 0 is the dense autoencoder's first layer: 784 -> 128 on one row.
    const bool first = i == 0;
    const int batch = first ? 1 : pick(1, 5), depth = first ? 784 : pick(1, 300);
    const int units = first ? 128 : pick(1, 150);
    OpOptions o;
    o.activation = kQuantActivations[first ? 1 : pick(0, 3)];
    o.asymmetric_quantize_inputs = pick(0, 1) == 1;
    const bool bias = first || pick(0, 2) != 0;
    const bool per_channel = units > 1 && pick(0, 1) == 1;
    const bool positive = pick(0, 2) == 0;
    SCOPED_TRACE(StrCat("case ", i, ": b", batch, " depth", depth, " units", units, " act",
                        static_cast<int>(o.activation),
                        o.asymmetric_quantize_inputs ? " asymmetric" : " symmetric",
                        bias ? " bias" : "", per_channel ? " per-channel" : " per-tensor",
                        positive ? " positive" : ""));
    std::vector<double> x(static_cast<size_t>(batch) * depth);
    for (double& v : x) v = positive ? 0.5 * (unit(rng) + 1.0) : unit(rng) * 3.0;
    std::vector<double> w(static_cast<size_t>(units) * depth);
    for (double& v : w) v = pick(-127, 127);
    std::vector<double> b(static_cast<size_t>(units));
    for (double& v : b) v = unit(rng);
    Model m = OneOpModel(OpType::FULLY_CONNECTED, o,
                         {F({batch, depth}, x), {DType::kInt8, {units, depth}, w, true, false},
                          bias ? CF({units}, b) : None()},
                         {DType::kFloat32});
    Graph& g = m.main();
    QuantParams& wq = g.tensors[static_cast<size_t>(g.ops[0].inputs[1])].quant;
    for (int k = 0; k < (per_channel ? units : 1); ++k) {
      wq.scale.push_back(0.002 + 0.001 * k);
      wq.zero_point.push_back(0);
    }
    wq.quantized_dimension = 0;
    ASSERT_EQ(ChosenKernel(m, {}), "fast/hybrid/fully_connected");
    TensorData input(DType::kFloat32, {batch, depth});
    input.bytes = Encode(DType::kFloat32, x);
    ForEveryHwyTarget([&] { ExpectSameBytesAsReference(m, {input}); });
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace cae::testing
