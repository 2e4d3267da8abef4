// Fast AVERAGE_POOL_2D, float32, int8 and uint8, NHWC, any filter / stride / padding / batch.
// Same results as kernels/ref: for each output pixel the window is clipped to the input and only
// the in-bounds taps count. Channels go across SIMD lanes (Highway dynamic dispatch).
//  - float32: the taps are summed in the reference's order (row by row), divided by the count,
//    then the fused activation (None/Relu/Relu6/ReluN1To1 as a clamp, Tanh by ref::Activate):
//    bit-identical to ref/float/average_pool_2d.
//  - int8/uint8: int32 sums, then TFLite's rounding (sum + count/2) / count for sum > 0 and
//    (sum - count/2) / count otherwise (C division truncates), then the activation clamp:
//    bit-identical to ref/quantized/average_pool_2d. The division is done in float, which is exact
//    here: |numerator| < 2^24 (the window has at most kMaxSimdTaps taps) and float division is
//    correctly rounded, so truncating the quotient gives the integer quotient. Larger windows take
//    the scalar integer path.
// Rows are spread over the ThreadPool.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/avg_pool.cc"
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

// Target-independent parts (this file is compiled once per target by foreach_target).
#ifndef CAE_FAST_AVG_POOL_SHARED_
#define CAE_FAST_AVG_POOL_SHARED_
namespace cae::fast {
// Windows with more taps than this use the scalar integer division (see the contract above).
inline constexpr int kMaxSimdTaps = 65536;

// TFLite's rounded integer average of a window sum (ref/quantized/pooling.cc).
inline int32_t RoundedAverage(int32_t sum, int32_t count) {
  return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}
}  // namespace cae::fast
#endif  // CAE_FAST_AVG_POOL_SHARED_

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The clipped window [y0, y1) x [x0, x1) of output pixel (oy, ox).
struct Window {
  int y0, y1, x0, x1;
  Window(const PoolGeometry& g, int oy, int ox)
      : y0(std::max(oy * g.stride_h - g.pad_h, 0)),
        y1(std::min(oy * g.stride_h - g.pad_h + g.f_h, g.in_h)),
        x0(std::max(ox * g.stride_w - g.pad_w, 0)),
        x1(std::min(ox * g.stride_w - g.pad_w + g.f_w, g.in_w)) {}
  int count() const { return std::max(y1 - y0, 0) * std::max(x1 - x0, 0); }
};

template <class D>
HWY_INLINE void AvgPoolRowF32T(const PoolGeometry& g, const float* img, float lo, float hi, int oy,
                               float* out_row) {
  const D d;
  const int N = static_cast<int>(hn::Lanes(d));
  const auto vlo = hn::Set(d, lo), vhi = hn::Set(d, hi);
  for (int ox = 0; ox < g.out_w; ++ox) {
    const Window win(g, oy, ox);
    const float count = static_cast<float>(win.count());
    const auto vcount = hn::Set(d, count);
    float* out = out_row + int64_t{ox} * g.ch;
    if (win.count() == 0) {  // no valid tap: the reference's average is 0
      std::fill(out, out + g.ch, std::min(std::max(0.0f, lo), hi));
      continue;
    }
    int c = 0;
    for (; c + N <= g.ch; c += N) {
      auto acc = hn::Zero(d);
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix)
          acc = hn::Add(acc, hn::LoadU(d, img + (int64_t{iy} * g.in_w + ix) * g.ch + c));
      hn::StoreU(hn::Min(hn::Max(hn::Div(acc, vcount), vlo), vhi), d, out + c);
    }
    for (; c < g.ch; ++c) {
      float acc = 0.0f;
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix) acc += img[(int64_t{iy} * g.in_w + ix) * g.ch + c];
      out[c] = std::min(std::max(acc / count, lo), hi);
    }
  }
}

