// Fast ADD and SUB on int8/uint8 tensors of the same shape (no broadcasting), per-tensor
// quantization, fused activation; 16 elements per AVX-512 vector, spread over the ThreadPool.
// AVX-512 CPUs only; the factory declines elsewhere, for broadcasts and for multipliers the
// reference applies with a left shift. Identical to kernels/ref/quantized/binary.cc (TFLite's
// scheme): each input (q - zp) << 20 is rescaled with MultiplyByQuantizedMultiplierSmallerThanOneExp,
// summed (or subtracted) and rescaled to the output the same way, + zero point, clamped. The high
// multiply is (a*b + 2^30) >> 31 in 64 bits (equal to gemmlowp's for multipliers >= 0), then the
// rounding right shift with its remainder threshold.
#include <algorithm>
#include <memory>

#include "hwy/targets.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"
#include "kernels/ref/quantized/qutil.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CAE_QA_X86 1
#include <immintrin.h>
#define CAE_QA_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#endif

namespace cae::fast {
namespace {

using qref::In;
using qref::Out;

constexpr int kLeftShift = 20;

struct AddParams {
  int32_t off_a = 0, off_b = 0, out_zp = 0, act_min = 0, act_max = 0;
  QuantizedMultiplier ma, mb, mo;
  bool subtract = false, is_unsigned = false;
};

// The multipliers exactly as the reference's Prepare computes them.
AddParams MakeParams(const KernelContext& ctx, bool subtract) {
  const TensorView& a = In(ctx, 0);
  const TensorView& b = In(ctx, 1);
  const TensorView& out = Out(ctx, 0);
  AddParams p;
  p.subtract = subtract;
  p.is_unsigned = a.type == DType::kUInt8;
  p.off_a = -qref::ZeroPoint(ctx, a);
  p.off_b = -qref::ZeroPoint(ctx, b);
  p.out_zp = qref::ZeroPoint(ctx, out);
  const float sa = qref::Scale(ctx, a), sb = qref::Scale(ctx, b), so = qref::Scale(ctx, out);
  const double twice_max = static_cast<double>(2 * std::max(sa, sb));
  p.ma = QuantizeMultiplierSmallerThanOneExp(static_cast<double>(sa) / twice_max);
  p.mb = QuantizeMultiplierSmallerThanOneExp(static_cast<double>(sb) / twice_max);
  p.mo = QuantizeMultiplier(twice_max / static_cast<double>(static_cast<float>(1 << kLeftShift) * so));
  CalculateActivationRangeQuantized(ctx.op->options.activation, out.type, so, p.out_zp, &p.act_min,
                                    &p.act_max);
  return p;
}

#ifdef CAE_QA_X86
bool Avx512Available() {
  return (hwy::SupportedTargets() & (HWY_AVX3 | HWY_AVX3_DL)) != 0 &&
         __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

struct VecMult {
  __m512i m, right, mask, thr;
};

CAE_QA_FN VecMult MakeVecMult(QuantizedMultiplier q) {
  const int right = -q.shift;
  const int32_t mask = static_cast<int32_t>((int64_t{1} << right) - 1);
  return {_mm512_set1_epi32(q.multiplier), _mm512_set1_epi32(right), _mm512_set1_epi32(mask),
          _mm512_set1_epi32(mask >> 1)};
}

// MultiplyByQuantizedMultiplierSmallerThanOneExp on 16 lanes.
CAE_QA_FN inline __m512i MulSmallerThanOne(__m512i x, const VecMult& v) {
  const __m512i half = _mm512_set1_epi64(int64_t{1} << 30);
  const __m512i pe = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, v.m), half), 31);
  const __m512i po =
      _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), v.m), half), 31);
  const __m512i h = _mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32));
  const __m512i rem = _mm512_and_si512(h, v.mask);
  const __m512i thr = _mm512_add_epi32(v.thr, _mm512_srli_epi32(h, 31));
  const __m512i r = _mm512_srav_epi32(h, v.right);
  return _mm512_mask_add_epi32(r, _mm512_cmpgt_epi32_mask(rem, thr), r, _mm512_set1_epi32(1));
}

