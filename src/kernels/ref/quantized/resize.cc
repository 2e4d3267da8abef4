// RESIZE_NEAREST_NEIGHBOR (int8/uint8/int16: pure index mapping) and RESIZE_BILINEAR on the
// TFLite builtin paths: uint8 interpolates in float and adds 0.5 before truncating
// (optimized_ops ResizeBilinearGenericSmallChannel); int8 and int16 use the 10-bit fixed-point
// ResizeBilinearInteger with round-half-away division by 2^20. The output size is the output
// tensor's H and W.
#include <cmath>
#include <cstring>

#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

void CheckResizeShapes(const KernelContext& ctx) {
  const TensorView& in = In(ctx, 0);
  const TensorView& out = Out(ctx, 0);
  CheckRank(ctx, in, 4);
  CheckRank(ctx, out, 4);
  Check(out.dim(0) == in.dim(0) && out.dim(3) == in.dim(3) && in.dim(1) > 0 && in.dim(2) > 0 &&
            out.dim(1) > 0 && out.dim(2) > 0 && out.dim(1) <= (1 << 20) && out.dim(2) <= (1 << 20) &&
            in.dim(1) <= (1 << 20) && in.dim(2) <= (1 << 20),
        ctx, ": output shape ", ShapeToString(out.shape), " does not fit input ",
        ShapeToString(in.shape));
  const OpOptions& o = ctx.op->options;
  Check(!(o.align_corners && o.half_pixel_centers), ctx,
        ": align_corners and half_pixel_centers cannot both be set");
}

int32_t NearestIndex(int32_t out_i, int32_t in_size, int32_t out_size, bool align_corners,
                     bool half_pixel) {
  const float scale = (align_corners && out_size > 1)
                          ? static_cast<float>(in_size - 1) / static_cast<float>(out_size - 1)
                          : static_cast<float>(in_size) / static_cast<float>(out_size);
  const float offset = half_pixel ? 0.5f : 0.0f;
  const float v = (static_cast<float>(out_i) + offset) * scale;
  int32_t r = std::min(align_corners ? static_cast<int32_t>(std::round(v))
                                     : static_cast<int32_t>(std::floor(v)),
                       in_size - 1);
  if (half_pixel) r = std::max(0, r);
  return r;
}

class ResizeNearest : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { CheckResizeShapes(ctx); }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const size_t es = DTypeSize(in.type);
    const int32_t ih = in.dim(1), iw = in.dim(2), oh = out.dim(1), ow = out.dim(2);
    const size_t depth_bytes = static_cast<size_t>(in.dim(3)) * es;
    const auto* src = static_cast<const uint8_t*>(in.data);
    auto* dst = static_cast<uint8_t*>(out.data);
    for (int32_t b = 0; b < in.dim(0); ++b) {
      for (int32_t y = 0; y < oh; ++y) {
        const int32_t sy = NearestIndex(y, ih, oh, o.align_corners, o.half_pixel_centers);
        for (int32_t x = 0; x < ow; ++x) {
          const int32_t sx = NearestIndex(x, iw, ow, o.align_corners, o.half_pixel_centers);
          std::memcpy(dst + ((int64_t{b} * oh + y) * ow + x) * depth_bytes,
                      src + ((int64_t{b} * ih + sy) * iw + sx) * depth_bytes, depth_bytes);
        }
      }
    }
  }
};

// TFLite ComputeInterpolationValues (float).
void FloatInterp(int32_t v, float scale, bool half_pixel, int32_t in_size, float* scaled,
                 int32_t* lo, int32_t* hi) {
  *scaled = half_pixel ? (static_cast<float>(v) + 0.5f) * scale - 0.5f
                       : static_cast<float>(v) * scale;
  *lo = std::max(static_cast<int32_t>(std::floor(*scaled)), 0);
  *hi = std::min(static_cast<int32_t>(std::ceil(*scaled)), in_size - 1);
}

// TFLite ComputeInterpolationValuesInteger (10 fractional bits).
void IntInterp(int32_t v, int32_t scale_10, bool half_pixel, int32_t in_size, int32_t* scaled,
               int32_t* lo, int32_t* hi) {
  *scaled = half_pixel ? v * scale_10 + scale_10 / 2 - (1 << 9) : v * scale_10;
  *lo = std::max(*scaled / (1 << 10), 0);
  *hi = std::min((*scaled + (1 << 10) - 1) / (1 << 10), in_size - 1);
}

