// Fast ADD and SUB on int8/uint8 tensors of the same shape (no broadcasting), per-tensor
// quantization, fused activation; one Highway vector at a time (dynamic dispatch: AVX-512, AVX2,
// SSE4, NEON, the portable EMU128 fallback...), spread over the ThreadPool. The factory declines
// broadcasts and multipliers the reference applies with a left shift. Identical to
// kernels/ref/quantized/binary.cc (TFLite's scheme): each input (q - zp) << 20 is rescaled with
// MultiplyByQuantizedMultiplierSmallerThanOneExp, summed (or subtracted) and rescaled to the
// output the same way, + zero point, clamped (vector forms in requantize_hwy-inl.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/quant_add.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "kernels/fast/fast_kernels.h"
#include "kernels/fast/requantize_hwy-inl.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"
#include "kernels/ref/quantized/qutil.h"

// Target-independent declarations, seen once although foreach_target re-includes this file.
#ifndef CAE_KERNELS_FAST_QUANT_ADD_PARAMS_
#define CAE_KERNELS_FAST_QUANT_ADD_PARAMS_
namespace cae::fast {
namespace {
constexpr int kLeftShift = 20;

struct AddParams {
  int32_t off_a = 0, off_b = 0, out_zp = 0, act_min = 0, act_max = 0;
  QuantizedMultiplier ma, mb, mo;
  bool subtract = false, is_unsigned = false;
};
}  // namespace
}  // namespace cae::fast
#endif

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <typename T>
void AddSpanT(const AddParams& p, const T* a, const T* b, int64_t n, T* out) {
  const hn::ScalableTag<int32_t> d;
  const hn::Rebind<T, decltype(d)> dq;
  // |(q - zp) << 20| < 2^28 and |ra +- rb| < 2^29: the bounded rounding never overflows.
  const rq::BoundedShift sa = rq::MakeBoundedShift(-p.ma.shift),
                         sb = rq::MakeBoundedShift(-p.mb.shift),
                         so = rq::MakeBoundedShift(-p.mo.shift);
  // The lambda sees only scalars (no vector captures, which SVE forbids); Set is hoisted. Local
  // copies: the 8-bit stores could alias p's fields.
  const int32_t off_a = p.off_a, off_b = p.off_b, zp = p.out_zp, lo = p.act_min, hi = p.act_max;
  const int32_t ma = p.ma.multiplier, mb = p.mb.multiplier, mo = p.mo.multiplier;
  const bool subtract = p.subtract;
  const auto one_vector = [&](const T* va, const T* vb, T* vo) {
    const auto xa = hn::ShiftLeft<kLeftShift>(
        hn::Add(hn::PromoteTo(d, hn::LoadU(dq, va)), hn::Set(d, off_a)));
    const auto xb = hn::ShiftLeft<kLeftShift>(
        hn::Add(hn::PromoteTo(d, hn::LoadU(dq, vb)), hn::Set(d, off_b)));
    const auto ra =
        rq::RoundingShiftRightBounded(d, rq::RoundingHighMul(d, xa, hn::Set(d, ma)), sa);
    const auto rb =
        rq::RoundingShiftRightBounded(d, rq::RoundingHighMul(d, xb, hn::Set(d, mb)), sb);
    const auto raw = subtract ? hn::Sub(ra, rb) : hn::Add(ra, rb);
    const auto r = hn::Add(
        rq::RoundingShiftRightBounded(d, rq::RoundingHighMul(d, raw, hn::Set(d, mo)), so),
        hn::Set(d, zp));
    const auto clamped = hn::Min(hn::Max(r, hn::Set(d, lo)), hn::Set(d, hi));
    hn::StoreU(rq::NarrowClamped<T>(d, clamped), dq, vo);
  };
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) one_vector(a + i, b + i, out + i);
  if (i >= n) return;
  HWY_ALIGN T ta[64] = {}, tb[64] = {}, to[64];
  const auto rest = static_cast<size_t>(n - i);
  std::memcpy(ta, a + i, rest);
  std::memcpy(tb, b + i, rest);
  one_vector(ta, tb, to);
  std::memcpy(out + i, to, rest);
}

void AddSpan(const AddParams& p, const void* a, const void* b, int64_t n, void* out) {
  if (p.is_unsigned) {
    AddSpanT(p, static_cast<const uint8_t*>(a), static_cast<const uint8_t*>(b), n,
             static_cast<uint8_t*>(out));
  } else {
    AddSpanT(p, static_cast<const int8_t*>(a), static_cast<const int8_t*>(b), n,
             static_cast<int8_t*>(out));
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(AddSpan);

namespace {

using qref::In;
using qref::Out;

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
  p.mo =
      QuantizeMultiplier(twice_max / static_cast<double>(static_cast<float>(1 << kLeftShift) * so));
  CalculateActivationRangeQuantized(ctx.op->options.activation, out.type, so, p.out_zp, &p.act_min,
                                    &p.act_max);
  return p;
}

class FastAddQ8 : public OpKernel {
 public:
  explicit FastAddQ8(bool subtract) : subtract_(subtract) {}
  void Prepare(const KernelContext& ctx) override {
    qref::CheckSameShape(ctx, In(ctx, 0), Out(ctx, 0));
    qref::CheckSameShape(ctx, In(ctx, 1), Out(ctx, 0));
    p_ = MakeParams(ctx, subtract_);
  }
  void Eval(const KernelContext& ctx) override {
    const auto* a = static_cast<const uint8_t*>(In(ctx, 0).data);
    const auto* b = static_cast<const uint8_t*>(In(ctx, 1).data);
    auto* out = static_cast<uint8_t*>(Out(ctx, 0).data);
    ParallelFor(ctx.pool, Out(ctx, 0).num_elements(), 1 << 14, [&](int64_t s, int64_t e) {
      HWY_DYNAMIC_DISPATCH(AddSpan)(p_, a + s, b + s, e - s, out + s);
    });
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
  if (!qref::IsQ8(t) || qref::InType(ctx, 1) != t ||
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
#endif  // HWY_ONCE
