// Fast PAD and PADV2 on any fixed-size element type (float32, int8, uint8, int16, int32, ...):
// the same output as the reference kernels (ref/float/pad.cc for an unchanged quantization,
// ref/quantized/shape_ops.cc otherwise). The fill value is PADV2's constant_values (input 2) when
// given, else the output's zero point for quantized int8/uint8/int16 tensors, else zero bytes.
// Pure data movement, so no SIMD code of its own: trailing dimensions without padding are merged
// into one contiguous block, and every output row along the innermost padded dimension is one
// copy of the padding pattern plus one memcpy of the input row (memcpy/memset are vectorized by
// the C library). Rows are spread over the ThreadPool. MIRROR_PAD stays with the reference.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/ref/float/common.h"

namespace cae::fast {
namespace {

using ref::Input;
using ref::KCheck;
using ref::Output;

class FastPad : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const TensorView& out = Output(ctx, 0);
    const std::vector<int64_t> p = ref::ReadInts(ctx, 1, "paddings");
    const int rank = in.rank();
    KCheck(ctx, p.size() == static_cast<size_t>(rank) * 2 && out.rank() == rank, "paddings has ",
           p.size(), " values, expected ", rank * 2);
    for (int d = 0; d < rank; ++d)
      KCheck(ctx, p[2 * d] >= 0 && p[2 * d + 1] >= 0 && in.dim(d) + p[2 * d] + p[2 * d + 1] == out.dim(d),
             "paddings of dimension ", d, " do not give output ", ShapeToString(out.shape));
    elem_ = DTypeSize(in.type);
    // The pad value, one element.
    std::vector<uint8_t> value(elem_, 0);
    if (ctx.op->type == OpType::PADV2 && ref::HasInput(ctx, 2)) {
      const TensorView& v = Input(ctx, 2);
      KCheck(ctx, v.type == in.type && v.num_elements() == 1 && v.data != nullptr,
             "constant_values must be one ", DTypeName(in.type), " value");
      std::memcpy(value.data(), v.data, elem_);
    } else if (out.quant != nullptr && !out.quant->empty() &&
               (out.type == DType::kInt8 || out.type == DType::kUInt8 || out.type == DType::kInt16)) {
      const int64_t zp = out.quant->zero_point.empty() ? 0 : out.quant->zero_point[0];
      const int16_t z16 = static_cast<int16_t>(zp);
      const uint8_t z8 = static_cast<uint8_t>(zp);
      if (elem_ == 2) std::memcpy(value.data(), &z16, 2);
      else value[0] = z8;
    }
    // Dimensions [last_, rank) hold no padding: one block of block_ elements per index of the
    // dimensions before. last_ - 1 is the innermost padded dimension (-1: nothing padded).
    last_ = rank;
    block_ = 1;
    while (last_ > 0 && p[2 * (last_ - 1)] == 0 && p[2 * (last_ - 1) + 1] == 0) {
      --last_;
      block_ *= in.dim(last_);
    }
    in_shape_ = in.shape;
    out_shape_ = out.shape;
    before_.assign(static_cast<size_t>(rank), 0);
    for (int d = 0; d < rank; ++d) before_[d] = static_cast<int32_t>(p[2 * d]);
    // One output row of pad values (the innermost padded dimension times the block).
    const int64_t row_elems = last_ > 0 ? int64_t{out.dim(last_ - 1)} * block_ : block_;
    pad_row_.resize(static_cast<size_t>(row_elems) * elem_);
    for (int64_t i = 0; i < row_elems; ++i) std::memcpy(pad_row_.data() + i * elem_, value.data(), elem_);
  }

  void Eval(const KernelContext& ctx) override {
    const uint8_t* x = Input(ctx, 0).as<uint8_t>();
    uint8_t* y = Output(ctx, 0).as<uint8_t>();
    if (last_ == 0) {  // nothing padded
      std::memcpy(y, x, static_cast<size_t>(block_) * elem_);
      return;
    }
    const int inner = last_ - 1;  // the innermost padded dimension
    const size_t out_row = pad_row_.size();
    const size_t in_row = static_cast<size_t>(in_shape_[inner]) * block_ * elem_;
    const size_t lead = static_cast<size_t>(before_[inner]) * block_ * elem_;
    int64_t rows = 1;  // output rows: product of the dimensions before `inner`
    for (int d = 0; d < inner; ++d) rows *= out_shape_[d];
    const int64_t min_rows = std::max<int64_t>(1, (int64_t{1} << 16) / static_cast<int64_t>(out_row + 1));
    ParallelFor(ctx.pool, rows, min_rows, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        uint8_t* dst = y + static_cast<size_t>(r) * out_row;
        // The input row this output row comes from, if every outer index is inside the input.
        int64_t rem = r, src_row = 0, in_stride = 1;
        bool inside = true;
        for (int d = inner - 1; d >= 0; --d) {
          const int64_t o = rem % out_shape_[d];
          rem /= out_shape_[d];
          const int64_t i = o - before_[d];
          if (i < 0 || i >= in_shape_[d]) {
            inside = false;
            break;
          }
          src_row += i * in_stride;
          in_stride *= in_shape_[d];
        }
        if (!inside) {
          std::memcpy(dst, pad_row_.data(), out_row);
          continue;
        }
        std::memcpy(dst, pad_row_.data(), lead);
        std::memcpy(dst + lead, x + static_cast<size_t>(src_row) * in_row, in_row);
        std::memcpy(dst + lead + in_row, pad_row_.data(), out_row - lead - in_row);
      }
    });
  }

 private:
  size_t elem_ = 1;
  int last_ = 0;
  int64_t block_ = 1;
  std::vector<int32_t> in_shape_, out_shape_, before_;
  std::vector<uint8_t> pad_row_;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!ref::HasInput(ctx, 0) || ctx.outputs.size() != 1 || ctx.outputs[0] == nullptr) return nullptr;
  const DType t = ctx.inputs[0]->type;
  if (t == DType::kString || ctx.outputs[0]->type != t) return nullptr;
  return std::make_unique<FastPad>();
}

}  // namespace

void RegisterFastPad(KernelRegistry& r) {
  r.Register(OpType::PAD, "fast/pad", kFastPriority, Create);
  r.Register(OpType::PADV2, "fast/padv2", kFastPriority, Create);
}

}  // namespace cae::fast
