// Fast hybrid (dynamic-range) CONV_2D and FULLY_CONNECTED: float32 input and output, int8 weights
// (per-tensor or per-channel scales), float32 bias. CONV_2D: any stride and padding (TFLite's
// hybrid CONV_2D ignores dilation, and so do the reference kernel and this one). Bit-exact with
// ref/hybrid/conv_2d and ref/hybrid/fully_connected:
//  - every batch is quantized by the same code (kernels/ref/quantized/hybrid_quantize.h);
//  - the int32 sums are the same integers: each output pixel's patch is gathered as int16 with
//    padded taps reading the batch's zero point, the dot products run over the whole patch, and
//    zero_point * (sum of the channel's weights) is subtracted, so a padded tap adds
//    w * (zp - zp) = 0 exactly as the reference skips it;
//    (FULLY_CONNECTED: the input row is the patch, without padding);
//  - the path choice and the float outputs are the reference's own functions
//    (HybridConvPerChannel, HybridConvOutput, HybridFullyConnectedOutput).
// The dot products use int16 pairs (pmaddwd-style ReorderWidenMulAccumulate) under Highway's
// dynamic dispatch; output rows are spread over the ThreadPool.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/hybrid.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/fast/fast_kernels.h"
#include "kernels/fast/hybrid_quantize_fast.h"
#include "kernels/parallel.h"
#include "kernels/ref/quantized/conv_prepare.h"
#include "kernels/ref/quantized/hybrid_quantize.h"
#include "kernels/ref/quantized/qutil.h"

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// acc[oc] = sum over k < kp of patch[k] * w[oc * kp + k], for oc < out_c. kp is a multiple of
// LanesI16().
void HybridDotRows(const int16_t* patch, const int16_t* w, int kp, int out_c, int32_t* acc) {
#if HWY_TARGET == HWY_SCALAR
  for (int oc = 0; oc < out_c; ++oc) {
    int32_t sum = 0;
    for (int k = 0; k < kp; ++k) sum += int32_t{patch[k]} * w[int64_t{oc} * kp + k];
    acc[oc] = sum;
  }
#else
  const hn::ScalableTag<int32_t> d32;
  const hn::Repartition<int16_t, decltype(d32)> d16;
  const int n16 = static_cast<int>(hn::Lanes(d16));
  for (int oc = 0; oc < out_c; ++oc) {
    const int16_t* row = w + int64_t{oc} * kp;
    auto sum0 = hn::Zero(d32);
    auto sum1 = hn::Zero(d32);
    for (int k = 0; k < kp; k += n16) {
      sum0 = hn::ReorderWidenMulAccumulate(d32, hn::LoadU(d16, patch + k), hn::LoadU(d16, row + k),
                                           sum0, sum1);
    }
    acc[oc] = hn::GetLane(hn::SumOfLanes(d32, hn::RearrangeToOddPlusEven(sum0, sum1)));
  }
#endif
}

