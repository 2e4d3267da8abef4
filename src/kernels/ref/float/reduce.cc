// MEAN, SUM, REDUCE_MAX, REDUCE_MIN over the axes of input 1 (int32/int64, negative wraps,
// repeats allowed), float32 (int32 too for SUM/MAX/MIN). keep_dims only changes the output shape.
// REDUCE_MAX / REDUCE_MIN also take int8 and uint8 whose output has the input's scale and zero
// point (what the int8 converter writes; TFLite's kernel compares the raw values the same way).
#include <limits>

#include "graph/shape_inference.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

enum class Reduction { kMean, kSum, kMax, kMin };

template <typename T, Reduction kR>
class Reduce : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    reduced_.assign(in.rank(), false);
    for (int64_t a : ReadInts(ctx, 1, "axes")) {
      KCheck(ctx, a >= -in.rank() && a < in.rank(), "axis ", a, " out of range for input ",
             ShapeToString(in.shape));
      reduced_[NormalizeAxis(a, in.rank())] = true;
    }
    std::vector<int32_t> out;
    for (int d = 0; d < in.rank(); ++d) {
      if (!reduced_[d]) out.push_back(in.dim(d));
      else if (ctx.op->options.keep_dims) out.push_back(1);
    }
    CheckOutputShape(ctx, 0, out);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    // The reduced output as the input's shape with reduced dims of size 1.
    std::vector<int32_t> kept = in.shape;
    for (int d = 0; d < in.rank(); ++d) if (reduced_[d]) kept[d] = 1;
    const int64_t n_out = NumElements(kept);
    const std::vector<int64_t> out_strides = Strides(kept);
    T* acc = out.as<T>();
    const T init = kR == Reduction::kMax   ? std::numeric_limits<T>::lowest()
                   : kR == Reduction::kMin ? std::numeric_limits<T>::max()
                                           : T(0);
    std::fill(acc, acc + n_out, init);
    const T* x = in.as<T>();
    const int rank = in.rank();
    std::vector<int32_t> idx(rank, 0);
    const int64_t n_in = in.num_elements();
    for (int64_t i = 0; i < n_in; ++i) {
      int64_t o = 0;
      for (int d = 0; d < rank; ++d) if (!reduced_[d]) o += idx[d] * out_strides[d];
      if (kR == Reduction::kMax) acc[o] = std::max(acc[o], x[i]);
      else if (kR == Reduction::kMin) acc[o] = std::min(acc[o], x[i]);
      else acc[o] += x[i];
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[d] < in.dim(d)) break;
        idx[d] = 0;
      }
    }
    if (kR == Reduction::kMean) {
      const int64_t count = n_out > 0 ? n_in / n_out : 0;
      for (int64_t o = 0; o < n_out; ++o) acc[o] = count > 0 ? acc[o] / static_cast<T>(count) : T(0);
    }
  }

 private:
  std::vector<bool> reduced_;
};

template <Reduction kR>
std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!HasInput(ctx, 1)) return nullptr;
  if (InputIs(ctx, 0, DType::kFloat32) && OutputIs(ctx, 0, DType::kFloat32))
    return std::make_unique<Reduce<float, kR>>();
  if (kR != Reduction::kMean && InputIs(ctx, 0, DType::kInt32) && OutputIs(ctx, 0, DType::kInt32))
    return std::make_unique<Reduce<int32_t, kR>>();
  if (kR == Reduction::kMax || kR == Reduction::kMin) {
    const TensorView* in = ctx.inputs[0];
    const TensorView* out = ctx.outputs.empty() ? nullptr : ctx.outputs[0];
    const bool same_quant = in && out && in->quant && out->quant &&
                            in->quant->scale == out->quant->scale &&
                            in->quant->zero_point == out->quant->zero_point;
    if (same_quant && InputIs(ctx, 0, DType::kInt8) && OutputIs(ctx, 0, DType::kInt8))
      return std::make_unique<Reduce<int8_t, kR>>();
    if (same_quant && InputIs(ctx, 0, DType::kUInt8) && OutputIs(ctx, 0, DType::kUInt8))
      return std::make_unique<Reduce<uint8_t, kR>>();
  }
  return nullptr;
}

}  // namespace

void RegisterReduce(KernelRegistry& r) {
  r.Register(OpType::MEAN, "ref/float/mean", kRefPriority, Create<Reduction::kMean>);
  r.Register(OpType::SUM, "ref/float/sum", kRefPriority, Create<Reduction::kSum>);
  r.Register(OpType::REDUCE_MAX, "ref/float/reduce_max", kRefPriority, Create<Reduction::kMax>);
  r.Register(OpType::REDUCE_MIN, "ref/float/reduce_min", kRefPriority, Create<Reduction::kMin>);
}

}  // namespace cae::ref
