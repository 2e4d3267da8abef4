// CONCATENATION along options.axis (negative wraps): float32 with fused activation; int32,
// int64, bool, and quantized inputs that all share the output's quantization, as plain copies.
#include <cstring>

#include "graph/shape_inference.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class Concat : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& first = Input(ctx, 0);
    const int rank = first.rank();
    const int64_t a = ctx.op->options.axis;
    KCheck(ctx, a >= -rank && a < rank, "axis ", a, " out of range for rank ", rank);
    axis_ = NormalizeAxis(a, rank);
    std::vector<int32_t> out = first.shape;
    int64_t total = 0;
    for (size_t i = 0; i < ctx.inputs.size(); ++i) {
      const TensorView& in = Input(ctx, i);
      KCheck(ctx, in.rank() == rank, "input ", i, " ", ShapeToString(in.shape),
             " has a different rank than input 0 ", ShapeToString(first.shape));
      for (int d = 0; d < rank; ++d)
        KCheck(ctx, d == axis_ || in.dim(d) == first.dim(d), "input ", i, " ",
               ShapeToString(in.shape), " differs from input 0 ", ShapeToString(first.shape),
               " outside axis ", axis_);
      total += in.dim(axis_);
    }
    KCheck(ctx, total <= INT32_MAX, "concatenated dim too large");
    out[axis_] = static_cast<int32_t>(total);
    CheckOutputShape(ctx, 0, out);
    if (first.type == DType::kFloat32) CheckActivation(ctx, ctx.op->options.activation);
  }

  void Eval(const KernelContext& ctx) override {
    TensorView& out = Output(ctx, 0);
    const size_t elem = DTypeSize(out.type);
    int64_t outer = 1;
    for (int d = 0; d < axis_; ++d) outer *= out.dim(d);
    int64_t inner = 1;
    for (int d = axis_ + 1; d < out.rank(); ++d) inner *= out.dim(d);
    uint8_t* dst = out.as<uint8_t>();
    const int64_t out_row = out.dim(axis_) * inner * static_cast<int64_t>(elem);
    int64_t offset = 0;
    for (const TensorView* in : ctx.inputs) {
      const int64_t row = in->dim(axis_) * inner * static_cast<int64_t>(elem);
      const uint8_t* src = in->as<uint8_t>();
      for (int64_t o = 0; o < outer; ++o)
        if (row > 0) std::memcpy(dst + o * out_row + offset, src + o * row, static_cast<size_t>(row));
      offset += row;
    }
    if (out.type == DType::kFloat32 && ctx.op->options.activation != Activation::kNone) {
      float* y = out.as<float>();
      for (int64_t i = 0, n = out.num_elements(); i < n; ++i)
        y[i] = Activate(y[i], ctx.op->options.activation);
    }
  }

 private:
  int axis_ = 0;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (ctx.inputs.empty() || ctx.outputs.size() != 1 || ctx.outputs[0] == nullptr) return nullptr;
  const TensorView& out = *ctx.outputs[0];
  const bool out_q = out.quant != nullptr && !out.quant->empty();
  if (DTypeSize(out.type) == 0) return nullptr;
  if (IsQuantizedType(out.type) && ctx.op->options.activation != Activation::kNone) return nullptr;
  for (const TensorView* in : ctx.inputs) {
    if (in == nullptr || in->type != out.type) return nullptr;
    const bool in_q = in->quant != nullptr && !in->quant->empty();
    if (in_q != out_q) return nullptr;
    if (in_q && (in->quant->scale != out.quant->scale || in->quant->zero_point != out.quant->zero_point))
      return nullptr;
  }
  return std::make_unique<Concat>();
}

}  // namespace

void RegisterConcat(KernelRegistry& r) {
  r.Register(OpType::CONCATENATION, "ref/float/concatenation", kRefPriority, Create);
}

}  // namespace cae::ref
