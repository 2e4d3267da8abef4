// Activations: activation= strings and the Activation, ReLU, LeakyReLU, PReLU, ELU and Softmax
// layers. Decompositions follow Keras's own formulas so float results match.
#include "graph/shape.h"
#include "keras/keras_lowering.h"

namespace cae::keras_lowering {
namespace {

const Value& OneInput(const LayerContext& ctx, const std::vector<Value>& in) {
  ctx.Check(in.size() == 1, "expected one input, got ", in.size());
  return in[0];
}

// elu with a general alpha: x > 0 ? x : alpha * (exp(x) - 1) = relu(x) + alpha * min(elu(x), 0).
Value EluWithAlpha(LayerContext& ctx, const Value& x, float alpha, const std::string& what) {
  Value e = ctx.AddUnary(OpType::ELU, x, what + "/elu");
  if (alpha == 1.0f) return e;
  Value neg = ctx.AddScalarOp(OpType::MINIMUM, e, 0.0f, what + "/neg_part");
  Value scaled = ctx.AddScalarOp(OpType::MUL, neg, alpha, what + "/alpha_mul");
  Value pos = ctx.AddUnary(OpType::RELU, x, what + "/pos_part");
  return ctx.AddBinary(OpType::ADD, pos, scaled, what);
}

Value Softmax(LayerContext& ctx, const Value& x, int32_t axis, const std::string& what) {
  const int32_t rank = static_cast<int32_t>(x.shape.size());
  if (axis < 0) axis += rank;
  ctx.Check(axis == rank - 1, "softmax over axis ", axis, " of a rank-", rank,
            " tensor is not supported (only the last axis)");
  OpOptions o;
  o.beta = 1.0f;
  return ctx.AddOp(OpType::SOFTMAX, {x.tensor}, o, x.shape, what);
}

// Keras's relu(x, negative_slope, max_value, threshold), as the TF backend computes it.
Value GeneralRelu(LayerContext& ctx, const Value& x, float slope, bool has_max, float max_value,
                  float threshold) {
  if (!has_max && threshold == 0.0f) {
    if (slope == 0.0f) return ctx.AddUnary(OpType::RELU, x, "Relu");
    OpOptions o;
    o.alpha = slope;
    return ctx.AddOp(OpType::LEAKY_RELU, {x.tensor}, o, x.shape, "LeakyRelu");
  }
  if (slope == 0.0f && threshold == 0.0f && has_max && max_value == 6.0f) {
    return ctx.AddUnary(OpType::RELU6, x, "Relu6");
  }
  Value negative_part;
  if (slope != 0.0f) {
    Value nx = ctx.AddUnary(OpType::NEG, x, "neg");
    if (threshold != 0.0f) nx = ctx.AddScalarOp(OpType::ADD, nx, threshold, "neg_plus_threshold");
    negative_part = ctx.AddUnary(OpType::RELU, nx, "negative_part");
  }
  Value y;
  if (threshold != 0.0f) {
    // x * (x > threshold)
    const int thr = ctx.AddConstFloat("threshold", {}, {threshold});
    OpOptions none;
    Value gt = ctx.AddOp(OpType::GREATER, {x.tensor, thr}, none, x.shape, "greater", DType::kBool);
    // GREATER yields bool; CAST it back to float32.
    OpOptions cast;
    cast.in_data_type = DType::kBool;
    cast.out_data_type = DType::kFloat32;
    Value mask = ctx.AddOp(OpType::CAST, {gt.tensor}, cast, x.shape, "mask");
    y = ctx.AddBinary(OpType::MUL, x, mask, "thresholded");
    if (has_max) {
      y = ctx.AddScalarOp(OpType::MAXIMUM, y, 0.0f, "clip_min");
      y = ctx.AddScalarOp(OpType::MINIMUM, y, max_value, "clip_max");
    }
  } else if (has_max && max_value == 6.0f) {
    y = ctx.AddUnary(OpType::RELU6, x, "Relu6");
  } else {
    y = ctx.AddUnary(OpType::RELU, x, "Relu");
    if (has_max) {
      y = ctx.AddScalarOp(OpType::MAXIMUM, y, 0.0f, "clip_min");
      y = ctx.AddScalarOp(OpType::MINIMUM, y, max_value, "clip_max");
    }
  }
  if (slope != 0.0f) {
    Value scaled = ctx.AddScalarOp(OpType::MUL, negative_part, slope, "scaled_negative_part");
    y = ctx.AddBinary(OpType::SUB, y, scaled, "LeakyRelu");
  }
  return y;
}

}  // namespace

bool FusableActivation(const std::string& name, Activation* fused) {
  if (name == "linear" || name.empty()) {
    *fused = Activation::kNone;
    return true;
  }
  if (name == "relu") {
    *fused = Activation::kRelu;
    return true;
  }
  if (name == "relu6") {
    *fused = Activation::kRelu6;
    return true;
  }
  return false;
}

Value ApplyActivation(LayerContext& ctx, const Value& x, const std::string& name) {
  if (name == "linear" || name.empty()) return x;
  if (name == "relu") return ctx.AddUnary(OpType::RELU, x, "Relu");
  if (name == "relu6") return ctx.AddUnary(OpType::RELU6, x, "Relu6");
  if (name == "sigmoid") return ctx.AddUnary(OpType::LOGISTIC, x, "Sigmoid");
  if (name == "tanh") return ctx.AddUnary(OpType::TANH, x, "Tanh");
  if (name == "softmax") return Softmax(ctx, x, -1, "Softmax");
  if (name == "exponential") return ctx.AddUnary(OpType::EXP, x, "Exp");
  if (name == "elu") return ctx.AddUnary(OpType::ELU, x, "Elu");
  if (name == "selu") {
    // scale * elu(x, alpha) = scale * (relu(x) + alpha * min(elu(x), 0)).
    Value e = EluWithAlpha(ctx, x, 1.6732632423543772f, "selu");
    return ctx.AddScalarOp(OpType::MUL, e, 1.0507009873554805f, "Selu");
  }
  if (name == "softplus") {
    // max(x, 0) + log(1 + exp(-|x|)): never overflows.
    Value pos = ctx.AddUnary(OpType::RELU, x, "softplus/relu");
    Value a = ctx.AddUnary(OpType::ABS, x, "softplus/abs");
    Value na = ctx.AddUnary(OpType::NEG, a, "softplus/neg");
    Value e = ctx.AddUnary(OpType::EXP, na, "softplus/exp");
    Value one_plus = ctx.AddScalarOp(OpType::ADD, e, 1.0f, "softplus/one_plus");
    Value l = ctx.AddUnary(OpType::LOG, one_plus, "softplus/log");
    return ctx.AddBinary(OpType::ADD, pos, l, "Softplus");
  }
  if (name == "swish" || name == "silu") {
    Value s = ctx.AddUnary(OpType::LOGISTIC, x, "swish/sigmoid");
    return ctx.AddBinary(OpType::MUL, x, s, "Swish");
  }
  if (name == "gelu") {
    OpOptions o;
    o.approximate = ctx.Bool("approximate", false);
    return ctx.AddOp(OpType::GELU, {x.tensor}, o, x.shape, "Gelu");
  }
  if (name == "hard_sigmoid") {
    if (ctx.keras_major() >= 3) {
      // Keras 3: relu6(x + 3) / 6.
      Value p = ctx.AddScalarOp(OpType::ADD, x, 3.0f, "hard_sigmoid/add");
      Value r = ctx.AddUnary(OpType::RELU6, p, "hard_sigmoid/relu6");
      return ctx.AddScalarOp(OpType::MUL, r, 1.0f / 6.0f, "HardSigmoid");
    }
    // Keras 2: clip(0.2 * x + 0.5, 0, 1).
    Value m = ctx.AddScalarOp(OpType::MUL, x, 0.2f, "hard_sigmoid/mul");
    Value a = ctx.AddScalarOp(OpType::ADD, m, 0.5f, "hard_sigmoid/add");
    Value lo = ctx.AddScalarOp(OpType::MAXIMUM, a, 0.0f, "hard_sigmoid/max");
    return ctx.AddScalarOp(OpType::MINIMUM, lo, 1.0f, "HardSigmoid");
  }
  if (name == "leaky_relu") {
    // Keras 3's activation string: negative_slope 0.2.
    OpOptions o;
    o.alpha = 0.2f;
    return ctx.AddOp(OpType::LEAKY_RELU, {x.tensor}, o, x.shape, "LeakyRelu");
  }
  ctx.Fail("unsupported activation '", name, "'");
}

std::vector<Value> LowerActivation(LayerContext& ctx, const std::vector<Value>& in) {
  return {ApplyActivation(ctx, OneInput(ctx, in), ctx.ActivationName())};
}

std::vector<Value> LowerReLU(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = OneInput(ctx, in);
  const float slope = ctx.Float("negative_slope", 0.0f);
  const bool has_max = ctx.Has("max_value");
  const float max_value = ctx.Float("max_value", 0.0f);
  const float threshold = ctx.Float("threshold", 0.0f);
  ctx.Check(slope >= 0.0f, "negative_slope must be >= 0");
  ctx.Check(!has_max || max_value >= 0.0f, "max_value must be >= 0");
  return {GeneralRelu(ctx, x, slope, has_max, max_value, threshold)};
}

std::vector<Value> LowerLeakyReLU(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = OneInput(ctx, in);
  float alpha = 0.3f;
  if (ctx.Has("negative_slope")) {
    alpha = ctx.Float("negative_slope", 0.3f);
  } else {
    alpha = ctx.Float("alpha", 0.3f);
  }
  OpOptions o;
  o.alpha = alpha;
  return {ctx.AddOp(OpType::LEAKY_RELU, {x.tensor}, o, x.shape, "LeakyRelu")};
}

std::vector<Value> LowerPReLU(LayerContext& ctx, const std::vector<Value>& in) {
  const Value& x = OneInput(ctx, in);
  std::vector<int32_t> alpha_shape(x.shape.begin() + 1, x.shape.end());
  if (ctx.Has("shared_axes")) {
    const auto& sa = ctx.layer().config["shared_axes"];
    std::vector<nlohmann::json> axes;
    if (sa.is_array()) {
      axes.assign(sa.begin(), sa.end());
    } else {
      axes.push_back(sa);
    }
    for (const auto& a : axes) {
      ctx.Check(a.is_number_integer(), "shared_axes must hold integers");
      const int64_t ax = a.get<int64_t>();
      ctx.Check(ax >= 1 && ax <= static_cast<int64_t>(alpha_shape.size()), "shared axis ", ax,
                " out of range");
      alpha_shape[static_cast<size_t>(ax - 1)] = 1;
    }
  }
  const KerasWeight& w = ctx.Weight("alpha", alpha_shape);
  const int alpha = ctx.AddConstFloat("alpha", alpha_shape, w.values);
  return {ctx.AddOp(OpType::PRELU, {x.tensor, alpha}, OpOptions{}, x.shape, "PRelu")};
}

std::vector<Value> LowerELU(LayerContext& ctx, const std::vector<Value>& in) {
  return {EluWithAlpha(ctx, OneInput(ctx, in), ctx.Float("alpha", 1.0f), "Elu")};
}

std::vector<Value> LowerSoftmax(LayerContext& ctx, const std::vector<Value>& in) {
  int32_t axis = -1;
  if (ctx.Has("axis") && ctx.layer().config["axis"].is_array()) {
    const auto& a = ctx.layer().config["axis"];
    ctx.Check(a.size() == 1 && a[0].is_number_integer(),
              "softmax over several axes is not "
              "supported");
    axis = a[0].get<int32_t>();
  } else {
    axis = ctx.Int("axis", -1);
  }
  return {Softmax(ctx, OneInput(ctx, in), axis, "Softmax")};
}

}  // namespace cae::keras_lowering