void AvgPoolRowF32(const PoolGeometry& g, const float* img, float lo, float hi, int oy,
                   float* out_row) {
  // Fewer channels than a full vector: narrower vectors, so they do not fall to the scalar tail.
  const int full = static_cast<int>(hn::Lanes(hn::ScalableTag<float>()));
  if (g.ch >= full || g.ch < 4) {
    AvgPoolRowF32T<hn::ScalableTag<float>>(g, img, lo, hi, oy, out_row);
  } else if (g.ch >= 8) {
    AvgPoolRowF32T<hn::CappedTag<float, 8>>(g, img, lo, hi, oy, out_row);
  } else {
    AvgPoolRowF32T<hn::CappedTag<float, 4>>(g, img, lo, hi, oy, out_row);
  }
}

// T is int8_t or uint8_t; D32 the int32 vector the channels are summed in.
template <typename T, class D32>
HWY_INLINE void AvgPoolRowQ8T(const PoolGeometry& g, const T* img, int32_t lo, int32_t hi, int oy,
                              T* out_row) {
  const D32 d32;
  const hn::Rebind<T, D32> d8;
  const hn::RebindToFloat<D32> df;
  const int N = static_cast<int>(hn::Lanes(d32));
  const auto vlo = hn::Set(d32, lo), vhi = hn::Set(d32, hi), zero = hn::Zero(d32);
  for (int ox = 0; ox < g.out_w; ++ox) {
    const Window win(g, oy, ox);
    const int32_t count = win.count();
    T* out = out_row + int64_t{ox} * g.ch;
    int c = 0;
    if (count <= kMaxSimdTaps) {
      const auto vhalf = hn::Set(d32, count / 2);
      const auto vcount = hn::Set(df, static_cast<float>(count));
      for (; c + N <= g.ch; c += N) {
        auto acc = zero;
        for (int iy = win.y0; iy < win.y1; ++iy)
          for (int ix = win.x0; ix < win.x1; ++ix)
            acc = hn::Add(acc, hn::PromoteTo(d32, hn::LoadU(d8, img + (int64_t{iy} * g.in_w + ix) * g.ch + c)));
        const auto num = hn::IfThenElse(hn::Gt(acc, zero), hn::Add(acc, vhalf), hn::Sub(acc, vhalf));
        const auto q = hn::ConvertTo(d32, hn::Div(hn::ConvertTo(df, num), vcount));
        hn::StoreU(hn::DemoteTo(d8, hn::Min(hn::Max(q, vlo), vhi)), d8, out + c);
      }
    }
    for (; c < g.ch; ++c) {
      int32_t acc = 0;
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix) acc += img[(int64_t{iy} * g.in_w + ix) * g.ch + c];
      out[c] = static_cast<T>(std::clamp(RoundedAverage(acc, count), lo, hi));
    }
  }
}

template <typename T>
HWY_INLINE void AvgPoolRowQ8(const PoolGeometry& g, const T* img, int32_t lo, int32_t hi, int oy,
                             T* out_row) {
  const int full = static_cast<int>(hn::Lanes(hn::ScalableTag<int32_t>()));
  if (g.ch >= full || g.ch < 4) {
    AvgPoolRowQ8T<T, hn::ScalableTag<int32_t>>(g, img, lo, hi, oy, out_row);
  } else if (g.ch >= 8) {
    AvgPoolRowQ8T<T, hn::CappedTag<int32_t, 8>>(g, img, lo, hi, oy, out_row);
  } else {
    AvgPoolRowQ8T<T, hn::CappedTag<int32_t, 4>>(g, img, lo, hi, oy, out_row);
  }
}

