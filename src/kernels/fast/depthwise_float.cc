// Fast DEPTHWISE_CONV_2D, float32: NHWC input, 1HW(C*M) filter (output channel c*M+m reads input
// channel c), optional bias, SAME/VALID padding, any stride / dilation / depth multiplier, every
// fused activation but SIGN_BIT (declined: the reference runs it). Same results as the reference
// kernel, bit for bit: every output sums its valid taps in the reference's order (ky, then kx,
// from 0.0, one rounding per product and per addition: no FMA contraction), then adds the bias
// (only when there is one) and applies the activation with the reference's comparisons.
// Vectorized along output channels (Highway, dynamic dispatch): weights are packed once (again
// only when they change) as [tap][out_c padded]; an output row reads its input rows directly
// when depth_multiplier is 1 and in_c is a multiple of the padding, else from a per-thread buffer
// where each input row is expanded to out_c padded channels (channel c*M+m = input channel c).
// Interior pixels are computed in blocks of P pixels x NV vectors for independent add chains.
// Rows (batch x output row) are spread over the ThreadPool; buffers grow once per thread.
// Arm SVE targets are not compiled here: the register blocks below are arrays of vectors, and
// SVE vectors are sizeless types that cannot be array elements. SVE CPUs run the NEON code
// (HWY_DYNAMIC_DISPATCH masks the chosen target with this file's targets).
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128)
#endif
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/depthwise_float.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "graph/shape_inference.h"
#include "kernels/fast/conv_geometry.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/ref/float/common.h"

#ifndef CAE_FAST_DEPTHWISE_FLOAT_PLAN_
#define CAE_FAST_DEPTHWISE_FLOAT_PLAN_
namespace cae::fast {
// Everything one call of the row kernel needs.
struct DwF32Plan {
  int batches = 0, in_h = 0, in_w = 0, in_c = 0, mult = 1, out_c = 0, ocp = 0;
  int f_h = 0, f_w = 0, out_h = 0, out_w = 0;
  int stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1, pad_h = 0, pad_w = 0;
  bool direct = false;           // input rows are read in place (mult 1, in_c == ocp)
  Activation act = Activation::kNone;
  const float* packed = nullptr;  // [f_h*f_w][ocp], zeros past out_c
  const float* bias = nullptr;    // [ocp] or nullptr (no bias input)
};
}  // namespace cae::fast
#endif  // CAE_FAST_DEPTHWISE_FLOAT_PLAN_

// GCC contracts a vector multiply and add into FMA by default; the reference's roundings are kept
// only without contraction.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#ifndef CAE_UNROLL
#define CAE_UNROLL _Pragma("GCC unroll 16")
#endif

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// The reference's activation on a vector: std::max(x, lo) is (x < lo ? lo : x), std::min(x, hi)
// is (hi < x ? hi : x), NaN passes through. TANH is applied afterwards, per value.
HWY_INLINE VF ActivateVec(DF d, VF x, Activation act) {
  switch (act) {
    case Activation::kRelu: {
      const auto z = hn::Zero(d);
      return hn::IfThenElse(hn::Lt(x, z), z, x);
    }
    case Activation::kRelu6: {
      const auto z = hn::Zero(d), six = hn::Set(d, 6.0f);
      x = hn::IfThenElse(hn::Lt(x, z), z, x);
      return hn::IfThenElse(hn::Lt(six, x), six, x);
    }
    case Activation::kReluN1To1: {
      const auto lo = hn::Set(d, -1.0f), hi = hn::Set(d, 1.0f);
      x = hn::IfThenElse(hn::Lt(x, lo), lo, x);
      return hn::IfThenElse(hn::Lt(hi, x), hi, x);
    }
    default: return x;
  }
}

// Stores channels [oc0, oc0 + N) of one output pixel (bias, activation); only those below out_c.
HWY_INLINE void StorePixelVec(DF d, const DwF32Plan& p, VF acc, int oc0, float* out_px) {
  const int N = static_cast<int>(hn::Lanes(d));
  if (p.bias) acc = hn::Add(acc, hn::LoadU(d, p.bias + oc0));
  acc = ActivateVec(d, acc, p.act);
  if (oc0 + N <= p.out_c) {
    hn::StoreU(acc, d, out_px + oc0);
  } else {
    float tmp[64];
    hn::StoreU(acc, d, tmp);
    std::memcpy(out_px + oc0, tmp, sizeof(float) * static_cast<size_t>(p.out_c - oc0));
  }
}

