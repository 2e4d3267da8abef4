// Highway (per-target) vector forms of TFLite's integer requantization (kernels/quant_math.h),
// bit-exact lane by lane with the scalar functions for multipliers >= 0 (all TFLite produces):
//  - RoundingHighMul(x, m)   = SaturatingRoundingDoublingHighMul(x, m): (x*m + 2^30) >> 31 in 64
//    bits (floor), equal to gemmlowp's nudge-and-truncate; never saturates for m >= 0;
//  - RoundingShiftRight       = RoundingDivideByPOT with per-lane exponents (mask/threshold form),
//    RoundingShiftRightBounded the shorter form for inputs proven small;
//  - MultiplyByQuantizedMultiplier (double rounding) built from the two, with the left shift as a
//    wrapping multiply by 2^left (what x * (1 << left) does in the reference).
// Included after hwy/highway.h inside a foreach_target translation unit.
#if defined(CAE_KERNELS_FAST_REQUANTIZE_HWY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CAE_KERNELS_FAST_REQUANTIZE_HWY_INL_H_
#undef CAE_KERNELS_FAST_REQUANTIZE_HWY_INL_H_
#else
#define CAE_KERNELS_FAST_REQUANTIZE_HWY_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"
#include "kernels/quant_math.h"

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace rq {
namespace hn = hwy::HWY_NAMESPACE;

// (x * m + 2^30) >> 31 per int32 lane (m >= 0).
template <class D>
HWY_INLINE hn::Vec<D> RoundingHighMul(D d, hn::Vec<D> x, hn::Vec<D> m) {
#if HWY_TARGET == HWY_SCALAR
  (void)d;
  return hn::Set(d, SaturatingRoundingDoublingHighMul(hn::GetLane(x), hn::GetLane(m)));
#else
  const hn::Repartition<int64_t, D> d64;
  const hn::Repartition<uint64_t, D> du64;
  const auto half = hn::Set(d64, int64_t{1} << 30);
  // Even lanes: the product of the low halves; odd lanes: moved down to the low halves first.
  const auto pe = hn::Add(hn::MulEven(x, m), half);
  const auto xo = hn::BitCast(d, hn::ShiftRight<32>(hn::BitCast(du64, x)));
  const auto mo = hn::BitCast(d, hn::ShiftRight<32>(hn::BitCast(du64, m)));
  const auto po = hn::Add(hn::MulEven(xo, mo), half);
  // Bits 31..62 of each 64-bit sum: in the low half for even lanes, the high half for odd lanes.
  const auto even = hn::BitCast(d, hn::ShiftRight<31>(hn::BitCast(du64, pe)));
  const auto odd = hn::BitCast(d, hn::ShiftLeft<1>(po));
  return hn::OddEven(odd, even);
#endif
}

// Vectors are passed one by one, never inside structs or lambda captures (SVE vectors are sizeless
// and cannot be members). Scalar constants travel in the structs below.

// x / 2^e rounded half away from zero (RoundingDivideByPOT), per-lane e: mask = 2^e - 1,
// thr = mask >> 1.
template <class D>
HWY_INLINE hn::Vec<D> RoundingShiftRight(D d, hn::Vec<D> x, hn::Vec<D> right, hn::Vec<D> mask,
                                         hn::Vec<D> thr) {
  const auto rem = hn::And(x, mask);
  const auto t = hn::Sub(thr, hn::BroadcastSignBit(x));  // + 1 for negative x
  const auto r = hn::Shr(x, right);
  return hn::Sub(r, hn::VecFromMask(d, hn::Gt(rem, t)));  // + 1 where rem > t
}

// The same with the three constants in one struct, and MultiplyByQuantizedMultiplier (double
// rounding) per lane with left_mult = 2^max(shift, 0). Kept for fully_connected_q8.cc; the struct
// holds vectors, so it does not compile for SVE targets (the forms above do).
template <class D>
struct ShiftConsts {
  hn::Vec<D> right, mask, thr;
};

template <class D>
HWY_INLINE hn::Vec<D> RoundingShiftRight(D d, hn::Vec<D> x, const ShiftConsts<D>& s) {
  return RoundingShiftRight(d, x, s.right, s.mask, s.thr);
}

template <class D>
HWY_INLINE hn::Vec<D> MultiplyByQuantizedMultiplier(D d, hn::Vec<D> x, hn::Vec<D> left_mult,
                                                    hn::Vec<D> m, const ShiftConsts<D>& s) {
  return RoundingShiftRight(d, RoundingHighMul(d, hn::Mul(x, left_mult), m), s);
}

// RoundingDivideByPOT(x, e) for one e on all lanes, when |x| + 2^(e-1) < 2^31 is known (the
// caller proves the bound): (x + 2^(e-1) - (x < 0)) >> e, or x for e = 0.
struct BoundedShift {
  int32_t half = 0, neg_mask = 0;
  int e = 0;
};

inline BoundedShift MakeBoundedShift(int e) {
  return {e > 0 ? int32_t{1} << (e - 1) : 0, e > 0 ? -1 : 0, e};
}

template <class D>
HWY_INLINE hn::Vec<D> RoundingShiftRightBounded(D d, hn::Vec<D> x, const BoundedShift& s) {
  const auto neg = hn::And(hn::BroadcastSignBit(x), hn::Set(d, s.neg_mask));
  return hn::ShiftRightSame(hn::Add(hn::Add(x, hn::Set(d, s.half)), neg), s.e);
}

// int32 lanes already clamped to T's range (int8_t or uint8_t) -> T lanes. x86 keeps the low
// byte (fewer shuffles than a saturating DemoteTo); elsewhere DemoteTo (equal on such lanes).
template <typename T, class D>
HWY_INLINE hn::Vec<hn::Rebind<T, D>> NarrowClamped(D d, hn::Vec<D> v) {
  const hn::Rebind<T, D> dq;
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
  (void)d;
  const hn::Rebind<uint8_t, D> du8;
  return hn::BitCast(dq, hn::TruncateTo(du8, hn::BitCast(hn::RebindToUnsigned<D>(), v)));
#else
  (void)d;
  return hn::DemoteTo(dq, v);
#endif
}

// One multiplier's output stage: MultiplyByQuantizedMultiplier (double rounding), + zero point,
// clamped to [lo, hi].
struct UniformStage {
  int32_t left_mult = 1, m = 0, right = 0, mask = 0, thr = 0, zp = 0, lo = 0, hi = 0;
};

inline UniformStage MakeUniformStage(QuantizedMultiplier q, int32_t zp, int32_t lo, int32_t hi) {
  const int left = q.shift > 0 ? q.shift : 0, right = q.shift > 0 ? 0 : -q.shift;
  const int32_t mask = static_cast<int32_t>((int64_t{1} << right) - 1);
  return {static_cast<int32_t>(uint32_t{1} << left), q.multiplier, right, mask, mask >> 1, zp,
          lo, hi};
}

template <class D>
HWY_INLINE hn::Vec<D> ApplyUniformStage(D d, hn::Vec<D> acc, const UniformStage& s) {
  const auto h = RoundingHighMul(d, hn::Mul(acc, hn::Set(d, s.left_mult)), hn::Set(d, s.m));
  const auto r =
      RoundingShiftRight(d, h, hn::Set(d, s.right), hn::Set(d, s.mask), hn::Set(d, s.thr));
  return hn::Min(hn::Max(hn::Add(r, hn::Set(d, s.zp)), hn::Set(d, s.lo)), hn::Set(d, s.hi));
}

}  // namespace rq
}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#endif  // include guard
