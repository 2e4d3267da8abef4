// Fast CONV_2D, float32: NHWC input, OHWI filter, any stride / dilation / SAME / VALID padding,
// fused bias and activation. No im2col: for every output pixel the valid filter taps are walked
// directly. Two SIMD paths (Highway, dynamic dispatch):
//  - wide: weights are packed [tap][in_c][out_c padded]; a block of P neighbouring output pixels
//    with the same valid taps keeps P x NV vectors of output channels in registers, so each
//    weight vector load serves P pixels and each broadcast input value NV vectors. With dilation_w
//    1 a filter row's valid taps are one contiguous run of input and packed weights. Layers with
//    at most 8 output channels use 8-lane vectors (no wasted lanes on AVX-512); first layers
//    (in_c 1-3) are this path with runs of 3-9 values.
//  - narrow (out_c <= 4 with long runs, e.g. a decoder's last 1-channel layer): OHWI filter rows
//    are dot products with contiguous input runs; P pixels share each weight vector load and one
//    horizontal sum per output value ends them. With stride_w 1 and 3- or 5-wide filters, blocks
//    of 8 interior pixels keep a filter row's tap vectors in registers and load each input
//    column once for all the taps that read it (input reuse).
// Rows (batch x output row) are spread over the ThreadPool. Results differ from the reference
// kernel only by float summation order.
// Arm SVE targets are not compiled here: the register blocks below are arrays of vectors, and
// SVE vectors are sizeless types that cannot be array elements. SVE CPUs run the NEON code
// (HWY_DYNAMIC_DISPATCH masks the chosen target with this file's targets).
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128)
#endif
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

// Loops over the P pixels / NV vectors of a block must be unrolled so accumulators live in
// registers (GCC does not unroll them on its own beyond about 2 x 2).
#ifndef CAE_UNROLL
#define CAE_UNROLL _Pragma("GCC unroll 16")
#endif

// Vector registers of the target: accumulator blocks are sized to stay in them.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr int kVecRegs = 32;
#else
constexpr int kVecRegs = 16;
#endif

// Pixels per block for NV accumulator vectors per pixel: P*NV accumulators + NV weights + one
// broadcast fit the registers.
constexpr int BlockPixels(int nv) {
  const int p = (kVecRegs - nv - 2) / nv;
  return p > 8 ? 8 : (p < 1 ? 1 : p);
}

// What one output row of the wide path needs.
struct WideRow {
  const ConvGeometry* g;
  int ocp;              // packed output-channel stride
  const float* img;     // this image's input
  const float* packed;  // [f_h*f_w*in_c][ocp]
  const float* bias;    // [ocp]
  int oy, ky0, ky1;     // output row and its valid filter rows
  float* out_row;
};

// P output pixels ox .. ox+P-1 (all with filter taps [kx0, kx1)) x NV vectors of output channels
// from oc0. Accumulators stay in registers.
template <int P, int NV, class D>
HWY_INLINE void WideBlock(D d, const WideRow& r, hn::Vec<D> vlo, hn::Vec<D> vhi, int ox, int kx0,
                          int kx1, int oc0) {
  const ConvGeometry& g = *r.g;
  const int N = static_cast<int>(hn::Lanes(d));
  const int64_t pstep = int64_t{g.stride_w} * g.in_c;  // input floats between block pixels
  // A filter row's valid taps as segments of consecutive (input, weight) pairs: one run when
  // dilation_w is 1, else one segment of in_c values per tap.
  const bool one_run = g.dil_w == 1;
  const int seg_len = one_run ? (kx1 - kx0) * g.in_c : g.in_c;
  const int segs = one_run ? 1 : kx1 - kx0;
  const int64_t x_seg = int64_t{g.dil_w} * g.in_c;
  const int64_t w_seg = int64_t{g.in_c} * r.ocp;
  hn::Vec<D> acc[P][NV];
  CAE_UNROLL
  for (int v = 0; v < NV; ++v) {
    const auto b = hn::LoadU(d, r.bias + oc0 + v * N);
    CAE_UNROLL
    for (int p = 0; p < P; ++p) acc[p][v] = b;
  }
  for (int ky = r.ky0; ky < r.ky1; ++ky) {
    const int iy = r.oy * g.stride_h - g.pad_h + ky * g.dil_h;
    const float* x = r.img + (int64_t{iy} * g.in_w + ox * g.stride_w - g.pad_w + kx0 * g.dil_w) * g.in_c;
    const float* w = r.packed + (int64_t{ky} * g.f_w + kx0) * g.in_c * r.ocp + oc0;
    for (int s = 0; s < segs; ++s, x += x_seg, w += w_seg) {
      const float* xs[P];
      CAE_UNROLL
      for (int p = 0; p < P; ++p) xs[p] = x + p * pstep;
      const float* ws = w;
      for (int j = 0; j < seg_len; ++j, ws += r.ocp) {
        hn::Vec<D> wv[NV];
        CAE_UNROLL
        for (int v = 0; v < NV; ++v) wv[v] = hn::LoadU(d, ws + v * N);
        CAE_UNROLL
        for (int p = 0; p < P; ++p) {
          const auto xv = hn::Set(d, xs[p][j]);
          CAE_UNROLL
          for (int v = 0; v < NV; ++v) acc[p][v] = hn::MulAdd(xv, wv[v], acc[p][v]);
        }
      }
    }
  }
  HWY_ALIGN float tail[4 * 64];
  const int n = std::min(NV * N, g.out_c - oc0);
  CAE_UNROLL
  for (int p = 0; p < P; ++p) {
    float* out = r.out_row + int64_t{ox + p} * g.out_c + oc0;
    CAE_UNROLL
    for (int v = 0; v < NV; ++v) acc[p][v] = hn::Min(hn::Max(acc[p][v], vlo), vhi);
    if (n == NV * N) {
      CAE_UNROLL
      for (int v = 0; v < NV; ++v) hn::StoreU(acc[p][v], d, out + v * N);
    } else {
      CAE_UNROLL
      for (int v = 0; v < NV; ++v) hn::Store(acc[p][v], d, tail + v * N);
      std::memcpy(out, tail, sizeof(float) * static_cast<size_t>(n));
    }
  }
}

