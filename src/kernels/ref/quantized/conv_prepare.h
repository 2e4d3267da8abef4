// Prepare-time checks and parameters shared by the 8-bit and hybrid convolution-like reference
// kernels (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED). Internal to kernels/ref/quantized.
// Every check throws cae::Error naming the op (ctx.Describe()).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/ref/quantized/qutil.h"

namespace cae::qref {

// Leading (top, left) padding of a 2-D convolution, TFLite's ComputePaddingHeightWidth.
struct ConvPadding2D {
  int32_t h = 0, w = 0;
};

// For CONV_2D (depthwise false: filter [out_c, kh, kw, in_c]) and DEPTHWISE_CONV_2D (filter
// [1, kh, kw, out_c], out_c a multiple of in_c): checks the ranks, the filter against the input
// depth, positive strides and dilations, and that the output is [N, oh, ow, out_c] for the
// options' padding and strides with dilations (dil_h, dil_w), and that one padded image fits
// (PaddedConvImageFits, graph/shape_inference.h); returns the leading padding.
ConvPadding2D CheckConvGeometry(const KernelContext& ctx, bool depthwise, int32_t dil_h, int32_t dil_w);

// Output channels of a CONV_2D or DEPTHWISE_CONV_2D filter.
inline int32_t ConvOutChannels(const TensorView& filter, bool depthwise) {
  return depthwise ? filter.dim(3) : filter.dim(0);
}

// Requires the optional bias to be absent or of `type` with n elements.
void CheckBias(const KernelContext& ctx, const TensorView* bias, DType type, int32_t n);

// Requantization multipliers of an 8-bit CONV_2D or DEPTHWISE_CONV_2D with out_c channels:
// uint8 takes TFLite's legacy per-tensor multiplier (the product of the input and filter scales
// computed in float), int8 one per channel from double products.
std::vector<QuantizedMultiplier> ConvOutputMultipliers(const KernelContext& ctx, const TensorView& in,
                                                       const TensorView& filter, const TensorView& out,
                                                       int32_t out_c);

// FULLY_CONNECTED shapes: weights [units, depth] in the default format, an input whose element
// count is batches * depth, an output of batches * units elements.
struct FullyConnectedShape {
  int32_t units = 0, depth = 0;
  int64_t batches = 0;
};
FullyConnectedShape CheckFullyConnectedShape(const KernelContext& ctx);

}  // namespace cae::qref
