// TRANSPOSE_CONV on int8 (per-channel weights) and uint8 (per-tensor weights with a zero point).
// Inputs: 0 output shape (int32 [4]), 1 weights [Cout, KH, KW, Cin], 2 input, 3 optional int32
// bias. Every input pixel scatters into an int32 accumulator at (y*stride - pad + fy); padding is
// TFLite's ComputePaddingHeightWidth with the output as the "input" size. Then bias, multiplier,
// output zero point and the fused activation clamp, as for CONV_2D.
#include <vector>

#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

class QuantizedTransposeConv : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& filter = In(ctx, 1);
    const TensorView& in = In(ctx, 2);
    const TensorView* bias = OptIn(ctx, 3);
    TensorView& out = Out(ctx, 0);
    CheckRank(ctx, in, 4);
    CheckRank(ctx, filter, 4);
    CheckRank(ctx, out, 4);
    const OpOptions& o = ctx.op->options;
    Check(o.stride_h > 0 && o.stride_w > 0, ctx, ": strides must be positive");
    const int32_t cout = filter.dim(0);
    Check(filter.dim(3) == in.dim(3) && out.dim(3) == cout && out.dim(0) == in.dim(0),
          ctx, ": filter ", ShapeToString(filter.shape), " does not connect input ",
          ShapeToString(in.shape), " to output ", ShapeToString(out.shape));
    const int32_t kh = filter.dim(1), kw = filter.dim(2);
    pad_h_ = ConvPadding(o.padding, out.dim(1), kh, o.stride_h, 1,
                         ConvOutSize(o.padding, out.dim(1), kh, o.stride_h, 1));
    pad_w_ = ConvPadding(o.padding, out.dim(2), kw, o.stride_w, 1,
                         ConvOutSize(o.padding, out.dim(2), kw, o.stride_w, 1));
    if (bias) {
      Check(bias->type == DType::kInt32 && bias->num_elements() == cout, ctx,
            ": bias must be int32 with ", cout, " elements");
    }
    input_offset_ = -ZeroPoint(ctx, in);
    output_offset_ = ZeroPoint(ctx, out);
    const float si = Scale(ctx, in), so = Scale(ctx, out);
    mult_.resize(static_cast<size_t>(cout));
    if (in.type == DType::kUInt8) {
      filter_offset_ = -ZeroPoint(ctx, filter);
      mult_.assign(static_cast<size_t>(cout),
                   QuantizeMultiplier(static_cast<double>(si * Scale(ctx, filter)) /
                                      static_cast<double>(so)));
    } else {
      filter_offset_ = 0;
      const std::vector<float> fs = ChannelScales(ctx, filter, cout);
      for (int32_t c = 0; c < cout; ++c) {
        mult_[c] = QuantizeMultiplier(static_cast<double>(si) * static_cast<double>(fs[c]) /
                                      static_cast<double>(so));
      }
    }
    CalculateActivationRangeQuantized(o.activation, out.type, so, output_offset_, &act_min_,
                                      &act_max_);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& filter = In(ctx, 1);
    const TensorView& in = In(ctx, 2);
    const TensorView* bias = OptIn(ctx, 3);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const int32_t batches = in.dim(0), ih = in.dim(1), iw = in.dim(2), cin = in.dim(3);
    const int32_t kh = filter.dim(1), kw = filter.dim(2), cout = filter.dim(0);
    const int32_t oh = out.dim(1), ow = out.dim(2);
    std::vector<int32_t> acc(static_cast<size_t>(out.num_elements()), 0);
    for (int32_t b = 0; b < batches; ++b) {
      for (int32_t y = 0; y < ih; ++y) {
        for (int32_t x = 0; x < iw; ++x) {
          for (int32_t ic = 0; ic < cin; ++ic) {
            const int32_t v = Load8(in, ((int64_t{b} * ih + y) * iw + x) * cin + ic) + input_offset_;
            for (int32_t fy = 0; fy < kh; ++fy) {
              const int32_t oy = y * o.stride_h - pad_h_ + fy;
              if (oy < 0 || oy >= oh) continue;
              for (int32_t fx = 0; fx < kw; ++fx) {
                const int32_t ox = x * o.stride_w - pad_w_ + fx;
                if (ox < 0 || ox >= ow) continue;
                int32_t* dst = &acc[((int64_t{b} * oh + oy) * ow + ox) * cout];
                for (int32_t oc = 0; oc < cout; ++oc) {
                  dst[oc] += v * (Load8(filter, ((int64_t{oc} * kh + fy) * kw + fx) * cin + ic) +
                                  filter_offset_);
                }
              }
            }
          }
        }
      }
    }
    const int32_t* bias_data = bias ? bias->as<int32_t>() : nullptr;
    for (int64_t i = 0; i < out.num_elements(); ++i) {
      const int32_t oc = static_cast<int32_t>(i % cout);
      int32_t a = acc[i] + (bias_data ? bias_data[oc] : 0);
      a = MultiplyByQuantizedMultiplier(a, mult_[oc]) + output_offset_;
      Store8(out, i, std::clamp(a, act_min_, act_max_));
    }
  }

 private:
  int32_t pad_h_ = 0, pad_w_ = 0;
  int32_t input_offset_ = 0, filter_offset_ = 0, output_offset_ = 0, act_min_ = 0, act_max_ = 0;
  std::vector<QuantizedMultiplier> mult_;
};

std::unique_ptr<OpKernel> Factory(const KernelContext& ctx) {
  const DType t = InType(ctx, 2);
  if (!IsQ8(t) || InType(ctx, 1) != t || OutType(ctx, 0) != t) return nullptr;
  return Make<QuantizedTransposeConv>();
}

}  // namespace

void RegisterTransposeConv(KernelRegistry& r) {
  r.Register(OpType::TRANSPOSE_CONV, "ref/quantized/transpose_conv", kRefPriority, Factory);
}

}  // namespace cae::qref
