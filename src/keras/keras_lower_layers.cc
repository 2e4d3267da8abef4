// Pooling, resizing, padding, cropping, reshaping, merging, BatchNormalization and the layers
// that are the identity at inference.
#include <array>
#include <cmath>
#include <cstdio>

#include "graph/shape.h"
#include "keras/keras_config.h"
#include "keras/keras_lowering.h"

namespace cae::keras_lowering {
namespace {

const Value& OneInput(const LayerContext& ctx, const std::vector<Value>& in) {
  ctx.Check(in.size() == 1, "expected one input, got ", in.size());
  return in[0];
}

const Value& OneInput4D(const LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = OneInput(ctx, in);
  ctx.Check(x.shape.size() == 4, "expected a 4-D NHWC input, got ", ShapeToString(x.shape));
  const std::string df = ctx.String("data_format", "channels_last");
  ctx.Check(df == "channels_last", "data_format '", df, "' is not supported (only channels_last)");
  return x;
}

Value Pool(LayerContext& ctx, const std::vector<Value>& in, OpType type, const char* what) {
  const Value& x = OneInput4D(ctx, in);
  const auto k = ctx.IntTuple("pool_size", 2, {2, 2});
  const auto s = ctx.IntTuple("strides", 2, k);
  const std::string pad = ctx.String("padding", "valid");
  ctx.Check(pad == "same" || pad == "valid", "padding '", pad, "' is not supported");
  OpOptions o;
  o.padding = pad == "same" ? Padding::kSame : Padding::kValid;
  o.filter_h = k[0];
  o.filter_w = k[1];
  o.stride_h = s[0];
  o.stride_w = s[1];
  auto out_len = [&](int32_t n, int32_t kk, int32_t ss) {
    if (o.padding == Padding::kSame) return (n + ss - 1) / ss;
    ctx.Check(n >= kk, "input size ", n, " is smaller than the pool size ", kk);
    return (n - kk) / ss + 1;
  };
  std::vector<int32_t> out = {x.shape[0], out_len(x.shape[1], k[0], s[0]),
                              out_len(x.shape[2], k[1], s[1]), x.shape[3]};
  return ctx.AddOp(type, {x.tensor}, o, out, what);
}

Value GlobalPool(LayerContext& ctx, const std::vector<Value>& in, OpType type, const char* what) {
  const Value& x = OneInput4D(ctx, in);
  const bool keep = ctx.Bool("keepdims", false);
  const int axes = ctx.AddConstInt32(std::string(what) + "/axes", {2}, {1, 2});
  OpOptions o;
  o.keep_dims = keep;
  std::vector<int32_t> out = keep ? std::vector<int32_t>{x.shape[0], 1, 1, x.shape[3]}
                                  : std::vector<int32_t>{x.shape[0], x.shape[3]};
  return ctx.AddOp(type, {x.tensor, axes}, o, out, what);
}

// ((top, bottom), (left, right)) from an int, a pair of ints (symmetric) or a pair of pairs.
std::array<int32_t, 4> PadPairs(const LayerContext& ctx, const char* key, int32_t fallback) {
  return KerasPadPairs(ctx.layer().config, key, fallback, ctx.Where());
}

// Merges inputs pairwise with op: ((a op b) op c) ...
Value MergeChain(LayerContext& ctx, const std::vector<Value>& in, OpType op, const char* what,
                 size_t min_inputs, size_t max_inputs) {
  ctx.Check(in.size() >= min_inputs && in.size() <= max_inputs, "expected ",
            min_inputs == max_inputs ? StrCat(min_inputs) : StrCat("at least ", min_inputs),
            " inputs, got ", in.size());
  Value acc = in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    acc = ctx.AddBinary(op, acc, in[i], in.size() > 2 ? StrCat(what, "_", i) : std::string(what));
  }
  return acc;
}

}  // namespace

std::vector<Value> LowerMaxPooling2D(LayerContext& ctx, const std::vector<Value>& in) {
  return {Pool(ctx, in, OpType::MAX_POOL_2D, "MaxPool")};
}

