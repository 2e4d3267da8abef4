// Shape inference: recomputes every non-constant tensor's shape from the graph inputs' shapes,
// the ops' options and their constant (or shape-derived) inputs, following TFLite's semantics.
// The interpreter uses it when the batch size changes; the importers and passes use it to fill
// shapes. The geometry helpers below are shared with the kernels so both agree exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace cae {

// Recomputes, in op order, the shape of every tensor produced by an op of g from the current
// shapes of g's inputs. A new batch size at the inputs propagates; a RESHAPE whose constant target
// shape repeats the stored batch as its leading dim follows the new batch. Ops this file does not
// know keep their stored output shapes if their input shapes are unchanged, else fail.
// Throws cae::Error naming the op on inconsistent shapes.
void InferShapes(Graph& g);

// Sets the leading dim of every graph input of rank >= 1 to batch, then infers shapes as
// InferShapes, treating g's shapes before the call as the stored ones (so a RESHAPE to
// [stored_batch, ...] follows the new batch, and other fixed leading dims fail with
// "batch N not supported by op ...").
void InferShapesForBatch(Graph& g, int32_t batch);

// TFLite output size of a convolution/pool along one spatial dim (>= 0 for valid input).
int32_t ConvOutputSize(Padding padding, int32_t in, int32_t filter, int32_t stride,
                       int32_t dilation);

// TFLite padding before the data along one spatial dim for an op producing `out` from `in`;
// the odd extra pad of SAME padding goes after (bottom/right).
int32_t ConvPaddingBefore(int32_t stride, int32_t dilation, int32_t in, int32_t filter,
                          int32_t out);

// Total padding (both sides, >= 0) along one spatial dim, in 64 bits: a huge dilation does not
// overflow.
int64_t ConvTotalPadding(int32_t stride, int32_t dilation, int32_t in, int32_t filter, int32_t out);

// Convolution kernels refuse an op whose padded input image (in_h + total padding) x (in_w +
// total padding) x channels holds more values than this: the fast kernels copy each image into a
// padded one, and their int32 coordinate arithmetic covers the padded extent.
constexpr int64_t kMaxPaddedConvValues = int64_t{1} << 31;
bool PaddedConvImageFits(int64_t padded_h, int64_t padded_w, int32_t channels);

// Numpy broadcast of two shapes (dims equal or 1). Throws cae::Error (without context) if they
// do not broadcast.
std::vector<int32_t> BroadcastShapes(const std::vector<int32_t>& a, const std::vector<int32_t>& b);

// STRIDED_SLICE resolved against an input shape (TFLite strided_slice_logic semantics, without
// ellipsis/new-axis masks): per input dim the first index, the stride and the element count.
struct StridedSliceDims {
  std::vector<int32_t> start;
  std::vector<int32_t> stride;
  std::vector<int32_t> count;        // per input dim
  std::vector<int32_t> output_shape;  // count without the shrunk dims
};
// begin/end/strides have one entry per input dim (fewer: the rest are taken whole).
StridedSliceDims ResolveStridedSlice(const std::vector<int32_t>& input_shape,
                                     const std::vector<int32_t>& begin,
                                     const std::vector<int32_t>& end,
                                     const std::vector<int32_t>& strides, const OpOptions& o);

// Integer contents of an int32/int64 constant tensor (empty optional-like: returns false if t is
// not a constant of those types).
bool ConstantInts(const Tensor& t, std::vector<int64_t>* values);

// Wraps a possibly negative axis into [0, rank); throws cae::Error (without context) if out of range.
int NormalizeAxis(int64_t axis, int rank);

}  // namespace cae
