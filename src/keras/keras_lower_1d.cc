// 1-D layers (Conv1D, MaxPooling1D, AveragePooling1D, UpSampling1D, GlobalAveragePooling1D,
// GlobalMaxPooling1D) over [N, L, C] tensors, lowered as the TFLite converter does: RESHAPE to
// [N, 1, L, C], the 2-D op along the width, RESHAPE back to [N, L', C'].
#include "graph/shape.h"
#include "keras/keras_lowering.h"

namespace cae::keras_lowering {
namespace {

const Value& OneInput3D(const LayerContext& ctx, const std::vector<Value>& in) {
  ctx.Check(in.size() == 1, "expected one input, got ", in.size());
  ctx.Check(in[0].shape.size() == 3, "expected a 3-D [N, steps, channels] input, got ",
            ShapeToString(in[0].shape));
  const std::string df = ctx.String("data_format", "channels_last");
  ctx.Check(df == "channels_last", "data_format '", df, "' is not supported (only channels_last)");
  return in[0];
}

Value Reshape(LayerContext& ctx, const Value& x, std::vector<int32_t> shape,
              const std::string& what) {
  OpOptions o;
  o.new_shape = shape;
  o.new_shape[0] = -1;
  const int t =
      ctx.AddConstInt32(what + "/shape", {static_cast<int32_t>(shape.size())}, o.new_shape);
  return ctx.AddOp(OpType::RESHAPE, {x.tensor, t}, o, std::move(shape), what);
}

Value To4D(LayerContext& ctx, const Value& x) {
  return Reshape(ctx, x, {x.shape[0], 1, x.shape[1], x.shape[2]}, "expand");
}

Value To3D(LayerContext& ctx, const Value& x) {
  return Reshape(ctx, x, {x.shape[0], x.shape[2], x.shape[3]}, "squeeze");
}

int32_t Single(const LayerContext& ctx, const char* key, int32_t fallback) {
  return ctx.IntTuple(key, 1, {fallback})[0];
}

Value Pool1D(LayerContext& ctx, const std::vector<Value>& in, OpType type, const char* what) {
  const Value& x = OneInput3D(ctx, in);
  const int32_t p = Single(ctx, "pool_size", 2);
  const int32_t s = Single(ctx, "strides", p);
  const std::string pad = ctx.String("padding", "valid");
  ctx.Check(pad == "same" || pad == "valid", "padding '", pad, "' is not supported");
  OpOptions o;
  o.padding = pad == "same" ? Padding::kSame : Padding::kValid;
  o.filter_w = p;
  o.stride_w = s;
  int32_t len;
  if (o.padding == Padding::kSame) {
    len = (x.shape[1] + s - 1) / s;
  } else {
    ctx.Check(x.shape[1] >= p, "input length ", x.shape[1], " is smaller than the pool size ", p);
    len = (x.shape[1] - p) / s + 1;
  }
  Value x4 = To4D(ctx, x);
  Value y = ctx.AddOp(type, {x4.tensor}, o, {x.shape[0], 1, len, x.shape[2]}, what);
  return To3D(ctx, y);
}

Value GlobalPool1D(LayerContext& ctx, const std::vector<Value>& in, OpType type, const char* what) {
  const Value& x = OneInput3D(ctx, in);
  const bool keep = ctx.Bool("keepdims", false);
  const int axes = ctx.AddConstInt32(std::string(what) + "/axes", {1}, {1});
  OpOptions o;
  o.keep_dims = keep;
  std::vector<int32_t> out = keep ? std::vector<int32_t>{x.shape[0], 1, x.shape[2]}
                                  : std::vector<int32_t>{x.shape[0], x.shape[2]};
  return ctx.AddOp(type, {x.tensor, axes}, o, out, what);
}

}  // namespace

std::vector<Value> LowerConv1D(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = OneInput3D(ctx, in);
  ctx.Check(ctx.Int("groups", 1) == 1, "groups=", ctx.Int("groups", 1), " is not supported");
  const int32_t k = Single(ctx, "kernel_size", 1);
  const int32_t s = Single(ctx, "strides", 1);
  const int32_t d = Single(ctx, "dilation_rate", 1);
  const std::string pad = ctx.String("padding", "valid");
  ctx.Check(pad == "same" || pad == "valid" || pad == "causal", "padding '", pad,
            "' is not supported");
  const int32_t c = x.shape[2];
  const int32_t f = ctx.Int("filters", 0);
  ctx.Check(f > 0, "filters must be positive");
  const KerasWeight& kw = ctx.Weight("kernel", {k, c, f});
  // (k, in, out) -> OHWI (out, 1, k, in).
  std::vector<float> ohwi(kw.values.size());
  for (int32_t t = 0; t < k; ++t)
    for (int32_t i = 0; i < c; ++i)
      for (int32_t o = 0; o < f; ++o)
        ohwi[(static_cast<size_t>(o) * k + t) * c + i] =
            kw.values[(static_cast<size_t>(t) * c + i) * f + o];
  const int w = ctx.AddConstFloat("kernel", {f, 1, k, c}, ohwi);
  std::vector<float> bias(static_cast<size_t>(f), 0.0f);
  if (ctx.Bool("use_bias", true)) bias = ctx.Weight("bias", {f}).values;
  const int b = ctx.AddConstFloat("bias", {f}, bias);
  Value x4 = To4D(ctx, x);
  int64_t len = x.shape[1];
  const int64_t eff = (int64_t{k} - 1) * d + 1;
  OpOptions o;
  o.stride_w = s;
  o.dilation_w = d;
  o.padding = pad == "same" ? Padding::kSame : Padding::kValid;
  if (pad == "causal") {
    // Left padding of (k - 1) * d steps, then a valid convolution.
    ctx.Check(eff - 1 < (int64_t{1} << 24), "causal padding too large");
    const int32_t left = static_cast<int32_t>(eff - 1);
    const int pads = ctx.AddConstInt32("paddings", {4, 2}, {0, 0, 0, 0, left, 0, 0, 0});
    len += left;
    x4 = ctx.AddOp(OpType::PAD, {x4.tensor, pads}, OpOptions{},
                   {x.shape[0], 1, ctx.Dim(len, "padded length"), c}, "causal_pad");
  }
  int64_t out_len;
  if (o.padding == Padding::kSame) {
    out_len = (len + s - 1) / s;
  } else {
    ctx.Check(len >= eff, "input length ", len, " is smaller than the window ", eff);
    out_len = (len - eff) / s + 1;
  }
  const std::string act = ctx.ActivationName();
  Activation fused = Activation::kNone;
  const bool fusable = FusableActivation(act, &fused);
  if (fusable) o.activation = fused;
  Value y = ctx.AddOp(OpType::CONV_2D, {x4.tensor, w, b}, o,
                      {x.shape[0], 1, ctx.Dim(out_len, "output length"), f}, "conv1d");
  Value y3 = To3D(ctx, y);
  return {fusable ? y3 : ApplyActivation(ctx, y3, act)};
}

std::vector<Value> LowerMaxPooling1D(LayerContext& ctx, const std::vector<Value>& in) {
  return {Pool1D(ctx, in, OpType::MAX_POOL_2D, "MaxPool")};
}

std::vector<Value> LowerAveragePooling1D(LayerContext& ctx, const std::vector<Value>& in) {
  return {Pool1D(ctx, in, OpType::AVERAGE_POOL_2D, "AvgPool")};
}

std::vector<Value> LowerGlobalAveragePooling1D(LayerContext& ctx, const std::vector<Value>& in) {
  return {GlobalPool1D(ctx, in, OpType::MEAN, "Mean")};
}

std::vector<Value> LowerGlobalMaxPooling1D(LayerContext& ctx, const std::vector<Value>& in) {
  return {GlobalPool1D(ctx, in, OpType::REDUCE_MAX, "Max")};
}

std::vector<Value> LowerUpSampling1D(LayerContext& ctx, const std::vector<Value>& in) {
  // Keras repeats every step `size` times: nearest-neighbour resizing by an integer factor.
  const Value& x = OneInput3D(ctx, in);
  const int32_t s = ctx.Int("size", 2);
  ctx.Check(s >= 1, "size must be positive");
  const int32_t len = ctx.Dim(int64_t{x.shape[1]} * s, "output length");
  Value x4 = To4D(ctx, x);
  const int size = ctx.AddConstInt32("size", {2}, {1, len});
  OpOptions o;
  o.half_pixel_centers = true;
  Value y = ctx.AddOp(OpType::RESIZE_NEAREST_NEIGHBOR, {x4.tensor, size}, o,
                      {x.shape[0], 1, len, x.shape[2]}, "ResizeNearestNeighbor");
  return {To3D(ctx, y)};
}

}  // namespace cae::keras_lowering
