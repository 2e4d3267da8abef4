// Fast ARG_MAX on float32, uint8 and int8 inputs along one constant axis, int32 or int64 output:
// the first index of the largest value, exactly as the reference kernels (ref/float/arg_minmax.cc,
// ref/quantized/arg_max.cc) pick it: a value replaces the best only when strictly greater, so
// NaNs never win unless they come first (then index 0 stays), and -0.0 equals +0.0.
// Last axis (segmentation heads: per-pixel class scores): per pixel, Highway vectors of the
// channels give the maximum, then the first lane equal to it (8-bit values widened to int32; a
// pixel holding a NaN, or fewer than 4 channels, takes the scalar loop). Other axes: the scalar strict-greater loop over
// blocks of the contiguous inner elements. Pixels (or outer slices) are split over the pool.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/arg_max.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/ref/quantized/qutil.h"

#ifndef CAE_KERNELS_FAST_ARG_MAX_SHARED_
#define CAE_KERNELS_FAST_ARG_MAX_SHARED_
namespace cae::fast {
namespace {
// First index of the largest of x[0], x[stride], ..., x[(n-1)*stride] (strictly greater wins).
template <typename T>
int32_t ScalarArgMax(const T* x, int32_t n, int64_t stride) {
  T best = x[0];
  int32_t best_k = 0;
  for (int32_t k = 1; k < n; ++k) {
    const T v = x[k * stride];
    if (v > best) {
      best = v;
      best_k = k;
    }
  }
  return best_k;
}
}  // namespace
}  // namespace cae::fast
#endif

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class D, typename T>
HWY_INLINE hn::Vec<D> LoadAsLanes(D d, const T* p) {
  if constexpr (std::is_same_v<T, float>) {
    return hn::LoadU(d, p);
  } else {
    return hn::PromoteTo(d, hn::LoadU(hn::Rebind<T, D>(), p));
  }
}

// ARG_MAX of `pixels` consecutive runs of n values (n >= Lanes(d)).
template <class D, typename T>
void PixelsArgMaxT(D d, const T* x, int32_t n, int64_t pixels, int32_t* out32, int64_t* out64) {
  const int32_t lanes = static_cast<int32_t>(hn::Lanes(d));
  const int32_t last = n - lanes;  // start of the last (possibly overlapping) vector
  for (int64_t p = 0; p < pixels; ++p) {
    const T* px = x + p * n;
    auto m = LoadAsLanes(d, px);
    auto nan = hn::Not(hn::Eq(m, m));  // Ne(m, m) is false for NaN on AVX-512 (ordered compare)
    for (int32_t c = lanes; c < n; c += lanes) {
      const auto v = LoadAsLanes(d, px + std::min(c, last));
      m = hn::Max(m, v);
      if constexpr (std::is_same_v<T, float>) nan = hn::Or(nan, hn::Not(hn::Eq(v, v)));
    }
    int32_t best = -1;
    if (!hn::AllFalse(d, nan)) {
      best = ScalarArgMax(px, n, 1);
    } else {
      const auto mx = hn::MaxOfLanes(d, m);
      for (int32_t c = 0; best < 0 && c < n; c += lanes) {
        const int32_t start = std::min(c, last);
        const intptr_t i = hn::FindFirstTrue(d, hn::Eq(LoadAsLanes(d, px + start), mx));
        if (i >= 0) best = start + static_cast<int32_t>(i);
      }
    }
    if (best < 0) best = ScalarArgMax(px, n, 1);  // not reached: the maximum is one of the lanes
    if (out32 != nullptr) {
      out32[p] = best;
    } else {
      out64[p] = best;
    }
  }
}

template <typename LaneT, typename T>
void PixelsArgMax(const T* x, int32_t n, int64_t pixels, int32_t* out32, int64_t* out64) {
  const hn::ScalableTag<LaneT> full;
  if (n >= static_cast<int32_t>(hn::Lanes(full))) return PixelsArgMaxT(full, x, n, pixels, out32, out64);
  if (n >= 8) return PixelsArgMaxT(hn::CappedTag<LaneT, 8>(), x, n, pixels, out32, out64);
  if (n >= 4) return PixelsArgMaxT(hn::CappedTag<LaneT, 4>(), x, n, pixels, out32, out64);
  // Fewer than 4 values: the scalar loop (partial vectors would carry stray lanes into reductions).
  for (int64_t p = 0; p < pixels; ++p) {
    const int32_t best = ScalarArgMax(x + p * n, n, 1);
    if (out32 != nullptr) {
      out32[p] = best;
    } else {
      out64[p] = best;
    }
  }
}

