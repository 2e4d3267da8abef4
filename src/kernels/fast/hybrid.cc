// Fast hybrid (dynamic-range) CONV_2D and FULLY_CONNECTED: float32 input and output, int8 weights
// (per-tensor or per-channel scales), float32 bias. CONV_2D: any stride, dilation and padding.
// Bit-exact with
// ref/hybrid/conv_2d and ref/hybrid/fully_connected:
//  - every batch is quantized by the same code (QuantizeBatchesFast, equal to
//    kernels/ref/quantized/hybrid_quantize.h), and the path choice is the reference's own
//    (HybridConvPerChannel);
//  - the int32 sums are the reference's integers (integer sums do not depend on their order).
//    CONV_2D: each image is expanded into a padded int16 image of x - zp whose padding holds 0,
//    so a padded tap adds w * 0, exactly as the reference skips it. FULLY_CONNECTED: dot
//    products of the int8 row with the weights, minus zp * (sum of the unit's weights);
//  - the float outputs: CONV_2D, HybridConvOutput's arithmetic on vectors of output channels
//    (hybrid_output_hwy-inl.h); FULLY_CONNECTED, HybridFullyConnectedOutput itself.
// CONV_2D is vectorized across output channels: the weights are packed as int16 pairs
// [tap][input channel pair][out_c padded to the int32 lanes][2], two input channels of a pixel
// are broadcast as one int32, and one pmaddwd-style ReorderWidenMulAccumulate adds both products
// to every channel's sum; up to 2 vectors of channels for 4 pixels stay in registers. Output
// rows are spread over the ThreadPool; each thread expands the images its rows read into its own
// scratch (one image at a time), so memory does not grow with the batch. With AVX-512 VNNI
// (hybrid_conv_vnni.h: uint8 x + 128 times int8 weights, 4 channels per instruction) CONV_2D runs
// there instead.
// FULLY_CONNECTED: int16 dot products per unit (horizontal sums), units in blocks per task.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/hybrid.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "kernels/fast/conv_int8_vnni.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/fast/hybrid_conv_vnni.h"
#include "kernels/fast/hybrid_quantize_fast.h"
#include "kernels/parallel.h"
#include "kernels/ref/quantized/conv_prepare.h"
#include "kernels/ref/quantized/hybrid_quantize.h"
#include "kernels/ref/quantized/qutil.h"

// Target-independent declarations, seen once although foreach_target re-includes this file.
#ifndef CAE_KERNELS_FAST_HYBRID_CONV_PLAN_
#define CAE_KERNELS_FAST_HYBRID_CONV_PLAN_
namespace cae::fast {
// What the hybrid CONV_2D's per-target functions read (one image at a time).
struct HybridConvPlan {
  int in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int ocp = 0;   // out_c rounded up to the int32 lanes
  int cinp = 0;  // in_c rounded up to even: the padded image's channels
  int taps = 0, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
  int64_t pad_rows = 0, pad_cols = 0;   // padded image size: the rows and columns windows reach
  const int64_t* tap_offset = nullptr;  // [taps] int16 elements from a window's first tap
  const int16_t* weights = nullptr;     // [taps][cinp / 2][ocp][2], 0 past in_c and out_c
  const float* bias = nullptr;          // [ocp], or nullptr without bias
  float lo = 0, hi = 0;
};
}  // namespace cae::fast
#endif  // CAE_KERNELS_FAST_HYBRID_CONV_PLAN_

