// SLICE (begin, size with -1 = to the end) and STRIDED_SLICE (TFLite begin/end/shrink masks and
// offset; see ResolveStridedSlice) on any element type whose quantization is unchanged.
#include <cstring>

#include "graph/shape_inference.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

std::vector<int32_t> To32(const KernelContext& ctx, const std::vector<int64_t>& v, const char* what) {
  std::vector<int32_t> r;
  for (int64_t x : v) {
    KCheck(ctx, x >= INT32_MIN && x <= INT32_MAX, what, " value ", x, " out of range");
    r.push_back(static_cast<int32_t>(x));
  }
  return r;
}

class Slice : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    if (ctx.op->type == OpType::SLICE) {
      const std::vector<int64_t> begin = ReadInts(ctx, 1, "begin");
      const std::vector<int64_t> size = ReadInts(ctx, 2, "size");
      KCheck(ctx, begin.size() == static_cast<size_t>(in.rank()) && size.size() == begin.size(),
             "begin/size must have ", in.rank(), " values");
      dims_ = StridedSliceDims{};
      for (int d = 0; d < in.rank(); ++d) {
        const int64_t s = size[d] == -1 ? in.dim(d) - begin[d] : size[d];
        KCheck(ctx, begin[d] >= 0 && s >= 0 && begin[d] + s <= in.dim(d), "slice begin ", begin[d],
               " size ", size[d], " out of range for dim ", d, " of ", ShapeToString(in.shape));
        dims_.start.push_back(static_cast<int32_t>(begin[d]));
        dims_.stride.push_back(1);
        dims_.count.push_back(static_cast<int32_t>(s));
        dims_.output_shape.push_back(static_cast<int32_t>(s));
      }
    } else {
      try {
        dims_ = ResolveStridedSlice(in.shape, To32(ctx, ReadInts(ctx, 1, "begin"), "begin"),
                                    To32(ctx, ReadInts(ctx, 2, "end"), "end"),
                                    To32(ctx, ReadInts(ctx, 3, "strides"), "strides"), ctx.op->options);
      } catch (const Error& e) {
        Fail(ctx.Describe(), ": ", e.what());
      }
    }
    CheckOutputShape(ctx, 0, dims_.output_shape);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    const size_t elem = DTypeSize(in.type);
    const int rank = in.rank();
    const std::vector<int64_t> strides = Strides(in.shape);
    const uint8_t* x = in.as<uint8_t>();
    uint8_t* y = out.as<uint8_t>();
    int64_t n = 1;
    for (int32_t c : dims_.count) n *= c;
    std::vector<int32_t> idx(rank, 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t src = 0;
      for (int d = 0; d < rank; ++d)
        src += (int64_t{dims_.start[d]} + int64_t{idx[d]} * dims_.stride[d]) * strides[d];
      std::memcpy(y + i * elem, x + src * elem, elem);
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[d] < dims_.count[d]) break;
        idx[d] = 0;
      }
    }
  }

 private:
  StridedSliceDims dims_;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!IsElementCopy(ctx) || ctx.outputs.size() != 1) return nullptr;
  return std::make_unique<Slice>();
}

}  // namespace

void RegisterSlice(KernelRegistry& r) {
  r.Register(OpType::SLICE, "ref/float/slice", kRefPriority, Create);
  r.Register(OpType::STRIDED_SLICE, "ref/float/strided_slice", kRefPriority, Create);
}

}  // namespace cae::ref
