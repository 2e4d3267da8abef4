// Fast DEPTHWISE_CONV_2D for int8 (per-channel or per-tensor weights) and uint8 (per-tensor
// weights with a zero point), depth multiplier 1, any stride / dilation / padding, fused
// activation; AVX-512 (F+BW) CPUs only, the factory declines elsewhere and the reference runs.
// Bit-exact with kernels/ref/quantized/depthwise_conv.cc: the same int32 sums over the valid taps
// (16 channels per vector, (x + in_off) * (w + w_off)) and the same double-rounding
// MultiplyByQuantizedMultiplier output stage (kernels/quant_math.h), vectorized: the high
// multiply's (a*b + 2^30) >> 31 equals gemmlowp's nudge-and-truncate for every a and a
// non-negative multiplier, then the rounding right shift with its remainder threshold.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "graph/shape_inference.h"
#include "hwy/targets.h"
#include "kernels/fast/conv_geometry.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"
#include "kernels/ref/quantized/conv_prepare.h"
#include "kernels/ref/quantized/qutil.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CAE_DW_X86 1
#include <immintrin.h>
#define CAE_DW_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#else
#define CAE_DW_X86 0
#endif

namespace cae::fast {
namespace {

using qref::In;
using qref::OptIn;
using qref::Out;

bool Avx512Available() {
#if CAE_DW_X86
  return (hwy::SupportedTargets() & (HWY_AVX3 | HWY_AVX3_DL)) != 0 &&
         __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

// Per-channel constants of the output stage, padded to a multiple of 16 channels.
struct DoubleRoundingStage {
  std::vector<int32_t> mult, left, right, mask, threshold;
  int32_t zp = 0, lo = 0, hi = 0;
};

struct DwGeometry {
  int batches, in_h, in_w, ch, f_h, f_w, out_h, out_w, stride_h, stride_w, dil_h, dil_w, pad_h,
      pad_w;
};

#if CAE_DW_X86
// The output stage constants of one block of 16 channels, as vectors.
struct StageVectors {
  __m512i m, left, right, mask, thr, zp, lo, hi;
};

CAE_DW_FN inline StageVectors LoadStage(const DoubleRoundingStage& s, int c) {
  return {_mm512_loadu_si512(s.mult.data() + c),  _mm512_loadu_si512(s.left.data() + c),
          _mm512_loadu_si512(s.right.data() + c), _mm512_loadu_si512(s.mask.data() + c),
          _mm512_loadu_si512(s.threshold.data() + c), _mm512_set1_epi32(s.zp),
          _mm512_set1_epi32(s.lo), _mm512_set1_epi32(s.hi)};
}

// MultiplyByQuantizedMultiplier (double rounding) of 16 lanes, + zero point, clamped.
CAE_DW_FN inline __m512i Requantize16(__m512i acc, const StageVectors& v) {
  const __m512i x = _mm512_sllv_epi32(acc, v.left);
  const __m512i half = _mm512_set1_epi64(int64_t{1} << 30);
  const __m512i pe = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, v.m), half), 31);
  const __m512i po = _mm512_srai_epi64(
      _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(v.m, 32)), half),
      31);
  const __m512i h = _mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32));
  const __m512i rem = _mm512_and_si512(h, v.mask);
  const __m512i thr = _mm512_add_epi32(v.thr, _mm512_srli_epi32(h, 31));
  __m512i r = _mm512_srav_epi32(h, v.right);
  r = _mm512_mask_add_epi32(r, _mm512_cmpgt_epi32_mask(rem, thr), r, _mm512_set1_epi32(1));
  r = _mm512_add_epi32(r, v.zp);
  return _mm512_min_epi32(_mm512_max_epi32(r, v.lo), v.hi);
}

template <bool kUnsigned>
CAE_DW_FN inline __m512i LoadInput(__mmask16 mask, const uint8_t* p, __m512i off) {
  const __m128i raw = _mm_maskz_loadu_epi8(mask, p);
  return _mm512_add_epi32(kUnsigned ? _mm512_cvtepu8_epi32(raw) : _mm512_cvtepi8_epi32(raw), off);
}