// Pixels [ox, end) sharing taps [kx0, kx1), NV vectors of output channels from oc0: blocks of
// BlockPixels(NV), then 4, 2, 1.
template <int NV, class D>
HWY_INLINE void WideSpanNV(D d, const WideRow& r, hn::Vec<D> vlo, hn::Vec<D> vhi, int ox, int end,
                           int kx0, int kx1, int oc0) {
  constexpr int P = BlockPixels(NV);
  for (; ox + P <= end; ox += P) WideBlock<P, NV>(d, r, vlo, vhi, ox, kx0, kx1, oc0);
  if constexpr (P > 4) {
    if (ox + 4 <= end) { WideBlock<4, NV>(d, r, vlo, vhi, ox, kx0, kx1, oc0); ox += 4; }
  }
  if constexpr (P > 2) {
    if (ox + 2 <= end) { WideBlock<2, NV>(d, r, vlo, vhi, ox, kx0, kx1, oc0); ox += 2; }
  }
  for (; ox < end; ++ox) WideBlock<1, NV>(d, r, vlo, vhi, ox, kx0, kx1, oc0);
}

template <class D>
HWY_INLINE void WideRowD(D d, const WideRow& r, float lo, float hi) {
  const ConvGeometry& g = *r.g;
  const int N = static_cast<int>(hn::Lanes(d));
  const auto vlo = hn::Set(d, lo);
  const auto vhi = hn::Set(d, hi);
  int ox = 0;
  while (ox < g.out_w) {
    int kx0, kx1, end = ox + 1;
    ConvGeometry::ValidTaps(ox, g.stride_w, g.pad_w, g.dil_w, g.f_w, g.in_w, &kx0, &kx1);
    for (; end < g.out_w; ++end) {
      int a, b;
      ConvGeometry::ValidTaps(end, g.stride_w, g.pad_w, g.dil_w, g.f_w, g.in_w, &a, &b);
      if (a != kx0 || b != kx1) break;
    }
    for (int oc0 = 0; oc0 < g.out_c; oc0 += 4 * N) {
      switch (std::min(4, (g.out_c - oc0 + N - 1) / N)) {
        case 4: WideSpanNV<4>(d, r, vlo, vhi, ox, end, kx0, kx1, oc0); break;
        case 3: WideSpanNV<3>(d, r, vlo, vhi, ox, end, kx0, kx1, oc0); break;
        case 2: WideSpanNV<2>(d, r, vlo, vhi, ox, end, kx0, kx1, oc0); break;
        default: WideSpanNV<1>(d, r, vlo, vhi, ox, end, kx0, kx1, oc0); break;
      }
    }
    ox = end;
  }
}

