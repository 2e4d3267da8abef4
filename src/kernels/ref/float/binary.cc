// Elementwise binary ops with numpy broadcasting up to 6-D: ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM,
// SQUARED_DIFFERENCE on float32 (fused activation where TFLite has one), ADD/SUB/MUL/MAXIMUM/
// MINIMUM on int32 and int64 (shape arithmetic), and PRELU (alpha broadcast to the input).
#include "graph/shape_inference.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

template <typename T>
T Apply(OpType op, T a, T b) {
  switch (op) {
    case OpType::ADD: return a + b;
    case OpType::SUB: return a - b;
    case OpType::MUL: return a * b;
    case OpType::DIV: return a / b;
    case OpType::MAXIMUM: return std::max(a, b);
    case OpType::MINIMUM: return std::min(a, b);
    case OpType::SQUARED_DIFFERENCE: return (a - b) * (a - b);
    case OpType::PRELU: return a >= T(0) ? a : a * b;
    default: return T(0);
  }
}

bool HasFusedActivation(OpType op) {
  return op == OpType::ADD || op == OpType::SUB || op == OpType::MUL || op == OpType::DIV;
}

template <typename T>
class Binary : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& a = Input(ctx, 0);
    const TensorView& b = Input(ctx, 1);
    std::vector<int32_t> out;
    try {
      out = BroadcastShapes(a.shape, b.shape);
    } catch (const Error& e) {
      Fail(ctx.Describe(), ": ", e.what());
    }
    if (ctx.op->type == OpType::PRELU)
      KCheck(ctx, out == a.shape, "alpha ", ShapeToString(b.shape), " must broadcast to input ",
             ShapeToString(a.shape));
    CheckOutputShape(ctx, 0, out);
    map_ = std::make_unique<BroadcastMap>(ctx, std::vector<std::vector<int32_t>>{a.shape, b.shape}, out);
    if (HasFusedActivation(ctx.op->type)) CheckActivation(ctx, ctx.op->options.activation);
  }

  void Eval(const KernelContext& ctx) override {
    const T* a = Input(ctx, 0).as<T>();
    const T* b = Input(ctx, 1).as<T>();
    T* y = Output(ctx, 0).as<T>();
    const OpType op = ctx.op->type;
    const Activation act = HasFusedActivation(op) ? ctx.op->options.activation : Activation::kNone;
    map_->ForEach([&](int64_t i, const std::vector<int64_t>& off) {
      T v = Apply<T>(op, a[off[0]], b[off[1]]);
      if constexpr (std::is_same_v<T, float>) v = Activate(v, act);
      y[i] = v;
    });
  }

 private:
  std::unique_ptr<BroadcastMap> map_;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!HasInput(ctx, 0) || !HasInput(ctx, 1)) return nullptr;
  const DType t = ctx.inputs[0]->type;
  if (!InputIs(ctx, 1, t) || !OutputIs(ctx, 0, t)) return nullptr;
  const OpType op = ctx.op->type;
  if (t == DType::kFloat32) return std::make_unique<Binary<float>>();
  const bool int_op = op == OpType::ADD || op == OpType::SUB || op == OpType::MUL ||
                      op == OpType::MAXIMUM || op == OpType::MINIMUM;
  // Integer activations other than NONE are not applied: refuse them.
  if (!int_op || ctx.op->options.activation != Activation::kNone) return nullptr;
  if (t == DType::kInt32) return std::make_unique<Binary<int32_t>>();
  if (t == DType::kInt64) return std::make_unique<Binary<int64_t>>();
  return nullptr;
}

}  // namespace

void RegisterBinary(KernelRegistry& r) {
  const std::pair<OpType, const char*> ops[] = {
      {OpType::ADD, "ref/float/add"},
      {OpType::SUB, "ref/float/sub"},
      {OpType::MUL, "ref/float/mul"},
      {OpType::DIV, "ref/float/div"},
      {OpType::MAXIMUM, "ref/float/maximum"},
      {OpType::MINIMUM, "ref/float/minimum"},
      {OpType::SQUARED_DIFFERENCE, "ref/float/squared_difference"},
      {OpType::PRELU, "ref/float/prelu"},
  };
  for (const auto& [op, name] : ops) r.Register(op, name, kRefPriority, Create);
}

}  // namespace cae::ref
