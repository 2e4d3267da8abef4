// TRANSPOSE by the permutation in input 1 (output dim d is input dim perm[d]), any element type
// whose quantization is unchanged.
#include <cstring>

#include "graph/shape_inference.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class Transpose : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const std::vector<int64_t> perm = ReadInts(ctx, 1, "perm");
    KCheck(ctx, perm.size() == static_cast<size_t>(in.rank()), "perm has ", perm.size(),
           " values, expected ", in.rank());
    perm_.clear();
    std::vector<bool> used(in.rank(), false);
    std::vector<int32_t> out;
    for (int64_t p : perm) {
      KCheck(ctx, p >= -in.rank() && p < in.rank(), "perm value ", p, " out of range");
      const int a = NormalizeAxis(p, in.rank());
      KCheck(ctx, !used[a], "perm repeats axis ", a);
      used[a] = true;
      perm_.push_back(a);
      out.push_back(in.dim(a));
    }
    CheckOutputShape(ctx, 0, out);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    const size_t elem = DTypeSize(in.type);
    const int rank = in.rank();
    const std::vector<int64_t> in_strides = Strides(in.shape);
    const uint8_t* x = in.as<uint8_t>();
    uint8_t* y = out.as<uint8_t>();
    std::vector<int32_t> idx(rank, 0);
    const int64_t n = out.num_elements();
    for (int64_t i = 0; i < n; ++i) {
      int64_t src = 0;
      for (int d = 0; d < rank; ++d) src += idx[d] * in_strides[perm_[d]];
      std::memcpy(y + i * elem, x + src * elem, elem);
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[d] < out.dim(d)) break;
        idx[d] = 0;
      }
    }
  }

 private:
  std::vector<int> perm_;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!IsElementCopy(ctx) || ctx.outputs.size() != 1) return nullptr;
  return std::make_unique<Transpose>();
}

}  // namespace

void RegisterTranspose(KernelRegistry& r) {
  r.Register(OpType::TRANSPOSE, "ref/float/transpose", kRefPriority, Create);
}

}  // namespace cae::ref