// GCC contracts a vector multiply and add into FMA by default; the reference rounds twice.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "kernels/fast/hybrid_output_hwy-inl.h"

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// acc[oc] = sum over k < kp of patch[k] * w[oc * kp + k], for oc < out_c. kp is a multiple of
// LanesI16().
void HybridDotRows(const int16_t* patch, const int16_t* w, int kp, int out_c, int32_t* acc) {
#if HWY_TARGET == HWY_SCALAR
  for (int oc = 0; oc < out_c; ++oc) {
    int32_t sum = 0;
    for (int k = 0; k < kp; ++k) sum += int32_t{patch[k]} * w[int64_t{oc} * kp + k];
    acc[oc] = sum;
  }
#else
  const hn::ScalableTag<int32_t> d32;
  const hn::Repartition<int16_t, decltype(d32)> d16;
  const int n16 = static_cast<int>(hn::Lanes(d16));
  for (int oc = 0; oc < out_c; ++oc) {
    const int16_t* row = w + int64_t{oc} * kp;
    auto sum0 = hn::Zero(d32);
    auto sum1 = hn::Zero(d32);
    for (int k = 0; k < kp; k += n16) {
      sum0 = hn::ReorderWidenMulAccumulate(d32, hn::LoadU(d16, patch + k), hn::LoadU(d16, row + k),
                                           sum0, sum1);
    }
    acc[oc] = hn::GetLane(hn::SumOfLanes(d32, hn::RearrangeToOddPlusEven(sum0, sum1)));
  }
#endif
}

int LanesI16() {
#if HWY_TARGET == HWY_SCALAR
  return 1;
#else
  return static_cast<int>(hn::Lanes(hn::ScalableTag<int16_t>()));
#endif
}

int HybridConvLanes() { return static_cast<int>(hn::Lanes(hn::ScalableTag<int32_t>())); }

// dst = the padded image of one quantized image q with zero point zp: dst[py][px][c] =
// q[py - pad_h][px - pad_w][c] - zp inside the input, 0 outside it and for c >= in_c.
void HybridConvPadImage(const HybridConvPlan& p, const int8_t* q, int32_t zp, int16_t* dst) {
  const int64_t cinp = p.cinp, row_len = p.pad_cols * cinp;
  const int16_t z = static_cast<int16_t>(zp);
  for (int64_t py = 0; py < p.pad_rows; ++py) {
    int16_t* row = dst + py * row_len;
    const int64_t iy = py - p.pad_h;
    if (iy < 0 || iy >= p.in_h) {
      std::fill(row, row + row_len, int16_t{0});
      continue;
    }
    const int64_t x_end = std::min<int64_t>(p.pad_cols, int64_t{p.pad_w} + p.in_w);
    std::fill(row, row + p.pad_w * cinp, int16_t{0});
    std::fill(row + x_end * cinp, row + row_len, int16_t{0});
    const int8_t* src = q + iy * p.in_w * p.in_c;
    if (cinp == p.in_c) {  // the interior is one contiguous run
      hout::WidenMinusZeroPoint(src, (x_end - p.pad_w) * cinp, z, row + p.pad_w * cinp);
      continue;
    }
    for (int64_t px = p.pad_w; px < x_end; ++px) {
      int16_t* d = row + px * cinp;
      hout::WidenMinusZeroPoint(src + (px - p.pad_w) * p.in_c, p.in_c, z, d);
      std::fill(d + p.in_c, d + cinp, int16_t{0});
    }
  }
}

