// Data-movement ops on quantized tensors (int8/uint8/int16): RESHAPE, SQUEEZE, EXPAND_DIMS (byte
// copies; the output view already has the new shape), PAD and PADV2 (filled with the output zero
// point, or PADV2's constant value), TILE.
#include <cstring>
#include <vector>

#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

bool IsQ(DType t) { return IsQ8(t) || t == DType::kInt16; }

class CopyKernel : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& out = Out(ctx, 0);
    Check(in.num_elements() == out.num_elements() && in.type == out.type, ctx,
          ": cannot reshape ", ShapeToString(in.shape), " to ", ShapeToString(out.shape));
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    if (out.data != in.data) {
      std::memcpy(out.data, in.data,
                  static_cast<size_t>(in.num_elements()) * DTypeSize(in.type));
    }
  }
};

class PadKernel : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& pads = In(ctx, 1);
    TensorView& out = Out(ctx, 0);
    const std::vector<int64_t> p = ReadIndexTensor(ctx, pads);
    const int rank = in.rank();
    Check(p.size() == static_cast<size_t>(2 * rank) && out.rank() == rank, ctx,
          ": paddings must be [", rank, ", 2]");
    before_.assign(static_cast<size_t>(rank), 0);
    for (int d = 0; d < rank; ++d) {
      Check(p[2 * d] >= 0 && p[2 * d + 1] >= 0 &&
                in.dim(d) + p[2 * d] + p[2 * d + 1] == out.dim(d),
            ctx, ": paddings of dimension ", d, " do not give output ",
            ShapeToString(out.shape));
      before_[d] = p[2 * d];
    }
    value_ = ZeroPoint(ctx, out);
    if (const TensorView* v = OptIn(ctx, 2)) {
      Check(v->type == out.type && v->num_elements() == 1 && v->data != nullptr, ctx,
            ": the pad value must be one ", DTypeName(out.type));
      value_ = LoadQ(*v, 0);
    }
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const int rank = in.rank();
    for (int64_t i = 0; i < out.num_elements(); ++i) StoreQ(out, i, value_);
    std::vector<int32_t> idx(static_cast<size_t>(rank), 0);
    std::vector<int64_t> ostride(static_cast<size_t>(rank), 1);
    for (int d = rank - 2; d >= 0; --d) ostride[d] = ostride[d + 1] * out.dim(d + 1);
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      int64_t o = 0;
      for (int d = 0; d < rank; ++d) o += (idx[d] + before_[d]) * ostride[d];
      StoreQ(out, o, LoadQ(in, i));
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[d] < in.dim(d)) break;
        idx[d] = 0;
      }
    }
  }

 private:
  std::vector<int64_t> before_;
  int32_t value_ = 0;
};

class TileKernel : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& out = Out(ctx, 0);
    const std::vector<int64_t> m = ReadIndexTensor(ctx, In(ctx, 1));
    Check(m.size() == static_cast<size_t>(in.rank()) && out.rank() == in.rank(), ctx,
          ": multiples must have one entry per input dimension");
    for (int d = 0; d < in.rank(); ++d) {
      Check(m[d] >= 0 && in.dim(d) * m[d] == out.dim(d), ctx, ": multiples ",
            "do not give output ", ShapeToString(out.shape));
    }
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const int rank = out.rank();
    std::vector<int32_t> idx(static_cast<size_t>(rank), 0);
    std::vector<int64_t> istride(static_cast<size_t>(rank), 1);
    for (int d = rank - 2; d >= 0; --d) istride[d] = istride[d + 1] * in.dim(d + 1);
    for (int64_t i = 0; i < out.num_elements(); ++i) {
      int64_t s = 0;
      for (int d = 0; d < rank; ++d) s += (idx[d] % in.dim(d)) * istride[d];
      StoreQ(out, i, LoadQ(in, s));
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[d] < out.dim(d)) break;
        idx[d] = 0;
      }
    }
  }
};

std::unique_ptr<OpKernel> CopyFactory(const KernelContext& ctx) {
  return IsQ(InType(ctx, 0)) && OutType(ctx, 0) == InType(ctx, 0) ? Make<CopyKernel>() : nullptr;
}
std::unique_ptr<OpKernel> PadFactory(const KernelContext& ctx) {
  return IsQ(InType(ctx, 0)) && OutType(ctx, 0) == InType(ctx, 0) ? Make<PadKernel>() : nullptr;
}
std::unique_ptr<OpKernel> TileFactory(const KernelContext& ctx) {
  return IsQ(InType(ctx, 0)) && OutType(ctx, 0) == InType(ctx, 0) ? Make<TileKernel>() : nullptr;
}

}  // namespace

void RegisterShapeOps(KernelRegistry& r) {
  r.Register(OpType::RESHAPE, "ref/quantized/reshape", kRefPriority, CopyFactory);
  r.Register(OpType::SQUEEZE, "ref/quantized/squeeze", kRefPriority, CopyFactory);
  r.Register(OpType::EXPAND_DIMS, "ref/quantized/expand_dims", kRefPriority, CopyFactory);
  r.Register(OpType::PAD, "ref/quantized/pad", kRefPriority, PadFactory);
  r.Register(OpType::PADV2, "ref/quantized/padv2", kRefPriority, PadFactory);
  r.Register(OpType::TILE, "ref/quantized/tile", kRefPriority, TileFactory);
}

}  // namespace cae::qref
