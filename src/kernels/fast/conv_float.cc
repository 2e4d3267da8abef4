// Fast CONV_2D, float32: NHWC input, OHWI filter, any stride / dilation / SAME / VALID padding,
// fused bias and activation. No im2col: for every output pixel the valid filter taps are walked
// directly. Two SIMD paths (Highway, dynamic dispatch):
//  - wide (out_c >= one vector): weights are packed [tap][in_c][out_c padded], each output pixel
//    keeps up to 4 vectors of output channels in registers and broadcasts one input value per FMA;
//  - narrow (out_c below one vector, e.g. a decoder's last 1-channel layer): for each filter row
//    the valid taps form one contiguous run of input and OHWI filter values (when dilation_w is
//    1), so the pixel is a few SIMD dot products.
// Rows (batch x output row) are spread over the ThreadPool. Results differ from the reference
// kernel only by float summation order.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/conv_float.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "kernels/fast/conv_geometry.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/ref/float/common.h"

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One output row (b, oy) through the wide path. packed: [f_h*f_w*in_c][ocp]; bias: [ocp].
void ConvRowWideF32(const ConvGeometry& g, int ocp, const float* input, const float* packed,
                    const float* bias, float lo, float hi, int b, int oy, float* out_row) {
  const hn::ScalableTag<float> d;
  const int N = static_cast<int>(hn::Lanes(d));
  const auto vlo = hn::Set(d, lo);
  const auto vhi = hn::Set(d, hi);
  HWY_ALIGN float tail[4 * 64];
  int ky0, ky1;
  ConvGeometry::ValidTaps(oy, g.stride_h, g.pad_h, g.dil_h, g.f_h, g.in_h, &ky0, &ky1);
  const float* img = input + int64_t{b} * g.in_h * g.in_w * g.in_c;
  for (int ox = 0; ox < g.out_w; ++ox) {
    int kx0, kx1;
    ConvGeometry::ValidTaps(ox, g.stride_w, g.pad_w, g.dil_w, g.f_w, g.in_w, &kx0, &kx1);
    float* out = out_row + int64_t{ox} * g.out_c;
    for (int oc0 = 0; oc0 < g.out_c; oc0 += 4 * N) {
      const int nv = std::min(4, (g.out_c - oc0 + N - 1) / N);
      auto a0 = hn::LoadU(d, bias + oc0);
      auto a1 = nv > 1 ? hn::LoadU(d, bias + oc0 + N) : hn::Zero(d);
      auto a2 = nv > 2 ? hn::LoadU(d, bias + oc0 + 2 * N) : hn::Zero(d);
      auto a3 = nv > 3 ? hn::LoadU(d, bias + oc0 + 3 * N) : hn::Zero(d);
      for (int ky = ky0; ky < ky1; ++ky) {
        const int iy = oy * g.stride_h - g.pad_h + ky * g.dil_h;
        for (int kx = kx0; kx < kx1; ++kx) {
          const int ix = ox * g.stride_w - g.pad_w + kx * g.dil_w;
          const float* x = img + (int64_t{iy} * g.in_w + ix) * g.in_c;
          const float* w = packed + (int64_t{ky} * g.f_w + kx) * g.in_c * ocp + oc0;
          if (nv == 4) {
            for (int ic = 0; ic < g.in_c; ++ic, w += ocp) {
              const auto xv = hn::Set(d, x[ic]);
              a0 = hn::MulAdd(xv, hn::LoadU(d, w), a0);
              a1 = hn::MulAdd(xv, hn::LoadU(d, w + N), a1);
              a2 = hn::MulAdd(xv, hn::LoadU(d, w + 2 * N), a2);
              a3 = hn::MulAdd(xv, hn::LoadU(d, w + 3 * N), a3);
            }
          } else if (nv == 2) {
            for (int ic = 0; ic < g.in_c; ++ic, w += ocp) {
              const auto xv = hn::Set(d, x[ic]);
              a0 = hn::MulAdd(xv, hn::LoadU(d, w), a0);
              a1 = hn::MulAdd(xv, hn::LoadU(d, w + N), a1);
            }
          } else if (nv == 1) {
            for (int ic = 0; ic < g.in_c; ++ic, w += ocp)
              a0 = hn::MulAdd(hn::Set(d, x[ic]), hn::LoadU(d, w), a0);
          } else {  // nv == 3
            for (int ic = 0; ic < g.in_c; ++ic, w += ocp) {
              const auto xv = hn::Set(d, x[ic]);
              a0 = hn::MulAdd(xv, hn::LoadU(d, w), a0);
              a1 = hn::MulAdd(xv, hn::LoadU(d, w + N), a1);
              a2 = hn::MulAdd(xv, hn::LoadU(d, w + 2 * N), a2);
            }
          }
        }
      }
      a0 = hn::Min(hn::Max(a0, vlo), vhi);
      a1 = hn::Min(hn::Max(a1, vlo), vhi);
      a2 = hn::Min(hn::Max(a2, vlo), vhi);
      a3 = hn::Min(hn::Max(a3, vlo), vhi);
      const int n = std::min(4 * N, g.out_c - oc0);
      if (n == 4 * N) {
        hn::StoreU(a0, d, out + oc0);
        hn::StoreU(a1, d, out + oc0 + N);
        hn::StoreU(a2, d, out + oc0 + 2 * N);
        hn::StoreU(a3, d, out + oc0 + 3 * N);
      } else {
        hn::Store(a0, d, tail);
        hn::Store(a1, d, tail + N);
        hn::Store(a2, d, tail + 2 * N);
        hn::Store(a3, d, tail + 3 * N);
        std::memcpy(out + oc0, tail, sizeof(float) * static_cast<size_t>(n));
      }
    }
  }
}