#if HWY_TARGET != HWY_SCALAR
namespace hconv {

using D = hn::ScalableTag<int32_t>;
using V = hn::Vec<D>;

// Output pixels [x, x + PX) of a row, channels [oc0, oc0 + NV * lanes): the int32 sums over
// every tap and input channel pair, then the float outputs. s: the first pixel's window;
// w: the weights at channel oc0 of (tap 0, pair 0); scale: [ocp] for this image; out: the first
// pixel's outputs (channel 0).
using D16 = hn::Repartition<int16_t, D>;
using V16 = hn::Vec<D16>;

// One pixel's two input channels x times NV vectors of channel weights: s0/o0 and s1/o1 are
// ReorderWidenMulAccumulate's two sums per vector. (Separate variables, not arrays: SVE's
// vectors are sizeless.)
template <int NV>
HWY_INLINE void PairMulAcc(D d, V16 x, V16 w0, V16 w1, V& s0, V& o0, V& s1, V& o1) {
  s0 = hn::ReorderWidenMulAccumulate(d, x, w0, s0, o0);
  if (NV > 1) s1 = hn::ReorderWidenMulAccumulate(d, x, w1, s1, o1);
}

// Two input channels of one pixel broadcast to every int32 lane.
HWY_INLINE V16 TwoChannels(D d, const int16_t* p) {
  int32_t two;
  std::memcpy(&two, p, sizeof(two));
  return hn::BitCast(D16(), hn::Set(d, two));
}

// Pixel px's outputs of vector v (channels c = oc0 + v * lanes) from its two sums.
HWY_INLINE void FinishPixel(D d, const HybridConvPlan& p, V s, V o, const float* scale, int c,
                            float* out) {
  const hn::Rebind<float, D> df;
  const size_t n = static_cast<size_t>(std::min(static_cast<int>(hn::Lanes(d)), p.out_c - c));
  hout::FinishHybridConv(d, hn::RearrangeToOddPlusEven(s, o), hn::LoadU(df, scale + c),
                         p.bias ? p.bias + c : nullptr, hn::Set(df, p.lo), hn::Set(df, p.hi), n,
                         out + c);
}

// Output pixels [x, x + PX) (PX 4 or 1) of a row, channels [oc0, oc0 + NV * lanes): the int32
// sums over every tap and input channel pair, then the float outputs. s: the first pixel's
// window; w: the weights at channel oc0 of (tap 0, pair 0); scale: [ocp] for this image; out:
// the first pixel's outputs (channel 0).
template <int NV, int PX>
HWY_INLINE void Pixels(const HybridConvPlan& p, const int16_t* s, int64_t px_step,
                       const int16_t* w, const float* scale, int oc0, float* out) {
  static_assert(PX == 4 || PX == 1, "4 pixels or 1");
  const D d;
  const D16 d16;
  const int N = static_cast<int>(hn::Lanes(d));
  const int pairs = p.cinp / 2;
  const int64_t w_step = int64_t{p.ocp} * 2;  // int16 elements per (tap, pair)
  V s00 = hn::Zero(d), o00 = s00, s01 = s00, o01 = s00;  // pixel 0, vectors 0 and 1
  V s10 = s00, o10 = s00, s11 = s00, o11 = s00;          // pixel 1 (PX 4 only), ...
  V s20 = s00, o20 = s00, s21 = s00, o21 = s00;
  V s30 = s00, o30 = s00, s31 = s00, o31 = s00;
  for (int t = 0; t < p.taps; ++t) {
    const int16_t* st = s + p.tap_offset[t];
    const int16_t* wt = w + int64_t{t} * pairs * w_step;
    for (int cp = 0; cp < pairs; ++cp, wt += w_step) {
      const V16 w0 = hn::LoadU(d16, wt);
      const V16 w1 = NV > 1 ? hn::LoadU(d16, wt + 2 * N) : w0;
      const int16_t* x = st + 2 * cp;
      PairMulAcc<NV>(d, TwoChannels(d, x), w0, w1, s00, o00, s01, o01);
      if constexpr (PX > 1) {
        PairMulAcc<NV>(d, TwoChannels(d, x + px_step), w0, w1, s10, o10, s11, o11);
        PairMulAcc<NV>(d, TwoChannels(d, x + 2 * px_step), w0, w1, s20, o20, s21, o21);
        PairMulAcc<NV>(d, TwoChannels(d, x + 3 * px_step), w0, w1, s30, o30, s31, o31);
      }
    }
  }
  const int64_t oc = p.out_c;
  FinishPixel(d, p, s00, o00, scale, oc0, out);
  if (NV > 1) FinishPixel(d, p, s01, o01, scale, oc0 + N, out);
  if constexpr (PX > 1) {
    FinishPixel(d, p, s10, o10, scale, oc0, out + oc);
    FinishPixel(d, p, s20, o20, scale, oc0, out + 2 * oc);
    FinishPixel(d, p, s30, o30, scale, oc0, out + 3 * oc);
    if (NV > 1) {
      FinishPixel(d, p, s11, o11, scale, oc0 + N, out + oc);
      FinishPixel(d, p, s21, o21, scale, oc0 + N, out + 2 * oc);
      FinishPixel(d, p, s31, o31, scale, oc0 + N, out + 3 * oc);
    }
  }
}

}  // namespace hconv
#endif

