// Fast ADD, SUB and MUL on int8/uint8 tensors of the same shape, or with the second input
// broadcast along the last axis (a per-channel vector, as in a BatchNorm kept as MUL + ADD),
// per-tensor quantization, fused activation; one Highway vector at a time (dynamic dispatch:
// AVX-512, AVX2, SSE4, NEON, the portable EMU128 fallback...), spread over the ThreadPool. The
// factory declines
// other broadcasts and ADD/SUB multipliers the reference applies with a left shift. Identical to
// kernels/ref/quantized/binary.cc (TFLite's scheme), vector forms in requantize_hwy-inl.h:
//  - ADD/SUB: each input (q - zp) << 20 is rescaled with
//    MultiplyByQuantizedMultiplierSmallerThanOneExp, summed (or subtracted) and rescaled to the
//    output the same way, + zero point, clamped;
//  - MUL: (qa - zpa) * (qb - zpb) through MultiplyByQuantizedMultiplier (sa * sb / so), + zero
//    point, clamped.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/quant_add.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "graph/shape.h"
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

enum class BinaryKind { kAdd, kSub, kMul };

struct AddParams {
  int32_t off_a = 0, off_b = 0, out_zp = 0, act_min = 0, act_max = 0;
  QuantizedMultiplier ma, mb, mo;  // ma, mb: ADD/SUB only
  BinaryKind kind = BinaryKind::kAdd;
  bool is_unsigned = false;
};
}  // namespace
}  // namespace cae::fast
#endif

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Calls one_vector(a, b, out) on each full vector of n elements, then once on zero-padded copies
// of the tail.
template <typename T, class D, class OneVector>
HWY_INLINE void ForEachVector(D d, const T* a, const T* b, int64_t n, T* out,
                              const OneVector& one_vector) {
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

template <typename T>
void MulSpanT(const AddParams& p, const T* a, const T* b, int64_t n, T* out) {
  const hn::ScalableTag<int32_t> d;
  const hn::Rebind<T, decltype(d)> dq;
  // |(qa - zpa) * (qb - zpb)| <= 255 * 255: no overflow before the output stage.
  const rq::UniformStage stage = rq::MakeUniformStage(p.mo, p.out_zp, p.act_min, p.act_max);
  const int32_t off_a = p.off_a, off_b = p.off_b;
  ForEachVector(d, a, b, n, out, [&](const T* va, const T* vb, T* vo) {
    const auto xa = hn::Add(hn::PromoteTo(d, hn::LoadU(dq, va)), hn::Set(d, off_a));
    const auto xb = hn::Add(hn::PromoteTo(d, hn::LoadU(dq, vb)), hn::Set(d, off_b));
    const auto r = rq::ApplyUniformStage(d, hn::Mul(xa, xb), stage);
    hn::StoreU(rq::NarrowClamped<T>(d, r), dq, vo);
  });
}

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
  const bool subtract = p.kind == BinaryKind::kSub;
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
  ForEachVector(d, a, b, n, out, one_vector);
}

template <typename T>
void SpanT(const AddParams& p, const void* a, const void* b, int64_t n, void* out) {
  const auto* ta = static_cast<const T*>(a);
  const auto* tb = static_cast<const T*>(b);
  auto* to = static_cast<T*>(out);
  if (p.kind == BinaryKind::kMul) {
    MulSpanT(p, ta, tb, n, to);
  } else {
    AddSpanT(p, ta, tb, n, to);
  }
}

