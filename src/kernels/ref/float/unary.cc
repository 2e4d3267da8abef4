// Elementwise float32 functions: LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1,
// LEAKY_RELU (alpha), ELU, HARD_SWISH, GELU (exact erf form, or the tanh approximation), EXP,
// LOG, SQRT, RSQRT, NEG, ABS, SQUARE; NEG/ABS/SQUARE also on int32.
#include <cmath>

#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

float ApplyFloat(OpType op, const OpOptions& o, float x) {
  switch (op) {
    case OpType::LOGISTIC: return 1.0f / (1.0f + std::exp(-x));
    case OpType::TANH: return std::tanh(x);
    case OpType::RELU: return std::max(x, 0.0f);
    case OpType::RELU6: return std::min(std::max(x, 0.0f), 6.0f);
    case OpType::RELU_N1_TO_1: return std::min(std::max(x, -1.0f), 1.0f);
    case OpType::RELU_0_TO_1: return std::min(std::max(x, 0.0f), 1.0f);
    case OpType::LEAKY_RELU: return x > 0.0f ? x : o.alpha * x;
    case OpType::ELU: return x < 0.0f ? std::expm1(x) : x;
    case OpType::HARD_SWISH: return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f;
    case OpType::GELU:
      if (o.approximate) {
        const float k = 0.7978845608028654f;  // sqrt(2 / pi)
        return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
      }
      return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f));
    case OpType::EXP: return std::exp(x);
    case OpType::LOG: return std::log(x);
    case OpType::SQRT: return std::sqrt(x);
    case OpType::RSQRT: return 1.0f / std::sqrt(x);
    case OpType::NEG: return -x;
    case OpType::ABS: return std::fabs(x);
    case OpType::SQUARE: return x * x;
    default: return 0.0f;
  }
}

int32_t ApplyInt(OpType op, int32_t x) {
  switch (op) {
    case OpType::NEG: return static_cast<int32_t>(0u - static_cast<uint32_t>(x));
    case OpType::ABS: return x < 0 ? static_cast<int32_t>(0u - static_cast<uint32_t>(x)) : x;
    case OpType::SQUARE: return static_cast<int32_t>(static_cast<uint32_t>(x) * static_cast<uint32_t>(x));
    default: return 0;
  }
}

template <typename T>
class Unary : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { CheckOutputShape(ctx, 0, Input(ctx, 0).shape); }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const T* x = in.as<T>();
    T* y = Output(ctx, 0).as<T>();
    const OpType op = ctx.op->type;
    const int64_t n = in.num_elements();
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<T, float>) y[i] = ApplyFloat(op, ctx.op->options, x[i]);
      else y[i] = ApplyInt(op, x[i]);
    }
  }
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (InputIs(ctx, 0, DType::kFloat32) && OutputIs(ctx, 0, DType::kFloat32))
    return std::make_unique<Unary<float>>();
  const OpType op = ctx.op->type;
  if ((op == OpType::NEG || op == OpType::ABS || op == OpType::SQUARE) &&
      InputIs(ctx, 0, DType::kInt32) && OutputIs(ctx, 0, DType::kInt32))
    return std::make_unique<Unary<int32_t>>();
  return nullptr;
}

}  // namespace

void RegisterUnary(KernelRegistry& r) {
  const std::pair<OpType, const char*> ops[] = {
      {OpType::LOGISTIC, "ref/float/logistic"},     {OpType::TANH, "ref/float/tanh"},
      {OpType::RELU, "ref/float/relu"},             {OpType::RELU6, "ref/float/relu6"},
      {OpType::RELU_N1_TO_1, "ref/float/relu_n1_to_1"}, {OpType::RELU_0_TO_1, "ref/float/relu_0_to_1"},
      {OpType::LEAKY_RELU, "ref/float/leaky_relu"}, {OpType::ELU, "ref/float/elu"},
      {OpType::HARD_SWISH, "ref/float/hard_swish"}, {OpType::GELU, "ref/float/gelu"},
      {OpType::EXP, "ref/float/exp"},               {OpType::LOG, "ref/float/log"},
      {OpType::SQRT, "ref/float/sqrt"},             {OpType::RSQRT, "ref/float/rsqrt"},
      {OpType::NEG, "ref/float/neg"},               {OpType::ABS, "ref/float/abs"},
      {OpType::SQUARE, "ref/float/square"},
  };
  for (const auto& [op, name] : ops) r.Register(op, name, kRefPriority, Create);
}

}  // namespace cae::ref
