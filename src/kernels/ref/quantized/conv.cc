// CONV_2D on int8 (per-channel weights, TFLite ConvPerChannel) and uint8 (per-tensor weights with
// a zero point, TFLite's legacy multiplier computed from the float product of the scales).
// TFLite's builtin int8 convolution runs its GEMM in ruy, whose output stage rounds once
// (MultiplyByQuantizedMultiplierSingleRounding); uint8 runs in gemmlowp, which rounds twice.
#include <vector>

#include "kernels/ref/quantized/conv_prepare.h"
#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

class QuantizedConv : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const ConvPadding2D pad = CheckConvGeometry(ctx, /*depthwise=*/false, o.dilation_h, o.dilation_w);
    pad_h_ = pad.h;
    pad_w_ = pad.w;
    const int32_t cout = ConvOutChannels(filter, false);
    CheckBias(ctx, OptIn(ctx, 2), DType::kInt32, cout);
    input_offset_ = -ZeroPoint(ctx, in);
    output_offset_ = ZeroPoint(ctx, out);
    filter_offset_ = in.type == DType::kUInt8 ? -ZeroPoint(ctx, filter) : 0;
    single_rounding_ = in.type == DType::kInt8;
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
    const int32_t kh = filter.dim(1), kw = filter.dim(2), cout = filter.dim(0);
    const int32_t oh = out.dim(1), ow = out.dim(2);
    const int32_t* bias_data = bias ? bias->as<int32_t>() : nullptr;
    const T* src = in.as<T>();
    const T* w = filter.as<T>();
    T* dst = out.as<T>();
    ParallelFor(ctx.pool, int64_t{batches} * oh, 1, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int32_t b = static_cast<int32_t>(row / oh);
        const int32_t y = static_cast<int32_t>(row % oh);
        for (int32_t x = 0; x < ow; ++x) {
          const int32_t in_y0 = y * o.stride_h - pad_h_;
          const int32_t in_x0 = x * o.stride_w - pad_w_;
          for (int32_t oc = 0; oc < cout; ++oc) {
            int32_t acc = 0;
            for (int32_t fy = 0; fy < kh; ++fy) {
              const int32_t iy = in_y0 + fy * o.dilation_h;
              if (iy < 0 || iy >= ih) continue;
              for (int32_t fx = 0; fx < kw; ++fx) {
                const int32_t ix = in_x0 + fx * o.dilation_w;
                if (ix < 0 || ix >= iw) continue;
                const T* pin = src + ((int64_t{b} * ih + iy) * iw + ix) * cin;
                const T* pf = w + ((int64_t{oc} * kh + fy) * kw + fx) * cin;
                for (int32_t ic = 0; ic < cin; ++ic) {
                  acc += (static_cast<int32_t>(pf[ic]) + filter_offset_) *
                         (static_cast<int32_t>(pin[ic]) + input_offset_);
                }
              }
            }
            if (bias_data) acc += bias_data[oc];
            acc = (single_rounding_ ? MultiplyByQuantizedMultiplierSingleRounding(acc, mult_[oc])
                                    : MultiplyByQuantizedMultiplier(acc, mult_[oc])) +
                  output_offset_;
            dst[(row * ow + x) * cout + oc] = static_cast<T>(std::clamp(acc, act_min_, act_max_));
          }
        }
      }
    });
  }

  int32_t pad_h_ = 0, pad_w_ = 0;
  int32_t input_offset_ = 0, filter_offset_ = 0, output_offset_ = 0;
  int32_t act_min_ = 0, act_max_ = 0;
  bool single_rounding_ = false;
  std::vector<QuantizedMultiplier> mult_;
};

std::unique_ptr<OpKernel> Factory(const KernelContext& ctx) {
  const DType t = InType(ctx, 0);
  if (!IsQ8(t) || OutType(ctx, 0) != t || InType(ctx, 1) != t) return nullptr;
  return Make<QuantizedConv>();
}

}  // namespace

void RegisterConv(KernelRegistry& r) {
  r.Register(OpType::CONV_2D, "ref/quantized/conv_2d", kRefPriority, Factory);
}

}  // namespace cae::qref