void AddSpan(const AddParams& p, const void* a, const void* b, int64_t n, void* out) {
  if (p.is_unsigned) {
    SpanT<uint8_t>(p, a, b, n, out);
  } else {
    SpanT<int8_t>(p, a, b, n, out);
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
AddParams MakeParams(const KernelContext& ctx, BinaryKind kind) {
  const TensorView& a = In(ctx, 0);
  const TensorView& b = In(ctx, 1);
  const TensorView& out = Out(ctx, 0);
  AddParams p;
  p.kind = kind;
  p.is_unsigned = a.type == DType::kUInt8;
  p.off_a = -qref::ZeroPoint(ctx, a);
  p.off_b = -qref::ZeroPoint(ctx, b);
  p.out_zp = qref::ZeroPoint(ctx, out);
  const float sa = qref::Scale(ctx, a), sb = qref::Scale(ctx, b), so = qref::Scale(ctx, out);
  CalculateActivationRangeQuantized(ctx.op->options.activation, out.type, so, p.out_zp, &p.act_min,
                                    &p.act_max);
  if (kind == BinaryKind::kMul) {
    p.mo = QuantizeMultiplier(static_cast<double>(sa * sb / so));
    return p;
  }
  const double twice_max = static_cast<double>(2 * std::max(sa, sb));
  p.ma = QuantizeMultiplierSmallerThanOneExp(static_cast<double>(sa) / twice_max);
  p.mb = QuantizeMultiplierSmallerThanOneExp(static_cast<double>(sb) / twice_max);
  p.mo =
      QuantizeMultiplier(twice_max / static_cast<double>(static_cast<float>(1 << kLeftShift) * so));
  return p;
}

// Elements per ParallelFor item of the same-shape case.
constexpr int64_t kMinChunk = 1 << 14;
// The broadcast vector is tiled to at least this many elements (a whole number of its copies).
constexpr int64_t kTile = 1024;

// b's shape is [..1.., C] with C the output's last dimension (b repeats along the last axis).
bool InnerBroadcast(const std::vector<int32_t>& b, const std::vector<int32_t>& out) {
  return !b.empty() && !out.empty() && out.back() > 0 && b.back() == out.back() &&
         NumElements(b) == out.back();
}

class FastAddQ8 : public OpKernel {
 public:
  explicit FastAddQ8(BinaryKind kind) : kind_(kind) {}
  void Prepare(const KernelContext& ctx) override {
    qref::CheckSameShape(ctx, In(ctx, 0), Out(ctx, 0));
    broadcast_ = In(ctx, 1).shape != Out(ctx, 0).shape;
    if (broadcast_) {
      Check(InnerBroadcast(In(ctx, 1).shape, Out(ctx, 0).shape), ctx,
            ": second input does not repeat along the last axis");
      const int64_t c = Out(ctx, 0).shape.back();
      tiled_.resize(static_cast<size_t>((kTile + c - 1) / c * c));
    }
    p_ = MakeParams(ctx, kind_);
  }
  void Eval(const KernelContext& ctx) override {
    const auto* a = static_cast<const uint8_t*>(In(ctx, 0).data);
    const auto* b = static_cast<const uint8_t*>(In(ctx, 1).data);
    auto* out = static_cast<uint8_t*>(Out(ctx, 0).data);
    const int64_t n = Out(ctx, 0).num_elements();
    if (!broadcast_) {
      ParallelFor(ctx.pool, n, kMinChunk, [&](int64_t s, int64_t e) {
        HWY_DYNAMIC_DISPATCH(AddSpan)(p_, a + s, b + s, e - s, out + s);
      });
      return;
    }
    // b's C values repeated over a tile that is a whole number of rows; blocks start on rows.
    const auto c = static_cast<size_t>(Out(ctx, 0).shape.back());
    for (size_t i = 0; i < tiled_.size(); i += c) std::memcpy(tiled_.data() + i, b, c);
    const auto tile = static_cast<int64_t>(tiled_.size());
    ParallelFor(ctx.pool, (n + tile - 1) / tile, std::max<int64_t>(1, kMinChunk / tile),
                [&](int64_t begin, int64_t end) {
                  for (int64_t blk = begin; blk < end; ++blk) {
                    const int64_t s = blk * tile;
                    HWY_DYNAMIC_DISPATCH(AddSpan)(p_, a + s, tiled_.data(),
                                                  std::min(tile, n - s), out + s);
                  }
                });
  }

 private:
  BinaryKind kind_;
  bool broadcast_ = false;
  std::vector<uint8_t> tiled_;  // the broadcast input repeated (sized in Prepare)
  AddParams p_;
};

bool PerTensor(const TensorView* t) {
  return t != nullptr && t->quant != nullptr && t->quant->scale.size() == 1;
}

template <BinaryKind kKind>
std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  const DType t = qref::InType(ctx, 0);
  if (!qref::IsQ8(t) || qref::InType(ctx, 1) != t ||
      qref::OutType(ctx, 0) != t)
    return nullptr;
  const TensorView* a = ctx.inputs[0];
  const TensorView* b = ctx.inputs[1];
  const TensorView* out = ctx.outputs[0];
  if (!PerTensor(a) || !PerTensor(b) || !PerTensor(out) || a->shape != out->shape ||
      (b->shape != out->shape && !InnerBroadcast(b->shape, out->shape)))
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
  // ADD/SUB: only right-shifting multipliers (the reference's arithmetic is not defined otherwise).
  const AddParams p = MakeParams(ctx, kKind);
  if (kKind != BinaryKind::kMul && (p.ma.shift > 0 || p.mb.shift > 0 || p.mo.shift > 0))
    return nullptr;
  return std::make_unique<FastAddQ8>(kKind);
}

}  // namespace

void RegisterFastAddQ8(KernelRegistry& r) {
  r.Register(OpType::ADD, "fast/q8/add", kFastPriority, Create<BinaryKind::kAdd>);
  r.Register(OpType::SUB, "fast/q8/sub", kFastPriority, Create<BinaryKind::kSub>);
  r.Register(OpType::MUL, "fast/q8/mul", kFastPriority, Create<BinaryKind::kMul>);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
