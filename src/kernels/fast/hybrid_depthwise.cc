// Fast hybrid (dynamic-range) DEPTHWISE_CONV_2D: float32 NHWC input and output, int8 filter
// [1, h, w, in_c * M] with one scale per output channel (output channel c reads input channel
// c / M), optional float32 bias, SAME/VALID padding, any stride, dilation and depth multiplier M,
// fused NONE / RELU / RELU6 / RELU_N1_TO_1. Bit-exact with ref/hybrid/depthwise_conv_2d:
//  - every batch is quantized asymmetrically as the reference does (QuantizeBatchesFast);
//  - the int32 sum of each output is the reference's integer: the quantized batch is expanded
//    once per Eval into a padded image of int16 values x - zp (channel c of the expanded image
//    holds input channel c / M) whose padding holds 0, so a padded tap adds w * 0, exactly as the
//    reference skips it; integer sums do not depend on their order;
//  - the float output is HybridConvOutput's arithmetic on vectors (hybrid_output_hwy-inl.h) with
//    scale w_scale[c] * in_scale[b].
// Vectorized across output channels (Highway dynamic dispatch): the padded image and the weights
// ([tap][channels padded to the lane count] int32) have no bounds to check; each vector of
// channels is computed for 4 pixels at a time, reusing the tap's weights. x86 SIMD targets
// multiply with pmaddwd (x and w fit in int16, the weights' high halves are 0). Output rows
// (batch x row) and the padded image's rows are spread over the ThreadPool.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/hybrid_depthwise.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/fast/fast_kernels.h"
#include "kernels/fast/hybrid_quantize_fast.h"
#include "kernels/parallel.h"
#include "kernels/ref/quantized/conv_prepare.h"
#include "kernels/ref/quantized/hybrid_quantize.h"
#include "kernels/ref/quantized/qutil.h"

// Target-independent declarations, seen once although foreach_target re-includes this file.
#ifndef CAE_KERNELS_FAST_HYBRID_DEPTHWISE_PLAN_
#define CAE_KERNELS_FAST_HYBRID_DEPTHWISE_PLAN_
namespace cae::fast {
// What one call of the row kernel reads and writes.
struct HybridDwPlan {
  int out_h = 0, out_w = 0, out_c = 0, ocp = 0;  // ocp: out_c rounded up to the int32 lanes
  int taps = 0, stride_h = 1, stride_w = 1;
  int64_t pad_rows = 0, pad_cols = 0;  // padded image size per batch
  const int16_t* image = nullptr;      // [batch][pad_rows][pad_cols][ocp] x - zp, 0 outside
  const int64_t* tap_offset = nullptr;  // [taps] int16 elements from a window's first tap
  const int32_t* weights = nullptr;     // [taps][ocp], 0 past out_c
  const float* scale = nullptr;         // [batch][ocp] w_scale[c] * in_scale[b]
  const float* bias = nullptr;          // [ocp], or nullptr without bias
  float lo = 0, hi = 0;
  float* out = nullptr;  // [batch][out_h][out_w][out_c]
};
}  // namespace cae::fast
#endif  // CAE_KERNELS_FAST_HYBRID_DEPTHWISE_PLAN_

// GCC contracts a vector multiply and add into FMA by default; the reference rounds twice.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "kernels/fast/hybrid_output_hwy-inl.h"

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

int HybridDwLanes() { return static_cast<int>(hn::Lanes(hn::ScalableTag<int32_t>())); }

namespace hdw {

using D = hn::ScalableTag<int32_t>;
using V = hn::Vec<D>;

#undef CAE_HDW_MADD
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
#define CAE_HDW_MADD 1
#else
#define CAE_HDW_MADD 0
#endif

HWY_INLINE V LoadX(D d, const int16_t* p) {
  return hn::PromoteTo(d, hn::LoadU(hn::Rebind<int16_t, D>(), p));
}

// The weight vector in the form MulAcc expects (x86: high 16 bits cleared for pmaddwd).
HWY_INLINE V LoadW(D d, const int32_t* w) {
#if CAE_HDW_MADD
  return hn::And(hn::LoadU(d, w), hn::Set(d, 0xFFFF));
#else
  return hn::LoadU(d, w);
#endif
}

// acc + x * w in int32, exact: x = sign-extended int16, w from LoadW (pmaddwd adds
// lo(x) * lo(w) + hi(x) * 0).
HWY_INLINE V MulAcc(D d, V x, V w, V acc) {
#if CAE_HDW_MADD
  const hn::Repartition<int16_t, D> d16;
  V unused = hn::Zero(d);
  return hn::ReorderWidenMulAccumulate(d, hn::BitCast(d16, x), hn::BitCast(d16, w), acc, unused);
#else
  (void)d;
  return hn::Add(acc, hn::Mul(x, w));
#endif
}

}  // namespace hdw

// dst[c] = src[c] - zp for c < n (int8 to int16).
void HybridDwWiden(const int8_t* src, int n, int16_t zp, int16_t* dst) {
  hout::WidenMinusZeroPoint(src, n, zp, dst);
}