// Source rows of one output row: rows[ky] points at input row oy*stride - pad + ky*dil (pixel
// stride ps), for ky in [ky0, ky1).
struct DwRows {
  const float* rows[64];
  int ps, ky0, ky1;
};

// P neighbouring output pixels from ox (stride_w apart in the input), all with every kx valid,
// vectors [v0, v0 + NV) of output channels.
template <int P, int NV>
HWY_INLINE void InteriorBlock(const DwF32Plan& p, const DwRows& r, int ox, int v0, float* out_row) {
  const DF d;
  const int N = static_cast<int>(hn::Lanes(d));
  VF acc[P][NV];
  CAE_UNROLL for (int i = 0; i < P; ++i) CAE_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = hn::Zero(d);
  const int oc0 = v0 * N;
  const int ix0 = ox * p.stride_w - p.pad_w;
  for (int ky = r.ky0; ky < r.ky1; ++ky) {
    const float* row = r.rows[ky] + oc0;
    const float* w = p.packed + int64_t{ky} * p.f_w * p.ocp + oc0;
    for (int kx = 0; kx < p.f_w; ++kx, w += p.ocp) {
      const float* x = row + int64_t{ix0 + kx * p.dil_w} * r.ps;
      VF wv[NV];
      CAE_UNROLL for (int v = 0; v < NV; ++v) wv[v] = hn::LoadU(d, w + v * N);
      CAE_UNROLL for (int i = 0; i < P; ++i) {
        const float* xi = x + int64_t{i} * p.stride_w * r.ps;
        CAE_UNROLL for (int v = 0; v < NV; ++v)
          acc[i][v] = hn::Add(acc[i][v], hn::Mul(hn::LoadU(d, xi + v * N), wv[v]));
      }
    }
  }
  CAE_UNROLL for (int i = 0; i < P; ++i) CAE_UNROLL for (int v = 0; v < NV; ++v)
    StorePixelVec(d, p, acc[i][v], oc0 + v * N, out_row + int64_t{ox + i} * p.out_c);
}

// One output pixel with taps kx in [kx0, kx1), every channel vector.
HWY_INLINE void EdgePixel(const DwF32Plan& p, const DwRows& r, int ox, int kx0, int kx1, int nvec,
                          float* out_row) {
  const DF d;
  const int N = static_cast<int>(hn::Lanes(d));
  const int ix0 = ox * p.stride_w - p.pad_w;
  for (int v = 0; v < nvec; ++v) {
    const int oc0 = v * N;
    auto acc = hn::Zero(d);
    for (int ky = r.ky0; ky < r.ky1; ++ky) {
      const float* row = r.rows[ky] + oc0;
      const float* w = p.packed + int64_t{ky} * p.f_w * p.ocp + oc0;
      for (int kx = kx0; kx < kx1; ++kx)
        acc = hn::Add(acc, hn::Mul(hn::LoadU(d, row + int64_t{ix0 + kx * p.dil_w} * r.ps),
                                   hn::LoadU(d, w + int64_t{kx} * p.ocp)));
    }
    StorePixelVec(d, p, acc, oc0, out_row + int64_t{ox} * p.out_c);
  }
}

// Interior pixels [ox, ox_end) in blocks of P pixels, channel vectors in groups of NV.
template <int P, int NV>
void InteriorRun(const DwF32Plan& p, const DwRows& r, int ox, int ox_end, int nvec, float* out_row) {
  for (int v0 = 0; v0 < nvec; v0 += NV) {
    const int nv = std::min(NV, nvec - v0);
    int x = ox;
    if (nv == NV) {
      for (; x + P <= ox_end; x += P) InteriorBlock<P, NV>(p, r, x, v0, out_row);
    }
    for (; x < ox_end; ++x) {
      switch (nv) {
        case 1: InteriorBlock<1, 1>(p, r, x, v0, out_row); break;
        case 2: InteriorBlock<1, 2>(p, r, x, v0, out_row); break;
        case 3: InteriorBlock<1, 3>(p, r, x, v0, out_row); break;
        default: InteriorBlock<1, 4>(p, r, x, v0, out_row); break;
      }
    }
  }
}