void AvgPoolRowI8(const PoolGeometry& g, const int8_t* img, int32_t lo, int32_t hi, int oy,
                  int8_t* out_row) {
  AvgPoolRowQ8<int8_t>(g, img, lo, hi, oy, out_row);
}
void AvgPoolRowU8(const PoolGeometry& g, const uint8_t* img, int32_t lo, int32_t hi, int oy,
                  uint8_t* out_row) {
  AvgPoolRowQ8<uint8_t>(g, img, lo, hi, oy, out_row);
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(AvgPoolRowF32);
HWY_EXPORT(AvgPoolRowI8);
HWY_EXPORT(AvgPoolRowU8);

namespace {

using ref::Input;
using ref::KCheck;
using ref::Output;

class FastAvgPool : public OpKernel {
 public:
  explicit FastAvgPool(DType type) : type_(type) {}

  void Prepare(const KernelContext& ctx) override {
    const OpOptions& o = ctx.op->options;
    const TensorView& in = Input(ctx, 0);
    const TensorView& out = Output(ctx, 0);
    g_ = PreparePoolGeometry(ctx);
    tanh_ = false;
    if (type_ == DType::kFloat32) {
      ref::CheckActivation(ctx, o.activation);
      lo_ = std::numeric_limits<float>::lowest();
      hi_ = std::numeric_limits<float>::max();
      if (o.activation == Activation::kRelu) lo_ = 0.0f;
      if (o.activation == Activation::kRelu6) lo_ = 0.0f, hi_ = 6.0f;
      if (o.activation == Activation::kReluN1To1) lo_ = -1.0f, hi_ = 1.0f;
      tanh_ = o.activation == Activation::kTanh;
    } else {
      KCheck(ctx, in.quant && !in.quant->empty() && out.quant && !out.quant->empty(),
             "quantized tensors must have quantization parameters");
      const int32_t zp =
          out.quant->zero_point.empty() ? 0 : static_cast<int32_t>(out.quant->zero_point[0]);
      CalculateActivationRangeQuantized(o.activation, out.type, out.quant->scale[0], zp, &lo_q_,
                                        &hi_q_);
      // Windows without a valid tap have no average (the reference fails on them too).
      for (int oy = 0; oy < g_.out_h; ++oy)
        KCheck(ctx, std::min(oy * g_.stride_h - g_.pad_h + g_.f_h, g_.in_h) >
                        std::max(oy * g_.stride_h - g_.pad_h, 0),
               "average pool window without valid inputs");
      for (int ox = 0; ox < g_.out_w; ++ox)
        KCheck(ctx, std::min(ox * g_.stride_w - g_.pad_w + g_.f_w, g_.in_w) >
                        std::max(ox * g_.stride_w - g_.pad_w, 0),
               "average pool window without valid inputs");
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
        switch (type_) {
          case DType::kInt8:
            HWY_DYNAMIC_DISPATCH(AvgPoolRowI8)(g_, in.as<int8_t>() + b * in_img, lo_q_, hi_q_, oy,
                                               out.as<int8_t>() + row * out_row);
            break;
          case DType::kUInt8:
            HWY_DYNAMIC_DISPATCH(AvgPoolRowU8)(g_, in.as<uint8_t>() + b * in_img, lo_q_, hi_q_, oy,
                                               out.as<uint8_t>() + row * out_row);
            break;
          default: {
            float* y = out.as<float>() + row * out_row;
            HWY_DYNAMIC_DISPATCH(AvgPoolRowF32)(g_, in.as<float>() + b * in_img, lo_, hi_, oy, y);
            if (tanh_)
              for (int64_t i = 0; i < out_row; ++i) y[i] = ref::Activate(y[i], Activation::kTanh);
          }
        }
      }
    });
  }

 private:
  DType type_;
  PoolGeometry g_{};
  float lo_ = 0, hi_ = 0;
  bool tanh_ = false;
  int32_t lo_q_ = 0, hi_q_ = 0;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  for (DType t : {DType::kFloat32, DType::kInt8, DType::kUInt8})
    if (ref::InputIs(ctx, 0, t) && ref::OutputIs(ctx, 0, t)) return std::make_unique<FastAvgPool>(t);
  return nullptr;
}

}  // namespace

void RegisterFastAvgPool(KernelRegistry& r) {
  r.Register(OpType::AVERAGE_POOL_2D, "fast/average_pool_2d", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
