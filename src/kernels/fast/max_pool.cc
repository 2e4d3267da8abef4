// Fast MAX_POOL_2D, float32 and int8, NHWC: for each output pixel the window (clipped to the
// input, as in the reference kernels) is reduced with SIMD max across channels, then clamped to
// the fused activation's range (float: None/Relu/Relu6/ReluN1To1; int8: the quantized range).
// Fewer channels than a full vector run on narrower vectors (32, 16 or 8 bytes: float 8, 4 or 2
// lanes, int8 32, 16 or 8), the channels left over by the vectors one by one.
// Same results as kernels/ref (max is exact). Rows are spread over the ThreadPool.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/max_pool.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <limits>
#include <memory>

#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"
#include "kernels/ref/float/common.h"

#include "kernels/fast/conv_geometry.h"

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <typename T, class D = hn::ScalableTag<T>>
HWY_INLINE void MaxPoolRowT(const PoolGeometry& g, const T* img, T lowest, T lo, T hi, int oy,
                            T* out_row) {
  const D d;
  const int N = static_cast<int>(hn::Lanes(d));
  const int y0 = std::max(oy * g.stride_h - g.pad_h, 0);
  const int y1 = std::min(oy * g.stride_h - g.pad_h + g.f_h, g.in_h);
  const auto vlo = hn::Set(d, lo), vhi = hn::Set(d, hi);
  for (int ox = 0; ox < g.out_w; ++ox) {
    const int x0 = std::max(ox * g.stride_w - g.pad_w, 0);
    const int x1 = std::min(ox * g.stride_w - g.pad_w + g.f_w, g.in_w);
    T* out = out_row + int64_t{ox} * g.ch;
    int c = 0;
    for (; c + N <= g.ch; c += N) {
      auto acc = hn::Set(d, lowest);
      for (int iy = y0; iy < y1; ++iy)
        for (int ix = x0; ix < x1; ++ix)
          acc = hn::Max(acc, hn::LoadU(d, img + (int64_t{iy} * g.in_w + ix) * g.ch + c));
      hn::StoreU(hn::Min(hn::Max(acc, vlo), vhi), d, out + c);
    }
    for (; c < g.ch; ++c) {
      T acc = lowest;
      for (int iy = y0; iy < y1; ++iy)
        for (int ix = x0; ix < x1; ++ix)
          acc = std::max(acc, img[(int64_t{iy} * g.in_w + ix) * g.ch + c]);
      out[c] = std::min(std::max(acc, lo), hi);
    }
  }
}

// Fewer channels than a full vector: the widest of 32-, 16- and 8-byte vectors that fits, so
// they do not fall to the one-by-one tail.
template <typename T>
HWY_INLINE void MaxPoolRowAnyWidth(const PoolGeometry& g, const T* img, T lo, T hi, int oy,
                                   T* out_row) {
  constexpr T kLowest = std::numeric_limits<T>::lowest();
  constexpr int k32 = 32 / sizeof(T), k16 = 16 / sizeof(T), k8 = 8 / sizeof(T);
  const int full = static_cast<int>(hn::Lanes(hn::ScalableTag<T>()));
  if (g.ch >= full || g.ch < k8) {
    MaxPoolRowT<T>(g, img, kLowest, lo, hi, oy, out_row);
  } else if (g.ch >= k32) {
    MaxPoolRowT<T, hn::CappedTag<T, k32>>(g, img, kLowest, lo, hi, oy, out_row);
  } else if (g.ch >= k16) {
    MaxPoolRowT<T, hn::CappedTag<T, k16>>(g, img, kLowest, lo, hi, oy, out_row);
  } else {
    MaxPoolRowT<T, hn::CappedTag<T, k8>>(g, img, kLowest, lo, hi, oy, out_row);
  }
}

void MaxPoolRowF32(const PoolGeometry& g, const float* img, float lo, float hi, int oy,
                   float* out_row) {
  MaxPoolRowAnyWidth<float>(g, img, lo, hi, oy, out_row);
}
void MaxPoolRowI8(const PoolGeometry& g, const int8_t* img, int8_t lo, int8_t hi, int oy,
                  int8_t* out_row) {
  MaxPoolRowAnyWidth<int8_t>(g, img, lo, hi, oy, out_row);
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(MaxPoolRowF32);
HWY_EXPORT(MaxPoolRowI8);

namespace {

using ref::Input;
using ref::KCheck;
using ref::Output;

class FastMaxPool : public OpKernel {
 public:
  explicit FastMaxPool(bool int8) : int8_(int8) {}

  void Prepare(const KernelContext& ctx) override {
    const OpOptions& o = ctx.op->options;
    const TensorView& in = Input(ctx, 0);
    const TensorView& out = Output(ctx, 0);
    g_ = PreparePoolGeometry(ctx);
    if (int8_) {
      KCheck(ctx, in.quant && !in.quant->empty() && out.quant && !out.quant->empty(),
             "int8 tensors must be quantized");
      int32_t lo = 0, hi = 0;
      CalculateActivationRangeQuantized(o.activation, out.type, out.quant->scale[0],
                                        out.quant->zero_point.empty()
                                            ? 0
                                            : static_cast<int32_t>(out.quant->zero_point[0]),
                                        &lo, &hi);
      lo_i8_ = static_cast<int8_t>(std::clamp(lo, -128, 127));
      hi_i8_ = static_cast<int8_t>(std::clamp(hi, -128, 127));
    } else {
      lo_ = std::numeric_limits<float>::lowest();
      hi_ = std::numeric_limits<float>::max();
      if (o.activation == Activation::kRelu) lo_ = 0.0f;
      if (o.activation == Activation::kRelu6) lo_ = 0.0f, hi_ = 6.0f;
      if (o.activation == Activation::kReluN1To1) lo_ = -1.0f, hi_ = 1.0f;
    }
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    const int batches = in.dim(0);
    const int64_t in_img = int64_t{g_.in_h} * g_.in_w * g_.ch, out_row = int64_t{g_.out_w} * g_.ch;
    ParallelFor(ctx.pool, int64_t{batches} * g_.out_h, 4, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / g_.out_h;
        const int oy = static_cast<int>(row % g_.out_h);
        if (int8_) {
          HWY_DYNAMIC_DISPATCH(MaxPoolRowI8)(g_, in.as<int8_t>() + b * in_img, lo_i8_, hi_i8_, oy,
                                             out.as<int8_t>() + row * out_row);
        } else {
          HWY_DYNAMIC_DISPATCH(MaxPoolRowF32)(g_, in.as<float>() + b * in_img, lo_, hi_, oy,
                                              out.as<float>() + row * out_row);
        }
      }
    });
  }

 private:
  bool int8_;
  PoolGeometry g_{};
  float lo_ = 0, hi_ = 0;
  int8_t lo_i8_ = 0, hi_i8_ = 0;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (ref::InputIs(ctx, 0, DType::kFloat32) && ref::OutputIs(ctx, 0, DType::kFloat32)) {
    switch (ctx.op->options.activation) {
      case Activation::kNone:
      case Activation::kRelu:
      case Activation::kRelu6:
      case Activation::kReluN1To1: return std::make_unique<FastMaxPool>(false);
      default: return nullptr;
    }
  }
  if (ref::InputIs(ctx, 0, DType::kInt8) && ref::OutputIs(ctx, 0, DType::kInt8))
    return std::make_unique<FastMaxPool>(true);
  return nullptr;
}

}  // namespace

void RegisterFastMaxPool(KernelRegistry& r) {
  r.Register(OpType::MAX_POOL_2D, "fast/max_pool_2d", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
