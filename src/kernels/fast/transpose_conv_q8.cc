// Fast TRANSPOSE_CONV, int8 (per-channel or per-tensor symmetric weights) and uint8 (per-tensor
// weights with a zero point); inputs: output_shape, OHWI weights, NHWC input, optional int32 bias.
// Bit-exact with ref/quantized/transpose_conv: the same scatter of (input - input zero point) x
// (weight - weight zero point) into int32 sums (integer sums are exact, so the order does not
// matter), then bias, the same MultiplyByQuantizedMultiplier, output zero point and activation
// clamp. Weights are packed once as int32 [ky][kx][ic][oc padded] with the weight zero point
// folded in, so every tap is a few SIMD vectors of output channels (Highway, dynamic dispatch)
// accumulated in a per-thread, per-image buffer that grows only on first use; the output stage is
// vectorized with requantize_hwy-inl.h (lane by lane equal to the scalar one). One task per image.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/transpose_conv_q8.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/fast/conv_geometry.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/fast/requantize_hwy-inl.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"
#include "kernels/ref/quantized/qutil.h"

#ifndef CAE_FAST_TRANSPOSE_CONV_Q8_GEOMETRY
#define CAE_FAST_TRANSPOSE_CONV_Q8_GEOMETRY
namespace cae::fast {
// One image of a quantized TRANSPOSE_CONV: in_h x in_w x in_c scattered into out_h x out_w x ocp.
struct TransposeConvQ8Geometry {
  int in_h, in_w, in_c, f_h, f_w, out_h, out_w, ocp, stride_h, stride_w, pad_h, pad_w;
};
}  // namespace cae::fast
#endif

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// acc (out_h*out_w*ocp, zeroed by the caller) += scatter of one image x (already offset by the
// input zero point, int32) through the packed int32 weights.
void ScatterImageQ8(const TransposeConvQ8Geometry& g, const int32_t* x_img,
                    const int32_t* packed, int32_t* acc) {
  const hn::ScalableTag<int32_t> d;
  const int N = static_cast<int>(hn::Lanes(d));
  for (int iy = 0; iy < g.in_h; ++iy) {
    for (int ix = 0; ix < g.in_w; ++ix) {
      const int32_t* x = x_img + (int64_t{iy} * g.in_w + ix) * g.in_c;
      for (int ky = 0; ky < g.f_h; ++ky) {
        const int oy = iy * g.stride_h - g.pad_h + ky;
        if (oy < 0 || oy >= g.out_h) continue;
        for (int kx = 0; kx < g.f_w; ++kx) {
          const int ox = ix * g.stride_w - g.pad_w + kx;
          if (ox < 0 || ox >= g.out_w) continue;
          int32_t* y = acc + (int64_t{oy} * g.out_w + ox) * g.ocp;
          const int32_t* w = packed + (int64_t{ky} * g.f_w + kx) * g.in_c * g.ocp;
          for (int oc0 = 0; oc0 < g.ocp; oc0 += 2 * N) {
            auto a0 = hn::Zero(d), a1 = hn::Zero(d);
            const bool two = oc0 + 2 * N <= g.ocp;
            for (int ic = 0; ic < g.in_c; ++ic) {
              const auto xv = hn::Set(d, x[ic]);
              const int32_t* wi = w + int64_t{ic} * g.ocp + oc0;
              a0 = hn::Add(a0, hn::Mul(xv, hn::LoadU(d, wi)));
              if (two) a1 = hn::Add(a1, hn::Mul(xv, hn::LoadU(d, wi + N)));
            }
            hn::StoreU(hn::Add(hn::LoadU(d, y + oc0), a0), d, y + oc0);
            if (two) hn::StoreU(hn::Add(hn::LoadU(d, y + oc0 + N), a1), d, y + oc0 + N);
          }
        }
      }
    }
  }
}