std::vector<Value> LowerAveragePooling2D(LayerContext& ctx, const std::vector<Value>& in) {
  return {Pool(ctx, in, OpType::AVERAGE_POOL_2D, "AvgPool")};
}

std::vector<Value> LowerGlobalAveragePooling2D(LayerContext& ctx, const std::vector<Value>& in) {
  return {GlobalPool(ctx, in, OpType::MEAN, "Mean")};
}

std::vector<Value> LowerGlobalMaxPooling2D(LayerContext& ctx, const std::vector<Value>& in) {
  return {GlobalPool(ctx, in, OpType::REDUCE_MAX, "Max")};
}

std::vector<Value> LowerUpSampling2D(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = OneInput4D(ctx, in);
  const auto size = ctx.IntTuple("size", 2, {2, 2});
  const std::string interp = ctx.String("interpolation", "nearest");
  const int32_t oh = ctx.Dim(int64_t{x.shape[1]} * size[0], "output height");
  const int32_t ow = ctx.Dim(int64_t{x.shape[2]} * size[1], "output width");
  const int size_t_ = ctx.AddConstInt32("size", {2}, {oh, ow});
  OpOptions o;
  o.align_corners = false;
  o.half_pixel_centers = true;
  std::vector<int32_t> out = {x.shape[0], oh, ow, x.shape[3]};
  if (interp == "nearest") {
    return {ctx.AddOp(OpType::RESIZE_NEAREST_NEIGHBOR, {x.tensor, size_t_}, o, out,
                      "ResizeNearestNeighbor")};
  }
  if (interp == "bilinear") {
    // tf.keras since TF 2.0 and Keras 3 resize with tf.image.resize (half-pixel centers);
    // standalone Keras before 2.4 called TF1's resize_bilinear (corner-aligned grid offsets,
    // half_pixel_centers=false, align_corners=false).
    o.half_pixel_centers = !StandaloneKerasBefore24(ctx.model().keras_version);
    return {ctx.AddOp(OpType::RESIZE_BILINEAR, {x.tensor, size_t_}, o, out, "ResizeBilinear")};
  }
  ctx.Fail("interpolation '", interp, "' is not supported (nearest, bilinear)");
}

std::vector<Value> LowerZeroPadding2D(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = OneInput4D(ctx, in);
  const auto p = PadPairs(ctx, "padding", 1);
  const int pads = ctx.AddConstInt32("paddings", {4, 2}, {0, 0, p[0], p[1], p[2], p[3], 0, 0});
  std::vector<int32_t> out = {
      x.shape[0], ctx.Dim(int64_t{x.shape[1]} + p[0] + p[1], "output height"),
      ctx.Dim(int64_t{x.shape[2]} + p[2] + p[3], "output width"), x.shape[3]};
  return {ctx.AddOp(OpType::PAD, {x.tensor, pads}, OpOptions{}, out, "Pad")};
}

std::vector<Value> LowerCropping2D(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = OneInput4D(ctx, in);
  const auto c = PadPairs(ctx, "cropping", 0);
  const int32_t h = x.shape[1] - c[0] - c[1];
  const int32_t w = x.shape[2] - c[2] - c[3];
  ctx.Check(h > 0 && w > 0, "cropping removes the whole input ", ShapeToString(x.shape));
  const int begin = ctx.AddConstInt32("begin", {4}, {0, c[0], c[2], 0});
  // -1 keeps every batch element whatever the batch size.
  const int size = ctx.AddConstInt32("size", {4}, {-1, h, w, x.shape[3]});
  return {ctx.AddOp(OpType::SLICE, {x.tensor, begin, size}, OpOptions{},
                    {x.shape[0], h, w, x.shape[3]}, "Slice")};
}

