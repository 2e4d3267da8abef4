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

// P output pixels (ox .. ox+P-1, all with filter taps [kx0, kx1)) x NV vectors of output channels
// from oc0: accumulators stay in registers; each weight vector load serves P pixels.
template <int P, int NV, class D>
HWY_INLINE void PixelBlockF32(D d, const ConvGeometry& g, int ocp, const float* img,
                              const float* packed, const float* bias, hn::Vec<D> vlo,
                              hn::Vec<D> vhi, int oy, int ky0, int ky1, int ox, int kx0, int kx1,
                              int oc0, float* out_row) {
  const int N = static_cast<int>(hn::Lanes(d));
  hn::Vec<D> acc[P][NV];
  for (int p = 0; p < P; ++p)
    for (int v = 0; v < NV; ++v) acc[p][v] = hn::LoadU(d, bias + oc0 + v * N);
  for (int ky = ky0; ky < ky1; ++ky) {
    const int iy = oy * g.stride_h - g.pad_h + ky * g.dil_h;
    for (int kx = kx0; kx < kx1; ++kx) {
      const float* x[P];
      for (int p = 0; p < P; ++p)
        x[p] = img + (int64_t{iy} * g.in_w + (ox + p) * g.stride_w - g.pad_w + kx * g.dil_w) * g.in_c;
      const float* w = packed + (int64_t{ky} * g.f_w + kx) * g.in_c * ocp + oc0;
      for (int ic = 0; ic < g.in_c; ++ic, w += ocp) {
        hn::Vec<D> wv[NV];
        for (int v = 0; v < NV; ++v) wv[v] = hn::LoadU(d, w + v * N);
        for (int p = 0; p < P; ++p) {
          const auto xv = hn::Set(d, x[p][ic]);
          for (int v = 0; v < NV; ++v) acc[p][v] = hn::MulAdd(xv, wv[v], acc[p][v]);
        }
      }
    }
  }
  HWY_ALIGN float tail[4 * 64];
  const int n = std::min(NV * N, g.out_c - oc0);
  for (int p = 0; p < P; ++p) {
    float* out = out_row + int64_t{ox + p} * g.out_c + oc0;
    for (int v = 0; v < NV; ++v) acc[p][v] = hn::Min(hn::Max(acc[p][v], vlo), vhi);
    if (n == NV * N) {
      for (int v = 0; v < NV; ++v) hn::StoreU(acc[p][v], d, out + v * N);
    } else {
      for (int v = 0; v < NV; ++v) hn::Store(acc[p][v], d, tail + v * N);
      std::memcpy(out, tail, sizeof(float) * static_cast<size_t>(n));
    }
  }
}

template <int P, class D>
HWY_INLINE void PixelsF32(D d, const ConvGeometry& g, int ocp, const float* img,
                          const float* packed, const float* bias, hn::Vec<D> vlo, hn::Vec<D> vhi,
                          int oy, int ky0, int ky1, int ox, int kx0, int kx1, float* out_row) {
  const int N = static_cast<int>(hn::Lanes(d));
  for (int oc0 = 0; oc0 < g.out_c; oc0 += 4 * N) {
    switch (std::min(4, (g.out_c - oc0 + N - 1) / N)) {
      case 4: PixelBlockF32<P, 4>(d, g, ocp, img, packed, bias, vlo, vhi, oy, ky0, ky1, ox, kx0, kx1, oc0, out_row); break;
      case 3: PixelBlockF32<P, 3>(d, g, ocp, img, packed, bias, vlo, vhi, oy, ky0, ky1, ox, kx0, kx1, oc0, out_row); break;
      case 2: PixelBlockF32<P, 2>(d, g, ocp, img, packed, bias, vlo, vhi, oy, ky0, ky1, ox, kx0, kx1, oc0, out_row); break;
      default: PixelBlockF32<P, 1>(d, g, ocp, img, packed, bias, vlo, vhi, oy, ky0, ky1, ox, kx0, kx1, oc0, out_row); break;
    }
  }
}

