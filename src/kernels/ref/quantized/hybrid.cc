// Hybrid (dynamic-range) CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: float32 input and
// output, int8 weights with per-tensor or per-channel scales, float32 bias. As in TFLite's hybrid
// kernels, each batch's input is quantized to int8 on the fly, the products accumulate in int32
// and the result is rescaled in float:
//  - CONV_2D: per-channel (weight scales that differ) quantizes each batch asymmetrically and
//    computes acc * (w_scale[c] * in_scale[b]) + bias; per-tensor quantizes symmetrically and
//    computes acc * (in_scale[b] * w_scale) + bias. Dilation applies as in float CONV_2D (checked
//    against TFLite 2.12, with and without XNNPACK; an earlier reading that TFLite ignores it
//    here was wrong).
//  - DEPTHWISE_CONV_2D: always asymmetric per batch, acc * (w_scale[c] * in_scale[b]) + bias.
//  - FULLY_CONNECTED: symmetric, or asymmetric with asymmetric_quantize_inputs; output
//    bias + acc * (in_scale[b] * w_scale[row]).
// Padded taps contribute nothing (the input zero point is subtracted from every valid tap).
// Deliberate difference: for a CONV_2D whose weights carry several scales that are all equal,
// TFLite 2.12 takes the per-tensor path with a zero legacy scale (its output is just the bias);
// here the common scale is used.
#include <cmath>
#include <vector>

#include "kernels/ref/quantized/conv_prepare.h"
#include "kernels/ref/quantized/hybrid_quantize.h"
#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {

bool SymmetricParams(float lo, float hi, float* scale, float* inv) {
  const float range = std::max(std::fabs(lo), std::fabs(hi));
  if (range == 0) {
    *scale = 1;
    return false;
  }
  *scale = range / 127;
  *inv = 127 / range;
  return true;
}

bool AsymmetricParams(float lo, float hi, float* scale, int32_t* offset, float* inv) {
  const double rmin = std::min(0.0f, lo);
  const double rmax = std::max(0.0f, hi);
  if (rmin == rmax) {
    *scale = 1;
    *offset = 0;
    return false;
  }
  const double qmin = -128, qmax = 127;
  const double s = (rmax - rmin) / (qmax - qmin);
  const double zp_from_min = qmin - rmin / s;
  const double zp_from_max = qmax - rmax / s;
  const double err_min = std::fabs(qmin) + std::fabs(rmin / s);
  const double err_max = std::fabs(qmax) + std::fabs(rmax / s);
  const double zp = err_min < err_max ? zp_from_min : zp_from_max;
  int32_t nudged = 0;
  if (zp <= qmin) {
    nudged = -128;
  } else if (zp >= qmax) {
    nudged = 127;
  } else {
    nudged = static_cast<int32_t>(std::round(zp));
  }
  *scale = static_cast<float>(s);
  *offset = nudged;
  *inv = 1.0f / *scale;
  return true;
}

namespace {

void MinMax(const float* x, int64_t n, float* lo, float* hi) {
  *lo = *hi = 0;
  if (n > 0) *lo = *hi = x[0];
  for (int64_t i = 1; i < n; ++i) {
    *lo = std::min(*lo, x[i]);
    *hi = std::max(*hi, x[i]);
  }
}

}  // namespace

void SymmetricQuantize(const float* x, int64_t n, int8_t* q, float* scale) {
  float lo, hi, inv;
  MinMax(x, n, &lo, &hi);
  if (!SymmetricParams(lo, hi, scale, &inv)) {
    std::fill(q, q + n, int8_t{0});
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v = static_cast<int32_t>(std::round(x[i] * inv));
    q[i] = static_cast<int8_t>(std::clamp(v, -127, 127));
  }
}

void AsymmetricQuantize(const float* x, int64_t n, int8_t* q, float* scale, int32_t* offset) {
  float lo, hi, inv;
  MinMax(x, n, &lo, &hi);
  if (!AsymmetricParams(lo, hi, scale, offset, &inv)) {
    std::fill(q, q + n, int8_t{0});
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v = static_cast<int32_t>(std::round(static_cast<float>(*offset) + x[i] * inv));
    q[i] = static_cast<int8_t>(std::clamp(v, -128, 127));
  }
}