std::vector<Value> LowerFlatten(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = OneInput(ctx, in);
  const std::string df = ctx.String("data_format", "channels_last");
  ctx.Check(df == "channels_last" || x.shape.size() <= 2, "data_format '", df,
            "' is not supported");
  const int64_t n = NumElements(x.shape) / x.shape[0];
  ctx.Check(n <= (int64_t{1} << 31) - 1, "flattened size too large");
  OpOptions o;
  o.new_shape = {-1, static_cast<int32_t>(n)};
  const int shape = ctx.AddConstInt32("shape", {2}, o.new_shape);
  return {ctx.AddOp(OpType::RESHAPE, {x.tensor, shape}, o, {x.shape[0], static_cast<int32_t>(n)},
                    "Reshape")};
}

std::vector<Value> LowerReshape(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = OneInput(ctx, in);
  ctx.Check(ctx.Has("target_shape") && ctx.layer().config["target_shape"].is_array(),
            "missing target_shape");
  const auto& ts = ctx.layer().config["target_shape"];
  const int64_t n = NumElements(x.shape) / x.shape[0];
  std::vector<int32_t> target;
  int unknown = -1;
  int64_t known = 1;
  for (const auto& e : ts) {
    ctx.Check(e.is_number_integer() || e.is_null(), "target_shape must hold integers");
    const int64_t d = e.is_null() ? -1 : e.get<int64_t>();
    ctx.Check(d == -1 || (d > 0 && d <= (1 << 30)), "bad target_shape entry ", d);
    if (d == -1) {
      ctx.Check(unknown < 0, "target_shape has more than one -1");
      unknown = static_cast<int>(target.size());
      target.push_back(-1);
    } else {
      known *= d;
      ctx.Check(known <= (int64_t{1} << 40), "target_shape too large");
      target.push_back(static_cast<int32_t>(d));
    }
  }
  if (unknown >= 0) {
    ctx.Check(known > 0 && n % known == 0, "cannot reshape ", n, " elements to ", ts.dump());
    target[static_cast<size_t>(unknown)] = static_cast<int32_t>(n / known);
    known = n;
  }
  ctx.Check(known == n, "cannot reshape ", ShapeToString(x.shape), " to target_shape ", ts.dump());
  OpOptions o;
  o.new_shape = {-1};
  o.new_shape.insert(o.new_shape.end(), target.begin(), target.end());
  const int shape =
      ctx.AddConstInt32("shape", {static_cast<int32_t>(o.new_shape.size())}, o.new_shape);
  std::vector<int32_t> out = {x.shape[0]};
  out.insert(out.end(), target.begin(), target.end());
  return {ctx.AddOp(OpType::RESHAPE, {x.tensor, shape}, o, out, "Reshape")};
}

std::vector<Value> LowerConcatenate(LayerContext& ctx, const std::vector<Value>& in) {
  ctx.Check(!in.empty(), "no inputs");
  const int32_t rank = static_cast<int32_t>(in[0].shape.size());
  int32_t axis = ctx.Int("axis", -1);
  if (axis < 0) axis += rank;
  ctx.Check(axis >= 0 && axis < rank, "axis ", ctx.Int("axis", -1), " out of range for rank ",
            rank);
  std::vector<int32_t> out = in[0].shape;
  std::vector<int> inputs;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto& s = in[i].shape;
    ctx.Check(static_cast<int32_t>(s.size()) == rank, "inputs have different ranks");
    for (int32_t d = 0; d < rank; ++d) {
      if (d != axis && s[d] != out[d]) {
        ctx.Fail("input shapes ", ShapeToString(in[0].shape), " and ", ShapeToString(s),
                 " differ outside axis ", axis);
      }
    }
    if (i > 0) out[axis] = ctx.Dim(int64_t{out[axis]} + s[axis], "concatenated size");
    inputs.push_back(in[i].tensor);
  }
  if (in.size() == 1) return {in[0]};
  OpOptions o;
  o.axis = axis;
  return {ctx.AddOp(OpType::CONCATENATION, inputs, o, out, "concat")};
}

std::vector<Value> LowerAdd(LayerContext& ctx, const std::vector<Value>& in) {
  return {MergeChain(ctx, in, OpType::ADD, "add", 1, 1 << 16)};
}

std::vector<Value> LowerSubtract(LayerContext& ctx, const std::vector<Value>& in) {
  return {MergeChain(ctx, in, OpType::SUB, "sub", 2, 2)};
}

