// TILE by the multiples in input 1, any element type whose quantization is unchanged.
#include <cstring>

#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class Tile : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const std::vector<int64_t> m = ReadInts(ctx, 1, "multiples");
    KCheck(ctx, m.size() == static_cast<size_t>(in.rank()), "multiples has ", m.size(),
           " values, expected ", in.rank());
    std::vector<int32_t> out;
    for (int d = 0; d < in.rank(); ++d) {
      KCheck(ctx, m[d] >= 0 && in.dim(d) * m[d] <= INT32_MAX, "bad multiple ", m[d]);
      out.push_back(static_cast<int32_t>(in.dim(d) * m[d]));
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
      for (int d = 0; d < rank; ++d) src += (idx[d] % in.dim(d)) * in_strides[d];
      std::memcpy(y + i * elem, x + src * elem, elem);
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[d] < out.dim(d)) break;
        idx[d] = 0;
      }
    }
  }
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!IsElementCopy(ctx) || ctx.outputs.size() != 1) return nullptr;
  return std::make_unique<Tile>();
}

}  // namespace

void RegisterTile(KernelRegistry& r) { r.Register(OpType::TILE, "ref/float/tile", kRefPriority, Create); }

}  // namespace cae::ref