// One output row (b, oy) through the wide path. packed: [f_h*f_w*in_c][ocp]; bias: [ocp].
// Neighbouring pixels with the same valid taps (all interior ones) go two at a time.
void ConvRowWideF32(const ConvGeometry& g, int ocp, const float* input, const float* packed,
                    const float* bias, float lo, float hi, int b, int oy, float* out_row) {
  const hn::ScalableTag<float> d;
  const auto vlo = hn::Set(d, lo);
  const auto vhi = hn::Set(d, hi);
  int ky0, ky1;
  ConvGeometry::ValidTaps(oy, g.stride_h, g.pad_h, g.dil_h, g.f_h, g.in_h, &ky0, &ky1);
  const float* img = input + int64_t{b} * g.in_h * g.in_w * g.in_c;
  int ox = 0;
  while (ox < g.out_w) {
    int kx0, kx1, nx0 = -1, nx1 = -1;
    ConvGeometry::ValidTaps(ox, g.stride_w, g.pad_w, g.dil_w, g.f_w, g.in_w, &kx0, &kx1);
    if (ox + 1 < g.out_w)
      ConvGeometry::ValidTaps(ox + 1, g.stride_w, g.pad_w, g.dil_w, g.f_w, g.in_w, &nx0, &nx1);
    if (nx0 == kx0 && nx1 == kx1) {
      PixelsF32<2>(d, g, ocp, img, packed, bias, vlo, vhi, oy, ky0, ky1, ox, kx0, kx1, out_row);
      ox += 2;
    } else {
      PixelsF32<1>(d, g, ocp, img, packed, bias, vlo, vhi, oy, ky0, ky1, ox, kx0, kx1, out_row);
      ox += 1;
    }
  }
}

// One output row through the narrow path (requires dil_w == 1). filter: OHWI as stored.
// Vector partial sums run across the filter rows; one horizontal sum per output value.
void ConvRowNarrowF32(const ConvGeometry& g, const float* input, const float* filter,
                      const float* bias, float lo, float hi, int b, int oy, float* out_row) {
  const hn::ScalableTag<float> d;
  const int N = static_cast<int>(hn::Lanes(d));
  int ky0, ky1;
  ConvGeometry::ValidTaps(oy, g.stride_h, g.pad_h, g.dil_h, g.f_h, g.in_h, &ky0, &ky1);
  const float* img = input + int64_t{b} * g.in_h * g.in_w * g.in_c;
  for (int ox = 0; ox < g.out_w; ++ox) {
    int kx0, kx1;
    ConvGeometry::ValidTaps(ox, g.stride_w, g.pad_w, 1, g.f_w, g.in_w, &kx0, &kx1);
    const int ix0 = ox * g.stride_w - g.pad_w + kx0;
    const int run = (kx1 - kx0) * g.in_c;
    for (int oc = 0; oc < g.out_c; ++oc) {
      auto s0 = hn::Zero(d), s1 = hn::Zero(d);
      float acc = 0.0f;
      for (int ky = ky0; ky < ky1; ++ky) {
        const int iy = oy * g.stride_h - g.pad_h + ky * g.dil_h;
        const float* x = img + (int64_t{iy} * g.in_w + ix0) * g.in_c;
        const float* w = filter + ((int64_t{oc} * g.f_h + ky) * g.f_w + kx0) * g.in_c;
        int i = 0;
        for (; i + 2 * N <= run; i += 2 * N) {
          s0 = hn::MulAdd(hn::LoadU(d, x + i), hn::LoadU(d, w + i), s0);
          s1 = hn::MulAdd(hn::LoadU(d, x + i + N), hn::LoadU(d, w + i + N), s1);
        }
        for (; i + N <= run; i += N) s0 = hn::MulAdd(hn::LoadU(d, x + i), hn::LoadU(d, w + i), s0);
        for (; i < run; ++i) acc += x[i] * w[i];
      }
      acc += hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1))) + bias[oc];
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
