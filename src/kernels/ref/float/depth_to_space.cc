// DEPTH_TO_SPACE and SPACE_TO_DEPTH (NHWC, block_size b, TensorFlow's DCR order): output pixel
// (y*b + dy, x*b + dx) channel c of DEPTH_TO_SPACE is input pixel (y, x) channel
// (dy*b + dx)*C_out + c; SPACE_TO_DEPTH is the inverse. Any element type whose quantization is
// unchanged.
#include <cstring>

#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

template <bool kToSpace>
class DepthSpace : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const int32_t b = ctx.op->options.block_size;
    KCheck(ctx, in.rank() == 4, "input must be 4-D, got ", ShapeToString(in.shape));
    KCheck(ctx, b > 0 && b <= 1024, "block_size ", b, " must be in [1, 1024]");
    if (kToSpace) {
      KCheck(ctx, in.dim(3) % (b * b) == 0, "channels ", in.dim(3), " not divisible by block_size^2");
      CheckOutputShape(ctx, 0, {in.dim(0), in.dim(1) * b, in.dim(2) * b, in.dim(3) / (b * b)});
    } else {
      KCheck(ctx, in.dim(1) % b == 0 && in.dim(2) % b == 0, "spatial dims ", ShapeToString(in.shape),
             " not divisible by block_size ", b);
      CheckOutputShape(ctx, 0, {in.dim(0), in.dim(1) / b, in.dim(2) / b, in.dim(3) * b * b});
    }
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    const int64_t b = ctx.op->options.block_size;
    const size_t elem = DTypeSize(in.type);
    // The "space" side (more pixels, fewer channels) and the "depth" side.
    const TensorView& space = kToSpace ? out : in;
    const TensorView& depth = kToSpace ? in : out;
    const int64_t n = depth.dim(0), h = depth.dim(1), w = depth.dim(2), c = space.dim(3);
    const uint8_t* x = in.as<uint8_t>();
    uint8_t* y = out.as<uint8_t>();
    for (int64_t bi = 0; bi < n; ++bi)
      for (int64_t yy = 0; yy < h; ++yy)
        for (int64_t xx = 0; xx < w; ++xx)
          for (int64_t dy = 0; dy < b; ++dy)
            for (int64_t dx = 0; dx < b; ++dx) {
              const int64_t d = (((bi * h + yy) * w + xx) * b * b + dy * b + dx) * c;
              const int64_t s = ((bi * h * b + yy * b + dy) * w * b + xx * b + dx) * c;
              if (kToSpace) std::memcpy(y + s * elem, x + d * elem, c * elem);
              else std::memcpy(y + d * elem, x + s * elem, c * elem);
            }
  }
};

template <bool kToSpace>
std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!IsElementCopy(ctx) || ctx.outputs.size() != 1) return nullptr;
  return std::make_unique<DepthSpace<kToSpace>>();
}

}  // namespace

void RegisterDepthSpace(KernelRegistry& r) {
  r.Register(OpType::DEPTH_TO_SPACE, "ref/float/depth_to_space", kRefPriority, Create<true>);
  r.Register(OpType::SPACE_TO_DEPTH, "ref/float/space_to_depth", kRefPriority, Create<false>);
}

}  // namespace cae::ref