void FloatActivationRange(const KernelContext& ctx, float* lo, float* hi) {
  *lo = -std::numeric_limits<float>::max();
  *hi = std::numeric_limits<float>::max();
  switch (ctx.op->options.activation) {
    case Activation::kNone: return;
    case Activation::kRelu: *lo = 0; return;
    case Activation::kRelu6: *lo = 0; *hi = 6; return;
    case Activation::kReluN1To1: *lo = -1; *hi = 1; return;
    default: Fail(ctx.Describe(), ": fused activation ", ActivationName(ctx.op->options.activation),
                  " is not supported by hybrid kernels");
  }
}

void QuantizeBatchesInto(const TensorView& in, int64_t batches, bool asymmetric, QuantizedInput* r) {
  const int64_t n = in.num_elements();
  const int64_t per = batches > 0 ? n / batches : 0;
  r->q.resize(static_cast<size_t>(n));
  r->scale.resize(static_cast<size_t>(batches));
  r->offset.assign(static_cast<size_t>(batches), 0);
  for (int64_t b = 0; b < batches; ++b) {
    if (asymmetric) {
      AsymmetricQuantize(in.as<float>() + b * per, per, r->q.data() + b * per, &r->scale[b],
                         &r->offset[b]);
    } else {
      SymmetricQuantize(in.as<float>() + b * per, per, r->q.data() + b * per, &r->scale[b]);
    }
  }
}

namespace {


class HybridConv : public OpKernel {
 public:
  explicit HybridConv(bool depthwise) : depthwise_(depthwise) {}

  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const OpOptions& o = ctx.op->options;
    dil_h_ = o.dilation_h;
    dil_w_ = o.dilation_w;
    const ConvPadding2D pad = CheckConvGeometry(ctx, depthwise_, dil_h_, dil_w_);
    pad_h_ = pad.h;
    pad_w_ = pad.w;
    cout_ = ConvOutChannels(filter, depthwise_);
    if (depthwise_) multiplier_ = cout_ / in.dim(3);
    CheckBias(ctx, OptIn(ctx, 2), DType::kFloat32, cout_);
    scales_ = ChannelScales(ctx, filter, cout_);
    per_channel_ = HybridConvPerChannel(scales_, depthwise_);
    FloatActivationRange(ctx, &act_min_, &act_max_);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const int32_t batches = in.dim(0), ih = in.dim(1), iw = in.dim(2), cin = in.dim(3);
    const int32_t kh = filter.dim(1), kw = filter.dim(2);
    const int32_t oh = out.dim(1), ow = out.dim(2);
    QuantizedInput qi;
    QuantizeBatchesInto(in, batches, per_channel_, &qi);
    const int8_t* w = filter.as<int8_t>();
    const float* bias_data = bias ? bias->as<float>() : nullptr;
    float* dst = out.as<float>();
    ParallelFor(ctx.pool, int64_t{batches} * oh, 1, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int32_t b = static_cast<int32_t>(row / oh);
        const int32_t y = static_cast<int32_t>(row % oh);
        const int32_t zp = qi.offset[b];
        for (int32_t x = 0; x < ow; ++x) {
          const int32_t iy0 = y * o.stride_h - pad_h_;
          const int32_t ix0 = x * o.stride_w - pad_w_;
          for (int32_t oc = 0; oc < cout_; ++oc) {
            const int32_t ic_first = depthwise_ ? oc / multiplier_ : 0;
            const int32_t ic_count = depthwise_ ? 1 : cin;
            int32_t acc = 0;
            for (int32_t fy = 0; fy < kh; ++fy) {
              const int32_t iy = iy0 + fy * dil_h_;
              if (iy < 0 || iy >= ih) continue;
              for (int32_t fx = 0; fx < kw; ++fx) {
                const int32_t ix = ix0 + fx * dil_w_;
                if (ix < 0 || ix >= iw) continue;
                const int8_t* src = qi.q.data() + ((int64_t{b} * ih + iy) * iw + ix) * cin;
                for (int32_t k = 0; k < ic_count; ++k) {
                  const int32_t ic = ic_first + k;
                  const int32_t wv = depthwise_ ? w[(int64_t{fy} * kw + fx) * cout_ + oc]
                                                : w[((int64_t{oc} * kh + fy) * kw + fx) * cin + ic];
                  acc += wv * (src[ic] - zp);
                }
              }
            }
            dst[(row * ow + x) * cout_ + oc] = HybridConvOutput(
                acc, qi.scale[b], scales_, per_channel_, bias_data, oc, act_min_, act_max_);
          }
        }
      }
    });
  }

 private:
  bool depthwise_;
  bool per_channel_ = false;
  int32_t multiplier_ = 1, cout_ = 0, dil_h_ = 1, dil_w_ = 1, pad_h_ = 0, pad_w_ = 0;
  float act_min_ = 0, act_max_ = 0;
  std::vector<float> scales_;
};

