// MAX_POOL_2D and AVERAGE_POOL_2D, float32, NHWC. Windows are clipped to the input (padding never
// counts: the average divides by the number of in-bounds elements), then the fused activation.
#include <limits>

#include "graph/shape_inference.h"
#include "kernels/parallel.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

template <bool kMax>
class Pool : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const OpOptions& o = ctx.op->options;
    const TensorView& in = Input(ctx, 0);
    KCheck(ctx, in.rank() == 4, "input must be 4-D, got ", ShapeToString(in.shape));
    KCheck(ctx, o.stride_h > 0 && o.stride_w > 0 && o.filter_h > 0 && o.filter_w > 0,
           "strides and filter sizes must be positive");
    CheckActivation(ctx, o.activation);
    CheckOutputShape(ctx, 0, {in.dim(0), ConvOutputSize(o.padding, in.dim(1), o.filter_h, o.stride_h, 1),
                              ConvOutputSize(o.padding, in.dim(2), o.filter_w, o.stride_w, 1), in.dim(3)});
  }

  void Eval(const KernelContext& ctx) override {
    const OpOptions& o = ctx.op->options;
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    const float* input = in.as<float>();
    float* output = out.as<float>();
    const int batches = in.dim(0), in_h = in.dim(1), in_w = in.dim(2), ch = in.dim(3);
    const int out_h = out.dim(1), out_w = out.dim(2);
    const int pad_h = ConvPaddingBefore(o.stride_h, 1, in_h, o.filter_h, out_h);
    const int pad_w = ConvPaddingBefore(o.stride_w, 1, in_w, o.filter_w, out_w);
    ParallelFor(ctx.pool, int64_t{batches} * out_h, 1, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int b = static_cast<int>(row / out_h), oy = static_cast<int>(row % out_h);
        const int y0 = std::max(oy * o.stride_h - pad_h, 0);
        const int y1 = std::min(oy * o.stride_h - pad_h + o.filter_h, in_h);
        for (int ox = 0; ox < out_w; ++ox) {
          const int x0 = std::max(ox * o.stride_w - pad_w, 0);
          const int x1 = std::min(ox * o.stride_w - pad_w + o.filter_w, in_w);
          for (int c = 0; c < ch; ++c) {
            float acc = kMax ? std::numeric_limits<float>::lowest() : 0.0f;
            int count = 0;
            for (int iy = y0; iy < y1; ++iy) {
              for (int ix = x0; ix < x1; ++ix) {
                const float v = input[((int64_t{b} * in_h + iy) * in_w + ix) * ch + c];
                if (kMax) acc = std::max(acc, v);
                else acc += v;
                ++count;
              }
            }
            if (!kMax) acc = count > 0 ? acc / static_cast<float>(count) : 0.0f;
            output[((int64_t{b} * out_h + oy) * out_w + ox) * ch + c] = Activate(acc, o.activation);
          }
        }
      }
    });
  }
};

template <bool kMax>
std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!InputIs(ctx, 0, DType::kFloat32) || !OutputIs(ctx, 0, DType::kFloat32)) return nullptr;
  return std::make_unique<Pool<kMax>>();
}

}  // namespace

void RegisterPool(KernelRegistry& r) {
  r.Register(OpType::MAX_POOL_2D, "ref/float/max_pool_2d", kRefPriority, Create<true>);
  r.Register(OpType::AVERAGE_POOL_2D, "ref/float/average_pool_2d", kRefPriority, Create<false>);
}

}  // namespace cae::ref