// In place over pixels x ocp int32 sums: + bias, MultiplyByQuantizedMultiplier per channel
// (stage arrays of ocp lanes: bias, 2^left, multiplier, right shift, its mask and threshold),
// + zp, clamp to [lo, hi]. Lane by lane equal to the scalar reference stage.
void RequantizeInPlaceQ8(int32_t* acc, int64_t pixels, int ocp, const int32_t* stage, int32_t zp,
                         int32_t lo, int32_t hi) {
  const hn::ScalableTag<int32_t> d;
  const int N = static_cast<int>(hn::Lanes(d));
  const int32_t *bias = stage, *left = stage + ocp, *m = stage + 2 * ocp;
  const int32_t *right = stage + 3 * ocp, *mask = stage + 4 * ocp, *thr = stage + 5 * ocp;
  const auto vzp = hn::Set(d, zp), vlo = hn::Set(d, lo), vhi = hn::Set(d, hi);
  for (int64_t p = 0; p < pixels; ++p) {
    int32_t* a = acc + p * ocp;
    for (int c = 0; c < ocp; c += N) {
      const auto x = hn::Add(hn::LoadU(d, a + c), hn::LoadU(d, bias + c));
      const auto scaled = hn::Mul(x, hn::LoadU(d, left + c));
      const auto h = rq::RoundingHighMul(d, scaled, hn::LoadU(d, m + c));
      const auto r = rq::RoundingShiftRight(d, h, hn::LoadU(d, right + c), hn::LoadU(d, mask + c),
                                            hn::LoadU(d, thr + c));
      hn::StoreU(hn::Min(hn::Max(hn::Add(r, vzp), vlo), vhi), d, a + c);
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(ScatterImageQ8);
HWY_EXPORT(RequantizeInPlaceQ8);

namespace {

class FastTransposeConvQ8 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    using namespace qref;
    const TensorView& filter = In(ctx, 1);
    const TensorView& in = In(ctx, 2);
    const TensorView* bias = OptIn(ctx, 3);
    const TensorView& out = Out(ctx, 0);
    CheckRank(ctx, in, 4);
    CheckRank(ctx, filter, 4);
    CheckRank(ctx, out, 4);
    const OpOptions& o = ctx.op->options;
    Check(o.stride_h > 0 && o.stride_w > 0, ctx, ": strides must be positive");
    out_c_ = filter.dim(0);
    Check(filter.dim(3) == in.dim(3) && out.dim(3) == out_c_ && out.dim(0) == in.dim(0),
          ctx, ": filter ", ShapeToString(filter.shape), " does not connect input ",
          ShapeToString(in.shape), " to output ", ShapeToString(out.shape));
    if (bias) {
      Check(bias->type == DType::kInt32 && bias->num_elements() == out_c_, ctx,
            ": bias must be int32 with ", out_c_, " elements");
    }
    g_.in_h = in.dim(1);
    g_.in_w = in.dim(2);
    g_.in_c = in.dim(3);
    g_.f_h = filter.dim(1);
    g_.f_w = filter.dim(2);
    g_.out_h = out.dim(1);
    g_.out_w = out.dim(2);
    g_.ocp = RoundUp(out_c_, kOcAlign);
    g_.stride_h = o.stride_h;
    g_.stride_w = o.stride_w;
    g_.pad_h = ConvPadding(o.padding, g_.out_h, g_.f_h, o.stride_h, 1,
                           ConvOutSize(o.padding, g_.out_h, g_.f_h, o.stride_h, 1));
    g_.pad_w = ConvPadding(o.padding, g_.out_w, g_.f_w, o.stride_w, 1,
                           ConvOutSize(o.padding, g_.out_w, g_.f_w, o.stride_w, 1));
    is_unsigned_ = in.type == DType::kUInt8;
    input_offset_ = -ZeroPoint(ctx, in);
    output_offset_ = ZeroPoint(ctx, out);
    const float si = Scale(ctx, in), so = Scale(ctx, out);
    if (is_unsigned_) {
      filter_offset_ = -ZeroPoint(ctx, filter);
      mult_.assign(static_cast<size_t>(out_c_),
                   QuantizeMultiplier(static_cast<double>(si * Scale(ctx, filter)) /
                                      static_cast<double>(so)));
    } else {
      filter_offset_ = 0;
      const std::vector<float> fs = ChannelScales(ctx, filter, out_c_);
      mult_.resize(static_cast<size_t>(out_c_));
      for (int c = 0; c < out_c_; ++c) {
        mult_[c] = QuantizeMultiplier(static_cast<double>(si) * static_cast<double>(fs[c]) /
                                      static_cast<double>(so));
      }
    }
    CalculateActivationRangeQuantized(o.activation, out.type, so, output_offset_, &act_min_,
                                      &act_max_);
    // Output stage lanes (bias filled per Eval): 6 arrays of ocp, pad lanes multiply by 0.
    stage_.assign(static_cast<size_t>(6 * g_.ocp), 0);
    for (int c = 0; c < out_c_; ++c) {
      const rq_consts k = MakeConsts(mult_[c]);
      stage_[g_.ocp + c] = k.left_mult;
      stage_[2 * g_.ocp + c] = k.m;
      stage_[3 * g_.ocp + c] = k.right;
      stage_[4 * g_.ocp + c] = k.mask;
      stage_[5 * g_.ocp + c] = k.thr;
    }
    for (int c = out_c_; c < g_.ocp; ++c) stage_[g_.ocp + c] = 1;
    Pack(filter);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& filter = qref::In(ctx, 1);
    if (!filter.is_constant || filter.data != packed_for_) Pack(filter);
    const TensorView& in = qref::In(ctx, 2);
    const TensorView* bias = qref::OptIn(ctx, 3);
    const int32_t* bias_data = bias ? bias->as<int32_t>() : nullptr;
    for (int c = 0; c < out_c_; ++c) stage_[c] = bias_data ? bias_data[c] : 0;
    TensorView& out = qref::Out(ctx, 0);
    const int64_t pixels = int64_t{g_.out_h} * g_.out_w;
    const int64_t in_image = int64_t{g_.in_h} * g_.in_w * g_.in_c;
    ParallelFor(ctx.pool, out.dim(0), 1, [&](int64_t begin, int64_t end) {
      // Per-thread buffers that grow only on first use: no allocation per invoke.
      thread_local std::vector<int32_t> acc_buf, x_buf;
      const size_t acc_size = static_cast<size_t>(pixels * g_.ocp);
      if (acc_buf.size() < acc_size) acc_buf.resize(acc_size);
      if (x_buf.size() < static_cast<size_t>(in_image)) x_buf.resize(static_cast<size_t>(in_image));
      int32_t* acc = acc_buf.data();
      int32_t* x = x_buf.data();
      for (int64_t b = begin; b < end; ++b) {
        if (is_unsigned_) {
          const uint8_t* src = static_cast<const uint8_t*>(in.data) + b * in_image;
          for (int64_t i = 0; i < in_image; ++i) x[i] = int32_t{src[i]} + input_offset_;
        } else {
          const int8_t* src = static_cast<const int8_t*>(in.data) + b * in_image;
          for (int64_t i = 0; i < in_image; ++i) x[i] = int32_t{src[i]} + input_offset_;
        }
        std::fill(acc, acc + acc_size, 0);
        HWY_DYNAMIC_DISPATCH(ScatterImageQ8)(g_, x, packed_.data(), acc);
        HWY_DYNAMIC_DISPATCH(RequantizeInPlaceQ8)(acc, pixels, g_.ocp, stage_.data(),
                                                  output_offset_, act_min_, act_max_);
        const int64_t dst0 = b * pixels * out_c_;
        for (int64_t p = 0; p < pixels; ++p) {
          const int32_t* a = acc + p * g_.ocp;
          const int64_t dst = dst0 + p * out_c_;
          for (int oc = 0; oc < out_c_; ++oc) {
            const int32_t v = a[oc];
            if (is_unsigned_)
              static_cast<uint8_t*>(out.data)[dst + oc] = static_cast<uint8_t>(v);
            else
              static_cast<int8_t*>(out.data)[dst + oc] = static_cast<int8_t>(v);
          }
        }
      }
    });
  }

 private:
  // OHWI -> int32 [ky][kx][ic][oc padded to ocp], weight zero point folded in; pad lanes are 0.
  void Pack(const TensorView& w) {
    const int taps = g_.f_h * g_.f_w;
    packed_.assign(static_cast<size_t>(taps) * g_.in_c * g_.ocp, 0);
    for (int oc = 0; oc < out_c_; ++oc)
      for (int t = 0; t < taps; ++t)
        for (int ic = 0; ic < g_.in_c; ++ic)
          packed_[(static_cast<size_t>(t) * g_.in_c + ic) * g_.ocp + oc] =
              qref::Load8(w, (static_cast<int64_t>(oc) * taps + t) * g_.in_c + ic) +
              filter_offset_;
    packed_for_ = w.data;
  }

  TransposeConvQ8Geometry g_{};
  int out_c_ = 0;
  bool is_unsigned_ = false;
  int32_t input_offset_ = 0, filter_offset_ = 0, output_offset_ = 0, act_min_ = 0, act_max_ = 0;
  struct rq_consts {
    int32_t left_mult, m, right, mask, thr;
  };
  // The constants of one MultiplyByQuantizedMultiplier (double rounding) for the vector stage.
  static rq_consts MakeConsts(QuantizedMultiplier q) {
    const int left = q.shift > 0 ? q.shift : 0, right = q.shift > 0 ? 0 : -q.shift;
    const int32_t mask = static_cast<int32_t>((int64_t{1} << right) - 1);
    return {static_cast<int32_t>(uint32_t{1} << left), q.multiplier, right, mask, mask >> 1};
  }

  std::vector<QuantizedMultiplier> mult_;
  std::vector<int32_t> stage_;  // bias, 2^left, multiplier, right, mask, thr; ocp lanes each
  std::vector<int32_t> packed_;
  const void* packed_for_ = nullptr;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  const DType t = qref::InType(ctx, 2);
  if (!qref::IsQ8(t) || qref::InType(ctx, 1) != t || qref::OutType(ctx, 0) != t) return nullptr;
  return std::make_unique<FastTransposeConvQ8>();
}

}  // namespace

void RegisterFastTransposeConvQ8(KernelRegistry& r) {
  r.Register(OpType::TRANSPOSE_CONV, "fast/q8/transpose_conv", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
