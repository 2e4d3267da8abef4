// ARG_MAX / ARG_MIN along the axis in input 1: the index of the first extreme value, written as
// int32 or int64 (the output tensor's type). Inputs float32, int32, and int8/uint8 (quantized
// values compare like their real values since scales are positive).
#include "graph/shape_inference.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

template <typename T, typename Index>
class ArgMinMax : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const std::vector<int64_t> axis = ReadInts(ctx, 1, "axis");
    KCheck(ctx, axis.size() == 1 && axis[0] >= -in.rank() && axis[0] < in.rank(),
           "axis must be one value in range for rank ", in.rank());
    axis_ = NormalizeAxis(axis[0], in.rank());
    KCheck(ctx, in.dim(axis_) > 0, "cannot take the arg extreme of an empty axis");
    std::vector<int32_t> out = in.shape;
    out.erase(out.begin() + axis_);
    CheckOutputShape(ctx, 0, out);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const bool is_max = ctx.op->type == OpType::ARG_MAX;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis_; ++d) outer *= in.dim(d);
    for (int d = axis_ + 1; d < in.rank(); ++d) inner *= in.dim(d);
    const int64_t size = in.dim(axis_);
    const T* x = in.as<T>();
    Index* y = Output(ctx, 0).as<Index>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* base = x + o * size * inner + i;
        int64_t best = 0;
        for (int64_t k = 1; k < size; ++k) {
          const T v = base[k * inner], b = base[best * inner];
          if (is_max ? v > b : v < b) best = k;
        }
        y[o * inner + i] = static_cast<Index>(best);
      }
    }
  }

 private:
  int axis_ = 0;
};

template <typename T>
std::unique_ptr<OpKernel> ForIndex(const KernelContext& ctx) {
  if (OutputIs(ctx, 0, DType::kInt32)) return std::make_unique<ArgMinMax<T, int32_t>>();
  if (OutputIs(ctx, 0, DType::kInt64)) return std::make_unique<ArgMinMax<T, int64_t>>();
  return nullptr;
}

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (InputIs(ctx, 0, DType::kFloat32)) return ForIndex<float>(ctx);
  if (InputIs(ctx, 0, DType::kInt32)) return ForIndex<int32_t>(ctx);
  if (InputIs(ctx, 0, DType::kUInt8)) return ForIndex<uint8_t>(ctx);
  if (InputIs(ctx, 0, DType::kInt8)) return ForIndex<int8_t>(ctx);
  return nullptr;
}

}  // namespace

void RegisterArgMinMax(KernelRegistry& r) {
  r.Register(OpType::ARG_MAX, "ref/float/arg_max", kRefPriority, Create);
  r.Register(OpType::ARG_MIN, "ref/float/arg_min", kRefPriority, Create);
}

}  // namespace cae::ref
