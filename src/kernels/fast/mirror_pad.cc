// Fast MIRROR_PAD on any fixed-size element type with an unchanged quantization (what
// ref/float/pad.cc takes): the same bytes as the reference. Mode 0 (REFLECT) mirrors around the
// edge element, mode 1 (SYMMETRIC) includes it. The paddings and mode are checked by the
// reference kernel's own Prepare (same messages), which this kernel runs first.
// Pure data movement: trailing dimensions without padding are merged into one contiguous block.
// Along a padded dimension the input rows are copied into the interior of the output, then every
// padding row is one memcpy of the interior output row it mirrors (memcpy is vectorized by the C
// library). The outermost one or two dimensions are split over the ThreadPool; each of their
// output slabs is filled from the input slab it mirrors, so slabs are independent.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/ref/float/common.h"

namespace cae::fast {
namespace {

class FastMirrorPad : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    // The reference checks paddings, mode and output shape (throwing its messages).
    DefaultKernelRegistry().Create(ctx, kRefPriority)->Prepare(ctx);
    const TensorView& in = ref::Input(ctx, 0);
    const TensorView& out = ref::Output(ctx, 0);
    const int rank = in.rank();
    symmetric_ = ctx.op->options.mirror_pad_mode == 1;
    in_shape_ = in.shape;
    out_shape_ = out.shape;
    before_.assign(static_cast<size_t>(rank), 0);
    const std::vector<int64_t> p = ref::ReadInts(ctx, 1, "paddings");
    for (int d = 0; d < rank; ++d) before_[d] = static_cast<int32_t>(p[2 * d]);
    // Dimensions [last_, rank) hold no padding: one block of block_bytes_ per index of the others.
    last_ = rank;
    block_bytes_ = static_cast<int64_t>(DTypeSize(in.type));
    while (last_ > 0 && in.dim(last_ - 1) == out.dim(last_ - 1)) block_bytes_ *= in.dim(--last_);
    // Byte strides of each dimension in the input and the output.
    in_stride_.assign(static_cast<size_t>(rank) + 1, block_bytes_);
    out_stride_.assign(static_cast<size_t>(rank) + 1, block_bytes_);
    for (int d = last_ - 1; d >= 0; --d) {
      in_stride_[d] = in_stride_[d + 1] * (d + 1 < last_ ? in_shape_[d + 1] : 1);
      out_stride_[d] = out_stride_[d + 1] * (d + 1 < last_ ? out_shape_[d + 1] : 1);
    }
    split_ = std::min(last_, 2);
  }

  void Eval(const KernelContext& ctx) override {
    const uint8_t* x = ref::Input(ctx, 0).as<uint8_t>();
    uint8_t* y = ref::Output(ctx, 0).as<uint8_t>();
    // Output slabs: every index of the first split_ dimensions, each filled independently.
    int64_t slabs = 1;
    for (int d = 0; d < split_; ++d) slabs *= out_shape_[d];
    const int64_t slab_bytes = split_ > 0 ? out_stride_[split_ - 1] : block_bytes_;
    const int64_t min_slabs = std::max<int64_t>(1, (int64_t{1} << 16) / (slab_bytes + 1));
    ParallelFor(ctx.pool, slabs, min_slabs, [&](int64_t begin, int64_t end) {
      for (int64_t s = begin; s < end; ++s) {
        int64_t rem = s, in_off = 0, out_off = 0;
        for (int d = split_ - 1; d >= 0; --d) {
          const int64_t o = rem % out_shape_[d];
          rem /= out_shape_[d];
          in_off += Mirror(d, o) * in_stride_[d];
          out_off += o * out_stride_[d];
        }
        FillDim(split_, x + in_off, y + out_off);
      }
    });
  }

 private:
  // The input index along d that output index o reads.
  int64_t Mirror(int d, int64_t o) const {
    const int64_t j = o - before_[d], size = in_shape_[d];
    if (j < 0) return symmetric_ ? -j - 1 : -j;
    if (j >= size) return symmetric_ ? 2 * size - 1 - j : 2 * size - 2 - j;
    return j;
  }

  // Fills the output slab of dimensions [d, rank) at y from the input slab at x.
  void FillDim(int d, const uint8_t* x, uint8_t* y) const {
    if (d == last_) {
      std::memcpy(y, x, static_cast<size_t>(block_bytes_));
      return;
    }
    const int64_t size = in_shape_[d], before = before_[d], os = out_stride_[d];
    uint8_t* interior = y + before * os;
    if (d == last_ - 1) {  // contiguous rows in both: one copy
      std::memcpy(interior, x, static_cast<size_t>(size * os));
    } else {
      for (int64_t i = 0; i < size; ++i) FillDim(d + 1, x + i * in_stride_[d], interior + i * os);
    }
    for (int64_t o = 0; o < out_shape_[d]; ++o)
      if (o < before || o >= before + size)
        std::memcpy(y + o * os, interior + Mirror(d, o) * os, static_cast<size_t>(os));
  }

  bool symmetric_ = false;
  int last_ = 0, split_ = 0;
  int64_t block_bytes_ = 0;
  std::vector<int32_t> in_shape_, out_shape_, before_;
  std::vector<int64_t> in_stride_, out_stride_;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!ref::IsElementCopy(ctx) || ctx.outputs.size() != 1) return nullptr;
  return std::make_unique<FastMirrorPad>();
}

}  // namespace

void RegisterFastMirrorPad(KernelRegistry& r) {
  r.Register(OpType::MIRROR_PAD, "fast/mirror_pad", kFastPriority, Create);
}

}  // namespace cae::fast
