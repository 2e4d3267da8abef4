#include "kernels/ref/quantized/conv_prepare.h"

#include "graph/shape_inference.h"

namespace cae::qref {

ConvPadding2D CheckConvGeometry(const KernelContext& ctx, bool depthwise, int32_t dil_h, int32_t dil_w) {
  const TensorView& in = In(ctx, 0);
  const TensorView& filter = In(ctx, 1);
  const TensorView& out = Out(ctx, 0);
  CheckRank(ctx, in, 4);
  CheckRank(ctx, filter, 4);
  CheckRank(ctx, out, 4);
  const OpOptions& o = ctx.op->options;
  Check(o.stride_h > 0 && o.stride_w > 0 && o.dilation_h > 0 && o.dilation_w > 0, ctx,
        ": strides and dilations must be positive");
  const int32_t cout = ConvOutChannels(filter, depthwise);
  if (depthwise) {
    Check(filter.dim(0) == 1 && in.dim(3) > 0 && cout % in.dim(3) == 0, ctx, ": filter ",
          ShapeToString(filter.shape), " does not fit input depth ", in.dim(3));
  } else {
    Check(filter.dim(3) == in.dim(3), ctx, ": filter ", ShapeToString(filter.shape),
          " does not match input depth ", in.dim(3));
  }
  const int32_t oh = ConvOutSize(o.padding, in.dim(1), filter.dim(1), o.stride_h, dil_h);
  const int32_t ow = ConvOutSize(o.padding, in.dim(2), filter.dim(2), o.stride_w, dil_w);
  Check(out.dim(0) == in.dim(0) && out.dim(1) == oh && out.dim(2) == ow && out.dim(3) == cout,
        ctx, ": output shape ", ShapeToString(out.shape), ", expected [", in.dim(0), ",", oh,
        ",", ow, ",", cout, "]");
  const int64_t padded_h = in.dim(1) + ConvTotalPadding(o.stride_h, dil_h, in.dim(1), filter.dim(1), oh);
  const int64_t padded_w = in.dim(2) + ConvTotalPadding(o.stride_w, dil_w, in.dim(2), filter.dim(2), ow);
  Check(PaddedConvImageFits(padded_h, padded_w, in.dim(3)), ctx, ": a ", filter.dim(1), "x",
        filter.dim(2), " filter with dilation ", dil_h, "x", dil_w, " pads the ", in.dim(1), "x",
        in.dim(2), "x", in.dim(3), " input to ", padded_h, "x", padded_w,
        ", more than 2^31 values per image");
  return {ConvPadding(o.padding, in.dim(1), filter.dim(1), o.stride_h, dil_h, oh),
          ConvPadding(o.padding, in.dim(2), filter.dim(2), o.stride_w, dil_w, ow)};
}

void CheckBias(const KernelContext& ctx, const TensorView* bias, DType type, int32_t n) {
  if (bias == nullptr) return;
  Check(bias->type == type && bias->num_elements() == n, ctx, ": bias must be ",
        DTypeName(type), " with ", n, " elements");
}

std::vector<QuantizedMultiplier> ConvOutputMultipliers(const KernelContext& ctx, const TensorView& in,
                                                       const TensorView& filter, const TensorView& out,
                                                       int32_t out_c) {
  const float in_scale = Scale(ctx, in);
  const float out_scale = Scale(ctx, out);
  if (in.type == DType::kUInt8) {
    // TFLite GetQuantizedConvolutionMultipler: the product of the scales is taken in float.
    const double product = static_cast<double>(in_scale * Scale(ctx, filter));
    return std::vector<QuantizedMultiplier>(static_cast<size_t>(out_c),
                                            QuantizeMultiplier(product / static_cast<double>(out_scale)));
  }
  const std::vector<float> fs = ChannelScales(ctx, filter, out_c);
  std::vector<QuantizedMultiplier> mult(static_cast<size_t>(out_c));
  for (int32_t c = 0; c < out_c; ++c) {
    mult[c] = QuantizeMultiplier(static_cast<double>(in_scale) * static_cast<double>(fs[c]) /
                                 static_cast<double>(out_scale));
  }
  return mult;
}

FullyConnectedShape CheckFullyConnectedShape(const KernelContext& ctx) {
  const TensorView& in = In(ctx, 0);
  const TensorView& filter = In(ctx, 1);
  const TensorView& out = Out(ctx, 0);
  CheckRank(ctx, filter, 2);
  Check(ctx.op->options.weights_format == 0, ctx,
        ": shuffled FULLY_CONNECTED weights are not supported");
  FullyConnectedShape s;
  s.units = filter.dim(0);
  s.depth = filter.dim(1);
  Check(s.depth > 0 && in.num_elements() % s.depth == 0, ctx, ": input shape ",
        ShapeToString(in.shape), " is not a multiple of the weight depth ", s.depth);
  s.batches = in.num_elements() / s.depth;
  Check(out.num_elements() == s.batches * s.units, ctx, ": output shape ", ShapeToString(out.shape),
        " does not hold ", s.batches, "x", s.units, " values");
  return s;
}

}  // namespace cae::qref
