// Highway (per-target) pieces shared by the fast hybrid CONV_2D (hybrid.cc) and
// DEPTHWISE_CONV_2D (hybrid_depthwise.cc) kernels:
//  - WidenMinusZeroPoint: a quantized input run as int16 values x - zp (exact: |x - zp| <= 255);
//  - FinishHybridConv: HybridConvOutput (kernels/ref/quantized/hybrid_quantize.h) on a vector of
//    output channels: float(acc) * scale, + bias when there is one (one rounding each), then
//    std::max(lo, v) = (lo < v ? v : lo) and std::min(hi, m) = (m < hi ? m : hi), comparisons that
//    pass NaN the same way. Bit-exact with the scalar function only without FMA contraction:
//    every includer turns it off (#pragma GCC optimize("fp-contract=off")) before including.
// Included after hwy/highway.h inside a foreach_target translation unit.
#if defined(CAE_KERNELS_FAST_HYBRID_OUTPUT_HWY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CAE_KERNELS_FAST_HYBRID_OUTPUT_HWY_INL_H_
#undef CAE_KERNELS_FAST_HYBRID_OUTPUT_HWY_INL_H_
#else
#define CAE_KERNELS_FAST_HYBRID_OUTPUT_HWY_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hout {
namespace hn = hwy::HWY_NAMESPACE;

// dst[i] = src[i] - zp for i < n (int8 to int16).
HWY_INLINE void WidenMinusZeroPoint(const int8_t* src, int64_t n, int16_t zp, int16_t* dst) {
  const hn::ScalableTag<int16_t> d16;
  const hn::Rebind<int8_t, decltype(d16)> d8;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d16));
  const auto z = hn::Set(d16, zp);
  int64_t i = 0;
  for (; i + N <= n; i += N)
    hn::StoreU(hn::Sub(hn::PromoteTo(d16, hn::LoadU(d8, src + i)), z), d16, dst + i);
  for (; i < n; ++i) dst[i] = static_cast<int16_t>(src[i] - zp);
}

// The hybrid conv output of one vector of int32 sums (see the file comment); stores the first
// n <= lanes floats at out.
template <class D>
HWY_INLINE void FinishHybridConv(D d, hn::Vec<D> acc, hn::Vec<hn::Rebind<float, D>> scale,
                                 const float* bias, hn::Vec<hn::Rebind<float, D>> lo,
                                 hn::Vec<hn::Rebind<float, D>> hi, size_t n, float* out) {
  const hn::Rebind<float, D> df;
  auto v = hn::Mul(hn::ConvertTo(df, acc), scale);
  if (bias) v = hn::Add(v, hn::LoadU(df, bias));
  v = hn::IfThenElse(hn::Lt(lo, v), v, lo);
  v = hn::IfThenElse(hn::Lt(v, hi), v, hi);
  if (n >= hn::Lanes(d)) {
    hn::StoreU(v, df, out);
  } else {
    HWY_ALIGN float tmp[hn::MaxLanes(df)];
    hn::Store(v, df, tmp);
    std::memcpy(out, tmp, n * sizeof(float));
  }
}

}  // namespace hout
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#endif  // include guard