// Output row y of one image: image is its padded image, scale [ocp] w_scale[c] * in_scale,
// out_row [out_w][out_c].
void HybridConvRow(const HybridConvPlan& p, const int16_t* image, const float* scale, int64_t y,
                   float* out_row) {
  const int64_t cinp = p.cinp, px_step = int64_t{p.stride_w} * cinp;
  const int16_t* base = image + y * p.stride_h * p.pad_cols * cinp;
#if HWY_TARGET == HWY_SCALAR
  // One lane: the pairs cannot share a vector; plain integer sums of the same layout.
  const int pairs = p.cinp / 2;
  for (int x = 0; x < p.out_w; ++x)
    for (int oc = 0; oc < p.out_c; ++oc) {
      int32_t acc = 0;
      for (int t = 0; t < p.taps; ++t) {
        const int16_t* st = base + x * px_step + p.tap_offset[t];
        const int16_t* wt = p.weights + (int64_t{t} * pairs * p.ocp + oc) * 2;
        for (int cp = 0; cp < pairs; ++cp, wt += int64_t{p.ocp} * 2)
          acc += int32_t{st[2 * cp]} * wt[0] + int32_t{st[2 * cp + 1]} * wt[1];
      }
      float v = static_cast<float>(acc) * scale[oc];
      if (p.bias) v += p.bias[oc];
      out_row[int64_t{x} * p.out_c + oc] = std::min(p.hi, std::max(p.lo, v));
    }
#else
  const int N = static_cast<int>(hn::Lanes(hconv::D()));
  for (int oc0 = 0; oc0 < p.out_c; oc0 += 2 * N) {
    const bool two = oc0 + N < p.out_c;
    const int16_t* w = p.weights + int64_t{oc0} * 2;
    // Pixels [x, x + px) (px 4 or 1) with one or two vectors of channels.
    auto pixels = [&](auto px, int x) {
      constexpr int kPx = decltype(px)::value;
      const int16_t* s = base + x * px_step;
      float* o = out_row + int64_t{x} * p.out_c;
      if (two)
        hconv::Pixels<2, kPx>(p, s, px_step, w, scale, oc0, o);
      else
        hconv::Pixels<1, kPx>(p, s, px_step, w, scale, oc0, o);
    };
    int x = 0;
    for (; x + 4 <= p.out_w; x += 4) pixels(std::integral_constant<int, 4>(), x);
    for (; x < p.out_w; ++x) pixels(std::integral_constant<int, 1>(), x);
  }
#endif
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {

HWY_EXPORT(HybridDotRows);
HWY_EXPORT(LanesI16);
HWY_EXPORT(HybridConvLanes);
HWY_EXPORT(HybridConvPadImage);
HWY_EXPORT(HybridConvRow);

namespace {

using qref::In;
using qref::OptIn;
using qref::Out;

// A weight matrix [rows][k] int8 as [rows][kp] int16 (zeros past k, kp a multiple of
// LanesI16()) with each row's sum, repacked when the filter is not constant or has moved.
struct PackedRows16 {
  int rows = 0, k = 0, kp = 0;
  std::vector<int16_t> w;
  std::vector<int32_t> sums;
  const void* packed_for = nullptr;

  void Reset(int n_rows, int n_k) {
    rows = n_rows;
    k = n_k;
    const int lanes = HWY_DYNAMIC_DISPATCH(LanesI16)();
    kp = (k + lanes - 1) / lanes * lanes;
    packed_for = nullptr;
  }
  void Update(const TensorView& filter) {
    if (filter.is_constant && filter.data == packed_for) return;
    const int8_t* f = filter.as<int8_t>();
    w.assign(static_cast<size_t>(rows) * kp, 0);
    sums.assign(static_cast<size_t>(rows), 0);
    for (int r = 0; r < rows; ++r)
      for (int i = 0; i < k; ++i) {
        const int8_t v = f[int64_t{r} * k + i];
        w[int64_t{r} * kp + i] = v;
        sums[r] += v;
      }
    packed_for = filter.data;
  }
};

class FastHybridConv : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const qref::ConvPadding2D pad =
        qref::CheckConvGeometry(ctx, false, o.dilation_h, o.dilation_w);
    cout_ = qref::ConvOutChannels(filter, false);
    qref::CheckBias(ctx, OptIn(ctx, 2), DType::kFloat32, cout_);
    scales_ = qref::ChannelScales(ctx, filter, cout_);
    per_channel_ = qref::HybridConvPerChannel(scales_, false);
    qref::FloatActivationRange(ctx, &plan_.lo, &plan_.hi);
    kh_ = filter.dim(1);
    kw_ = filter.dim(2);
    plan_.in_h = in.dim(1);
    plan_.in_w = in.dim(2);
    plan_.in_c = filter.dim(3);
    plan_.cinp = (plan_.in_c + 1) / 2 * 2;
    plan_.out_h = out.dim(1);
    plan_.out_w = out.dim(2);
    plan_.out_c = cout_;
    plan_.taps = kh_ * kw_;
    plan_.stride_h = o.stride_h;
    plan_.stride_w = o.stride_w;
    plan_.pad_h = pad.h;
    plan_.pad_w = pad.w;
    dil_h_ = o.dilation_h;
    dil_w_ = o.dilation_w;
    plan_.pad_rows = int64_t{plan_.out_h - 1} * o.stride_h + int64_t{kh_ - 1} * dil_h_ + 1;
    plan_.pad_cols = int64_t{plan_.out_w - 1} * o.stride_w + int64_t{kw_ - 1} * dil_w_ + 1;
    lanes_ = 0;
    packed_for_ = nullptr;
    vnni_.reset();
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    // Checked per Eval: tests narrow the CPU targets between runs of one model.
    const bool vnni = VnniAvailable();
    const bool repack = !filter.is_constant || filter.data != packed_for_;
    int64_t ocp = 0;
    if (vnni) {
      if (!vnni_) vnni_ = std::make_unique<HybridConvVnni>(VnniGeometry());
      if (repack || vnni_packed_ != vnni) vnni_->SetWeights(filter.as<int8_t>());
      ocp = vnni_->padded_out_c();
    } else {
      const int lanes = HWY_DYNAMIC_DISPATCH(HybridConvLanes)();
      if (repack || vnni_packed_ != vnni || lanes != lanes_) Pack(filter, lanes);
      ocp = plan_.ocp;
    }
    packed_for_ = filter.data;
    vnni_packed_ = vnni;
    const int32_t batches = in.dim(0);
    QuantizeBatchesFast(in, batches, per_channel_, &qi_, ctx.pool);
    // HybridConvOutput's scale: w_scale[c] * in_scale, or in_scale * w_scale[0] (equal floats).
    scale_.assign(static_cast<size_t>(batches * ocp), 0.0f);
    for (int32_t b = 0; b < batches; ++b)
      for (int32_t c = 0; c < cout_; ++c)
        scale_[b * ocp + c] = scales_[per_channel_ ? c : 0] * qi_.scale[b];
    if (bias) {
      bias_.assign(static_cast<size_t>(ocp), 0.0f);
      std::copy_n(bias->as<float>(), cout_, bias_.begin());
    }
    const float* bias_data = bias ? bias_.data() : nullptr;
    plan_.tap_offset = tap_offset_.data();
    plan_.weights = weights_.data();
    plan_.bias = bias_data;
    float* dst = Out(ctx, 0).as<float>();
    const int64_t image_in = int64_t{plan_.in_h} * plan_.in_w * plan_.in_c;
    const int64_t image_out = int64_t{plan_.out_w} * cout_;
    const int64_t padded_int16 =
        vnni ? (vnni_->image_bytes() + 1) / 2 : plan_.pad_rows * plan_.pad_cols * plan_.cinp;
    const uint64_t eval_id = ++eval_counter_;
    ParallelFor(ctx.pool, int64_t{batches} * plan_.out_h, 1, [&](int64_t begin, int64_t end) {
      // The padded image this thread holds (int16, or uint8 bytes for VNNI): valid for image
      // `b` of Eval `eval_id`.
      thread_local struct {
        uint64_t eval_id = 0;
        int64_t b = -1;
        std::vector<int16_t> image;
      } held;
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / plan_.out_h, y = row % plan_.out_h;
        const int8_t* q = qi_.q.data() + b * image_in;
        if (held.eval_id != eval_id || held.b != b) {
          held.image.resize(static_cast<size_t>(padded_int16));
          if (vnni)
            vnni_->PadImage(q, qi_.offset[b], reinterpret_cast<uint8_t*>(held.image.data()));
          else
            HWY_DYNAMIC_DISPATCH(HybridConvPadImage)(plan_, q, qi_.offset[b], held.image.data());
          held.eval_id = eval_id;
          held.b = b;
        }
        float* out_row = dst + row * image_out;
        if (vnni)
          vnni_->Row(reinterpret_cast<const uint8_t*>(held.image.data()), qi_.offset[b],
                     scale_.data() + b * ocp, bias_data, plan_.lo, plan_.hi, y, out_row);
        else
          HWY_DYNAMIC_DISPATCH(HybridConvRow)(plan_, held.image.data(), scale_.data() + b * ocp,
                                              y, out_row);
      }
    });
  }

 private:
  // Weights as [tap][cinp / 2][ocp][2] int16 and the taps' offsets in the padded image, for
  // `lanes` int32 lanes.
  void Pack(const TensorView& filter, int lanes) {
    lanes_ = lanes;
    const int64_t ocp = (int64_t{cout_} + lanes - 1) / lanes * lanes;
    plan_.ocp = static_cast<int>(ocp);
    const int cin = plan_.in_c, pairs = plan_.cinp / 2, taps = plan_.taps;
    const int8_t* f = filter.as<int8_t>();
    weights_.assign(static_cast<size_t>(int64_t{taps} * pairs * ocp * 2), 0);
    for (int oc = 0; oc < cout_; ++oc)
      for (int t = 0; t < taps; ++t)
        for (int c = 0; c < cin; ++c)
          weights_[((int64_t{t} * pairs + c / 2) * ocp + oc) * 2 + c % 2] =
              f[(int64_t{oc} * taps + t) * cin + c];
    tap_offset_.resize(static_cast<size_t>(taps));
    for (int ky = 0; ky < kh_; ++ky)
      for (int kx = 0; kx < kw_; ++kx)
        tap_offset_[ky * kw_ + kx] =
            (int64_t{ky} * dil_h_ * plan_.pad_cols + int64_t{kx} * dil_w_) * plan_.cinp;
  }

  HybridConvVnni::Geometry VnniGeometry() const {
    HybridConvVnni::Geometry g;
    g.in_h = plan_.in_h;
    g.in_w = plan_.in_w;
    g.in_c = plan_.in_c;
    g.out_h = plan_.out_h;
    g.out_w = plan_.out_w;
    g.out_c = cout_;
    g.f_h = kh_;
    g.f_w = kw_;
    g.stride_h = plan_.stride_h;
    g.stride_w = plan_.stride_w;
    g.dil_h = dil_h_;
    g.dil_w = dil_w_;
    g.pad_h = plan_.pad_h;
    g.pad_w = plan_.pad_w;
    return g;
  }

  // Distinguishes Evals (of every instance) for the threads' held padded images.
  static inline std::atomic<uint64_t> eval_counter_{0};

  bool per_channel_ = false;
  int32_t cout_ = 0, kh_ = 1, kw_ = 1, dil_h_ = 1, dil_w_ = 1;
  int lanes_ = 0;
  const void* packed_for_ = nullptr;  // the filter data the packed weights came from
  bool vnni_packed_ = false;          // which path packed them
  std::vector<float> scales_, scale_, bias_;
  std::vector<int16_t> weights_;  // Highway path: [tap][cinp / 2][ocp][2]
  std::vector<int64_t> tap_offset_;
  std::unique_ptr<HybridConvVnni> vnni_;  // VNNI path (made at its first Eval)
  qref::QuantizedInput qi_;
  HybridConvPlan plan_;
};