void PixelsArgMaxF32(const float* x, int32_t n, int64_t pixels, int32_t* o32, int64_t* o64) {
  PixelsArgMax<float>(x, n, pixels, o32, o64);
}
void PixelsArgMaxU8(const uint8_t* x, int32_t n, int64_t pixels, int32_t* o32, int64_t* o64) {
  PixelsArgMax<int32_t>(x, n, pixels, o32, o64);
}
void PixelsArgMaxI8(const int8_t* x, int32_t n, int64_t pixels, int32_t* o32, int64_t* o64) {
  PixelsArgMax<int32_t>(x, n, pixels, o32, o64);
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(PixelsArgMaxF32);
HWY_EXPORT(PixelsArgMaxU8);
HWY_EXPORT(PixelsArgMaxI8);

namespace {

using qref::In;
using qref::Out;

// Non-last axis: slice o of [outer][n][inner], inner elements [i0, i1), strictly greater wins.
template <typename T, typename Index>
void InnerArgMax(const T* x, int32_t n, int64_t inner, int64_t o, Index* y) {
  constexpr int64_t kBlock = 256;
  T best[kBlock];
  Index best_k[kBlock];
  const T* slice = x + o * n * inner;
  for (int64_t i0 = 0; i0 < inner; i0 += kBlock) {
    const int64_t len = std::min(kBlock, inner - i0);
    for (int64_t i = 0; i < len; ++i) {
      best[i] = slice[i0 + i];
      best_k[i] = 0;
    }
    for (int32_t k = 1; k < n; ++k) {
      const T* row = slice + int64_t{k} * inner + i0;
      for (int64_t i = 0; i < len; ++i) {
        if (row[i] > best[i]) {
          best[i] = row[i];
          best_k[i] = static_cast<Index>(k);
        }
      }
    }
    std::copy_n(best_k, len, y + o * inner + i0);
  }
}

class FastArgMax : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { axis_ = qref::PrepareArgMaxAxis(ctx); }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis_; ++d) outer *= in.dim(d);
    for (int d = axis_ + 1; d < in.rank(); ++d) inner *= in.dim(d);
    const int32_t n = in.dim(axis_);
    int32_t* o32 = out.type == DType::kInt32 ? out.as<int32_t>() : nullptr;
    int64_t* o64 = out.type == DType::kInt64 ? out.as<int64_t>() : nullptr;
    if (outer * inner * n == 0) return;
    if (inner == 1) {
      const int64_t min_chunk = std::max<int64_t>(1, 16384 / n);
      ParallelFor(ctx.pool, outer, min_chunk, [&](int64_t b, int64_t e) {
        int32_t* y32 = o32 != nullptr ? o32 + b : nullptr;
        int64_t* y64 = o64 != nullptr ? o64 + b : nullptr;
        switch (in.type) {
          case DType::kFloat32:
            return HWY_DYNAMIC_DISPATCH(PixelsArgMaxF32)(in.as<float>() + b * n, n, e - b, y32, y64);
          case DType::kUInt8:
            return HWY_DYNAMIC_DISPATCH(PixelsArgMaxU8)(in.as<uint8_t>() + b * n, n, e - b, y32, y64);
          default:
            return HWY_DYNAMIC_DISPATCH(PixelsArgMaxI8)(in.as<int8_t>() + b * n, n, e - b, y32, y64);
        }
      });
      return;
    }
    const int64_t min_chunk = std::max<int64_t>(1, 16384 / (inner * n));
    ParallelFor(ctx.pool, outer, min_chunk, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        switch (in.type) {
          case DType::kFloat32: Inner(in.as<float>(), n, inner, o, o32, o64); break;
          case DType::kUInt8: Inner(in.as<uint8_t>(), n, inner, o, o32, o64); break;
          default: Inner(in.as<int8_t>(), n, inner, o, o32, o64); break;
        }
      }
    });
  }

 private:
  template <typename T>
  static void Inner(const T* x, int32_t n, int64_t inner, int64_t o, int32_t* o32, int64_t* o64) {
    if (o32 != nullptr) {
      InnerArgMax(x, n, inner, o, o32);
    } else {
      InnerArgMax(x, n, inner, o, o64);
    }
  }

  int axis_ = 0;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  const DType t = qref::InType(ctx, 0), o = qref::OutType(ctx, 0);
  if (t != DType::kFloat32 && t != DType::kUInt8 && t != DType::kInt8) return nullptr;
  if (o != DType::kInt32 && o != DType::kInt64) return nullptr;
  return std::make_unique<FastArgMax>();
}

}  // namespace

void RegisterFastArgMax(KernelRegistry& r) {
  r.Register(OpType::ARG_MAX, "fast/arg_max", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
