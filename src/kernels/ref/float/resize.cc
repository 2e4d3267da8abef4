// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR, float32, NHWC, with TFLite's index math for
// align_corners and half_pixel_centers. Input 1 holds the output size (int32 [2]).
#include <cmath>

#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

// Scale from output to input coordinates.
float ResizeScale(int32_t in, int32_t out, bool align_corners) {
  if (align_corners && out > 1) return static_cast<float>(in - 1) / static_cast<float>(out - 1);
  return static_cast<float>(in) / static_cast<float>(out);
}

void PrepareResize(const KernelContext& ctx) {
  const TensorView& in = Input(ctx, 0);
  KCheck(ctx, in.rank() == 4, "input must be 4-D, got ", ShapeToString(in.shape));
  const std::vector<int64_t> size = ReadInts(ctx, 1, "size");
  KCheck(ctx, size.size() == 2 && size[0] > 0 && size[1] > 0 && size[0] <= INT32_MAX &&
                  size[1] <= INT32_MAX,
         "size must hold two positive values");
  KCheck(ctx, !(ctx.op->options.align_corners && ctx.op->options.half_pixel_centers),
         "align_corners and half_pixel_centers cannot both be set");
  CheckOutputShape(ctx, 0, {in.dim(0), static_cast<int32_t>(size[0]), static_cast<int32_t>(size[1]), in.dim(3)});
}

class Bilinear : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { PrepareResize(ctx); }

  void Eval(const KernelContext& ctx) override {
    const OpOptions& o = ctx.op->options;
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    const int batches = in.dim(0), in_h = in.dim(1), in_w = in.dim(2), ch = in.dim(3);
    const int out_h = out.dim(1), out_w = out.dim(2);
    const float scale_h = ResizeScale(in_h, out_h, o.align_corners);
    const float scale_w = ResizeScale(in_w, out_w, o.align_corners);
    const float* x = in.as<float>();
    float* y = out.as<float>();
    // Source coordinate, and the two source indices around it (clamped into the input).
    auto source = [&](int i, float scale, int size, float* pos, int* lo, int* hi) {
      *pos = o.half_pixel_centers ? (static_cast<float>(i) + 0.5f) * scale - 0.5f
                                  : static_cast<float>(i) * scale;
      *lo = std::max(static_cast<int>(std::floor(*pos)), 0);
      *hi = std::min(static_cast<int>(std::ceil(*pos)), size - 1);
    };
    for (int b = 0; b < batches; ++b) {
      for (int oy = 0; oy < out_h; ++oy) {
        float iy;
        int y0, y1;
        source(oy, scale_h, in_h, &iy, &y0, &y1);
        for (int ox = 0; ox < out_w; ++ox) {
          float ix;
          int x0, x1;
          source(ox, scale_w, in_w, &ix, &x0, &x1);
          const float dy = iy - static_cast<float>(y0), dx = ix - static_cast<float>(x0);
          auto at = [&](int yy, int xx, int c) {
            return x[((int64_t{b} * in_h + yy) * in_w + xx) * ch + c];
          };
          for (int c = 0; c < ch; ++c) {
            y[((int64_t{b} * out_h + oy) * out_w + ox) * ch + c] =
                at(y0, x0, c) * (1 - dy) * (1 - dx) + at(y1, x0, c) * dy * (1 - dx) +
                at(y0, x1, c) * (1 - dy) * dx + at(y1, x1, c) * dy * dx;
          }
        }
      }
    }
  }
};

// TFLite's nearest source index for output index i.
int NearestSource(int i, int in_size, int out_size, bool align_corners, bool half_pixel) {
  const float scale = ResizeScale(in_size, out_size, align_corners);
  const float offset = half_pixel ? 0.5f : 0.0f;
  const float pos = (static_cast<float>(i) + offset) * scale;
  int v = align_corners ? static_cast<int>(std::round(pos)) : static_cast<int>(std::floor(pos));
  v = std::min(v, in_size - 1);
  if (half_pixel) v = std::max(v, 0);
  return v;
}

class Nearest : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { PrepareResize(ctx); }

  void Eval(const KernelContext& ctx) override {
    const OpOptions& o = ctx.op->options;
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    const int batches = in.dim(0), in_h = in.dim(1), in_w = in.dim(2);
    const int out_h = out.dim(1), out_w = out.dim(2);
    const size_t pixel = static_cast<size_t>(in.dim(3)) * DTypeSize(in.type);
    const uint8_t* x = in.as<uint8_t>();
    uint8_t* y = out.as<uint8_t>();
    for (int b = 0; b < batches; ++b) {
      for (int oy = 0; oy < out_h; ++oy) {
        const int iy = NearestSource(oy, in_h, out_h, o.align_corners, o.half_pixel_centers);
        for (int ox = 0; ox < out_w; ++ox) {
          const int ix = NearestSource(ox, in_w, out_w, o.align_corners, o.half_pixel_centers);
          std::copy_n(x + ((int64_t{b} * in_h + iy) * in_w + ix) * pixel, pixel,
                      y + ((int64_t{b} * out_h + oy) * out_w + ox) * pixel);
        }
      }
    }
  }
};

std::unique_ptr<OpKernel> CreateBilinear(const KernelContext& ctx) {
  if (!InputIs(ctx, 0, DType::kFloat32) || !OutputIs(ctx, 0, DType::kFloat32)) return nullptr;
  return std::make_unique<Bilinear>();
}

// Nearest neighbor copies elements: any fixed-size type whose quantization is unchanged.
std::unique_ptr<OpKernel> CreateNearest(const KernelContext& ctx) {
  if (!IsElementCopy(ctx)) return nullptr;
  return std::make_unique<Nearest>();
}

}  // namespace

void RegisterResize(KernelRegistry& r) {
  r.Register(OpType::RESIZE_BILINEAR, "ref/float/resize_bilinear", kRefPriority, CreateBilinear);
  r.Register(OpType::RESIZE_NEAREST_NEIGHBOR, "ref/float/resize_nearest_neighbor", kRefPriority,
             CreateNearest);
}

}  // namespace cae::ref
