// Fast RESIZE_BILINEAR, NHWC, float32, uint8 and int8 (input and output of the same type; the
// quantization is not changed, as in the reference). Same arithmetic as the reference kernels
// (kernels/ref/float/resize.cc, kernels/ref/quantized/resize.cc), so results are identical:
//  - float32: y = x00*(1-dy)*(1-dx) + x10*dy*(1-dx) + x01*(1-dy)*dx + x11*dy*dx, in that order;
//  - uint8: float weights (1-dy)*(1-dx), (1-dy)*dx, dy*(1-dx), dy*dx, sum + 0.5, truncated;
//  - int8: 10-bit fixed-point weights, sum of the four products rounded half away from zero by
//    2^20 (int32 cannot overflow: the weights' absolute sum is at most 2048^2, inputs 128).
// Source rows/columns and weights are computed once per shape in Prepare (TFLite's index rules
// for align_corners and half_pixel_centers). Each output pixel is computed one Highway vector of
// channels at a time (the last vector overlaps the previous one when the depth is not a multiple
// of the lanes, half as wide when the rest fits; depths under the vector width use narrower
// vectors, down to one lane). Output rows are split over the pool. Compiled without FMA
// contraction so the roundings match.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/resize_bilinear.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/ref/quantized/qutil.h"