// One output row. weights: [tap][chp] int32 with the filter offset added; bias: [chp]. Channel
// blocks outside, pixels inside; 3x3 filters keep their 9 weight vectors in registers for the
// pixels whose taps are all inside the input.
template <bool kUnsigned>
CAE_DW_FN void DepthwiseRow(const DwGeometry& g, int chp, const uint8_t* img, int32_t in_off,
                            const int32_t* weights, const int32_t* bias,
                            const DoubleRoundingStage& stage, int oy, uint8_t* out_row) {
  int ky0, ky1;
  ConvGeometry::ValidTaps(oy, g.stride_h, g.pad_h, g.dil_h, g.f_h, g.in_h, &ky0, &ky1);
  const bool three = g.f_h == 3 && g.f_w == 3 && ky0 == 0 && ky1 == 3;
  const __m512i voff = _mm512_set1_epi32(in_off);
  const int64_t row_stride = int64_t{g.in_w} * g.ch, tap_x = int64_t{g.dil_w} * g.ch;
  const int64_t tap_y = int64_t{g.dil_h} * row_stride;
  const int iy0 = oy * g.stride_h - g.pad_h;
  for (int c = 0; c < g.ch; c += 16) {
    const int n = std::min(16, g.ch - c);
    const auto mask = static_cast<__mmask16>((1u << n) - 1u);
    const StageVectors sv = LoadStage(stage, c);
    const __m512i vbias = _mm512_loadu_si512(bias + c);
    __m512i w[9];
    if (three)
      for (int t = 0; t < 9; ++t) w[t] = _mm512_loadu_si512(weights + int64_t{t} * chp + c);
    for (int ox = 0; ox < g.out_w; ++ox) {
      int kx0, kx1;
      ConvGeometry::ValidTaps(ox, g.stride_w, g.pad_w, g.dil_w, g.f_w, g.in_w, &kx0, &kx1);
      const int ix0 = ox * g.stride_w - g.pad_w;
      __m512i acc = vbias;
      if (three && kx0 == 0 && kx1 == 3) {
        const uint8_t* p = img + int64_t{iy0} * row_stride + int64_t{ix0} * g.ch + c;
#pragma GCC unroll 3
        for (int ky = 0; ky < 3; ++ky)
#pragma GCC unroll 3
          for (int kx = 0; kx < 3; ++kx)
            acc = _mm512_add_epi32(
                acc, _mm512_mullo_epi32(LoadInput<kUnsigned>(mask, p + ky * tap_y + kx * tap_x, voff),
                                        w[ky * 3 + kx]));
      } else {
        for (int ky = ky0; ky < ky1; ++ky) {
          const int iy = iy0 + ky * g.dil_h;
          for (int kx = kx0; kx < kx1; ++kx) {
            const int ix = ix0 + kx * g.dil_w;
            const __m512i x = LoadInput<kUnsigned>(mask, img + (int64_t{iy} * g.in_w + ix) * g.ch + c, voff);
            acc = _mm512_add_epi32(
                acc, _mm512_mullo_epi32(x, _mm512_loadu_si512(weights + (int64_t{ky} * g.f_w + kx) * chp + c)));
          }
        }
      }
      _mm_mask_storeu_epi8(out_row + int64_t{ox} * g.ch + c, mask,
                           _mm512_cvtepi32_epi8(Requantize16(acc, sv)));
    }
  }
}
#endif

class FastDepthwiseQ8 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const qref::ConvPadding2D pad = qref::CheckConvGeometry(ctx, /*depthwise=*/true, o.dilation_h, o.dilation_w);
    const int32_t ch = in.dim(3);
    Check(filter.dim(3) == ch, ctx.Describe(), ": filter ", ShapeToString(filter.shape), " is not [1, h, w, ",
          ch, "]");
    const int32_t oh = out.dim(1), ow = out.dim(2);
    qref::CheckBias(ctx, bias, DType::kInt32, ch);
    g_ = {in.dim(0), in.dim(1), in.dim(2), ch, filter.dim(1), filter.dim(2), oh, ow,
          o.stride_h, o.stride_w, o.dilation_h, o.dilation_w, 0, 0};
    g_.pad_h = pad.h;
    g_.pad_w = pad.w;
    unsigned_ = in.type == DType::kUInt8;
    input_offset_ = -qref::ZeroPoint(ctx, in);
    filter_offset_ = unsigned_ ? -qref::ZeroPoint(ctx, filter) : 0;
    const float out_scale = qref::Scale(ctx, out);
    chp_ = RoundUp(ch, 16);
    DoubleRoundingStage& s = stage_;
    for (auto* v : {&s.mult, &s.left, &s.right, &s.mask, &s.threshold})
      v->assign(static_cast<size_t>(chp_), 0);
    const std::vector<QuantizedMultiplier> mult = qref::ConvOutputMultipliers(ctx, in, filter, out, ch);
    for (int32_t c = 0; c < ch; ++c) {
      const int shift = mult[c].shift;
      s.mult[c] = mult[c].multiplier;
      s.left[c] = shift > 0 ? shift : 0;
      s.right[c] = shift > 0 ? 0 : -shift;
      s.mask[c] = static_cast<int32_t>((int64_t{1} << s.right[c]) - 1);
      s.threshold[c] = s.mask[c] >> 1;
    }
    s.zp = qref::ZeroPoint(ctx, out);
    CalculateActivationRangeQuantized(o.activation, out.type, out_scale, s.zp, &s.lo, &s.hi);
    packed_for_ = nullptr;
    bias_.assign(static_cast<size_t>(chp_), 0);
    if (bias) std::memcpy(bias_.data(), bias->data, sizeof(int32_t) * ch);
    Pack(filter);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& filter = In(ctx, 1);
    if (!filter.is_constant || filter.data != packed_for_) Pack(filter);
    const TensorView* bias = OptIn(ctx, 2);
    if (bias && !bias->is_constant) std::memcpy(bias_.data(), bias->data, sizeof(int32_t) * g_.ch);
