// DEPTHWISE_CONV_2D on int8 (per-channel weights along dim 3) and uint8 (per-tensor weights with a
// zero point), with depth multiplier and dilation: TFLite DepthwiseConvPerChannel / DepthwiseConv.
// Output channel oc = ic * depth_multiplier + m reads filter[0, fy, fx, oc].
#include <vector>

#include "kernels/ref/quantized/conv_prepare.h"
#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

class QuantizedDepthwiseConv : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const ConvPadding2D pad = CheckConvGeometry(ctx, /*depthwise=*/true, o.dilation_h, o.dilation_w);
    pad_h_ = pad.h;
    pad_w_ = pad.w;
    const int32_t cout = ConvOutChannels(filter, true);
    multiplier_ = cout / in.dim(3);
    CheckBias(ctx, OptIn(ctx, 2), DType::kInt32, cout);
    input_offset_ = -ZeroPoint(ctx, in);
    output_offset_ = ZeroPoint(ctx, out);
    filter_offset_ = in.type == DType::kUInt8 ? -ZeroPoint(ctx, filter) : 0;
    mult_ = ConvOutputMultipliers(ctx, in, filter, out, cout);
    const float out_scale = Scale(ctx, out);
    CalculateActivationRangeQuantized(o.activation, out.type, out_scale, output_offset_, &act_min_,
                                      &act_max_);
  }

  void Eval(const KernelContext& ctx) override {
    if (In(ctx, 0).type == DType::kInt8) {
      EvalTyped<int8_t>(ctx);
    } else {
      EvalTyped<uint8_t>(ctx);
    }
  }

 private:
  template <typename T>
  void EvalTyped(const KernelContext& ctx) const {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const int32_t batches = in.dim(0), ih = in.dim(1), iw = in.dim(2), cin = in.dim(3);
    const int32_t kh = filter.dim(1), kw = filter.dim(2), cout = filter.dim(3);
    const int32_t oh = out.dim(1), ow = out.dim(2);
    const int32_t* bias_data = bias ? bias->as<int32_t>() : nullptr;
    const T* src = in.as<T>();
    const T* w = filter.as<T>();
    T* dst = out.as<T>();
    ParallelFor(ctx.pool, int64_t{batches} * oh, 1, [&](int64_t begin, int64_t end) {
      std::vector<int32_t> acc(static_cast<size_t>(cout));
      for (int64_t row = begin; row < end; ++row) {
        const int32_t b = static_cast<int32_t>(row / oh);
        const int32_t y = static_cast<int32_t>(row % oh);
        for (int32_t x = 0; x < ow; ++x) {
          const int32_t in_y0 = y * o.stride_h - pad_h_;
          const int32_t in_x0 = x * o.stride_w - pad_w_;
          std::fill(acc.begin(), acc.end(), 0);
          for (int32_t fy = 0; fy < kh; ++fy) {
            const int32_t iy = in_y0 + fy * o.dilation_h;
            if (iy < 0 || iy >= ih) continue;
            for (int32_t fx = 0; fx < kw; ++fx) {
              const int32_t ix = in_x0 + fx * o.dilation_w;
              if (ix < 0 || ix >= iw) continue;
              const T* pin = src + ((int64_t{b} * ih + iy) * iw + ix) * cin;
              const T* pf = w + (int64_t{fy} * kw + fx) * cout;
              // Output channel oc = ic * multiplier + m reads input channel oc / multiplier.
              for (int32_t oc = 0; oc < cout; ++oc) {
                acc[oc] += (static_cast<int32_t>(pf[oc]) + filter_offset_) *
                           (static_cast<int32_t>(pin[oc / multiplier_]) + input_offset_);
              }
            }
          }
          T* po = dst + (row * ow + x) * cout;
          for (int32_t oc = 0; oc < cout; ++oc) {
            int32_t a = acc[oc] + (bias_data ? bias_data[oc] : 0);
            a = MultiplyByQuantizedMultiplier(a, mult_[oc]) + output_offset_;
            po[oc] = static_cast<T>(std::clamp(a, act_min_, act_max_));
          }
        }
      }
    });
  }

  int32_t multiplier_ = 1;
  int32_t pad_h_ = 0, pad_w_ = 0;
  int32_t input_offset_ = 0, filter_offset_ = 0, output_offset_ = 0;
  int32_t act_min_ = 0, act_max_ = 0;
  std::vector<QuantizedMultiplier> mult_;
};

std::unique_ptr<OpKernel> Factory(const KernelContext& ctx) {
  const DType t = InType(ctx, 0);
  if (!IsQ8(t) || OutType(ctx, 0) != t || InType(ctx, 1) != t) return nullptr;
  return Make<QuantizedDepthwiseConv>();
}

}  // namespace

void RegisterDepthwiseConv(KernelRegistry& r) {
  r.Register(OpType::DEPTHWISE_CONV_2D, "ref/quantized/depthwise_conv_2d", kRefPriority, Factory);
}

}  // namespace cae::qref