// Dot product of n floats.
float DotF32(const float* a, const float* b, int n) {
  const hn::ScalableTag<float> d;
  const int N = static_cast<int>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N), s1);
  }
  for (; i + N <= n; i += N) s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
  float s = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// One output row through the narrow path (requires dil_w == 1). filter: OHWI as stored.
void ConvRowNarrowF32(const ConvGeometry& g, const float* input, const float* filter,
                      const float* bias, float lo, float hi, int b, int oy, float* out_row) {
  int ky0, ky1;
  ConvGeometry::ValidTaps(oy, g.stride_h, g.pad_h, g.dil_h, g.f_h, g.in_h, &ky0, &ky1);
  const float* img = input + int64_t{b} * g.in_h * g.in_w * g.in_c;
  for (int ox = 0; ox < g.out_w; ++ox) {
    int kx0, kx1;
    ConvGeometry::ValidTaps(ox, g.stride_w, g.pad_w, 1, g.f_w, g.in_w, &kx0, &kx1);
    const int ix0 = ox * g.stride_w - g.pad_w + kx0;
    const int run = (kx1 - kx0) * g.in_c;
    for (int oc = 0; oc < g.out_c; ++oc) {
      float acc = 0.0f;
      for (int ky = ky0; ky < ky1; ++ky) {
        const int iy = oy * g.stride_h - g.pad_h + ky * g.dil_h;
        const float* x = img + (int64_t{iy} * g.in_w + ix0) * g.in_c;
        const float* w = filter + ((int64_t{oc} * g.f_h + ky) * g.f_w + kx0) * g.in_c;
        acc += DotF32(x, w, run);
      }
      acc += bias[oc];
      out_row[int64_t{ox} * g.out_c + oc] = std::min(std::max(acc, lo), hi);
    }
  }
}

// Number of float lanes of the chosen target.
int LanesF32() { return static_cast<int>(hn::Lanes(hn::ScalableTag<float>())); }

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(ConvRowWideF32);
HWY_EXPORT(ConvRowNarrowF32);
HWY_EXPORT(LanesF32);

