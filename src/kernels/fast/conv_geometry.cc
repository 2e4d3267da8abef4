// PreparePoolGeometry (conv_geometry.h): the Prepare-time checks and geometry the fast pooling
// kernels (max_pool.cc, avg_pool.cc) share.
#include "kernels/fast/conv_geometry.h"

#include "graph/shape_inference.h"
#include "kernels/ref/float/common.h"

namespace cae::fast {

PoolGeometry PreparePoolGeometry(const KernelContext& ctx) {
  const OpOptions& o = ctx.op->options;
  const TensorView& in = ref::Input(ctx, 0);
  const TensorView& out = ref::Output(ctx, 0);
  ref::KCheck(ctx, in.rank() == 4, "input must be 4-D, got ", ShapeToString(in.shape));
  ref::KCheck(ctx, o.stride_h > 0 && o.stride_w > 0 && o.filter_h > 0 && o.filter_w > 0,
              "strides and filter sizes must be positive");
  ref::CheckOutputShape(
      ctx, 0,
      {in.dim(0), ConvOutputSize(o.padding, in.dim(1), o.filter_h, o.stride_h, 1),
       ConvOutputSize(o.padding, in.dim(2), o.filter_w, o.stride_w, 1), in.dim(3)});
  PoolGeometry g{in.dim(1), in.dim(2),   in.dim(3),   out.dim(1), out.dim(2), o.filter_h,
                 o.filter_w, o.stride_h, o.stride_w, 0,          0};
  g.pad_h = ConvPaddingBefore(o.stride_h, 1, g.in_h, o.filter_h, g.out_h);
  g.pad_w = ConvPaddingBefore(o.stride_w, 1, g.in_w, o.filter_w, g.out_w);
  return g;
}

}  // namespace cae::fast
