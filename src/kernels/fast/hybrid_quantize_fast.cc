// QuantizeBatchesFast: per batch, the min and max with vector Min/Max (the same values as the
// reference's scalar fold for finite data), the parameters from qref::SymmetricParams /
// AsymmetricParams, then q = clamp(round(offset + x * inv)) a vector at a time: the product and
// the sum rounded separately as the reference does (no FMA), round half away from zero as
// std::round (truncate, then step away from zero when the dropped part is >= 0.5; exact in float),
// the clamp in float before the conversion (the values fit: |x * inv| <= 255).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/hybrid_quantize_fast.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cstring>

#include "kernels/fast/hybrid_quantize_fast.h"
#include "kernels/parallel.h"

// GCC contracts a vector multiply and add into FMA by default; the reference rounds twice.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// lo/hi = min/max of x[0, n) (0, 0 when n == 0).
void MinMaxSpan(const float* x, int64_t n, float* lo, float* hi) {
  *lo = *hi = 0.0f;
  if (n <= 0) return;
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  float mn = x[0], mx = x[0];
  int64_t i = 0;
  if (n >= lanes) {
    auto vmn = hn::LoadU(d, x), vmx = vmn;
    for (i = lanes; i + lanes <= n; i += lanes) {
      const auto v = hn::LoadU(d, x + i);
      vmn = hn::Min(vmn, v);
      vmx = hn::Max(vmx, v);
    }
    mn = hn::GetLane(hn::MinOfLanes(d, vmn));
    mx = hn::GetLane(hn::MaxOfLanes(d, vmx));
  }
  for (; i < n; ++i) {
    mn = std::min(mn, x[i]);
    mx = std::max(mx, x[i]);
  }
  *lo = mn;
  *hi = mx;
}

// q[i] = clamp(round(add + x[i] * inv), qlo, 127) for i in [0, n).
void QuantizeSpan(const float* x, int64_t n, float inv, float add, float qlo, int8_t* q) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<int8_t, decltype(df)> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  auto body = [&](const float* s, int8_t* out) {
    const auto v = hn::Add(hn::Set(df, add), hn::Mul(hn::LoadU(df, s), hn::Set(df, inv)));
    const auto t = hn::Trunc(v);
    const auto frac = hn::Abs(hn::Sub(v, t));
    auto r = hn::IfThenElse(hn::Ge(frac, hn::Set(df, 0.5f)),
                            hn::Add(t, hn::CopySign(hn::Set(df, 1.0f), v)), t);
    r = hn::Min(hn::Max(r, hn::Set(df, qlo)), hn::Set(df, 127.0f));
    hn::StoreU(hn::DemoteTo(d8, hn::ConvertTo(di, r)), d8, out);
  };
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) body(x + i, q + i);
  if (i < n) {
    HWY_ALIGN float in_tail[64] = {};
    HWY_ALIGN int8_t out_tail[64];
    const auto rest = static_cast<size_t>(n - i);
    std::memcpy(in_tail, x + i, rest * sizeof(float));
    body(in_tail, out_tail);
    std::memcpy(q + i, out_tail, rest);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(MinMaxSpan);
HWY_EXPORT(QuantizeSpan);

void QuantizeBatchesFast(const TensorView& in, int64_t batches, bool asymmetric,
                         qref::QuantizedInput* r, ThreadPool* pool) {
  const int64_t n = in.num_elements();
  const int64_t per = batches > 0 ? n / batches : 0;
  r->q.resize(static_cast<size_t>(n));
  r->scale.resize(static_cast<size_t>(batches));
  r->offset.assign(static_cast<size_t>(batches), 0);
  const float* x = in.as<float>();
  ParallelFor(pool, batches, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, per)),
              [&](int64_t begin, int64_t end) {
                for (int64_t b = begin; b < end; ++b) {
                  const float* xb = x + b * per;
                  int8_t* qb = r->q.data() + b * per;
                  float lo = 0, hi = 0, inv = 0;
                  HWY_DYNAMIC_DISPATCH(MinMaxSpan)(xb, per, &lo, &hi);
                  const bool nonzero =
                      asymmetric ? qref::AsymmetricParams(lo, hi, &r->scale[b], &r->offset[b], &inv)
                                 : qref::SymmetricParams(lo, hi, &r->scale[b], &inv);
                  if (!nonzero) {
                    std::fill(qb, qb + per, int8_t{0});
                    continue;
                  }
                  HWY_DYNAMIC_DISPATCH(QuantizeSpan)(xb, per, inv,
                                                     static_cast<float>(r->offset[b]),
                                                     asymmetric ? -128.0f : -127.0f, qb);
                }
              });
}

}  // namespace cae::fast
#endif  // HWY_ONCE