namespace {

using ref::Input;
using ref::KCheck;

class FastConvF32 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const OpOptions& o = ctx.op->options;
    const TensorView& in = Input(ctx, 0);
    const TensorView& w = Input(ctx, 1);
    KCheck(ctx, in.rank() == 4 && w.rank() == 4, "input and filter must be 4-D, got ",
           ShapeToString(in.shape), " and ", ShapeToString(w.shape));
    KCheck(ctx, in.dim(3) == w.dim(3), "input has ", in.dim(3), " channels, filter expects ",
           w.dim(3), " (grouped convolution is not supported)");
    KCheck(ctx, o.stride_h > 0 && o.stride_w > 0 && o.dilation_h > 0 && o.dilation_w > 0,
           "strides and dilations must be positive");
    const bool has_bias = ref::HasInput(ctx, 2);
    if (has_bias)
      KCheck(ctx, Input(ctx, 2).num_elements() == w.dim(0), "bias has ",
             Input(ctx, 2).num_elements(), " elements, expected ", w.dim(0));
    ref::CheckActivation(ctx, o.activation);
    ref::CheckOutputShape(
        ctx, 0,
        {in.dim(0), ConvOutputSize(o.padding, in.dim(1), w.dim(1), o.stride_h, o.dilation_h),
         ConvOutputSize(o.padding, in.dim(2), w.dim(2), o.stride_w, o.dilation_w), w.dim(0)});
    g_ = ConvGeometry::From(ctx);
    lo_ = -std::numeric_limits<float>::infinity();
    hi_ = std::numeric_limits<float>::infinity();
    switch (o.activation) {
      case Activation::kRelu: lo_ = 0.0f; break;
      case Activation::kRelu6: lo_ = 0.0f; hi_ = 6.0f; break;
      case Activation::kReluN1To1: lo_ = -1.0f; hi_ = 1.0f; break;
      default: break;
    }
    narrow_ = g_.out_c < HWY_DYNAMIC_DISPATCH(LanesF32)() && g_.dil_w == 1;
    ocp_ = RoundUp(g_.out_c, kOcAlign);
    bias_.assign(static_cast<size_t>(ocp_), 0.0f);
    if (has_bias) std::memcpy(bias_.data(), Input(ctx, 2).data, sizeof(float) * g_.out_c);
    PackWeights(w);
    packed_for_ = w.data;
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& w = Input(ctx, 1);
    // Weights fed at run time (not constant) are repacked on every call.
    if (!w.is_constant || w.data != packed_for_) {
      PackWeights(w);
      packed_for_ = w.data;
    }
    if (ref::HasInput(ctx, 2) && !Input(ctx, 2).is_constant)
      std::memcpy(bias_.data(), Input(ctx, 2).data, sizeof(float) * g_.out_c);
    const float* input = Input(ctx, 0).as<float>();
    const float* filter = w.as<float>();
    float* output = ref::Output(ctx, 0).as<float>();
    const Activation act = ctx.op->options.activation;
    const int64_t row_elems = int64_t{g_.out_w} * g_.out_c;
    ParallelFor(ctx.pool, int64_t{g_.batches} * g_.out_h, 1, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int b = static_cast<int>(row / g_.out_h), oy = static_cast<int>(row % g_.out_h);
        float* out_row = output + row * row_elems;
        if (narrow_) {
          HWY_DYNAMIC_DISPATCH(ConvRowNarrowF32)(g_, input, filter, bias_.data(), lo_, hi_, b, oy,
                                                 out_row);
        } else {
          HWY_DYNAMIC_DISPATCH(ConvRowWideF32)(g_, ocp_, input, packed_.data(), bias_.data(), lo_,
                                               hi_, b, oy, out_row);
        }
        if (act == Activation::kTanh)
          for (int64_t i = 0; i < row_elems; ++i) out_row[i] = std::tanh(out_row[i]);
      }
    });
  }

 private:
  // OHWI -> [ky][kx][ic][oc padded to ocp_] (wide path only).
  void PackWeights(const TensorView& w) {
    if (narrow_) return;
    const float* f = w.as<float>();
    const int taps = g_.f_h * g_.f_w;
    packed_.assign(static_cast<size_t>(taps) * g_.in_c * ocp_, 0.0f);
    for (int oc = 0; oc < g_.out_c; ++oc)
      for (int t = 0; t < taps; ++t)
        for (int ic = 0; ic < g_.in_c; ++ic)
          packed_[(static_cast<size_t>(t) * g_.in_c + ic) * ocp_ + oc] =
              f[(static_cast<size_t>(oc) * taps + t) * g_.in_c + ic];
  }

  ConvGeometry g_;
  float lo_ = 0, hi_ = 0;
  bool narrow_ = false;
  int ocp_ = 0;
  std::vector<float> packed_, bias_;
  const void* packed_for_ = nullptr;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  using ref::InputIs;
  if (!InputIs(ctx, 0, DType::kFloat32) || !InputIs(ctx, 1, DType::kFloat32) ||
      !ref::OutputIs(ctx, 0, DType::kFloat32))
    return nullptr;
  if (ref::HasInput(ctx, 2) && !InputIs(ctx, 2, DType::kFloat32)) return nullptr;
  switch (ctx.op->options.activation) {
    case Activation::kNone:
    case Activation::kRelu:
    case Activation::kRelu6:
    case Activation::kReluN1To1:
    case Activation::kTanh: break;
    default: return nullptr;
  }
  return std::make_unique<FastConvF32>();
}

}  // namespace

void RegisterFastConvF32(KernelRegistry& r) {
  r.Register(OpType::CONV_2D, "fast/float/conv_2d", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
