// Fast QUANTIZE (float32 -> int8/uint8 and int8/uint8 -> int8/uint8, per-tensor) and DEQUANTIZE
// (int8/uint8 -> float32, per-tensor), 16 values per AVX-512 vector, elements spread over the ThreadPool. AVX-512 CPUs
// only (the factories decline elsewhere and the reference kernels run). Identical to
// kernels/ref/quantized/quantize.cc:
//  - QUANTIZE: round half away from zero of the float quotient x / scale (the same IEEE
//    division), NaN -> 0, clamped in float to [qmin - zp, qmax - zp], then + zp;
//  - requantizing QUANTIZE: MultiplyByQuantizedMultiplier(q - in_zp, in_scale / out_scale) + zp,
//    clamped; the high multiply as (a*b + 2^30) >> 31 in 64 bits (gemmlowp's result for
//    multipliers >= 0), then the rounding right shift with its remainder threshold;
//  - DEQUANTIZE: float(double(scale) * (q - zp)), the product in double as the reference does.
#include <cmath>
#include <cstring>
#include <memory>

#include "hwy/targets.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"
#include "kernels/ref/quantized/qutil.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CAE_QZ_X86 1
#include <immintrin.h>
#define CAE_QZ_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#endif

namespace cae::fast {
namespace {

using qref::In;
using qref::Out;

#ifdef CAE_QZ_X86
bool Avx512Available() {
  return (hwy::SupportedTargets() & (HWY_AVX3 | HWY_AVX3_DL)) != 0 &&
         __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

// n floats -> 8-bit values; lo/hi are qmin - zp and qmax - zp.
CAE_QZ_FN void QuantizeSpan(const float* src, int64_t n, float scale, float lo, float hi,
                            int32_t zp, uint8_t* dst) {
  const __m512 vs = _mm512_set1_ps(scale), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
  const __m512 sign_bit = _mm512_set1_ps(-0.0f);
  const __m512i vzp = _mm512_set1_epi32(zp);
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t left = n - i;
    const auto mask = static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1u);
    const __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(mask, src + i), vs);
    // Half away from zero: truncate, then step away from zero when the dropped part is >= 0.5.
    const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512 frac = _mm512_andnot_ps(sign_bit, _mm512_sub_ps(v, t));
    const __m512 step = _mm512_or_ps(one, _mm512_and_ps(sign_bit, v));  // +-1 with v's sign
    __m512 r = _mm512_mask_add_ps(t, _mm512_cmp_ps_mask(frac, half, _CMP_GE_OQ), t, step);
    r = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), r);  // NaN -> 0
    r = _mm512_min_ps(_mm512_max_ps(r, vlo), vhi);
    const __m512i q = _mm512_add_epi32(_mm512_cvttps_epi32(r), vzp);
    _mm_mask_storeu_epi8(dst + i, mask, _mm512_cvtepi32_epi8(q));
  }
}

// n 8-bit values -> n 8-bit values: MultiplyByQuantizedMultiplier(q - in_zp, m) + out_zp, clamped.
template <bool kUnsignedIn>
CAE_QZ_FN void RequantizeSpan(const uint8_t* src, int64_t n, int32_t in_zp, QuantizedMultiplier m,
                              int32_t out_zp, int32_t lo, int32_t hi, uint8_t* dst) {
  const int left = m.shift > 0 ? m.shift : 0, right = m.shift > 0 ? 0 : -m.shift;
  const int32_t rmask = static_cast<int32_t>((int64_t{1} << right) - 1);
  const __m512i vm = _mm512_set1_epi32(m.multiplier), vright = _mm512_set1_epi32(right);
  const __m512i vmask = _mm512_set1_epi32(rmask), vthr = _mm512_set1_epi32(rmask >> 1);
  const __m512i vin = _mm512_set1_epi32(in_zp), vout = _mm512_set1_epi32(out_zp);
  const __m512i vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
  const __m512i half = _mm512_set1_epi64(int64_t{1} << 30);
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t rest = n - i;
    const auto mask = static_cast<__mmask16>(rest >= 16 ? 0xFFFF : (1u << rest) - 1u);
    const __m128i raw = _mm_maskz_loadu_epi8(mask, src + i);
    const __m512i q = kUnsignedIn ? _mm512_cvtepu8_epi32(raw) : _mm512_cvtepi8_epi32(raw);
    const __m512i x = _mm512_slli_epi32(_mm512_sub_epi32(q, vin), static_cast<unsigned>(left));
    const __m512i pe = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, vm), half), 31);
    const __m512i po = _mm512_srai_epi64(
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), vm), half), 31);
    const __m512i h = _mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32));
    const __m512i thr = _mm512_add_epi32(vthr, _mm512_srli_epi32(h, 31));
    __m512i r = _mm512_srav_epi32(h, vright);
    r = _mm512_mask_add_epi32(r, _mm512_cmpgt_epi32_mask(_mm512_and_si512(h, vmask), thr), r,
                              _mm512_set1_epi32(1));
    r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, vout), vlo), vhi);
    _mm_mask_storeu_epi8(dst + i, mask, _mm512_cvtepi32_epi8(r));
  }
}

// n 8-bit values -> floats.
template <bool kUnsigned>
CAE_QZ_FN void DequantizeSpan(const uint8_t* src, int64_t n, double scale, int32_t zp,
                              float* dst) {
  const __m512d vs = _mm512_set1_pd(scale);
  const __m512i vzp = _mm512_set1_epi32(zp);
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t left = n - i;
    const auto mask = static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1u);
    const __m128i raw = _mm_maskz_loadu_epi8(mask, src + i);
    const __m512i q = _mm512_sub_epi32(
        kUnsigned ? _mm512_cvtepu8_epi32(raw) : _mm512_cvtepi8_epi32(raw), vzp);
    const __m256 lo = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(q)), vs));
    const __m256 hi =
        _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(q, 1)), vs));
    const __m512 f = _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
    _mm512_mask_storeu_ps(dst + i, mask, f);
  }
}
#else
bool Avx512Available() { return false; }
#endif