// Output rows [begin, end) of batch-major rows (row = b * out_h + y).
void HybridDwRows(const HybridDwPlan& p, int64_t begin, int64_t end) {
  using hdw::D;
  const D d;
  const hn::Rebind<float, D> df;
  const int N = static_cast<int>(hn::Lanes(d));
  const int64_t ocp = p.ocp, px_step = int64_t{p.stride_w} * ocp;
  const auto lo = hn::Set(df, p.lo), hi = hn::Set(df, p.hi);
  for (int64_t row = begin; row < end; ++row) {
    const int64_t b = row / p.out_h, y = row % p.out_h;
    const int16_t* base = p.image + ((b * p.pad_rows + y * p.stride_h) * p.pad_cols) * ocp;
    float* out_row = p.out + row * p.out_w * p.out_c;
    for (int c = 0; c < p.ocp; c += N) {
      const auto scale = hn::LoadU(df, p.scale + b * ocp + c);
      const float* bias = p.bias ? p.bias + c : nullptr;
      const size_t n = static_cast<size_t>(std::min(N, p.out_c - c));
      const int32_t* w = p.weights + c;
      const int16_t* src = base + c;
      float* dst = out_row + c;
      int x = 0;
      for (; x + 4 <= p.out_w; x += 4) {
        auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
        const int16_t* s = src + x * px_step;
        for (int t = 0; t < p.taps; ++t) {
          const auto wv = hdw::LoadW(d, w + t * ocp);
          const int16_t* st = s + p.tap_offset[t];
          a0 = hdw::MulAcc(d, hdw::LoadX(d, st), wv, a0);
          a1 = hdw::MulAcc(d, hdw::LoadX(d, st + px_step), wv, a1);
          a2 = hdw::MulAcc(d, hdw::LoadX(d, st + 2 * px_step), wv, a2);
          a3 = hdw::MulAcc(d, hdw::LoadX(d, st + 3 * px_step), wv, a3);
        }
        float* o = dst + int64_t{x} * p.out_c;
        hout::FinishHybridConv(d, a0, scale, bias, lo, hi, n, o);
        hout::FinishHybridConv(d, a1, scale, bias, lo, hi, n, o + p.out_c);
        hout::FinishHybridConv(d, a2, scale, bias, lo, hi, n, o + 2 * p.out_c);
        hout::FinishHybridConv(d, a3, scale, bias, lo, hi, n, o + 3 * p.out_c);
      }
      for (; x < p.out_w; ++x) {
        auto a = hn::Zero(d);
        const int16_t* s = src + x * px_step;
        for (int t = 0; t < p.taps; ++t)
          a = hdw::MulAcc(d, hdw::LoadX(d, s + p.tap_offset[t]), hdw::LoadW(d, w + t * ocp), a);
        hout::FinishHybridConv(d, a, scale, bias, lo, hi, n, dst + int64_t{x} * p.out_c);
      }
    }
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {

HWY_EXPORT(HybridDwLanes);
HWY_EXPORT(HybridDwRows);
HWY_EXPORT(HybridDwWiden);

namespace {

using qref::In;
using qref::OptIn;
using qref::Out;

class FastHybridDepthwise : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const qref::ConvPadding2D pad =
        qref::CheckConvGeometry(ctx, /*depthwise=*/true, o.dilation_h, o.dilation_w);
    cout_ = qref::ConvOutChannels(filter, true);
    cin_ = in.dim(3);
    mult_ = cout_ / cin_;
    qref::CheckBias(ctx, OptIn(ctx, 2), DType::kFloat32, cout_);
    scales_ = qref::ChannelScales(ctx, filter, cout_);
    qref::FloatActivationRange(ctx, &plan_.lo, &plan_.hi);
    kh_ = filter.dim(1);
    kw_ = filter.dim(2);
    dil_h_ = o.dilation_h;
    dil_w_ = o.dilation_w;
    pad_h_ = pad.h;
    pad_w_ = pad.w;
    plan_.out_h = out.dim(1);
    plan_.out_w = out.dim(2);
    plan_.out_c = cout_;
    plan_.taps = kh_ * kw_;
    plan_.stride_h = o.stride_h;
    plan_.stride_w = o.stride_w;
    // The rows and columns the windows reach, from the first padded one.
    plan_.pad_rows = int64_t{plan_.out_h - 1} * o.stride_h + int64_t{kh_ - 1} * dil_h_ + 1;
    plan_.pad_cols = int64_t{plan_.out_w - 1} * o.stride_w + int64_t{kw_ - 1} * dil_w_ + 1;
    lanes_ = 0;
    packed_for_ = nullptr;
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    const int lanes = HWY_DYNAMIC_DISPATCH(HybridDwLanes)();
    if (lanes != lanes_ || !filter.is_constant || filter.data != packed_for_) Pack(filter, lanes);
    const int32_t batches = in.dim(0);
    const int64_t ocp = plan_.ocp;
    QuantizeBatchesFast(in, batches, /*asymmetric=*/true, &qi_, ctx.pool);
    scale_.assign(static_cast<size_t>(batches * ocp), 0.0f);
    for (int32_t b = 0; b < batches; ++b)
      for (int32_t c = 0; c < cout_; ++c) scale_[b * ocp + c] = scales_[c] * qi_.scale[b];
    if (bias) {
      bias_.assign(static_cast<size_t>(ocp), 0.0f);
      std::copy_n(bias->as<float>(), cout_, bias_.begin());
    }
    BuildImage(ctx, in);
    plan_.image = image_.data();
    plan_.tap_offset = tap_offset_.data();
    plan_.weights = weights_.data();
    plan_.scale = scale_.data();
    plan_.bias = bias ? bias_.data() : nullptr;
    plan_.out = Out(ctx, 0).as<float>();
    ParallelFor(ctx.pool, int64_t{batches} * plan_.out_h, 1, [&](int64_t begin, int64_t end) {
      HWY_DYNAMIC_DISPATCH(HybridDwRows)(plan_, begin, end);
    });
  }

 private:
  // Weights as [tap][ocp] int32 and the taps' offsets in the padded image, for `lanes` lanes.
  void Pack(const TensorView& filter, int lanes) {
    lanes_ = lanes;
    const int64_t ocp = (int64_t{cout_} + lanes - 1) / lanes * lanes;
    plan_.ocp = static_cast<int>(ocp);
    const int8_t* f = filter.as<int8_t>();
    weights_.assign(static_cast<size_t>(plan_.taps * ocp), 0);
    tap_offset_.resize(static_cast<size_t>(plan_.taps));
    for (int ky = 0; ky < kh_; ++ky)
      for (int kx = 0; kx < kw_; ++kx) {
        const int t = ky * kw_ + kx;
        tap_offset_[t] = (int64_t{ky} * dil_h_ * plan_.pad_cols + int64_t{kx} * dil_w_) * ocp;
        for (int c = 0; c < cout_; ++c) weights_[t * ocp + c] = f[int64_t{t} * cout_ + c];
      }
    packed_for_ = filter.data;
  }

  // image_[b][py][px][c] = q[b][py - pad_h][px - pad_w][c / M] - zp[b], 0 outside the input and
  // for c >= out_c.
  void BuildImage(const KernelContext& ctx, const TensorView& in) {
    const int32_t batches = in.dim(0), ih = in.dim(1), iw = in.dim(2);
    const int64_t ocp = plan_.ocp, rows = plan_.pad_rows, cols = plan_.pad_cols;
    image_.resize(static_cast<size_t>(batches * rows * cols * ocp));
    const int cin = cin_, mult = mult_;
    ParallelFor(ctx.pool, batches * rows, 1, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t b = r / rows, iy = r % rows - pad_h_;
        int16_t* dst = image_.data() + r * cols * ocp;
        if (iy < 0 || iy >= ih) {
          std::fill(dst, dst + cols * ocp, int16_t{0});
          continue;
        }
        const int16_t zp = static_cast<int16_t>(qi_.offset[b]);
        const int8_t* src_row = qi_.q.data() + ((b * ih + iy) * iw) * cin;
        for (int64_t px = 0; px < cols; ++px, dst += ocp) {
          const int64_t ix = px - pad_w_;
          if (ix < 0 || ix >= iw) {
            std::fill(dst, dst + ocp, int16_t{0});
            continue;
          }
          const int8_t* s = src_row + ix * cin;
          if (mult == 1) {
            HWY_DYNAMIC_DISPATCH(HybridDwWiden)(s, cin, zp, dst);
          } else {
            for (int c = 0; c < cin; ++c)
              for (int m = 0; m < mult; ++m)
                dst[c * mult + m] = static_cast<int16_t>(s[c] - zp);
          }
          std::fill(dst + cout_, dst + ocp, int16_t{0});
        }
      }
    });
  }

  int32_t cin_ = 0, cout_ = 0, mult_ = 1, kh_ = 1, kw_ = 1, dil_h_ = 1, dil_w_ = 1;
  int32_t pad_h_ = 0, pad_w_ = 0;
  int lanes_ = 0;
  const void* packed_for_ = nullptr;
  std::vector<float> scales_, scale_, bias_;
  std::vector<int32_t> weights_;
  std::vector<int64_t> tap_offset_;
  std::vector<int16_t> image_;
  qref::QuantizedInput qi_;
  HybridDwPlan plan_;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (qref::InType(ctx, 0) != DType::kFloat32 || qref::InType(ctx, 1) != DType::kInt8 ||
      qref::OutType(ctx, 0) != DType::kFloat32)
    return nullptr;
  const TensorView* bias = OptIn(ctx, 2);
  if (bias && bias->type != DType::kFloat32) return nullptr;
  return std::make_unique<FastHybridDepthwise>();
}

}  // namespace

void RegisterFastHybridDepthwise(KernelRegistry& r) {
  r.Register(OpType::DEPTHWISE_CONV_2D, "fast/hybrid/depthwise_conv_2d", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
