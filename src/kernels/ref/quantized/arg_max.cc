// ARG_MAX on int8/uint8/int16 inputs along one constant axis, int32 or int64 output: the first
// index of the largest raw value (the order of quantized values is that of the real values).
#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {

int PrepareArgMaxAxis(const KernelContext& ctx) {
  const TensorView& in = In(ctx, 0);
  const std::vector<int64_t> a = ReadIndexTensor(ctx, In(ctx, 1));
  Check(a.size() == 1, ctx, ": axis must hold one value");
  const int rank = in.rank();
  Check(a[0] >= -rank && a[0] < rank, ctx, ": axis ", a[0],
        " is out of range for rank ", rank);
  const int axis = static_cast<int>(a[0] < 0 ? a[0] + rank : a[0]);
  Check(in.dim(axis) > 0 && Out(ctx, 0).num_elements() * in.dim(axis) == in.num_elements(),
        ctx, ": output shape ", ShapeToString(Out(ctx, 0).shape),
        " does not fit reducing ", ShapeToString(in.shape), " along axis ", axis);
  return axis;
}

namespace {

class QuantizedArgMax : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { axis_ = PrepareArgMaxAxis(ctx); }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis_; ++d) outer *= in.dim(d);
    for (int d = axis_ + 1; d < in.rank(); ++d) inner *= in.dim(d);
    const int32_t n = in.dim(axis_);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t base = o * n * inner + i;
        int32_t best = LoadQ(in, base);
        int32_t best_k = 0;
        for (int32_t k = 1; k < n; ++k) {
          const int32_t v = LoadQ(in, base + int64_t{k} * inner);
          if (v > best) {
            best = v;
            best_k = k;
          }
        }
        if (out.type == DType::kInt64) {
          out.as<int64_t>()[o * inner + i] = best_k;
        } else {
          out.as<int32_t>()[o * inner + i] = best_k;
        }
      }
    }
  }

 private:
  int axis_ = 0;
};

std::unique_ptr<OpKernel> Factory(const KernelContext& ctx) {
  const DType t = InType(ctx, 0);
  const DType o = OutType(ctx, 0);
  if (!(IsQ8(t) || t == DType::kInt16) || (o != DType::kInt32 && o != DType::kInt64)) {
    return nullptr;
  }
  return Make<QuantizedArgMax>();
}

}  // namespace

void RegisterArgMax(KernelRegistry& r) {
  r.Register(OpType::ARG_MAX, "ref/quantized/arg_max", kRefPriority, Factory);
}

}  // namespace cae::qref
