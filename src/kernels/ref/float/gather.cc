// GATHER along options.axis with int32/int64 indices (each checked against the axis size at run
// time), any element type whose quantization is unchanged. Output: params[:axis] + indices.shape
// + params[axis+1:].
#include <cstring>

#include "graph/shape_inference.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class Gather : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& params = Input(ctx, 0);
    const TensorView& indices = Input(ctx, 1);
    const int64_t a = ctx.op->options.axis;
    KCheck(ctx, a >= -params.rank() && a < params.rank(), "axis ", a, " out of range");
    axis_ = NormalizeAxis(a, params.rank());
    std::vector<int32_t> out(params.shape.begin(), params.shape.begin() + axis_);
    out.insert(out.end(), indices.shape.begin(), indices.shape.end());
    out.insert(out.end(), params.shape.begin() + axis_ + 1, params.shape.end());
    CheckOutputShape(ctx, 0, out);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& params = Input(ctx, 0);
    const std::vector<int64_t> idx = ReadInts(ctx, 1, "indices");
    const size_t elem = DTypeSize(params.type);
    int64_t outer = 1, inner = static_cast<int64_t>(elem);
    for (int d = 0; d < axis_; ++d) outer *= params.dim(d);
    for (int d = axis_ + 1; d < params.rank(); ++d) inner *= params.dim(d);
    const int64_t size = params.dim(axis_);
    for (int64_t i : idx)
      KCheck(ctx, i >= 0 && i < size, "index ", i, " out of range [0, ", size, ")");
    const uint8_t* x = params.as<uint8_t>();
    uint8_t* y = Output(ctx, 0).as<uint8_t>();
    const int64_t n = static_cast<int64_t>(idx.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < n; ++k)
        if (inner > 0)
          std::memcpy(y + (o * n + k) * inner, x + (o * size + idx[k]) * inner, static_cast<size_t>(inner));
  }

 private:
  int axis_ = 0;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!IsElementCopy(ctx) || ctx.outputs.size() != 1) return nullptr;
  if (!InputIs(ctx, 1, DType::kInt32) && !InputIs(ctx, 1, DType::kInt64)) return nullptr;
  return std::make_unique<Gather>();
}

}  // namespace

void RegisterGather(KernelRegistry& r) { r.Register(OpType::GATHER, "ref/float/gather", kRefPriority, Create); }

}  // namespace cae::ref