// Target-independent declarations, seen once although foreach_target re-includes this file.
#ifndef CAE_KERNELS_FAST_RESIZE_BILINEAR_SHARED_
#define CAE_KERNELS_FAST_RESIZE_BILINEAR_SHARED_
namespace cae::fast {
namespace {
// Per output column: element offsets of the two source pixels within a row and the weights.
struct BilinearColumns {
  int depth = 0, out_w = 0;
  std::vector<int32_t> off0, off1;  // x0 * depth, x1 * depth
  std::vector<float> dx;            // float fraction (uint8 and float paths)
  std::vector<int32_t> wx0, wx1;    // 10-bit weights (int8 path)
};
}  // namespace
}  // namespace cae::fast
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Calls pixel(tag, c) for channel starts covering [0, depth) with vectors of d (Lanes(d) <=
// depth); the last, overlapping vector is half as wide when the remaining channels fit in it.
template <class D, typename F>
HWY_INLINE void ForChannelVectors(D d, int depth, const F& pixel) {
  const int n = static_cast<int>(hn::Lanes(d));
  int c = 0;
  for (; c + n <= depth; c += n) pixel(d, c);
  if (c == depth) return;
  if constexpr (hn::MaxLanes(D()) >= 8) {
    if (depth - c <= n / 2) return pixel(hn::Half<D>(), depth - n / 2);
  }
  pixel(d, depth - n);
}

template <class D>
void RowF32T(D d, const BilinearColumns& t, const float* r0, const float* r1, float dy,
             float* out) {
  const int depth = t.depth;
  const float wy0 = 1 - dy, wy1 = dy;
  for (int ox = 0; ox < t.out_w; ++ox) {
    const float dx = t.dx[static_cast<size_t>(ox)], dx0 = 1 - dx;
    const float* p00 = r0 + t.off0[static_cast<size_t>(ox)];
    const float* p01 = r0 + t.off1[static_cast<size_t>(ox)];
    const float* p10 = r1 + t.off0[static_cast<size_t>(ox)];
    const float* p11 = r1 + t.off1[static_cast<size_t>(ox)];
    float* o = out + static_cast<size_t>(ox) * static_cast<size_t>(depth);
    ForChannelVectors(d, depth, [&](auto dv, int c) {
      const auto vy0 = hn::Set(dv, wy0), vy1 = hn::Set(dv, wy1);
      const auto vx0 = hn::Set(dv, dx0), vx1 = hn::Set(dv, dx);
      auto s = hn::Mul(hn::Mul(hn::LoadU(dv, p00 + c), vy0), vx0);
      s = hn::Add(s, hn::Mul(hn::Mul(hn::LoadU(dv, p10 + c), vy1), vx0));
      s = hn::Add(s, hn::Mul(hn::Mul(hn::LoadU(dv, p01 + c), vy0), vx1));
      s = hn::Add(s, hn::Mul(hn::Mul(hn::LoadU(dv, p11 + c), vy1), vx1));
      hn::StoreU(s, dv, o + c);
    });
  }
}

template <class D>
void RowU8T(D d, const BilinearColumns& t, const uint8_t* r0, const uint8_t* r1, float dy,
            uint8_t* out) {
  const int depth = t.depth;
  for (int ox = 0; ox < t.out_w; ++ox) {
    const float dx = t.dx[static_cast<size_t>(ox)];
    const float w0 = (1 - dy) * (1 - dx), w1 = (1 - dy) * dx, w2 = dy * (1 - dx), w3 = dy * dx;
    const uint8_t* p00 = r0 + t.off0[static_cast<size_t>(ox)];
    const uint8_t* p01 = r0 + t.off1[static_cast<size_t>(ox)];
    const uint8_t* p10 = r1 + t.off0[static_cast<size_t>(ox)];
    const uint8_t* p11 = r1 + t.off1[static_cast<size_t>(ox)];
    uint8_t* o = out + static_cast<size_t>(ox) * static_cast<size_t>(depth);
    ForChannelVectors(d, depth, [&](auto dv, int c) {
      using DV = decltype(dv);
      const hn::Rebind<int32_t, DV> di;
      const hn::Rebind<uint8_t, DV> d8;
      auto load = [&](const uint8_t* p) {
        return hn::ConvertTo(dv, hn::PromoteTo(di, hn::LoadU(d8, p)));
      };
      auto s = hn::Mul(load(p00 + c), hn::Set(dv, w0));
      s = hn::Add(s, hn::Mul(load(p01 + c), hn::Set(dv, w1)));
      s = hn::Add(s, hn::Mul(load(p10 + c), hn::Set(dv, w2)));
      s = hn::Add(s, hn::Mul(load(p11 + c), hn::Set(dv, w3)));
      s = hn::Add(s, hn::Set(dv, 0.5f));
      hn::StoreU(hn::DemoteTo(d8, hn::ConvertTo(di, s)), d8, o + c);
    });
  }
}

template <class D>
void RowI8T(D d, const BilinearColumns& t, const int8_t* r0, const int8_t* r1, int32_t wy0,
            int32_t wy1, int8_t* out) {
  const int depth = t.depth;
  for (int ox = 0; ox < t.out_w; ++ox) {
    const int32_t wx0 = t.wx0[static_cast<size_t>(ox)], wx1 = t.wx1[static_cast<size_t>(ox)];
    const int32_t w00 = wy0 * wx0, w10 = wy1 * wx0, w01 = wy0 * wx1, w11 = wy1 * wx1;
    const int8_t* p00 = r0 + t.off0[static_cast<size_t>(ox)];
    const int8_t* p01 = r0 + t.off1[static_cast<size_t>(ox)];
    const int8_t* p10 = r1 + t.off0[static_cast<size_t>(ox)];
    const int8_t* p11 = r1 + t.off1[static_cast<size_t>(ox)];
    int8_t* o = out + static_cast<size_t>(ox) * static_cast<size_t>(depth);
    ForChannelVectors(d, depth, [&](auto dv, int c) {
      const hn::Rebind<int8_t, decltype(dv)> d8;
      auto load = [&](const int8_t* p) { return hn::PromoteTo(dv, hn::LoadU(d8, p)); };
      const auto zero = hn::Zero(dv);
      auto s = hn::Mul(load(p00 + c), hn::Set(dv, w00));
      s = hn::Add(s, hn::Mul(load(p10 + c), hn::Set(dv, w10)));
      s = hn::Add(s, hn::Mul(load(p01 + c), hn::Set(dv, w01)));
      s = hn::Add(s, hn::Mul(load(p11 + c), hn::Set(dv, w11)));
      const auto r = hn::Add(
          s, hn::IfThenElse(hn::Gt(s, zero), hn::Set(dv, 1 << 19), hn::Set(dv, -(1 << 19))));
      // Division by 2^20 truncating toward zero: negative values get 2^20 - 1 added first.
      const auto q = hn::ShiftRight<20>(
          hn::Add(r, hn::IfThenElseZero(hn::Lt(r, zero), hn::Set(dv, (1 << 20) - 1))));
      hn::StoreU(hn::DemoteTo(d8, q), d8, o + c);
    });
  }
}

// The widest vector whose lanes fit in the depth: full, 8, 4 or 1 lane(s).
template <typename T, typename F>
HWY_INLINE void WithTagForDepth(int depth, const F& f) {
  const hn::ScalableTag<T> full;
  if (depth >= static_cast<int>(hn::Lanes(full))) return f(full);
  if (depth >= 8) return f(hn::CappedTag<T, 8>());
  if (depth >= 4) return f(hn::CappedTag<T, 4>());
  return f(hn::CappedTag<T, 1>());
}

void RowF32(const BilinearColumns& t, const float* r0, const float* r1, float dy, float* out) {
  WithTagForDepth<float>(t.depth, [&](auto d) { RowF32T(d, t, r0, r1, dy, out); });
}
void RowU8(const BilinearColumns& t, const uint8_t* r0, const uint8_t* r1, float dy,
           uint8_t* out) {
  WithTagForDepth<float>(t.depth, [&](auto d) { RowU8T(d, t, r0, r1, dy, out); });
}
void RowI8(const BilinearColumns& t, const int8_t* r0, const int8_t* r1, int32_t wy0,
           int32_t wy1, int8_t* out) {
  WithTagForDepth<int32_t>(t.depth, [&](auto d) { RowI8T(d, t, r0, r1, wy0, wy1, out); });
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(RowF32);
HWY_EXPORT(RowU8);
HWY_EXPORT(RowI8);

namespace {

using qref::In;
using qref::Out;

float ResizeScale(int32_t in, int32_t out, bool align_corners) {
  return align_corners && out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                  : static_cast<float>(in) / static_cast<float>(out);
}

// TFLite ComputeInterpolationValues (float): fractional source position and its two neighbours.
void FloatSource(int32_t i, float scale, bool half_pixel, int32_t in_size, float* frac,
                 int32_t* lo, int32_t* hi) {
  const float pos = half_pixel ? (static_cast<float>(i) + 0.5f) * scale - 0.5f
                               : static_cast<float>(i) * scale;
  *lo = std::max(static_cast<int32_t>(std::floor(pos)), 0);
  *hi = std::min(static_cast<int32_t>(std::ceil(pos)), in_size - 1);
  *frac = pos - static_cast<float>(*lo);
}

// TFLite ComputeInterpolationValuesInteger (10 fractional bits): weights of lo and hi.
void IntSource(int32_t i, int32_t scale_10, bool half_pixel, int32_t in_size, int32_t* w_lo,
               int32_t* w_hi, int32_t* lo, int32_t* hi) {
  const int32_t pos = half_pixel ? i * scale_10 + scale_10 / 2 - (1 << 9) : i * scale_10;
  *lo = std::max(pos / (1 << 10), 0);
  *hi = std::min((pos + (1 << 10) - 1) / (1 << 10), in_size - 1);
  *w_hi = pos - (1 << 10) * *lo;
  *w_lo = (1 << 10) - *w_hi;
}

int32_t IntScale(int32_t in, int32_t out, bool align_corners) {
  if (align_corners && out > 1) return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
  return ((1 << 10) * in + out / 2) / out;
}

class FastResizeBilinear : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    qref::CheckRank(ctx, in, 4);
    qref::CheckRank(ctx, out, 4);
    Check(out.dim(0) == in.dim(0) && out.dim(3) == in.dim(3) && in.dim(1) > 0 && in.dim(2) > 0 &&
              out.dim(1) > 0 && out.dim(2) > 0 && out.dim(1) <= (1 << 20) &&
              out.dim(2) <= (1 << 20) && in.dim(1) <= (1 << 20) && in.dim(2) <= (1 << 20),
          ctx, ": output shape ", ShapeToString(out.shape), " does not fit input ",
          ShapeToString(in.shape));
    Check(!(o.align_corners && o.half_pixel_centers), ctx,
          ": align_corners and half_pixel_centers cannot both be set");
    const int32_t ih = in.dim(1), iw = in.dim(2), oh = out.dim(1), ow = out.dim(2);
    const int32_t depth = in.dim(3);
    cols_.depth = depth;
    cols_.out_w = ow;
    const auto w = static_cast<size_t>(ow), h = static_cast<size_t>(oh);
    cols_.off0.assign(w, 0);
    cols_.off1.assign(w, 0);
    cols_.dx.assign(w, 0.f);
    cols_.wx0.assign(w, 0);
    cols_.wx1.assign(w, 0);
    y0_.assign(h, 0);
    y1_.assign(h, 0);
    dy_.assign(h, 0.f);
    wy0_.assign(h, 0);
    wy1_.assign(h, 0);
    const bool integer = in.type == DType::kInt8;
    if (integer) {
      const int32_t hs = IntScale(ih, oh, o.align_corners), ws = IntScale(iw, ow, o.align_corners);
      for (size_t x = 0; x < w; ++x) {
        int32_t lo, hi;
        IntSource(static_cast<int32_t>(x), ws, o.half_pixel_centers, iw, &cols_.wx0[x],
                  &cols_.wx1[x], &lo, &hi);
        cols_.off0[x] = lo * depth;
        cols_.off1[x] = hi * depth;
      }
      for (size_t y = 0; y < h; ++y)
        IntSource(static_cast<int32_t>(y), hs, o.half_pixel_centers, ih, &wy0_[y], &wy1_[y],
                  &y0_[y], &y1_[y]);
    } else {
      const float hs = ResizeScale(ih, oh, o.align_corners),
                  ws = ResizeScale(iw, ow, o.align_corners);
      for (size_t x = 0; x < w; ++x) {
        int32_t lo, hi;
        FloatSource(static_cast<int32_t>(x), ws, o.half_pixel_centers, iw, &cols_.dx[x], &lo, &hi);
        cols_.off0[x] = lo * depth;
        cols_.off1[x] = hi * depth;
      }
      for (size_t y = 0; y < h; ++y)
        FloatSource(static_cast<int32_t>(y), hs, o.half_pixel_centers, ih, &dy_[y], &y0_[y],
                    &y1_[y]);
    }
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const int32_t ih = in.dim(1), oh = out.dim(1);
    const int64_t in_row = int64_t{in.dim(2)} * cols_.depth;
    const int64_t out_row = int64_t{out.dim(2)} * cols_.depth;
    const int64_t rows = int64_t{in.dim(0)} * oh;
    const int64_t min_chunk = std::max<int64_t>(1, 8192 / (out_row + 1));
    const DType type = in.type;
    const auto* x = static_cast<const uint8_t*>(in.data);
    auto* y = static_cast<uint8_t*>(out.data);
    const size_t es = DTypeSize(type);
    ParallelFor(ctx.pool, rows, min_chunk, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t b = r / oh;
        const auto oy = static_cast<size_t>(r % oh);
        const uint8_t* r0 = x + static_cast<size_t>((b * ih + y0_[oy]) * in_row) * es;
        const uint8_t* r1 = x + static_cast<size_t>((b * ih + y1_[oy]) * in_row) * es;
        uint8_t* o = y + static_cast<size_t>(r * out_row) * es;
        if (type == DType::kFloat32) {
          HWY_DYNAMIC_DISPATCH(RowF32)(cols_, reinterpret_cast<const float*>(r0),
                                       reinterpret_cast<const float*>(r1), dy_[oy],
                                       reinterpret_cast<float*>(o));
        } else if (type == DType::kUInt8) {
          HWY_DYNAMIC_DISPATCH(RowU8)(cols_, r0, r1, dy_[oy], o);
        } else {
          HWY_DYNAMIC_DISPATCH(RowI8)(cols_, reinterpret_cast<const int8_t*>(r0),
                                      reinterpret_cast<const int8_t*>(r1), wy0_[oy], wy1_[oy],
                                      reinterpret_cast<int8_t*>(o));
        }
      }
    });
  }

 private:
  BilinearColumns cols_;
  std::vector<int32_t> y0_, y1_;  // source rows of each output row
  std::vector<float> dy_;         // float fraction of each output row
  std::vector<int32_t> wy0_, wy1_;  // 10-bit weights of each output row (int8)
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  const DType t = qref::InType(ctx, 0);
  if (t != DType::kFloat32 && t != DType::kUInt8 && t != DType::kInt8) return nullptr;
  if (qref::OutType(ctx, 0) != t) return nullptr;
  return std::make_unique<FastResizeBilinear>();
}

}  // namespace

void RegisterFastResizeBilinear(KernelRegistry& r) {
  r.Register(OpType::RESIZE_BILINEAR, "fast/resize_bilinear", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
