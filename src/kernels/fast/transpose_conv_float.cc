// Fast TRANSPOSE_CONV, float32 (inputs: output_shape, OHWI weights, NHWC input, optional bias;
// any stride, SAME/VALID, fused activation). Same scatter as the reference kernel: each input
// pixel adds input x filter to the output window at (y*stride - pad, x*stride - pad), but with
// weights packed [tap][in_c][out_c padded] so every tap is a few SIMD vectors of output channels
// (Highway, dynamic dispatch) accumulated in a padded per-image buffer; then bias and activation.
// One task per image (scatters overlap within an image). Results differ from the reference only
// by float summation order.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/transpose_conv_float.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "graph/shape_inference.h"
#include "kernels/fast/conv_geometry.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/ref/float/common.h"


HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// acc (out_h*out_w*ocp, zeroed by the caller) += scatter of one image x through packed weights.
void ScatterImageF32(const TransposeConvGeometry& g, const float* x_img, const float* packed,
                     float* acc) {
  // At most kOcAlign lanes: ocp is a multiple of kOcAlign only, so a wider vector (e.g. SVE at
  // 2048 bits, 64 lanes) would read and write past the padded channels.
  const hn::CappedTag<float, kOcAlign> d;
  const int N = static_cast<int>(hn::Lanes(d));
  for (int iy = 0; iy < g.in_h; ++iy) {
    for (int ix = 0; ix < g.in_w; ++ix) {
      const float* x = x_img + (int64_t{iy} * g.in_w + ix) * g.in_c;
      for (int ky = 0; ky < g.f_h; ++ky) {
        const int oy = iy * g.stride_h - g.pad_h + ky;
        if (oy < 0 || oy >= g.out_h) continue;
        for (int kx = 0; kx < g.f_w; ++kx) {
          const int ox = ix * g.stride_w - g.pad_w + kx;
          if (ox < 0 || ox >= g.out_w) continue;
          float* y = acc + (int64_t{oy} * g.out_w + ox) * g.ocp;
          const float* w = packed + (int64_t{ky} * g.f_w + kx) * g.in_c * g.ocp;
          for (int oc0 = 0; oc0 < g.ocp; oc0 += 2 * N) {
            auto a0 = hn::Zero(d), a1 = hn::Zero(d);
            const bool two = oc0 + 2 * N <= g.ocp;
            for (int ic = 0; ic < g.in_c; ++ic) {
              const auto xv = hn::Set(d, x[ic]);
              const float* wi = w + int64_t{ic} * g.ocp + oc0;
              a0 = hn::MulAdd(xv, hn::LoadU(d, wi), a0);
              if (two) a1 = hn::MulAdd(xv, hn::LoadU(d, wi + N), a1);
            }
            hn::StoreU(hn::Add(hn::LoadU(d, y + oc0), a0), d, y + oc0);
            if (two) hn::StoreU(hn::Add(hn::LoadU(d, y + oc0 + N), a1), d, y + oc0 + N);
          }
        }
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(ScatterImageF32);

namespace {

using ref::Input;
using ref::KCheck;
using ref::Output;

class FastTransposeConvF32 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    ref::CheckTransposeConv(ctx);
    const OpOptions& o = ctx.op->options;
    const TensorView& w = Input(ctx, 1);
    const TensorView& in = Input(ctx, 2);
    const TensorView& out = Output(ctx, 0);
    out_c_ = w.dim(0);
    g_.in_h = in.dim(1);
    g_.in_w = in.dim(2);
    g_.in_c = in.dim(3);
    g_.f_h = w.dim(1);
    g_.f_w = w.dim(2);
    g_.out_h = out.dim(1);
    g_.out_w = out.dim(2);
    g_.ocp = RoundUp(out_c_, kOcAlign);
    g_.stride_h = o.stride_h;
    g_.stride_w = o.stride_w;
    g_.pad_h = ConvPaddingBefore(o.stride_h, 1, g_.out_h, g_.f_h,
                                 ConvOutputSize(o.padding, g_.out_h, g_.f_h, o.stride_h, 1));
    g_.pad_w = ConvPaddingBefore(o.stride_w, 1, g_.out_w, g_.f_w,
                                 ConvOutputSize(o.padding, g_.out_w, g_.f_w, o.stride_w, 1));
    Pack(w);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& w = Input(ctx, 1);
    if (!w.is_constant || w.data != packed_for_) Pack(w);
    const float* input = Input(ctx, 2).as<float>();
    const float* bias = ref::HasInput(ctx, 3) ? Input(ctx, 3).as<float>() : nullptr;
    TensorView& out = Output(ctx, 0);
    float* output = out.as<float>();
    const Activation act = ctx.op->options.activation;
    const int64_t pixels = int64_t{g_.out_h} * g_.out_w;
    const int64_t in_image = int64_t{g_.in_h} * g_.in_w * g_.in_c;
    ParallelFor(ctx.pool, out.dim(0), 1, [&](int64_t begin, int64_t end) {
      // Per-thread accumulator that grows only on first use: no allocation per invoke.
      thread_local std::vector<float> acc_buf;
      const size_t acc_size = static_cast<size_t>(pixels * g_.ocp);
      if (acc_buf.size() < acc_size) acc_buf.resize(acc_size);
      float* acc = acc_buf.data();
      for (int64_t b = begin; b < end; ++b) {
        std::fill(acc, acc + acc_size, 0.0f);
        HWY_DYNAMIC_DISPATCH(ScatterImageF32)(g_, input + b * in_image, packed_.data(), acc);
        float* dst = output + b * pixels * out_c_;
        for (int64_t p = 0; p < pixels; ++p)
          for (int oc = 0; oc < out_c_; ++oc) {
            const float v = acc[p * g_.ocp + oc];
            dst[p * out_c_ + oc] = ref::Activate(bias ? v + bias[oc] : v, act);
          }
      }
    });
  }

 private:
  // OHWI -> [ky][kx][ic][oc padded to ocp].
  void Pack(const TensorView& w) {
    const float* f = w.as<float>();
    const int taps = g_.f_h * g_.f_w;
    packed_.assign(static_cast<size_t>(taps) * g_.in_c * g_.ocp, 0.0f);
    for (int oc = 0; oc < out_c_; ++oc)
      for (int t = 0; t < taps; ++t)
        for (int ic = 0; ic < g_.in_c; ++ic)
          packed_[(static_cast<size_t>(t) * g_.in_c + ic) * g_.ocp + oc] =
              f[(static_cast<size_t>(oc) * taps + t) * g_.in_c + ic];
    packed_for_ = w.data;
  }

  TransposeConvGeometry g_{};
  int out_c_ = 0;
  std::vector<float> packed_;
  const void* packed_for_ = nullptr;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!ref::InputIs(ctx, 1, DType::kFloat32) || !ref::InputIs(ctx, 2, DType::kFloat32) ||
      !ref::OutputIs(ctx, 0, DType::kFloat32))
    return nullptr;
  if (ref::HasInput(ctx, 3) && !ref::InputIs(ctx, 3, DType::kFloat32)) return nullptr;
  if (ctx.op->options.activation == Activation::kSignBit) return nullptr;
  return std::make_unique<FastTransposeConvF32>();
}

}  // namespace

void RegisterFastTransposeConvF32(KernelRegistry& r) {
  r.Register(OpType::TRANSPOSE_CONV, "fast/float/transpose_conv", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
