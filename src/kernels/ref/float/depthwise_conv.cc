// DEPTHWISE_CONV_2D, float32: NHWC input, 1HW(C*M) filter (output channel c*M+m reads input
// channel c), optional bias, padding/stride/dilation as CONV_2D, fused activation.
#include "graph/shape_inference.h"
#include "kernels/parallel.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class DepthwiseConv2D : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { CheckDepthwiseConv(ctx); }

  void Eval(const KernelContext& ctx) override {
    const OpOptions& o = ctx.op->options;
    const TensorView& in = Input(ctx, 0);
    const TensorView& w = Input(ctx, 1);
    TensorView& out = Output(ctx, 0);
    const float* input = in.as<float>();
    const float* filter = w.as<float>();
    const float* bias = HasInput(ctx, 2) ? Input(ctx, 2).as<float>() : nullptr;
    float* output = out.as<float>();
    const int batches = in.dim(0), in_h = in.dim(1), in_w = in.dim(2), in_c = in.dim(3);
    const int f_h = w.dim(1), f_w = w.dim(2), out_c = w.dim(3);
    const int mult = out_c / in_c;
    const int out_h = out.dim(1), out_w = out.dim(2);
    const int pad_h = ConvPaddingBefore(o.stride_h, o.dilation_h, in_h, f_h, out_h);
    const int pad_w = ConvPaddingBefore(o.stride_w, o.dilation_w, in_w, f_w, out_w);
    ParallelFor(ctx.pool, int64_t{batches} * out_h, 1, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int b = static_cast<int>(row / out_h), oy = static_cast<int>(row % out_h);
        for (int ox = 0; ox < out_w; ++ox) {
          for (int ic = 0; ic < in_c; ++ic) {
            for (int m = 0; m < mult; ++m) {
              const int oc = ic * mult + m;
              float acc = 0.0f;
              for (int ky = 0; ky < f_h; ++ky) {
                const int iy = oy * o.stride_h - pad_h + ky * o.dilation_h;
                if (iy < 0 || iy >= in_h) continue;
                for (int kx = 0; kx < f_w; ++kx) {
                  const int ix = ox * o.stride_w - pad_w + kx * o.dilation_w;
                  if (ix < 0 || ix >= in_w) continue;
                  acc += input[((int64_t{b} * in_h + iy) * in_w + ix) * in_c + ic] *
                         filter[(int64_t{ky} * f_w + kx) * out_c + oc];
                }
              }
              if (bias) acc += bias[oc];
              output[((int64_t{b} * out_h + oy) * out_w + ox) * out_c + oc] = Activate(acc, o.activation);
            }
          }
        }
      }
    });
  }
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!InputIs(ctx, 0, DType::kFloat32) || !InputIs(ctx, 1, DType::kFloat32) ||
      !OutputIs(ctx, 0, DType::kFloat32))
    return nullptr;
  if (HasInput(ctx, 2) && !InputIs(ctx, 2, DType::kFloat32)) return nullptr;
  return std::make_unique<DepthwiseConv2D>();
}

}  // namespace

void RegisterDepthwiseConv(KernelRegistry& r) {
  r.Register(OpType::DEPTHWISE_CONV_2D, "ref/float/depthwise_conv_2d", kRefPriority, Create);
}

}  // namespace cae::ref
