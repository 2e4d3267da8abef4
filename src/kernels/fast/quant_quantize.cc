// Fast QUANTIZE (float32 -> int8/uint8, per-tensor) and DEQUANTIZE (int8/uint8 -> float32,
// per-tensor), 16 values per AVX-512 vector, elements spread over the ThreadPool. AVX-512 CPUs
// only (the factories decline elsewhere and the reference kernels run). Identical to
// kernels/ref/quantized/quantize.cc:
//  - QUANTIZE: round half away from zero of the float quotient x / scale (the same IEEE
//    division), NaN -> 0, clamped in float to [qmin - zp, qmax - zp], then + zp;
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
  if (!Avx512Available() || qref::InType(ctx, 0) != DType::kFloat32 ||
      !qref::IsQ8(qref::OutType(ctx, 0)) || !PerTensor(ctx.outputs[0]))
    return nullptr;
  return std::make_unique<FastQuantize>();
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