int LanesI16() {
#if HWY_TARGET == HWY_SCALAR
  return 1;
#else
  return static_cast<int>(hn::Lanes(hn::ScalableTag<int16_t>()));
#endif
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {

HWY_EXPORT(HybridDotRows);
HWY_EXPORT(LanesI16);

namespace {

using qref::In;
using qref::OptIn;
using qref::Out;

// A weight matrix [rows][k] int8 as [rows][kp] int16 (zeros past k, kp a multiple of
// LanesI16()) with each row's sum, repacked when the filter is not constant or has moved.
struct PackedRows16 {
  int rows = 0, k = 0, kp = 0;
  std::vector<int16_t> w;
  std::vector<int32_t> sums;
  const void* packed_for = nullptr;

  void Reset(int n_rows, int n_k) {
    rows = n_rows;
    k = n_k;
    const int lanes = HWY_DYNAMIC_DISPATCH(LanesI16)();
    kp = (k + lanes - 1) / lanes * lanes;
    packed_for = nullptr;
  }
  void Update(const TensorView& filter) {
    if (filter.is_constant && filter.data == packed_for) return;
    const int8_t* f = filter.as<int8_t>();
    w.assign(static_cast<size_t>(rows) * kp, 0);
    sums.assign(static_cast<size_t>(rows), 0);
    for (int r = 0; r < rows; ++r)
      for (int i = 0; i < k; ++i) {
        const int8_t v = f[int64_t{r} * k + i];
        w[int64_t{r} * kp + i] = v;
        sums[r] += v;
      }
    packed_for = filter.data;
  }
};

class FastHybridConv : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& filter = In(ctx, 1);
    const qref::ConvPadding2D pad = qref::CheckConvGeometry(ctx, false, 1, 1);
    pad_h_ = pad.h;
    pad_w_ = pad.w;
    cout_ = qref::ConvOutChannels(filter, false);
    qref::CheckBias(ctx, OptIn(ctx, 2), DType::kFloat32, cout_);
    scales_ = qref::ChannelScales(ctx, filter, cout_);
    per_channel_ = qref::HybridConvPerChannel(scales_, false);
    qref::FloatActivationRange(ctx, &act_min_, &act_max_);
    kh_ = filter.dim(1);
    kw_ = filter.dim(2);
    cin_ = filter.dim(3);
    weights_.Reset(cout_, kh_ * kw_ * cin_);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    TensorView& out = Out(ctx, 0);
    weights_.Update(filter);
    const OpOptions& o = ctx.op->options;
    const int32_t batches = in.dim(0), ih = in.dim(1), iw = in.dim(2);
    const int32_t oh = out.dim(1), ow = out.dim(2);
    QuantizeBatchesFast(in, batches, per_channel_, &qi_, ctx.pool);
    const float* bias_data = bias ? bias->as<float>() : nullptr;
    float* dst = out.as<float>();
    const int cin = cin_, kh = kh_, kw = kw_, kp = weights_.kp, cout = cout_;
    ParallelFor(ctx.pool, int64_t{batches} * oh, 1, [&](int64_t begin, int64_t end) {
      thread_local std::vector<int16_t> patch;
      thread_local std::vector<int32_t> acc;
      patch.assign(static_cast<size_t>(kp), 0);
      acc.resize(static_cast<size_t>(cout));
      for (int64_t row = begin; row < end; ++row) {
        const int32_t b = static_cast<int32_t>(row / oh);
        const int32_t y = static_cast<int32_t>(row % oh);
        const int32_t zp = qi_.offset[b];
        const int8_t* img = qi_.q.data() + int64_t{b} * ih * iw * cin;
        const float in_scale = qi_.scale[b];
        for (int32_t x = 0; x < ow; ++x) {
          const int32_t iy0 = y * o.stride_h - pad_h_;
          const int32_t ix0 = x * o.stride_w - pad_w_;
          int16_t* p = patch.data();
          for (int32_t fy = 0; fy < kh; ++fy) {
            const int32_t iy = iy0 + fy;
            for (int32_t fx = 0; fx < kw; ++fx, p += cin) {
              const int32_t ix = ix0 + fx;
              if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) {
                std::fill(p, p + cin, static_cast<int16_t>(zp));
                continue;
              }
              const int8_t* src = img + (int64_t{iy} * iw + ix) * cin;
              for (int32_t c = 0; c < cin; ++c) p[c] = src[c];
            }
          }
          HWY_DYNAMIC_DISPATCH(HybridDotRows)(patch.data(), weights_.w.data(), kp, cout, acc.data());
          float* o_px = dst + (row * ow + x) * cout;
          for (int32_t oc = 0; oc < cout; ++oc) {
            const int32_t sum = acc[oc] - zp * weights_.sums[oc];
            o_px[oc] = qref::HybridConvOutput(sum, in_scale, scales_, per_channel_, bias_data, oc,
                                              act_min_, act_max_);
          }
        }
      }
    });
  }

 private:
  bool per_channel_ = false;
  int32_t cout_ = 0, cin_ = 0, kh_ = 1, kw_ = 1, pad_h_ = 0, pad_w_ = 0;
  float act_min_ = 0, act_max_ = 0;
  std::vector<float> scales_;
  PackedRows16 weights_;
  qref::QuantizedInput qi_;
};