// One output row (b, oy) through the wide path. packed: [f_h*f_w*in_c][ocp]; bias: [ocp].
void ConvRowWideF32(const ConvGeometry& g, int ocp, const float* input, const float* packed,
                    const float* bias, float lo, float hi, int b, int oy, float* out_row) {
  WideRow r{&g, ocp, input + int64_t{b} * g.in_h * g.in_w * g.in_c, packed, bias, oy, 0, 0, out_row};
  ConvGeometry::ValidTaps(oy, g.stride_h, g.pad_h, g.dil_h, g.f_h, g.in_h, &r.ky0, &r.ky1);
  const hn::ScalableTag<float> d;
  if (g.out_c <= 8 && hn::Lanes(d) > 8) {
    WideRowD(hn::CappedTag<float, 8>(), r, lo, hi);
  } else {
    WideRowD(d, r, lo, hi);
  }
}

// Narrow path: P pixels [ox, ox+P) with taps [kx0, kx1), every output channel. Each filter row is
// a dot product of run = (kx1-kx0)*in_c contiguous values (dilation_w 1).
template <int P>
HWY_INLINE void NarrowBlock(const ConvGeometry& g, const float* img, const float* filter,
                            const float* bias, float lo, float hi, int oy, int ky0, int ky1,
                            int ox, int kx0, int kx1, float* out_row) {
  const hn::ScalableTag<float> d;
  const int N = static_cast<int>(hn::Lanes(d));
  const int run = (kx1 - kx0) * g.in_c;
  const int64_t pstep = int64_t{g.stride_w} * g.in_c;
  const int ix0 = ox * g.stride_w - g.pad_w + kx0;
  for (int oc = 0; oc < g.out_c; ++oc) {
    hn::Vec<decltype(d)> acc[P];
    float tail[P];
    CAE_UNROLL
    for (int p = 0; p < P; ++p) acc[p] = hn::Zero(d), tail[p] = 0.0f;
    for (int ky = ky0; ky < ky1; ++ky) {
      const int iy = oy * g.stride_h - g.pad_h + ky * g.dil_h;
      const float* x = img + (int64_t{iy} * g.in_w + ix0) * g.in_c;
      const float* w = filter + ((int64_t{oc} * g.f_h + ky) * g.f_w + kx0) * g.in_c;
      const float* xs[P];
      CAE_UNROLL
      for (int p = 0; p < P; ++p) xs[p] = x + p * pstep;
      int i = 0;
      for (; i + N <= run; i += N) {
        const auto wv = hn::LoadU(d, w + i);
        CAE_UNROLL
        for (int p = 0; p < P; ++p) acc[p] = hn::MulAdd(hn::LoadU(d, xs[p] + i), wv, acc[p]);
      }
      for (; i < run; ++i)
        CAE_UNROLL
        for (int p = 0; p < P; ++p) tail[p] += xs[p][i] * w[i];
    }
    CAE_UNROLL
    for (int p = 0; p < P; ++p) {
      const float v = hn::GetLane(hn::SumOfLanes(d, acc[p])) + tail[p] + bias[oc];
      out_row[int64_t{ox + p} * g.out_c + oc] = std::min(std::max(v, lo), hi);
    }
  }
}

// Narrow path with input reuse (stride_w 1, dil_w 1, f_w == F, every tap of the row valid for
// the P pixels from ox, in_c a multiple of d's lanes): instead of one dot product per pixel, a
// filter row's F tap vectors stay in registers while the P + F - 1 input columns stream past, each
// loaded once for the F pixels that read it.
template <int P, int F, class D>
HWY_INLINE void NarrowReuseBlock(D d, const ConvGeometry& g, const float* img, const float* filter,
                                 const float* bias, float lo, float hi, int oy, int ky0, int ky1,
                                 int ox, float* out_row) {
  const int N = static_cast<int>(hn::Lanes(d));
  const int64_t in_c = g.in_c;
  const float* x_row0 = img + int64_t{ox - g.pad_w} * in_c;
  for (int oc = 0; oc < g.out_c; ++oc) {
    hn::Vec<D> acc[P];
    CAE_UNROLL
    for (int p = 0; p < P; ++p) acc[p] = hn::Zero(d);
    for (int ky = ky0; ky < ky1; ++ky) {
      const int iy = oy * g.stride_h - g.pad_h + ky * g.dil_h;
      const float* x = x_row0 + int64_t{iy} * g.in_w * in_c;
      const float* w = filter + (int64_t{oc} * g.f_h + ky) * F * in_c;
      for (int c0 = 0; c0 < g.in_c; c0 += N) {
        hn::Vec<D> wv[F];
        CAE_UNROLL
        for (int kx = 0; kx < F; ++kx) wv[kx] = hn::LoadU(d, w + kx * in_c + c0);
        CAE_UNROLL
        for (int col = 0; col < P + F - 1; ++col) {
          const auto xv = hn::LoadU(d, x + col * in_c + c0);
          CAE_UNROLL
          for (int kx = 0; kx < F; ++kx) {
            const int p = col - kx;
            if (p >= 0 && p < P) acc[p] = hn::MulAdd(xv, wv[kx], acc[p]);
          }
        }
      }
    }
    CAE_UNROLL
    for (int p = 0; p < P; ++p) {
      const float v = hn::GetLane(hn::SumOfLanes(d, acc[p])) + bias[oc];
      out_row[int64_t{ox + p} * g.out_c + oc] = std::min(std::max(v, lo), hi);
    }
  }
}