template <bool kUnsigned>
CAE_QA_FN void AddSpan(const AddParams& p, const uint8_t* a, const uint8_t* b, int64_t n,
                       uint8_t* out) {
  const VecMult ma = MakeVecMult(p.ma), mb = MakeVecMult(p.mb), mo = MakeVecMult(p.mo);
  const __m512i off_a = _mm512_set1_epi32(p.off_a), off_b = _mm512_set1_epi32(p.off_b);
  const __m512i zp = _mm512_set1_epi32(p.out_zp), lo = _mm512_set1_epi32(p.act_min),
                hi = _mm512_set1_epi32(p.act_max);
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t left = n - i;
    const auto mask = static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1u);
    const __m128i ra = _mm_maskz_loadu_epi8(mask, a + i), rb = _mm_maskz_loadu_epi8(mask, b + i);
    const __m512i wa = kUnsigned ? _mm512_cvtepu8_epi32(ra) : _mm512_cvtepi8_epi32(ra);
    const __m512i wb = kUnsigned ? _mm512_cvtepu8_epi32(rb) : _mm512_cvtepi8_epi32(rb);
    const __m512i xa = _mm512_slli_epi32(_mm512_add_epi32(wa, off_a), kLeftShift);
    const __m512i xb = _mm512_slli_epi32(_mm512_add_epi32(wb, off_b), kLeftShift);
    const __m512i sa = MulSmallerThanOne(xa, ma), sb = MulSmallerThanOne(xb, mb);
    const __m512i raw = p.subtract ? _mm512_sub_epi32(sa, sb) : _mm512_add_epi32(sa, sb);
    __m512i r = _mm512_add_epi32(MulSmallerThanOne(raw, mo), zp);
    r = _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
    _mm_mask_storeu_epi8(out + i, mask, _mm512_cvtepi32_epi8(r));
  }
}
#else
bool Avx512Available() { return false; }
#endif

class FastAddQ8 : public OpKernel {
 public:
  explicit FastAddQ8(bool subtract) : subtract_(subtract) {}
  void Prepare(const KernelContext& ctx) override {
    qref::CheckSameShape(ctx, In(ctx, 0), Out(ctx, 0));
    qref::CheckSameShape(ctx, In(ctx, 1), Out(ctx, 0));
    p_ = MakeParams(ctx, subtract_);
  }
  void Eval(const KernelContext& ctx) override {
#ifdef CAE_QA_X86
    const auto* a = static_cast<const uint8_t*>(In(ctx, 0).data);
    const auto* b = static_cast<const uint8_t*>(In(ctx, 1).data);
    auto* out = static_cast<uint8_t*>(Out(ctx, 0).data);
    ParallelFor(ctx.pool, Out(ctx, 0).num_elements(), 1 << 14, [&](int64_t s, int64_t e) {
      if (p_.is_unsigned) {
        AddSpan<true>(p_, a + s, b + s, e - s, out + s);
      } else {
        AddSpan<false>(p_, a + s, b + s, e - s, out + s);
      }
    });
#else
    (void)ctx;
#endif
  }

 private:
  bool subtract_;
  AddParams p_;
};

bool PerTensor(const TensorView* t) {
  return t != nullptr && t->quant != nullptr && t->quant->scale.size() == 1;
}

template <bool kSubtract>
std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  const DType t = qref::InType(ctx, 0);
  if (!Avx512Available() || !qref::IsQ8(t) || qref::InType(ctx, 1) != t ||
      qref::OutType(ctx, 0) != t)
    return nullptr;
  const TensorView* a = ctx.inputs[0];
  const TensorView* b = ctx.inputs[1];
  const TensorView* out = ctx.outputs[0];
  if (!PerTensor(a) || !PerTensor(b) || !PerTensor(out) || a->shape != out->shape ||
      b->shape != out->shape)
    return nullptr;
  switch (ctx.op->options.activation) {
    case Activation::kNone:
    case Activation::kRelu:
    case Activation::kRelu6:
    case Activation::kReluN1To1: break;
    default: return nullptr;
  }
  if (a->quant->scale[0] <= 0 || b->quant->scale[0] <= 0 || out->quant->scale[0] <= 0)
    return nullptr;
  // Only right-shifting multipliers (the reference's arithmetic is not defined otherwise).
  const AddParams p = MakeParams(ctx, kSubtract);
  if (p.ma.shift > 0 || p.mb.shift > 0 || p.mo.shift > 0) return nullptr;
  return std::make_unique<FastAddQ8>(kSubtract);
}

}  // namespace

void RegisterFastAddQ8(KernelRegistry& r) {
  r.Register(OpType::ADD, "fast/q8/add", kFastPriority, Create<false>);
  r.Register(OpType::SUB, "fast/q8/sub", kFastPriority, Create<true>);
}

}  // namespace cae::fast
