// PACK (stack N equal-shaped inputs along a new axis) and UNPACK (the inverse), any element type
// whose quantization is unchanged.
#include <cstring>

#include "graph/shape_inference.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class Pack : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& first = Input(ctx, 0);
    for (size_t i = 1; i < ctx.inputs.size(); ++i)
      KCheck(ctx, Input(ctx, i).shape == first.shape, "input ", i, " ",
             ShapeToString(Input(ctx, i).shape), " differs from input 0 ", ShapeToString(first.shape));
    const int64_t a = ctx.op->options.axis;
    KCheck(ctx, a >= -(first.rank() + 1) && a <= first.rank(), "axis ", a, " out of range");
    axis_ = NormalizeAxis(a, first.rank() + 1);
    std::vector<int32_t> out = first.shape;
    out.insert(out.begin() + axis_, static_cast<int32_t>(ctx.inputs.size()));
    CheckOutputShape(ctx, 0, out);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& first = Input(ctx, 0);
    const size_t elem = DTypeSize(first.type);
    int64_t outer = 1, inner = static_cast<int64_t>(elem);
    for (int d = 0; d < axis_; ++d) outer *= first.dim(d);
    for (int d = axis_; d < first.rank(); ++d) inner *= first.dim(d);
    const int64_t n = static_cast<int64_t>(ctx.inputs.size());
    uint8_t* y = Output(ctx, 0).as<uint8_t>();
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t* x = ctx.inputs[i]->as<uint8_t>();
      for (int64_t o = 0; o < outer; ++o)
        if (inner > 0) std::memcpy(y + (o * n + i) * inner, x + o * inner, static_cast<size_t>(inner));
    }
  }

 private:
  int axis_ = 0;
};

class Unpack : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const int64_t a = ctx.op->options.axis;
    KCheck(ctx, a >= -in.rank() && a < in.rank(), "axis ", a, " out of range");
    axis_ = NormalizeAxis(a, in.rank());
    KCheck(ctx, in.dim(axis_) == static_cast<int32_t>(ctx.outputs.size()), "dim ", in.dim(axis_),
           " unpacks into ", ctx.outputs.size(), " outputs");
    std::vector<int32_t> out = in.shape;
    out.erase(out.begin() + axis_);
    for (size_t i = 0; i < ctx.outputs.size(); ++i) CheckOutputShape(ctx, i, out);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const size_t elem = DTypeSize(in.type);
    int64_t outer = 1, inner = static_cast<int64_t>(elem);
    for (int d = 0; d < axis_; ++d) outer *= in.dim(d);
    for (int d = axis_ + 1; d < in.rank(); ++d) inner *= in.dim(d);
    const int64_t n = in.dim(axis_);
    const uint8_t* x = in.as<uint8_t>();
    for (int64_t i = 0; i < n; ++i) {
      uint8_t* y = Output(ctx, i).as<uint8_t>();
      for (int64_t o = 0; o < outer; ++o)
        if (inner > 0) std::memcpy(y + o * inner, x + (o * n + i) * inner, static_cast<size_t>(inner));
    }
  }

 private:
  int axis_ = 0;
};

std::unique_ptr<OpKernel> CreatePack(const KernelContext& ctx) {
  if (ctx.inputs.empty() || !IsElementCopy(ctx) || ctx.outputs.size() != 1) return nullptr;
  for (const TensorView* in : ctx.inputs) {
    KernelContext view = ctx;
    view.inputs = {const_cast<TensorView*>(in)};
    if (in == nullptr || !IsElementCopy(view)) return nullptr;
  }
  return std::make_unique<Pack>();
}

std::unique_ptr<OpKernel> CreateUnpack(const KernelContext& ctx) {
  if (!IsElementCopy(ctx)) return nullptr;
  return std::make_unique<Unpack>();
}

}  // namespace

void RegisterPack(KernelRegistry& r) {
  r.Register(OpType::PACK, "ref/float/pack", kRefPriority, CreatePack);
  r.Register(OpType::UNPACK, "ref/float/unpack", kRefPriority, CreateUnpack);
}

}  // namespace cae::ref