class FastHybridFullyConnected : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& filter = In(ctx, 1);
    const qref::FullyConnectedShape shape = qref::CheckFullyConnectedShape(ctx);
    units_ = shape.units;
    depth_ = shape.depth;
    batches_ = shape.batches;
    qref::CheckBias(ctx, OptIn(ctx, 2), DType::kFloat32, units_);
    scales_ = qref::ChannelScales(ctx, filter, units_);
    qref::FloatActivationRange(ctx, &act_min_, &act_max_);
    weights_.Reset(units_, depth_);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    TensorView& out = Out(ctx, 0);
    weights_.Update(filter);
    QuantizeBatchesFast(in, batches_, ctx.op->options.asymmetric_quantize_inputs, &qi_, ctx.pool);
    const float* bias_data = bias ? bias->as<float>() : nullptr;
    float* dst = out.as<float>();
    const int units = units_, depth = depth_, kp = weights_.kp;
    constexpr int kBlock = 64;  // units per task
    const int blocks = (units + kBlock - 1) / kBlock;
    ParallelFor(ctx.pool, batches_ * blocks, 1, [&](int64_t begin, int64_t end) {
      thread_local std::vector<int16_t> x16;
      thread_local std::vector<int32_t> acc;
      x16.resize(static_cast<size_t>(kp));
      acc.resize(kBlock);
      int64_t widened = -1;  // the batch x16 holds
      for (int64_t task = begin; task < end; ++task) {
        const int64_t b = task / blocks;
        const int u0 = static_cast<int>(task % blocks) * kBlock;
        const int nu = std::min(kBlock, units - u0);
        if (widened != b) {
          const int8_t* x = qi_.q.data() + b * depth;
          for (int k = 0; k < depth; ++k) x16[k] = x[k];
          std::fill(x16.begin() + depth, x16.end(), int16_t{0});
          widened = b;
        }
        HWY_DYNAMIC_DISPATCH(HybridDotRows)(x16.data(), weights_.w.data() + int64_t{u0} * kp, kp,
                                            nu, acc.data());
        const int32_t zp = qi_.offset[b];
        for (int i = 0; i < nu; ++i) {
          const int u = u0 + i;
          const int32_t sum = acc[i] - zp * weights_.sums[u];
          dst[b * units + u] = qref::HybridFullyConnectedOutput(sum, qi_.scale[b], scales_,
                                                                bias_data, u, act_min_, act_max_);
        }
      }
    });
  }

 private:
  int32_t units_ = 0, depth_ = 0;
  int64_t batches_ = 0;
  float act_min_ = 0, act_max_ = 0;
  std::vector<float> scales_;
  PackedRows16 weights_;
  qref::QuantizedInput qi_;
};

bool IsHybrid(const KernelContext& ctx) {
  if (qref::InType(ctx, 0) != DType::kFloat32 || qref::InType(ctx, 1) != DType::kInt8 ||
      qref::OutType(ctx, 0) != DType::kFloat32)
    return false;
  const TensorView* bias = OptIn(ctx, 2);
  return !bias || bias->type == DType::kFloat32;
}

std::unique_ptr<OpKernel> CreateFullyConnected(const KernelContext& ctx) {
  return IsHybrid(ctx) ? std::make_unique<FastHybridFullyConnected>() : nullptr;
}

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  return IsHybrid(ctx) ? std::make_unique<FastHybridConv>() : nullptr;
}

}  // namespace

void RegisterFastHybrid(KernelRegistry& r) {
  r.Register(OpType::CONV_2D, "fast/hybrid/conv_2d", kFastPriority, Create);
  r.Register(OpType::FULLY_CONNECTED, "fast/hybrid/fully_connected", kFastPriority,
             CreateFullyConnected);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