#if CAE_DW_X86
    const auto* input = static_cast<const uint8_t*>(In(ctx, 0).data);
    auto* output = static_cast<uint8_t*>(Out(ctx, 0).data);
    const int64_t in_img = int64_t{g_.in_h} * g_.in_w * g_.ch, row_elems = int64_t{g_.out_w} * g_.ch;
    ParallelFor(ctx.pool, int64_t{g_.batches} * g_.out_h, 1, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / g_.out_h;
        const int oy = static_cast<int>(row % g_.out_h);
        const uint8_t* img = input + b * in_img;
        if (unsigned_) {
          DepthwiseRow<true>(g_, chp_, img, input_offset_, weights_.data(), bias_.data(), stage_,
                             oy, output + row * row_elems);
        } else {
          DepthwiseRow<false>(g_, chp_, img, input_offset_, weights_.data(), bias_.data(), stage_,
                              oy, output + row * row_elems);
        }
      }
    });
#else
    Fail(ctx.Describe(), ": the fast depthwise kernel needs AVX-512");
#endif
  }

 private:
  // [1, f_h, f_w, ch] 8-bit -> [tap][chp_] int32 with the filter offset added.
  void Pack(const TensorView& filter) {
    const int taps = g_.f_h * g_.f_w;
    weights_.assign(static_cast<size_t>(taps) * chp_, 0);
    for (int t = 0; t < taps; ++t)
      for (int c = 0; c < g_.ch; ++c) {
        const int64_t i = int64_t{t} * g_.ch + c;
        const int32_t w = unsigned_ ? static_cast<int32_t>(filter.as<uint8_t>()[i])
                                    : static_cast<int32_t>(filter.as<int8_t>()[i]);
        weights_[static_cast<size_t>(t) * chp_ + c] = w + filter_offset_;
      }
    packed_for_ = filter.data;
  }

  DwGeometry g_{};
  bool unsigned_ = false;
  int chp_ = 0;
  int32_t input_offset_ = 0, filter_offset_ = 0;
  DoubleRoundingStage stage_;
  std::vector<int32_t> weights_, bias_;
  const void* packed_for_ = nullptr;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  const DType t = qref::InType(ctx, 0);
  if (!Avx512Available() || !qref::IsQ8(t) || qref::InType(ctx, 1) != t ||
      qref::OutType(ctx, 0) != t)
    return nullptr;
  const TensorView* bias = OptIn(ctx, 2);
  if (bias && bias->type != DType::kInt32) return nullptr;
  const TensorView& in = *ctx.inputs[0];
  const TensorView& filter = *ctx.inputs[1];
  // Depth multiplier 1 only (output channel c reads input channel c).
  if (in.rank() != 4 || filter.rank() != 4 || filter.dim(3) != in.dim(3)) return nullptr;
  return std::make_unique<FastDepthwiseQ8>();
}

}  // namespace

void RegisterFastDepthwiseQ8(KernelRegistry& r) {
  r.Register(OpType::DEPTHWISE_CONV_2D, "fast/q8/depthwise_conv_2d", kFastPriority, Create);
}

}  // namespace cae::fast