constexpr int64_t kMinChunk = 1 << 14;

class FastQuantize : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    qref::CheckSameShape(ctx, In(ctx, 0), Out(ctx, 0));
    const TensorView& out = Out(ctx, 0);
    scale_ = qref::Scale(ctx, out);
    zp_ = qref::ZeroPoint(ctx, out);
    lo_ = static_cast<float>(QuantMin(out.type) - zp_);
    hi_ = static_cast<float>(QuantMax(out.type) - zp_);
  }
  void Eval(const KernelContext& ctx) override {
#ifdef CAE_QZ_X86
    const float* src = In(ctx, 0).as<float>();
    auto* dst = static_cast<uint8_t*>(Out(ctx, 0).data);
    ParallelFor(ctx.pool, In(ctx, 0).num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      QuantizeSpan(src + b, e - b, scale_, lo_, hi_, zp_, dst + b);
    });
#else
    (void)ctx;
#endif
  }

 private:
  float scale_ = 1, lo_ = 0, hi_ = 0;
  int32_t zp_ = 0;
};

class FastRequantize : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& out = Out(ctx, 0);
    qref::CheckSameShape(ctx, in, out);
    in_zp_ = qref::ZeroPoint(ctx, in);
    out_zp_ = qref::ZeroPoint(ctx, out);
    m_ = QuantizeMultiplier(static_cast<double>(qref::Scale(ctx, in)) /
                            static_cast<double>(qref::Scale(ctx, out)));
    lo_ = QuantMin(out.type);
    hi_ = QuantMax(out.type);
    unsigned_in_ = in.type == DType::kUInt8;
  }
  void Eval(const KernelContext& ctx) override {
#ifdef CAE_QZ_X86
    const auto* src = static_cast<const uint8_t*>(In(ctx, 0).data);
    auto* dst = static_cast<uint8_t*>(Out(ctx, 0).data);
    ParallelFor(ctx.pool, In(ctx, 0).num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      if (unsigned_in_) {
        RequantizeSpan<true>(src + b, e - b, in_zp_, m_, out_zp_, lo_, hi_, dst + b);
      } else {
        RequantizeSpan<false>(src + b, e - b, in_zp_, m_, out_zp_, lo_, hi_, dst + b);
      }
    });
#else
    (void)ctx;
#endif
  }

 private:
  int32_t in_zp_ = 0, out_zp_ = 0, lo_ = 0, hi_ = 0;
  QuantizedMultiplier m_;
  bool unsigned_in_ = false;
};

class FastDequantize : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    qref::CheckSameShape(ctx, In(ctx, 0), Out(ctx, 0));
    scale_ = qref::Scale(ctx, In(ctx, 0));
    zp_ = qref::ZeroPoint(ctx, In(ctx, 0));
    unsigned_ = In(ctx, 0).type == DType::kUInt8;
  }
  void Eval(const KernelContext& ctx) override {
#ifdef CAE_QZ_X86
    const auto* src = static_cast<const uint8_t*>(In(ctx, 0).data);
    float* dst = Out(ctx, 0).as<float>();
    ParallelFor(ctx.pool, In(ctx, 0).num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      if (unsigned_) {
        DequantizeSpan<true>(src + b, e - b, scale_, zp_, dst + b);
      } else {
        DequantizeSpan<false>(src + b, e - b, scale_, zp_, dst + b);
      }
    });
#else
    (void)ctx;
#endif
  }

 private:
  double scale_ = 1;
  int32_t zp_ = 0;
  bool unsigned_ = false;
};

bool PerTensor(const TensorView* t) {
  return t != nullptr && t->quant != nullptr && t->quant->scale.size() == 1;
}

std::unique_ptr<OpKernel> CreateQuantize(const KernelContext& ctx) {
  if (!Avx512Available() || !qref::IsQ8(qref::OutType(ctx, 0)) || !PerTensor(ctx.outputs[0]))
    return nullptr;
  if (qref::InType(ctx, 0) == DType::kFloat32) return std::make_unique<FastQuantize>();
  if (!qref::IsQ8(qref::InType(ctx, 0)) || !PerTensor(ctx.inputs[0])) return nullptr;
  // 8-bit -> 8-bit: scales must give a multiplier QuantizeMultiplier accepts (< 2^31).
  const float si = ctx.inputs[0]->quant->scale[0], so = ctx.outputs[0]->quant->scale[0];
  if (!(si > 0) || !(so > 0) || static_cast<double>(si) / static_cast<double>(so) >= 1e9)
    return nullptr;
  return std::make_unique<FastRequantize>();
}

std::unique_ptr<OpKernel> CreateDequantize(const KernelContext& ctx) {
  if (!Avx512Available() || !qref::IsQ8(qref::InType(ctx, 0)) ||
      qref::OutType(ctx, 0) != DType::kFloat32 || !PerTensor(ctx.inputs[0]))
    return nullptr;
  return std::make_unique<FastDequantize>();
}

}  // namespace

void RegisterFastQuantizeQ8(KernelRegistry& r) {
  r.Register(OpType::QUANTIZE, "fast/q8/quantize", kFastPriority, CreateQuantize);
  r.Register(OpType::DEQUANTIZE, "fast/q8/dequantize", kFastPriority, CreateDequantize);
}

}  // namespace cae::fast