class ResizeBilinear : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { CheckResizeShapes(ctx); }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    if (in.type == DType::kUInt8) {
      EvalFloatPath(ctx);
    } else {
      EvalIntegerPath(ctx);
    }
  }

 private:
  static void EvalFloatPath(const KernelContext& ctx) {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const int32_t ih = in.dim(1), iw = in.dim(2), oh = out.dim(1), ow = out.dim(2),
                  depth = in.dim(3);
    const float hs = (o.align_corners && oh > 1)
                         ? static_cast<float>(ih - 1) / static_cast<float>(oh - 1)
                         : static_cast<float>(ih) / static_cast<float>(oh);
    const float ws = (o.align_corners && ow > 1)
                         ? static_cast<float>(iw - 1) / static_cast<float>(ow - 1)
                         : static_cast<float>(iw) / static_cast<float>(ow);
    const uint8_t* src = in.as<uint8_t>();
    uint8_t* dst = out.as<uint8_t>();
    int64_t k = 0;
    for (int32_t b = 0; b < in.dim(0); ++b) {
      for (int32_t y = 0; y < oh; ++y) {
        float fy;
        int32_t y0, y1;
        FloatInterp(y, hs, o.half_pixel_centers, ih, &fy, &y0, &y1);
        for (int32_t x = 0; x < ow; ++x) {
          float fx;
          int32_t x0, x1;
          FloatInterp(x, ws, o.half_pixel_centers, iw, &fx, &x0, &x1);
          const int64_t off[4] = {((int64_t{b} * ih + y0) * iw + x0) * depth,
                                  ((int64_t{b} * ih + y0) * iw + x1) * depth,
                                  ((int64_t{b} * ih + y1) * iw + x0) * depth,
                                  ((int64_t{b} * ih + y1) * iw + x1) * depth};
          const float dy = fy - static_cast<float>(y0), dx = fx - static_cast<float>(x0);
          const float w[4] = {(1 - dy) * (1 - dx), (1 - dy) * dx, dy * (1 - dx), dy * dx};
          for (int32_t c = 0; c < depth; ++c) {
            const float v = static_cast<float>(src[off[0] + c]) * w[0] +
                            static_cast<float>(src[off[1] + c]) * w[1] +
                            static_cast<float>(src[off[2] + c]) * w[2] +
                            static_cast<float>(src[off[3] + c]) * w[3] + 0.5f;
            dst[k++] = static_cast<uint8_t>(v);
          }
        }
      }
    }
  }

  static void EvalIntegerPath(const KernelContext& ctx) {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const int32_t ih = in.dim(1), iw = in.dim(2), oh = out.dim(1), ow = out.dim(2),
                  depth = in.dim(3);
    int32_t hs = ((1 << 10) * ih + oh / 2) / oh;
    int32_t ws = ((1 << 10) * iw + ow / 2) / ow;
    if (o.align_corners && oh > 1) hs = ((1 << 10) * (ih - 1) + (oh - 1) / 2) / (oh - 1);
    if (o.align_corners && ow > 1) ws = ((1 << 10) * (iw - 1) + (ow - 1) / 2) / (ow - 1);
    int64_t k = 0;
    for (int32_t b = 0; b < in.dim(0); ++b) {
      for (int32_t y = 0; y < oh; ++y) {
        int32_t sy, y0, y1;
        IntInterp(y, hs, o.half_pixel_centers, ih, &sy, &y0, &y1);
        for (int32_t x = 0; x < ow; ++x) {
          int32_t sx, x0, x1;
          IntInterp(x, ws, o.half_pixel_centers, iw, &sx, &x0, &x1);
          const int64_t wy1 = sy - (1 << 10) * y0, wy0 = (1 << 10) - wy1;
          const int64_t wx1 = sx - (1 << 10) * x0, wx0 = (1 << 10) - wx1;
          for (int32_t c = 0; c < depth; ++c) {
            auto at = [&](int32_t yy, int32_t xx) -> int64_t {
              return LoadQ(in, ((int64_t{b} * ih + yy) * iw + xx) * depth + c);
            };
            const int64_t v20 = at(y0, x0) * wy0 * wx0 + at(y1, x0) * wy1 * wx0 +
                                at(y0, x1) * wy0 * wx1 + at(y1, x1) * wy1 * wx1;
            const int64_t round = v20 > 0 ? (1 << 19) : -(1 << 19);
            StoreQ(out, k++, static_cast<int32_t>((v20 + round) / (1 << 20)));
          }
        }
      }
    }
  }
};

bool Accepts(const KernelContext& ctx) {
  const DType t = InType(ctx, 0);
  return (IsQ8(t) || t == DType::kInt16) && OutType(ctx, 0) == t;
}

std::unique_ptr<OpKernel> NearestFactory(const KernelContext& ctx) {
  return Accepts(ctx) ? Make<ResizeNearest>() : nullptr;
}

std::unique_ptr<OpKernel> BilinearFactory(const KernelContext& ctx) {
  return Accepts(ctx) ? Make<ResizeBilinear>() : nullptr;
}

}  // namespace

void RegisterResize(KernelRegistry& r) {
  r.Register(OpType::RESIZE_NEAREST_NEIGHBOR, "ref/quantized/resize_nearest_neighbor",
             kRefPriority, NearestFactory);
  r.Register(OpType::RESIZE_BILINEAR, "ref/quantized/resize_bilinear", kRefPriority,
             BilinearFactory);
}

}  // namespace cae::qref
