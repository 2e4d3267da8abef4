// Geometry of one NHWC CONV_2D (OHWI filter) as the fast kernels use it: sizes, strides,
// dilations and TFLite's leading padding, taken from the kernel context after shape inference.
#pragma once

#include <cstdint>

#include "graph/shape_inference.h"
#include "kernels/kernel.h"

namespace cae::fast {

struct ConvGeometry {
  int batches = 0, in_h = 0, in_w = 0, in_c = 0;
  int f_h = 0, f_w = 0, out_c = 0;
  int out_h = 0, out_w = 0;
  int stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  int pad_h = 0, pad_w = 0;

  // From input 0 (NHWC), input 1 (OHWI) and output 0 of ctx; shapes must already be checked.
  static ConvGeometry From(const KernelContext& ctx) {
    const OpOptions& o = ctx.op->options;
    const TensorView& in = *ctx.inputs[0];
    const TensorView& w = *ctx.inputs[1];
    const TensorView& out = *ctx.outputs[0];
    ConvGeometry g;
    g.batches = in.dim(0);
    g.in_h = in.dim(1);
    g.in_w = in.dim(2);
    g.in_c = in.dim(3);
    g.out_c = w.dim(0);
    g.f_h = w.dim(1);
    g.f_w = w.dim(2);
    g.out_h = out.dim(1);
    g.out_w = out.dim(2);
    g.stride_h = o.stride_h;
    g.stride_w = o.stride_w;
    g.dil_h = o.dilation_h;
    g.dil_w = o.dilation_w;
    g.pad_h = ConvPaddingBefore(o.stride_h, o.dilation_h, g.in_h, g.f_h, g.out_h);
    g.pad_w = ConvPaddingBefore(o.stride_w, o.dilation_w, g.in_w, g.f_w, g.out_w);
    return g;
  }

  // Filter taps [*k0, *k1) whose input coordinate o*stride - pad + k*dil lies in [0, in).
  static void ValidTaps(int o, int stride, int pad, int dil, int f, int in, int* k0, int* k1) {
    const int base = o * stride - pad;
    int a = 0, b = f;
    while (a < f && base + a * dil < 0) ++a;
    while (b > a && base + (b - 1) * dil >= in) --b;
    *k0 = a;
    *k1 = b;
  }
};

// Geometry of one pooling op (NHWC, per image); pad_* are the leading paddings.
struct PoolGeometry {
  int in_h, in_w, ch, out_h, out_w, f_h, f_w, stride_h, stride_w, pad_h, pad_w;
};

// The pool geometry of a MAX_POOL_2D / AVERAGE_POOL_2D context (Prepare time, conv_geometry.cc):
// checks a 4-D input, positive strides and filter sizes and the output shape (throwing the
// reference kernels' messages) and computes TFLite's leading paddings.
PoolGeometry PreparePoolGeometry(const KernelContext& ctx);

// One image of a TRANSPOSE_CONV (NHWC, leading paddings pad_*): in_h x in_w x in_c into out_h x
// out_w x ocp (out_c padded). icp2 (in_c rounded up to even) is used by the quantized kernel's
// int16 channel pairs only.
struct TransposeConvGeometry {
  int in_h, in_w, in_c, icp2, f_h, f_w, out_h, out_w, ocp, stride_h, stride_w, pad_h, pad_w;
};

// Rounds n up to a multiple of m.
inline int RoundUp(int n, int m) { return (n + m - 1) / m * m; }

// Output channels of packed weights are padded to this many (the widest SIMD vector of floats
// or int32s Highway may pick), so every vector load stays inside the packed buffer.
inline constexpr int kOcAlign = 16;

}  // namespace cae::fast