class HybridFullyConnected : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& filter = In(ctx, 1);
    const FullyConnectedShape shape = CheckFullyConnectedShape(ctx);
    units_ = shape.units;
    depth_ = shape.depth;
    batches_ = shape.batches;
    CheckBias(ctx, OptIn(ctx, 2), DType::kFloat32, units_);
    scales_ = ChannelScales(ctx, filter, units_);
    FloatActivationRange(ctx, &act_min_, &act_max_);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    TensorView& out = Out(ctx, 0);
    QuantizedInput qi;
    QuantizeBatchesInto(in, batches_, ctx.op->options.asymmetric_quantize_inputs, &qi);
    const int8_t* w = filter.as<int8_t>();
    float* dst = out.as<float>();
    for (int64_t b = 0; b < batches_; ++b) {
      const int8_t* x = qi.q.data() + b * depth_;
      for (int32_t u = 0; u < units_; ++u) {
        int32_t acc = 0;
        for (int32_t k = 0; k < depth_; ++k) {
          acc += static_cast<int32_t>(w[int64_t{u} * depth_ + k]) * (x[k] - qi.offset[b]);
        }
        dst[b * units_ + u] = HybridFullyConnectedOutput(
            acc, qi.scale[b], scales_, bias ? bias->as<float>() : nullptr, u, act_min_, act_max_);
      }
    }
  }

 private:
  int32_t units_ = 0, depth_ = 0;
  int64_t batches_ = 0;
  float act_min_ = 0, act_max_ = 0;
  std::vector<float> scales_;
};

bool IsHybrid(const KernelContext& ctx) {
  return InType(ctx, 0) == DType::kFloat32 && InType(ctx, 1) == DType::kInt8 &&
         OutType(ctx, 0) == DType::kFloat32;
}

std::unique_ptr<OpKernel> ConvFactory(const KernelContext& ctx) {
  return IsHybrid(ctx) ? std::make_unique<HybridConv>(false) : nullptr;
}
std::unique_ptr<OpKernel> DepthwiseFactory(const KernelContext& ctx) {
  return IsHybrid(ctx) ? std::make_unique<HybridConv>(true) : nullptr;
}
std::unique_ptr<OpKernel> FcFactory(const KernelContext& ctx) {
  return IsHybrid(ctx) ? Make<HybridFullyConnected>() : nullptr;
}

}  // namespace

void RegisterHybrid(KernelRegistry& r) {
  r.Register(OpType::CONV_2D, "ref/hybrid/conv_2d", kRefPriority, ConvFactory);
  r.Register(OpType::DEPTHWISE_CONV_2D, "ref/hybrid/depthwise_conv_2d", kRefPriority,
             DepthwiseFactory);
  r.Register(OpType::FULLY_CONNECTED, "ref/hybrid/fully_connected", kRefPriority, FcFactory);
}

}  // namespace cae::qref
