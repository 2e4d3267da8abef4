// Convolutions and Dense: Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, Dense.
#include "graph/shape.h"
#include "keras/keras_lowering.h"

namespace cae::keras_lowering {
namespace {

struct Conv2DParams {
  int32_t kh, kw, sh, sw, dh, dw;
  Padding padding;
};

void CheckChannelsLast(const LayerContext& ctx) {
  const std::string df = ctx.String("data_format", "channels_last");
  ctx.Check(df == "channels_last", "data_format '", df, "' is not supported (only channels_last)");
}

const Value& SingleInput4D(const LayerContext& ctx, const std::vector<Value>& in) {
  ctx.Check(in.size() == 1, "expected one input, got ", in.size());
  ctx.Check(in[0].shape.size() == 4, "expected a 4-D NHWC input, got ", ShapeToString(in[0].shape));
  return in[0];
}

Conv2DParams ReadConvParams(const LayerContext& ctx) {
  CheckChannelsLast(ctx);
  const auto k = ctx.IntTuple("kernel_size", 2, {});
  ctx.Check(k.size() == 2, "missing kernel_size");
  const auto s = ctx.IntTuple("strides", 2, {1, 1});
  const auto d = ctx.IntTuple("dilation_rate", 2, {1, 1});
  const std::string pad = ctx.String("padding", "valid");
  ctx.Check(pad == "same" || pad == "valid", "padding '", pad, "' is not supported");
  return Conv2DParams{
      k[0], k[1], s[0], s[1], d[0], d[1], pad == "same" ? Padding::kSame : Padding::kValid};
}

// Output length of a convolution or pooling window (TF semantics).
int32_t ConvOut(const LayerContext& ctx, int32_t in, int32_t k, int32_t s, int32_t d, Padding p) {
  const int64_t eff = (int64_t{k} - 1) * d + 1;
  const int64_t out = p == Padding::kSame ? (int64_t{in} + s - 1) / s : (in - eff) / s + 1;
  if (out <= 0 || (p == Padding::kValid && in < eff)) {
    ctx.Fail("input size ", in, " is smaller than the window ", eff);
  }
  return static_cast<int32_t>(out);
}

OpOptions ConvOptions(const Conv2DParams& p) {
  OpOptions o;
  o.padding = p.padding;
  o.stride_h = p.sh;
  o.stride_w = p.sw;
  o.dilation_h = p.dh;
  o.dilation_w = p.dw;
  return o;
}

std::vector<float> BiasOrZeros(const LayerContext& ctx, int32_t n, const char* name = "bias") {
  if (ctx.Bool("use_bias", true)) return ctx.Weight(name, {n}).values;
  return std::vector<float>(static_cast<size_t>(n), 0.0f);
}

// Fuses relu/relu6 into the op's options; other activations follow as separate ops.
Value FinishWithActivation(LayerContext& ctx, OpType type, std::vector<int> inputs,
                           OpOptions options, std::vector<int32_t> shape, const std::string& what,
                           bool fuse) {
  const std::string act = ctx.ActivationName();
  Activation fused = Activation::kNone;
  const bool fusable = fuse && FusableActivation(act, &fused);
  if (fusable) options.activation = fused;
  Value y = ctx.AddOp(type, std::move(inputs), options, std::move(shape), what);
  return fusable ? y : ApplyActivation(ctx, y, act);
}

}  // namespace

std::vector<Value> LowerConv2D(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = SingleInput4D(ctx, in);
  const Conv2DParams p = ReadConvParams(ctx);
  ctx.Check(ctx.Int("groups", 1) == 1, "groups=", ctx.Int("groups", 1), " is not supported");
  const int32_t c = x.shape[3];
  const int32_t f = ctx.Int("filters", 0);
  ctx.Check(f > 0, "filters must be positive");
  const KerasWeight& k = ctx.Weight("kernel", {p.kh, p.kw, c, f});
  // HWIO -> OHWI.
  std::vector<float> ohwi(k.values.size());
  for (int32_t y = 0; y < p.kh; ++y)
    for (int32_t xx = 0; xx < p.kw; ++xx)
      for (int32_t i = 0; i < c; ++i)
        for (int32_t o = 0; o < f; ++o)
          ohwi[((static_cast<size_t>(o) * p.kh + y) * p.kw + xx) * c + i] =
              k.values[((static_cast<size_t>(y) * p.kw + xx) * c + i) * f + o];
  const int w = ctx.AddConstFloat("kernel", {f, p.kh, p.kw, c}, ohwi);
  const int b = ctx.AddConstFloat("bias", {f}, BiasOrZeros(ctx, f));
  std::vector<int32_t> out = {x.shape[0], ConvOut(ctx, x.shape[1], p.kh, p.sh, p.dh, p.padding),
                              ConvOut(ctx, x.shape[2], p.kw, p.sw, p.dw, p.padding), f};
  return {FinishWithActivation(ctx, OpType::CONV_2D, {x.tensor, w, b}, ConvOptions(p), out,
                               "Conv2D", true)};
}

std::vector<Value> LowerConv2DTranspose(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = SingleInput4D(ctx, in);
  const Conv2DParams p = ReadConvParams(ctx);
  ctx.Check(p.dh == 1 && p.dw == 1,
            "dilation_rate other than 1 is not supported for "
            "Conv2DTranspose");
  ctx.Check(ctx.Int("groups", 1) == 1, "groups=", ctx.Int("groups", 1), " is not supported");
  const int32_t c = x.shape[3];
  const int32_t f = ctx.Int("filters", 0);
  ctx.Check(f > 0, "filters must be positive");
  std::vector<int32_t> op_pad;
  if (ctx.Has("output_padding")) op_pad = ctx.IntTuple("output_padding", 2, {}, 0);
  // Keras deconv_output_length.
  auto out_len = [&](int64_t len, int64_t k, int64_t s, int axis) -> int32_t {
    if (op_pad.empty()) {
      return ctx.Dim(p.padding == Padding::kSame ? len * s : len * s + std::max<int64_t>(k - s, 0),
                     "output size");
    }
    ctx.Check(op_pad[axis] < s, "output_padding must be smaller than the stride");
    const int64_t pad = p.padding == Padding::kSame ? k / 2 : 0;
    return ctx.Dim((len - 1) * s + k - 2 * pad + op_pad[axis], "output size");
  };
  const int32_t oh = out_len(x.shape[1], p.kh, p.sh, 0);
  const int32_t ow = out_len(x.shape[2], p.kw, p.sw, 1);
  // Keras kernel (kh, kw, out, in) -> OHWI (out, kh, kw, in).
  const KerasWeight& k = ctx.Weight("kernel", {p.kh, p.kw, f, c});
  std::vector<float> ohwi(k.values.size());
  for (int32_t y = 0; y < p.kh; ++y)
    for (int32_t xx = 0; xx < p.kw; ++xx)
      for (int32_t o = 0; o < f; ++o)
        for (int32_t i = 0; i < c; ++i)
          ohwi[((static_cast<size_t>(o) * p.kh + y) * p.kw + xx) * c + i] =
              k.values[((static_cast<size_t>(y) * p.kw + xx) * f + o) * c + i];
  std::vector<int32_t> out = {x.shape[0], oh, ow, f};
  const int shape_t = ctx.AddConstInt32("output_shape", {4}, out);
  const int w = ctx.AddConstFloat("kernel", {f, p.kh, p.kw, c}, ohwi);
  const int b = ctx.AddConstFloat("bias", {f}, BiasOrZeros(ctx, f));
  OpOptions o = ConvOptions(p);
  // TFLite's TRANSPOSE_CONV carries no fused activation in the versions we target.
  Value y =
      ctx.AddOp(OpType::TRANSPOSE_CONV, {shape_t, w, x.tensor, b}, o, out, "conv2d_transpose");
  return {ApplyActivation(ctx, y, ctx.ActivationName())};
}

std::vector<Value> LowerDepthwiseConv2D(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = SingleInput4D(ctx, in);
  const Conv2DParams p = ReadConvParams(ctx);
  const int32_t c = x.shape[3];
  const int32_t m = ctx.Int("depth_multiplier", 1);
  ctx.Check(m > 0, "depth_multiplier must be positive");
  ctx.Dim(int64_t{c} * m, "output channels");
  // (kh, kw, in, m) has the same row-major order as [1, kh, kw, in*m].
  const KerasWeight& k = ctx.Weight("depthwise_kernel", {p.kh, p.kw, c, m});
  const int w = ctx.AddConstFloat("depthwise_kernel", {1, p.kh, p.kw, c * m}, k.values);
  const int b = ctx.AddConstFloat("bias", {c * m}, BiasOrZeros(ctx, c * m));
  OpOptions o = ConvOptions(p);
  o.depth_multiplier = m;
  std::vector<int32_t> out = {x.shape[0], ConvOut(ctx, x.shape[1], p.kh, p.sh, p.dh, p.padding),
                              ConvOut(ctx, x.shape[2], p.kw, p.sw, p.dw, p.padding), c * m};
  return {FinishWithActivation(ctx, OpType::DEPTHWISE_CONV_2D, {x.tensor, w, b}, o, out,
                               "depthwise", true)};
}

std::vector<Value> LowerSeparableConv2D(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = SingleInput4D(ctx, in);
  const Conv2DParams p = ReadConvParams(ctx);
  const int32_t c = x.shape[3];
  const int32_t m = ctx.Int("depth_multiplier", 1);
  const int32_t f = ctx.Int("filters", 0);
  ctx.Check(m > 0 && f > 0, "depth_multiplier and filters must be positive");
  ctx.Dim(int64_t{c} * m, "depthwise channels");
  const KerasWeight& dk = ctx.Weight("depthwise_kernel", {p.kh, p.kw, c, m});
  const KerasWeight& pk = ctx.Weight("pointwise_kernel", {1, 1, c * m, f});
  const int dw = ctx.AddConstFloat("depthwise_kernel", {1, p.kh, p.kw, c * m}, dk.values);
  const int db = ctx.AddConstFloat("depthwise_bias", {c * m},
                                   std::vector<float>(static_cast<size_t>(c) * m, 0.0f));
  OpOptions o = ConvOptions(p);
  o.depth_multiplier = m;
  std::vector<int32_t> mid = {x.shape[0], ConvOut(ctx, x.shape[1], p.kh, p.sh, p.dh, p.padding),
                              ConvOut(ctx, x.shape[2], p.kw, p.sw, p.dw, p.padding), c * m};
  Value d = ctx.AddOp(OpType::DEPTHWISE_CONV_2D, {x.tensor, dw, db}, o, mid, "depthwise");
  // pointwise (1, 1, in, out) -> OHWI (out, 1, 1, in).
  std::vector<float> ohwi(pk.values.size());
  const int32_t cm = c * m;
  for (int32_t i = 0; i < cm; ++i)
    for (int32_t oo = 0; oo < f; ++oo)
      ohwi[static_cast<size_t>(oo) * cm + i] = pk.values[static_cast<size_t>(i) * f + oo];
  const int pw = ctx.AddConstFloat("pointwise_kernel", {f, 1, 1, cm}, ohwi);
  const int pb = ctx.AddConstFloat("bias", {f}, BiasOrZeros(ctx, f));
  OpOptions po;
  po.padding = Padding::kValid;
  std::vector<int32_t> out = {mid[0], mid[1], mid[2], f};
  return {
      FinishWithActivation(ctx, OpType::CONV_2D, {d.tensor, pw, pb}, po, out, "pointwise", true)};
}

std::vector<Value> LowerDense(LayerContext& ctx, const std::vector<Value>& in) {
  ctx.Check(in.size() == 1, "expected one input, got ", in.size());
  const Value& x = in[0];
  ctx.Check(x.shape.size() >= 2, "expected an input of rank >= 2, got ", ShapeToString(x.shape));
  const int32_t n_in = x.shape.back();
  const int32_t units = ctx.Int("units", 0);
  ctx.Check(units > 0, "units must be positive");
  const KerasWeight& k = ctx.Weight("kernel", {n_in, units});
  std::vector<float> t(k.values.size());
  for (int32_t i = 0; i < n_in; ++i)
    for (int32_t o = 0; o < units; ++o)
      t[static_cast<size_t>(o) * n_in + i] = k.values[static_cast<size_t>(i) * units + o];
  const int w = ctx.AddConstFloat("kernel", {units, n_in}, t);
  const int b = ctx.AddConstFloat("bias", {units}, BiasOrZeros(ctx, units));
  OpOptions o;
  o.keep_num_dims = x.shape.size() > 2;
  std::vector<int32_t> out = x.shape;
  out.back() = units;
  return {
      FinishWithActivation(ctx, OpType::FULLY_CONNECTED, {x.tensor, w, b}, o, out, "MatMul", true)};
}

}  // namespace cae::keras_lowering
