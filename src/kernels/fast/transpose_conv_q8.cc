// Fast TRANSPOSE_CONV, int8 (per-channel or per-tensor symmetric weights) and uint8 (per-tensor
// weights with a zero point); inputs: output_shape, OHWI weights, NHWC input, optional int32 bias.
// Bit-exact with ref/quantized/transpose_conv: the same int32 sums of (input - input zero point)
// x (weight - weight zero point) over every (input pixel, tap) that lands on an output pixel
// (integer sums are exact, so the order does not matter), then bias, the same
// MultiplyByQuantizedMultiplier, output zero point and activation clamp.
// Gathered per output row rather than scattered: output pixel (oy, ox) takes the taps ky, kx with
// oy + pad_h - ky = iy * stride_h (and likewise x) for an input pixel inside the image. Both
// factors fit int16 (|x - zp| <= 255, |w - zw| <= 255), so channel pairs go through the
// int16 x int16 -> int32 pairwise multiply-add (pmaddwd on x86): the input, offset by its zero
// point, is widened once per invoke into int16 pixels of an even channel count, the weights once
// into int16 [ky][kx][channel pair][oc padded][2]. Up to 4 vectors of output channels accumulate
// in registers; the output stage is vectorized with requantize_hwy-inl.h (lane by lane equal to
// the scalar one). Rows (batch x output row) are spread over the ThreadPool.
// Arm SVE targets are not compiled here: the accumulators below are arrays of vectors, and
// SVE vectors are sizeless types that cannot be array elements. SVE CPUs run the NEON code
// (HWY_DYNAMIC_DISPATCH masks the chosen target with this file's targets).
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128)
#endif
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/transpose_conv_q8.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/fast/conv_geometry.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/fast/requantize_hwy-inl.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"
#include "kernels/ref/quantized/qutil.h"