// Output rows [begin, end) of batch x out_h. scratch grows to f_h expanded rows when needed.
void DepthwiseRowsF32(const DwF32Plan& p, const float* input, float* output, int64_t begin,
                      int64_t end, std::vector<float>* scratch) {
  const DF d;
  const int N = static_cast<int>(hn::Lanes(d));
  const int nvec = (p.out_c + N - 1) / N;
  const int64_t row_floats = int64_t{p.in_w} * p.ocp;
  if (!p.direct && scratch->size() < static_cast<size_t>(row_floats * p.f_h))
    scratch->resize(static_cast<size_t>(row_floats * p.f_h));
  // Interior output columns: every kx valid.
  int ox_lo = 0, ox_hi = p.out_w;
  while (ox_lo < p.out_w && ox_lo * p.stride_w - p.pad_w < 0) ++ox_lo;
  while (ox_hi > ox_lo &&
         (ox_hi - 1) * p.stride_w - p.pad_w + (p.f_w - 1) * p.dil_w >= p.in_w)
    --ox_hi;
  for (int64_t row = begin; row < end; ++row) {
    const int b = static_cast<int>(row / p.out_h), oy = static_cast<int>(row % p.out_h);
    DwRows r;
    r.ps = p.direct ? p.in_c : p.ocp;
    ConvGeometry::ValidTaps(oy, p.stride_h, p.pad_h, p.dil_h, p.f_h, p.in_h, &r.ky0, &r.ky1);
    for (int ky = r.ky0; ky < r.ky1; ++ky) {
      const int iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
      const float* src = input + (int64_t{b} * p.in_h + iy) * p.in_w * p.in_c;
      if (p.direct) {
        r.rows[ky] = src;
        continue;
      }
      float* dst = scratch->data() + ky * row_floats;
      for (int ix = 0; ix < p.in_w; ++ix, src += p.in_c, dst += p.ocp) {
        if (p.mult == 1) {
          std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(p.in_c));
        } else {
          for (int ic = 0; ic < p.in_c; ++ic)
            for (int m = 0; m < p.mult; ++m) dst[ic * p.mult + m] = src[ic];
        }
        std::fill(dst + p.out_c, dst + p.ocp, 0.0f);
      }
      r.rows[ky] = scratch->data() + ky * row_floats;
    }
    float* out_row = output + row * p.out_w * p.out_c;
    auto edge = [&](int ox) {
      int kx0, kx1;
      ConvGeometry::ValidTaps(ox, p.stride_w, p.pad_w, p.dil_w, p.f_w, p.in_w, &kx0, &kx1);
      EdgePixel(p, r, ox, kx0, kx1, nvec, out_row);
    };
    if (ox_lo >= ox_hi) {
      for (int ox = 0; ox < p.out_w; ++ox) edge(ox);
    } else {
      for (int ox = 0; ox < ox_lo; ++ox) edge(ox);
      if (nvec >= 4) {
        InteriorRun<1, 4>(p, r, ox_lo, ox_hi, nvec, out_row);
      } else if (nvec == 3) {
        InteriorRun<2, 3>(p, r, ox_lo, ox_hi, nvec, out_row);
      } else if (nvec == 2) {
        InteriorRun<2, 2>(p, r, ox_lo, ox_hi, nvec, out_row);
      } else {
        InteriorRun<4, 1>(p, r, ox_lo, ox_hi, nvec, out_row);
      }
      for (int ox = ox_hi; ox < p.out_w; ++ox) edge(ox);
    }
    if (p.act == Activation::kTanh) {
      float* o = out_row;
      for (int64_t i = 0; i < int64_t{p.out_w} * p.out_c; ++i) o[i] = std::tanh(o[i]);
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(DepthwiseRowsF32);

namespace {

using ref::Input;
using ref::KCheck;
using ref::Output;

// Filter heights up to this (DwRows keeps one pointer per filter row); taller ones go to the
// reference kernel.
constexpr int kMaxFilterH = 64;

class FastDepthwiseF32 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    ref::CheckDepthwiseConv(ctx);
    const TensorView& in = Input(ctx, 0);
    const TensorView& w = Input(ctx, 1);
    const OpOptions& o = ctx.op->options;
    const TensorView& out = Output(ctx, 0);
    DwF32Plan& p = plan_;
    p.batches = in.dim(0);
    p.in_h = in.dim(1);
    p.in_w = in.dim(2);
    p.in_c = in.dim(3);
    p.f_h = w.dim(1);
    p.f_w = w.dim(2);
    p.out_c = w.dim(3);
    p.mult = p.out_c / p.in_c;
    p.ocp = RoundUp(p.out_c, kOcAlign);
    p.out_h = out.dim(1);
    p.out_w = out.dim(2);
    p.stride_h = o.stride_h;
    p.stride_w = o.stride_w;
    p.dil_h = o.dilation_h;
    p.dil_w = o.dilation_w;
    p.pad_h = ConvPaddingBefore(o.stride_h, o.dilation_h, p.in_h, p.f_h, p.out_h);
    p.pad_w = ConvPaddingBefore(o.stride_w, o.dilation_w, p.in_w, p.f_w, p.out_w);
    p.direct = p.mult == 1 && p.in_c == p.ocp;
    p.act = o.activation;
    Pack(ctx);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& w = Input(ctx, 1);
    const TensorView* b = ref::HasInput(ctx, 2) ? &Input(ctx, 2) : nullptr;
    if (!w.is_constant || w.data != packed_for_ || (b && (!b->is_constant || b->data != bias_for_)))
      Pack(ctx);
    const float* input = Input(ctx, 0).as<float>();
    float* output = Output(ctx, 0).as<float>();
    ParallelFor(ctx.pool, int64_t{plan_.batches} * plan_.out_h, 1,
                [&](int64_t begin, int64_t end) {
                  thread_local std::vector<float> scratch;  // grows once per thread
                  HWY_DYNAMIC_DISPATCH(DepthwiseRowsF32)(plan_, input, output, begin, end,
                                                         &scratch);
                });
  }

 private:
  // Filter [1][f_h][f_w][out_c] -> [tap][ocp]; bias -> [ocp]; both zero past out_c.
  void Pack(const KernelContext& ctx) {
    const TensorView& w = Input(ctx, 1);
    const float* f = w.as<float>();
    const int taps = plan_.f_h * plan_.f_w;
    packed_.assign(static_cast<size_t>(taps) * plan_.ocp, 0.0f);
    for (int t = 0; t < taps; ++t)
      std::memcpy(packed_.data() + static_cast<size_t>(t) * plan_.ocp,
                  f + static_cast<size_t>(t) * plan_.out_c, sizeof(float) * plan_.out_c);
    packed_for_ = w.data;
    plan_.packed = packed_.data();
    plan_.bias = nullptr;
    bias_for_ = nullptr;
    if (ref::HasInput(ctx, 2)) {
      const TensorView& b = Input(ctx, 2);
      bias_.assign(static_cast<size_t>(plan_.ocp), 0.0f);
      std::memcpy(bias_.data(), b.as<float>(), sizeof(float) * plan_.out_c);
      plan_.bias = bias_.data();
      bias_for_ = b.data;
    }
  }

  DwF32Plan plan_;
  std::vector<float> packed_, bias_;
  const void* packed_for_ = nullptr;
  const void* bias_for_ = nullptr;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!ref::InputIs(ctx, 0, DType::kFloat32) || !ref::InputIs(ctx, 1, DType::kFloat32) ||
      !ref::OutputIs(ctx, 0, DType::kFloat32))
    return nullptr;
  if (ref::HasInput(ctx, 2) && !ref::InputIs(ctx, 2, DType::kFloat32)) return nullptr;
  if (ctx.op->options.activation == Activation::kSignBit) return nullptr;
  const TensorView* w = ctx.inputs[1];
  if (w->rank() != 4 || w->dim(1) > kMaxFilterH) return nullptr;
  return std::make_unique<FastDepthwiseF32>();
}

}  // namespace

void RegisterFastDepthwiseF32(KernelRegistry& r) {
  r.Register(OpType::DEPTHWISE_CONV_2D, "fast/float/depthwise_conv_2d", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