class FastHybridFullyConnected : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& filter = In(ctx, 1);
    const qref::FullyConnectedShape shape = qref::CheckFullyConnectedShape(ctx);
    units_ = shape.units;
    depth_ = shape.depth;
    batches_ = shape.batches;
    qref::CheckBias(ctx, OptIn(ctx, 2), DType::kFloat32, units_);
    scales_ = qref::ChannelScales(ctx, filter, units_);
    qref::FloatActivationRange(ctx, &act_min_, &act_max_);
    weights_.Reset(units_, depth_);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    TensorView& out = Out(ctx, 0);
    weights_.Update(filter);
    QuantizeBatchesFast(in, batches_, ctx.op->options.asymmetric_quantize_inputs, &qi_, ctx.pool);
    const float* bias_data = bias ? bias->as<float>() : nullptr;
    float* dst = out.as<float>();
    const int units = units_, depth = depth_, kp = weights_.kp;
    constexpr int kBlock = 64;  // units per task
    const int blocks = (units + kBlock - 1) / kBlock;
    ParallelFor(ctx.pool, batches_ * blocks, 1, [&](int64_t begin, int64_t end) {
      thread_local std::vector<int16_t> x16;
      thread_local std::vector<int32_t> acc;
      x16.resize(static_cast<size_t>(kp));
      acc.resize(kBlock);
      int64_t widened = -1;  // the batch x16 holds
      for (int64_t task = begin; task < end; ++task) {
        const int64_t b = task / blocks;
        const int u0 = static_cast<int>(task % blocks) * kBlock;
        const int nu = std::min(kBlock, units - u0);
        if (widened != b) {
          const int8_t* x = qi_.q.data() + b * depth;
          for (int k = 0; k < depth; ++k) x16[k] = x[k];
          std::fill(x16.begin() + depth, x16.end(), int16_t{0});
          widened = b;
        }
        HWY_DYNAMIC_DISPATCH(HybridDotRows)(x16.data(), weights_.w.data() + int64_t{u0} * kp, kp,
                                            nu, acc.data());
        const int32_t zp = qi_.offset[b];
        for (int i = 0; i < nu; ++i) {
          const int u = u0 + i;
          const int32_t sum = acc[i] - zp * weights_.sums[u];
          dst[b * units + u] = qref::HybridFullyConnectedOutput(sum, qi_.scale[b], scales_,
                                                                bias_data, u, act_min_, act_max_);
        }
      }
    });
  }

 private:
  int32_t units_ = 0, depth_ = 0;
  int64_t batches_ = 0;
  float act_min_ = 0, act_max_ = 0;
  std::vector<float> scales_;
  PackedRows16 weights_;
  qref::QuantizedInput qi_;
};

bool IsHybrid(const KernelContext& ctx) {
  if (qref::InType(ctx, 0) != DType::kFloat32 || qref::InType(ctx, 1) != DType::kInt8 ||
      qref::OutType(ctx, 0) != DType::kFloat32)
    return false;
  const TensorView* bias = OptIn(ctx, 2);
  return !bias || bias->type == DType::kFloat32;
}

std::unique_ptr<OpKernel> CreateFullyConnected(const KernelContext& ctx) {
  return IsHybrid(ctx) ? std::make_unique<FastHybridFullyConnected>() : nullptr;
}

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  return IsHybrid(ctx) ? std::make_unique<FastHybridConv>() : nullptr;
}

}  // namespace

void RegisterFastHybrid(KernelRegistry& r) {
  r.Register(OpType::CONV_2D, "fast/hybrid/conv_2d", kFastPriority, Create);
  r.Register(OpType::FULLY_CONNECTED, "fast/hybrid/fully_connected", kFastPriority,
             CreateFullyConnected);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