#ifndef CAE_FAST_TRANSPOSE_CONV_Q8_LIMITS
#define CAE_FAST_TRANSPOSE_CONV_Q8_LIMITS
namespace cae::fast {
// Largest filter height / width the fast kernel takes (larger ones run on the reference).
inline constexpr int kMaxFilter = 16;
}  // namespace cae::fast
#endif

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Output channels [oc0, oc0 + NV * lanes) of one output pixel: the sums over its taps (input
// pixel offsets x_off[i] in int16 elements, packed weight offsets w_off[i]) into acc.
template <int NV, class D32>
HWY_INLINE void GatherPixelQ8(D32 d32, const TransposeConvGeometry& g, const int16_t* x_img,
                              const int16_t* packed, const int64_t* x_off, const int64_t* w_off,
                              int taps, int oc0, int32_t* acc) {
  const int N = static_cast<int>(hn::Lanes(d32));
  const int pairs = g.icp2 / 2;
  const int64_t pair_stride = int64_t{2} * g.ocp;  // int16 elements between channel pairs
#if HWY_TARGET == HWY_SCALAR
  // One int32 lane holds no int16 pair: plain sums.
  (void)d32;
  for (int oc = oc0; oc < oc0 + NV * N; ++oc) {
    int32_t sum = 0;
    for (int t = 0; t < taps; ++t) {
      const int16_t* x = x_img + x_off[t];
      const int16_t* w = packed + w_off[t] + int64_t{2} * oc;
      for (int p = 0; p < pairs; ++p, w += pair_stride)
        sum += int32_t{x[2 * p]} * w[0] + int32_t{x[2 * p + 1]} * w[1];
    }
    acc[oc] = sum;
  }
#else
  const hn::Repartition<int16_t, D32> d16;
  hn::Vec<D32> sum0[NV], sum1[NV];
  for (int v = 0; v < NV; ++v) sum0[v] = sum1[v] = hn::Zero(d32);
  for (int t = 0; t < taps; ++t) {
    const int16_t* x = x_img + x_off[t];
    const int16_t* w = packed + w_off[t] + int64_t{2} * oc0;
    for (int p = 0; p < pairs; ++p, w += pair_stride) {
      int32_t both;  // channels 2p and 2p + 1 of the input pixel
      std::memcpy(&both, x + 2 * p, sizeof(both));
      const auto xv = hn::BitCast(d16, hn::Set(d32, both));
      for (int v = 0; v < NV; ++v)
        sum0[v] = hn::ReorderWidenMulAccumulate(d32, xv, hn::LoadU(d16, w + 2 * v * N), sum0[v],
                                                sum1[v]);
    }
  }
  for (int v = 0; v < NV; ++v)
    hn::StoreU(hn::RearrangeToOddPlusEven(sum0[v], sum1[v]), d32, acc + oc0 + v * N);
#endif
}

// acc_row (out_w x ocp) = the int32 sums of output row oy of one image (x_img: in_h x in_w x
// icp2 int16, already offset by the input zero point; packed: int16 weights).
void GatherRowQ8(const TransposeConvGeometry& g, const int16_t* x_img, const int16_t* packed,
                 int oy, int32_t* acc_row) {
  const hn::CappedTag<int32_t, kOcAlign> d32;  // kOcAlign is a multiple of the lanes
  const int N = static_cast<int>(hn::Lanes(d32));
  // The filter rows that reach row oy, with their input rows (f_h, f_w <= kMaxFilter).
  int rows = 0, iys[kMaxFilter], kys[kMaxFilter];
  for (int ky = 0; ky < g.f_h; ++ky) {
    const int t = oy + g.pad_h - ky;
    if (t < 0 || t % g.stride_h != 0 || t / g.stride_h >= g.in_h) continue;
    iys[rows] = t / g.stride_h;
    kys[rows++] = ky;
  }
  const int64_t tap_w = int64_t{g.icp2} * g.ocp;  // int16 weights per tap
  int64_t x_off[kMaxFilter * kMaxFilter], w_off[kMaxFilter * kMaxFilter];
  for (int ox = 0; ox < g.out_w; ++ox) {
    int taps = 0;
    for (int kx = 0; kx < g.f_w; ++kx) {
      const int t = ox + g.pad_w - kx;
      if (t < 0 || t % g.stride_w != 0 || t / g.stride_w >= g.in_w) continue;
      const int ix = t / g.stride_w;
      for (int r = 0; r < rows; ++r, ++taps) {
        x_off[taps] = (int64_t{iys[r]} * g.in_w + ix) * g.icp2;
        w_off[taps] = (int64_t{kys[r]} * g.f_w + kx) * tap_w;
      }
    }
    int32_t* acc = acc_row + int64_t{ox} * g.ocp;
    for (int oc0 = 0; oc0 < g.ocp; oc0 += 4 * N) {
      switch (std::min(4, (g.ocp - oc0) / N)) {
        case 4: GatherPixelQ8<4>(d32, g, x_img, packed, x_off, w_off, taps, oc0, acc); break;
        case 3: GatherPixelQ8<3>(d32, g, x_img, packed, x_off, w_off, taps, oc0, acc); break;
        case 2: GatherPixelQ8<2>(d32, g, x_img, packed, x_off, w_off, taps, oc0, acc); break;
        default: GatherPixelQ8<1>(d32, g, x_img, packed, x_off, w_off, taps, oc0, acc); break;
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
HWY_EXPORT(GatherRowQ8);
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
    g_.icp2 = RoundUp(g_.in_c, 2);
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
    const int64_t batches = out.dim(0);
    // The input minus its zero point as int16 pixels of icp2 channels (the pad channel is 0);
    // the buffer grows only when the batch does.
    const int64_t in_pixels = batches * g_.in_h * g_.in_w;
    if (x16_.size() < static_cast<size_t>(in_pixels * g_.icp2))
      x16_.resize(static_cast<size_t>(in_pixels * g_.icp2));
    ParallelFor(ctx.pool, in_pixels, 4096, [&](int64_t begin, int64_t end) {
      for (int64_t px = begin; px < end; ++px) {
        int16_t* dst = x16_.data() + px * g_.icp2;
        const int64_t src = px * g_.in_c;
        for (int c = 0; c < g_.in_c; ++c) {
          const int32_t v = is_unsigned_ ? int32_t{static_cast<const uint8_t*>(in.data)[src + c]}
                                         : int32_t{static_cast<const int8_t*>(in.data)[src + c]};
          dst[c] = static_cast<int16_t>(v + input_offset_);
        }
        if (g_.icp2 > g_.in_c) dst[g_.in_c] = 0;
      }
    });
    const int64_t in_image = int64_t{g_.in_h} * g_.in_w * g_.icp2;
    const int64_t row_out = int64_t{g_.out_w} * out_c_;
    ParallelFor(ctx.pool, batches * g_.out_h, 1, [&](int64_t begin, int64_t end) {
      // A per-thread row of sums that grows only on first use: no allocation per invoke.
      thread_local std::vector<int32_t> acc_buf;
      const size_t acc_size = static_cast<size_t>(g_.out_w) * g_.ocp;
      if (acc_buf.size() < acc_size) acc_buf.resize(acc_size);
      int32_t* acc = acc_buf.data();
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / g_.out_h;
        const int oy = static_cast<int>(row % g_.out_h);
        HWY_DYNAMIC_DISPATCH(GatherRowQ8)(g_, x16_.data() + b * in_image, packed_.data(), oy, acc);
        HWY_DYNAMIC_DISPATCH(RequantizeInPlaceQ8)(acc, g_.out_w, g_.ocp, stage_.data(),
                                                  output_offset_, act_min_, act_max_);
        const int64_t dst0 = row * row_out;
        for (int ox = 0; ox < g_.out_w; ++ox) {
          const int32_t* a = acc + int64_t{ox} * g_.ocp;
          const int64_t dst = dst0 + int64_t{ox} * out_c_;
          for (int oc = 0; oc < out_c_; ++oc) {
            if (is_unsigned_)
              static_cast<uint8_t*>(out.data)[dst + oc] = static_cast<uint8_t>(a[oc]);
            else
              static_cast<int8_t*>(out.data)[dst + oc] = static_cast<int8_t>(a[oc]);
          }
        }
      }
    });
  }

 private:
  // OHWI -> int16 [ky][kx][channel pair][oc padded to ocp][2], weight zero point folded in; pad
  // channels and lanes are 0.
  void Pack(const TensorView& w) {
    const int taps = g_.f_h * g_.f_w;
    packed_.assign(static_cast<size_t>(taps) * g_.icp2 * g_.ocp, 0);
    for (int oc = 0; oc < out_c_; ++oc)
      for (int t = 0; t < taps; ++t)
        for (int ic = 0; ic < g_.in_c; ++ic)
          packed_[((static_cast<size_t>(t) * (g_.icp2 / 2) + ic / 2) * g_.ocp + oc) * 2 + ic % 2] =
              static_cast<int16_t>(
                  qref::Load8(w, (static_cast<int64_t>(oc) * taps + t) * g_.in_c + ic) +
                  filter_offset_);
    packed_for_ = w.data;
  }

  TransposeConvGeometry g_{};
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
  std::vector<int16_t> packed_;  // see Pack
  std::vector<int16_t> x16_;     // the input as int16 pixels of icp2 channels
  const void* packed_for_ = nullptr;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  const DType t = qref::InType(ctx, 2);
  if (!qref::IsQ8(t) || qref::InType(ctx, 1) != t || qref::OutType(ctx, 0) != t) return nullptr;
  const TensorView* filter = qref::OptIn(ctx, 1);
  if (filter == nullptr || filter->rank() != 4 || filter->dim(1) > kMaxFilter ||
      filter->dim(2) > kMaxFilter)
    return nullptr;
  return std::make_unique<FastTransposeConvQ8>();
}

}  // namespace

void RegisterFastTransposeConvQ8(KernelRegistry& r) {
  r.Register(OpType::TRANSPOSE_CONV, "fast/q8/transpose_conv", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
