// SHAPE: the input's run-time shape as an int32 or int64 vector (the output tensor's type).
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class Shape : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    CheckOutputShape(ctx, 0, {Input(ctx, 0).rank()});
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    for (int d = 0; d < in.rank(); ++d) {
      if (out.type == DType::kInt32) out.as<int32_t>()[d] = in.dim(d);
      else out.as<int64_t>()[d] = in.dim(d);
    }
  }
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!HasInput(ctx, 0)) return nullptr;
  if (!OutputIs(ctx, 0, DType::kInt32) && !OutputIs(ctx, 0, DType::kInt64)) return nullptr;
  return std::make_unique<Shape>();
}

}  // namespace

void RegisterShape(KernelRegistry& r) { r.Register(OpType::SHAPE, "ref/float/shape", kRefPriority, Create); }

}  // namespace cae::ref