std::vector<Value> LowerMultiply(LayerContext& ctx, const std::vector<Value>& in) {
  return {MergeChain(ctx, in, OpType::MUL, "mul", 1, 1 << 16)};
}

std::vector<Value> LowerMaximum(LayerContext& ctx, const std::vector<Value>& in) {
  return {MergeChain(ctx, in, OpType::MAXIMUM, "maximum", 1, 1 << 16)};
}

std::vector<Value> LowerMinimum(LayerContext& ctx, const std::vector<Value>& in) {
  return {MergeChain(ctx, in, OpType::MINIMUM, "minimum", 1, 1 << 16)};
}

std::vector<Value> LowerAverage(LayerContext& ctx, const std::vector<Value>& in) {
  Value sum = MergeChain(ctx, in, OpType::ADD, "add", 1, 1 << 16);
  if (in.size() == 1) return {sum};
  return {ctx.AddScalarOp(OpType::MUL, sum, 1.0f / static_cast<float>(in.size()), "average")};
}

std::vector<Value> LowerBatchNormalization(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = OneInput(ctx, in);
  const int32_t rank = static_cast<int32_t>(x.shape.size());
  int32_t axis = -1;
  const auto& cfg = ctx.layer().config;
  if (ctx.Has("axis") && cfg["axis"].is_array()) {
    ctx.Check(cfg["axis"].size() == 1 && cfg["axis"][0].is_number_integer(),
              "normalization over several axes is not supported");
    axis = cfg["axis"][0].get<int32_t>();
  } else {
    axis = ctx.Int("axis", -1);
  }
  if (axis < 0) axis += rank;
  ctx.Check(axis == rank - 1, "axis ", axis, " is not supported (only the channel axis ", rank - 1,
            ")");
  const int32_t c = x.shape.back();
  const float eps = ctx.Float("epsilon", 1e-3f);
  const bool scale = ctx.Bool("scale", true);
  const bool center = ctx.Bool("center", true);
  const std::vector<float> ones(static_cast<size_t>(c), 1.0f);
  const std::vector<float> zeros(static_cast<size_t>(c), 0.0f);
  const std::vector<float>& gamma = scale ? ctx.Weight("gamma", {c}).values : ones;
  const std::vector<float>& beta = center ? ctx.Weight("beta", {c}).values : zeros;
  const std::vector<float>& mean = ctx.Weight("moving_mean", {c}).values;
  const std::vector<float>& var = ctx.Weight("moving_variance", {c}).values;
  // As TF's inference batch norm: a = gamma * rsqrt(var + eps); y = x * a + (beta - mean * a).
  std::vector<float> a(static_cast<size_t>(c)), b(static_cast<size_t>(c));
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = gamma[i] * (1.0f / std::sqrt(var[i] + eps));
    b[i] = beta[i] - mean[i] * a[i];
  }
  const int at = ctx.AddConstFloat("scale", {c}, a);
  const int bt = ctx.AddConstFloat("offset", {c}, b);
  Value m = ctx.AddOp(OpType::MUL, {x.tensor, at}, OpOptions{}, x.shape, "mul");
  return {ctx.AddOp(OpType::ADD, {m.tensor, bt}, OpOptions{}, x.shape, "add")};
}

std::vector<Value> LowerRescaling(LayerContext& ctx, const std::vector<Value>& in) {
  // y = x * scale + offset (scalar scale and offset).
  const Value& x = OneInput(ctx, in);
  const float scale = ctx.Float("scale", 1.0f);
  const float offset = ctx.Float("offset", 0.0f);
  Value y = scale == 1.0f ? x : ctx.AddScalarOp(OpType::MUL, x, scale, "mul");
  if (offset != 0.0f) y = ctx.AddScalarOp(OpType::ADD, y, offset, "add");
  return {y};
}

std::vector<Value> LowerIdentity(LayerContext& ctx, const std::vector<Value>& in) {
  return {OneInput(ctx, in)};
}

}  // namespace cae::keras_lowering
