#include "kernels/ref/float/common.h"

#include "graph/shape_inference.h"

namespace cae::ref {

const TensorView& Input(const KernelContext& ctx, size_t i) {
  KCheck(ctx, HasInput(ctx, i), "missing input ", i);
  return *ctx.inputs[i];
}

TensorView& Output(const KernelContext& ctx, size_t i) {
  KCheck(ctx, i < ctx.outputs.size() && ctx.outputs[i] != nullptr, "missing output ", i);
  return *ctx.outputs[i];
}

bool IsElementCopy(const KernelContext& ctx) {
  if (!HasInput(ctx, 0) || ctx.outputs.empty()) return false;
  const TensorView& in = *ctx.inputs[0];
  if (DTypeSize(in.type) == 0) return false;
  for (const TensorView* out : ctx.outputs) {
    if (out == nullptr || out->type != in.type) return false;
    const bool in_q = in.quant != nullptr && !in.quant->empty();
    const bool out_q = out->quant != nullptr && !out->quant->empty();
    if (in_q != out_q) return false;
    if (in_q && (in.quant->scale != out->quant->scale || in.quant->zero_point != out->quant->zero_point))
      return false;
  }
  return true;
}

void CheckOutputShape(const KernelContext& ctx, size_t i, const std::vector<int32_t>& shape) {
  const TensorView& out = Output(ctx, i);
  KCheck(ctx, out.shape == shape, "output ", i, " has shape ", ShapeToString(out.shape),
         ", expected ", ShapeToString(shape));
}

void CheckActivation(const KernelContext& ctx, Activation a) {
  KCheck(ctx, a != Activation::kSignBit && static_cast<int>(a) >= 0 && static_cast<int>(a) <= 4,
         "unsupported fused activation ", static_cast<int>(a));
}

std::vector<int64_t> ReadInts(const KernelContext& ctx, size_t i, const char* what) {
  const TensorView& t = Input(ctx, i);
  const int64_t n = t.num_elements();
  std::vector<int64_t> v(static_cast<size_t>(n));
  if (t.type == DType::kInt32) {
    for (int64_t k = 0; k < n; ++k) v[k] = t.as<int32_t>()[k];
  } else if (t.type == DType::kInt64) {
    for (int64_t k = 0; k < n; ++k) v[k] = t.as<int64_t>()[k];
  } else {
    Fail(ctx.Describe(), ": input ", i, " (", what, ") must be int32 or int64, got ",
         DTypeName(t.type));
  }
  return v;
}

BroadcastMap::BroadcastMap(const KernelContext& ctx,
                           const std::vector<std::vector<int32_t>>& inputs,
                           const std::vector<int32_t>& out)
    : out_shape(out) {
  const size_t rank = out.size();
  KCheck(ctx, rank <= kMaxBroadcastRank, "broadcast of rank ", rank, " (max ", kMaxBroadcastRank,
         ")");
  for (const auto& s : inputs) {
    KCheck(ctx, s.size() <= rank, "input ", ShapeToString(s), " has a higher rank than output ",
           ShapeToString(out));
    const std::vector<int64_t> in_strides = Strides(s);
    std::vector<int64_t> st(rank, 0);
    const size_t lead = rank - s.size();
    for (size_t d = 0; d < s.size(); ++d) {
      KCheck(ctx, s[d] == out[lead + d] || s[d] == 1, "input ", ShapeToString(s),
             " does not broadcast to ", ShapeToString(out));
      st[lead + d] = s[d] == 1 ? 0 : in_strides[d];
    }
    strides.push_back(std::move(st));
  }
}

std::vector<int64_t> Strides(const std::vector<int32_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

void CheckDepthwiseConv(const KernelContext& ctx) {
  const TensorView& in = Input(ctx, 0);
  const TensorView& w = Input(ctx, 1);
  KCheck(ctx, in.rank() == 4 && w.rank() == 4 && w.dim(0) == 1, "input and filter must be 4-D ",
         "(filter 1HWC), got ", ShapeToString(in.shape), " and ", ShapeToString(w.shape));
  KCheck(ctx, in.dim(3) > 0 && w.dim(3) % in.dim(3) == 0, "filter channels ", w.dim(3),
         " are not a multiple of input channels ", in.dim(3));
  CheckConvOutput(ctx, in, w.dim(1), w.dim(2), w.dim(3));
}

void CheckConvOutput(const KernelContext& ctx, const TensorView& in, int32_t f_h, int32_t f_w, int32_t out_c) {
  const OpOptions& o = ctx.op->options;
  KCheck(ctx, o.stride_h > 0 && o.stride_w > 0 && o.dilation_h > 0 && o.dilation_w > 0,
         "strides and dilations must be positive");
  if (HasInput(ctx, 2))
    KCheck(ctx, Input(ctx, 2).num_elements() == out_c, "bias has ", Input(ctx, 2).num_elements(),
           " elements, expected ", out_c);
  CheckActivation(ctx, o.activation);
  const int32_t oh = ConvOutputSize(o.padding, in.dim(1), f_h, o.stride_h, o.dilation_h);
  const int32_t ow = ConvOutputSize(o.padding, in.dim(2), f_w, o.stride_w, o.dilation_w);
  CheckOutputShape(ctx, 0, {in.dim(0), oh, ow, out_c});
  const int64_t padded_h = in.dim(1) + ConvTotalPadding(o.stride_h, o.dilation_h, in.dim(1), f_h, oh);
  const int64_t padded_w = in.dim(2) + ConvTotalPadding(o.stride_w, o.dilation_w, in.dim(2), f_w, ow);
  KCheck(ctx, PaddedConvImageFits(padded_h, padded_w, in.dim(3)), "a ", f_h, "x", f_w,
         " filter with dilation ", o.dilation_h, "x", o.dilation_w, " pads the ", in.dim(1), "x",
         in.dim(2), "x", in.dim(3), " input to ", padded_h, "x", padded_w,
         ", more than 2^31 values per image");
}

void CheckTransposeConv(const KernelContext& ctx) {
    const OpOptions& o = ctx.op->options;
    const TensorView& w = Input(ctx, 1);
    const TensorView& in = Input(ctx, 2);
    const TensorView& out = Output(ctx, 0);
    KCheck(ctx, in.rank() == 4 && w.rank() == 4 && out.rank() == 4, "input, filter and output ",
           "must be 4-D, got ", ShapeToString(in.shape), ", ", ShapeToString(w.shape), ", ",
           ShapeToString(out.shape));
    KCheck(ctx, in.dim(3) == w.dim(3) && out.dim(3) == w.dim(0) && out.dim(0) == in.dim(0),
           "filter ", ShapeToString(w.shape), " does not fit input ", ShapeToString(in.shape),
           " and output ", ShapeToString(out.shape));
    KCheck(ctx, o.stride_h > 0 && o.stride_w > 0, "strides must be positive");
    KCheck(ctx,
           ConvOutputSize(o.padding, out.dim(1), w.dim(1), o.stride_h, 1) == in.dim(1) &&
               ConvOutputSize(o.padding, out.dim(2), w.dim(2), o.stride_w, 1) == in.dim(2),
           "output ", ShapeToString(out.shape), " does not match input ", ShapeToString(in.shape));
    if (HasInput(ctx, 3))
      KCheck(ctx, Input(ctx, 3).num_elements() == w.dim(0), "bias has ",
             Input(ctx, 3).num_elements(), " elements, expected ", w.dim(0));
    CheckActivation(ctx, o.activation);
}

}  // namespace cae::ref
