// Fast RESIZE_NEAREST_NEIGHBOR, NHWC, any fixed-size element type whose quantization is unchanged
// (float32, int8, uint8, ...): pure data movement, so results equal the reference kernel's byte
// for byte. Source rows and columns are computed once per shape with TFLite's index rule
// (align_corners rounds, half_pixel_centers offsets by 0.5, clamped into the input); an output row
// whose source row equals the previous one's is one copy of that row (UpSampling2D repeats every
// row); pixels are copied with fixed-size copies for the common pixel sizes. Rows go over the pool.
#include <algorithm>
#include <cmath>
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

// Input index of output index i (TFLite's nearest-neighbour rule).
int NearestSourceIndex(int i, int in_size, int out_size, bool align_corners, bool half_pixel) {
  const float scale = align_corners && out_size > 1
                          ? static_cast<float>(in_size - 1) / static_cast<float>(out_size - 1)
                          : static_cast<float>(in_size) / static_cast<float>(out_size);
  const float pos = (static_cast<float>(i) + (half_pixel ? 0.5f : 0.0f)) * scale;
  int v = align_corners ? static_cast<int>(std::round(pos)) : static_cast<int>(std::floor(pos));
  v = std::min(v, in_size - 1);
  if (half_pixel) v = std::max(v, 0);
  return v;
}

// Builds one output row from input row `in_row`: pixel ox is input pixel cols[ox].
template <size_t kPixel>
void GatherRowFixed(const uint8_t* in_row, const int* cols, int out_w, uint8_t* out_row) {
  for (int ox = 0; ox < out_w; ++ox)
    std::memcpy(out_row + static_cast<size_t>(ox) * kPixel,
                in_row + static_cast<size_t>(cols[ox]) * kPixel, kPixel);
}

void GatherRow(const uint8_t* in_row, const int* cols, int out_w, size_t pixel, uint8_t* out_row) {
  switch (pixel) {
    case 1: return GatherRowFixed<1>(in_row, cols, out_w, out_row);
    case 2: return GatherRowFixed<2>(in_row, cols, out_w, out_row);
    case 4: return GatherRowFixed<4>(in_row, cols, out_w, out_row);
    case 8: return GatherRowFixed<8>(in_row, cols, out_w, out_row);
    case 16: return GatherRowFixed<16>(in_row, cols, out_w, out_row);
    case 32: return GatherRowFixed<32>(in_row, cols, out_w, out_row);
    case 64: return GatherRowFixed<64>(in_row, cols, out_w, out_row);
    case 128: return GatherRowFixed<128>(in_row, cols, out_w, out_row);
    default:
      for (int ox = 0; ox < out_w; ++ox)
        std::memcpy(out_row + static_cast<size_t>(ox) * pixel,
                    in_row + static_cast<size_t>(cols[ox]) * pixel, pixel);
  }
}

class FastResizeNearest : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const OpOptions& o = ctx.op->options;
    const TensorView& in = Input(ctx, 0);
    KCheck(ctx, in.rank() == 4, "input must be 4-D, got ", ShapeToString(in.shape));
    const std::vector<int64_t> size = ref::ReadInts(ctx, 1, "size");
    KCheck(ctx, size.size() == 2 && size[0] > 0 && size[1] > 0 && size[0] <= INT32_MAX &&
                    size[1] <= INT32_MAX,
           "size must hold two positive values");
    KCheck(ctx, !(o.align_corners && o.half_pixel_centers),
           "align_corners and half_pixel_centers cannot both be set");
    ref::CheckOutputShape(ctx, 0, {in.dim(0), static_cast<int32_t>(size[0]),
                                   static_cast<int32_t>(size[1]), in.dim(3)});
    const TensorView& out = Output(ctx, 0);
    rows_.resize(static_cast<size_t>(out.dim(1)));
    cols_.resize(static_cast<size_t>(out.dim(2)));
    for (int y = 0; y < out.dim(1); ++y)
      rows_[static_cast<size_t>(y)] =
          NearestSourceIndex(y, in.dim(1), out.dim(1), o.align_corners, o.half_pixel_centers);
    for (int x = 0; x < out.dim(2); ++x)
      cols_[static_cast<size_t>(x)] =
          NearestSourceIndex(x, in.dim(2), out.dim(2), o.align_corners, o.half_pixel_centers);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    const int in_h = in.dim(1), in_w = in.dim(2), out_h = out.dim(1), out_w = out.dim(2);
    const size_t pixel = static_cast<size_t>(in.dim(3)) * DTypeSize(in.type);
    const size_t in_row = pixel * static_cast<size_t>(in_w);
    const size_t out_row = pixel * static_cast<size_t>(out_w);
    const uint8_t* x = in.as<uint8_t>();
    uint8_t* y = out.as<uint8_t>();
    const int64_t rows = int64_t{in.dim(0)} * out_h;
    const int64_t min_chunk = std::max<int64_t>(1, 16384 / static_cast<int64_t>(out_row + 1));
    ParallelFor(ctx.pool, rows, min_chunk, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t b = r / out_h;
        const int oy = static_cast<int>(r % out_h);
        uint8_t* dst = y + static_cast<size_t>(r) * out_row;
        const int iy = rows_[static_cast<size_t>(oy)];
        if (r > begin && oy > 0 && rows_[static_cast<size_t>(oy - 1)] == iy) {
          std::memcpy(dst, dst - out_row, out_row);
        } else {
          GatherRow(x + static_cast<size_t>(b * in_h + iy) * in_row, cols_.data(), out_w, pixel,
                    dst);
        }
      }
    });
  }

 private:
  std::vector<int> rows_, cols_;  // source row of each output row, source column of each column
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!ref::IsElementCopy(ctx)) return nullptr;
  return std::make_unique<FastResizeNearest>();
}

}  // namespace

void RegisterFastResizeNearest(KernelRegistry& r) {
  r.Register(OpType::RESIZE_NEAREST_NEIGHBOR, "fast/resize_nearest_neighbor", kFastPriority,
             Create);
}

}  // namespace cae::fast
