// TRANSPOSE_CONV, float32. Inputs: output_shape (int32 [4]), weights OHWI, input NHWC, optional
// bias [O]. Each input pixel scatters input * filter into the output window starting at
// (y*stride - pad, x*stride - pad), where pad is the padding a CONV_2D from the output's size
// would use; then bias and the fused activation.
#include "graph/shape_inference.h"
#include "kernels/parallel.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class TransposeConv : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    CheckTransposeConv(ctx);
  }

  void Eval(const KernelContext& ctx) override {
    const OpOptions& o = ctx.op->options;
    const TensorView& w = Input(ctx, 1);
    const TensorView& in = Input(ctx, 2);
    TensorView& out = Output(ctx, 0);
    const float* input = in.as<float>();
    const float* filter = w.as<float>();
    const float* bias = HasInput(ctx, 3) ? Input(ctx, 3).as<float>() : nullptr;
    float* output = out.as<float>();
    const int batches = in.dim(0), in_h = in.dim(1), in_w = in.dim(2), in_c = in.dim(3);
    const int f_h = w.dim(1), f_w = w.dim(2), out_c = w.dim(0);
    const int out_h = out.dim(1), out_w = out.dim(2);
    const int pad_h = ConvPaddingBefore(o.stride_h, 1, out_h, f_h,
                                        ConvOutputSize(o.padding, out_h, f_h, o.stride_h, 1));
    const int pad_w = ConvPaddingBefore(o.stride_w, 1, out_w, f_w,
                                        ConvOutputSize(o.padding, out_w, f_w, o.stride_w, 1));
    const int64_t image = int64_t{out_h} * out_w * out_c;
    // One task per image: scatters from different input pixels overlap within an image.
    ParallelFor(ctx.pool, batches, 1, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        float* dst = output + b * image;
        std::fill(dst, dst + image, 0.0f);
        for (int iy = 0; iy < in_h; ++iy) {
          for (int ix = 0; ix < in_w; ++ix) {
            const float* x = input + ((b * in_h + iy) * in_w + ix) * in_c;
            for (int ky = 0; ky < f_h; ++ky) {
              const int oy = iy * o.stride_h - pad_h + ky;
              if (oy < 0 || oy >= out_h) continue;
              for (int kx = 0; kx < f_w; ++kx) {
                const int ox = ix * o.stride_w - pad_w + kx;
                if (ox < 0 || ox >= out_w) continue;
                float* y = dst + (int64_t{oy} * out_w + ox) * out_c;
                for (int oc = 0; oc < out_c; ++oc) {
                  const float* f = filter + ((int64_t{oc} * f_h + ky) * f_w + kx) * in_c;
                  float acc = 0.0f;
                  for (int ic = 0; ic < in_c; ++ic) acc += x[ic] * f[ic];
                  y[oc] += acc;
                }
              }
            }
          }
        }
        for (int64_t i = 0; i < image; ++i) {
          const float v = bias ? dst[i] + bias[i % out_c] : dst[i];
          dst[i] = Activate(v, o.activation);
        }
      }
    });
  }
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!InputIs(ctx, 1, DType::kFloat32) || !InputIs(ctx, 2, DType::kFloat32) ||
      !OutputIs(ctx, 0, DType::kFloat32))
    return nullptr;
  if (HasInput(ctx, 3) && !InputIs(ctx, 3, DType::kFloat32)) return nullptr;
  return std::make_unique<TransposeConv>();
}

}  // namespace

void RegisterTransposeConv(KernelRegistry& r) {
  r.Register(OpType::TRANSPOSE_CONV, "ref/float/transpose_conv", kRefPriority, Create);
}

}  // namespace cae::ref
