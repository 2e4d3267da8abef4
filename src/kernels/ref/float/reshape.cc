// RESHAPE, SQUEEZE, EXPAND_DIMS: the output holds the input's elements unchanged (any type whose
// quantization is unchanged); the output shape comes from shape inference.
#include <cstring>

#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class Reshape : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const TensorView& out = Output(ctx, 0);
    KCheck(ctx, in.num_elements() == out.num_elements(), "output ", ShapeToString(out.shape),
           " has a different element count than input ", ShapeToString(in.shape));
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    const size_t bytes = static_cast<size_t>(in.num_elements()) * DTypeSize(in.type);
    if (bytes > 0 && out.data != in.data) std::memmove(out.data, in.data, bytes);
  }
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!IsElementCopy(ctx) || ctx.outputs.size() != 1) return nullptr;
  return std::make_unique<Reshape>();
}

}  // namespace

void RegisterReshape(KernelRegistry& r) {
  r.Register(OpType::RESHAPE, "ref/float/reshape", kRefPriority, Create);
  r.Register(OpType::SQUEEZE, "ref/float/squeeze", kRefPriority, Create);
  r.Register(OpType::EXPAND_DIMS, "ref/float/expand_dims", kRefPriority, Create);
}

}  // namespace cae::ref