// Pixels [ox, end) whose taps are all valid, in blocks of 8 through NarrowReuseBlock with the
// widest vector whose lanes divide in_c; returns the first pixel left (all of them when no
// vector of at least 4 lanes divides in_c).
template <int F>
HWY_INLINE int NarrowReuseSpan(const ConvGeometry& g, const float* img, const float* filter,
                               const float* bias, float lo, float hi, int oy, int ky0, int ky1,
                               int ox, int end, float* out_row) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 8> d8;
  const hn::CappedTag<float, 4> d4;
  for (; ox + 8 <= end; ox += 8) {
    if (g.in_c % hn::Lanes(d) == 0)
      NarrowReuseBlock<8, F>(d, g, img, filter, bias, lo, hi, oy, ky0, ky1, ox, out_row);
    else if (g.in_c % hn::Lanes(d8) == 0)
      NarrowReuseBlock<8, F>(d8, g, img, filter, bias, lo, hi, oy, ky0, ky1, ox, out_row);
    else if (g.in_c % hn::Lanes(d4) == 0)
      NarrowReuseBlock<8, F>(d4, g, img, filter, bias, lo, hi, oy, ky0, ky1, ox, out_row);
    else
      break;
  }
  return ox;
}

// One output row through the narrow path (requires dil_w == 1). filter: OHWI as stored.
void ConvRowNarrowF32(const ConvGeometry& g, const float* input, const float* filter,
                      const float* bias, float lo, float hi, int b, int oy, float* out_row) {
  int ky0, ky1;
  ConvGeometry::ValidTaps(oy, g.stride_h, g.pad_h, g.dil_h, g.f_h, g.in_h, &ky0, &ky1);
  const float* img = input + int64_t{b} * g.in_h * g.in_w * g.in_c;
  int ox = 0;
  while (ox < g.out_w) {
    int kx0, kx1, end = ox + 1;
    ConvGeometry::ValidTaps(ox, g.stride_w, g.pad_w, 1, g.f_w, g.in_w, &kx0, &kx1);
    for (; end < g.out_w; ++end) {
      int a, c;
      ConvGeometry::ValidTaps(end, g.stride_w, g.pad_w, 1, g.f_w, g.in_w, &a, &c);
      if (a != kx0 || c != kx1) break;
    }
    // Input reuse needs whole filter rows over neighbouring columns and enough channels to fill
    // a vector's worth of work per load.
    if (g.stride_w == 1 && kx0 == 0 && kx1 == g.f_w && g.in_c >= 8) {
      if (g.f_w == 3)
        ox = NarrowReuseSpan<3>(g, img, filter, bias, lo, hi, oy, ky0, ky1, ox, end, out_row);
      else if (g.f_w == 5)
        ox = NarrowReuseSpan<5>(g, img, filter, bias, lo, hi, oy, ky0, ky1, ox, end, out_row);
    }
    for (; ox + 4 <= end; ox += 4)
      NarrowBlock<4>(g, img, filter, bias, lo, hi, oy, ky0, ky1, ox, kx0, kx1, out_row);
    for (; ox < end; ++ox)
      NarrowBlock<1>(g, img, filter, bias, lo, hi, oy, ky0, ky1, ox, kx0, kx1, out_row);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(ConvRowWideF32);
HWY_EXPORT(ConvRowNarrowF32);

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
    ref::CheckConvOutput(ctx, in, w.dim(1), w.dim(2), w.dim(0));
    const bool has_bias = ref::HasInput(ctx, 2);
    g_ = ConvGeometry::From(ctx);
    lo_ = -std::numeric_limits<float>::infinity();
    hi_ = std::numeric_limits<float>::infinity();
    switch (o.activation) {
      case Activation::kRelu: lo_ = 0.0f; break;
      case Activation::kRelu6: lo_ = 0.0f; hi_ = 6.0f; break;
      case Activation::kReluN1To1: lo_ = -1.0f; hi_ = 1.0f; break;
      default: break;
    }
    // Few output channels and long filter-row runs: dot products beat mostly empty vectors.
    narrow_ = g_.out_c <= 4 && g_.dil_w == 1 && g_.f_w * g_.in_c >= 8;
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
