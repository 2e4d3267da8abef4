// Helpers shared by the float32 reference kernels: type checks, fused activations, broadcasting,
// reading small int inputs. Reference kernels are the plainest correct code: the specification
// the fast kernels are tested against.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph/error.h"
#include "graph/shape.h"
#include "kernels/kernel.h"

namespace cae::ref {

// True if ctx has input i (not omitted) of type t.
inline bool InputIs(const KernelContext& ctx, size_t i, DType t) {
  return i < ctx.inputs.size() && ctx.inputs[i] != nullptr && ctx.inputs[i]->type == t;
}
inline bool HasInput(const KernelContext& ctx, size_t i) {
  return i < ctx.inputs.size() && ctx.inputs[i] != nullptr;
}
inline bool OutputIs(const KernelContext& ctx, size_t i, DType t) {
  return i < ctx.outputs.size() && ctx.outputs[i] != nullptr && ctx.outputs[i]->type == t;
}

// True for ops that only move elements: input 0 has a fixed-size type and every output has the
// same type and quantization as input 0 (so float, int and quantized data move alike).
bool IsElementCopy(const KernelContext& ctx);

// Input i / output i, throwing (naming the op) when absent.
const TensorView& Input(const KernelContext& ctx, size_t i);
TensorView& Output(const KernelContext& ctx, size_t i);

// Throws "<op>: <message>" unless cond.
template <typename... Args>
void KCheck(const KernelContext& ctx, bool cond, Args&&... args) {
  if (!cond) Fail(ctx.Describe(), ": ", std::forward<Args>(args)...);
}

// Checks that output i has exactly `shape` (the interpreter sets it from shape inference).
void CheckOutputShape(const KernelContext& ctx, size_t i, const std::vector<int32_t>& shape);

// The fused activation TFLite applies after the op, in float.
inline float Activate(float x, Activation a) {
  switch (a) {
    case Activation::kNone: return x;
    case Activation::kRelu: return std::max(x, 0.0f);
    case Activation::kReluN1To1: return std::min(std::max(x, -1.0f), 1.0f);
    case Activation::kRelu6: return std::min(std::max(x, 0.0f), 6.0f);
    case Activation::kTanh: return std::tanh(x);
    case Activation::kSignBit: return std::signbit(x) ? 1.0f : 0.0f;
  }
  return x;
}
// Throws unless a is an activation the float kernels apply (all but SIGN_BIT).
void CheckActivation(const KernelContext& ctx, Activation a);

// CONV_2D / DEPTHWISE_CONV_2D checks after the filter's own: positive strides and dilations, a
// bias (input 2, if present) of out_c elements, a supported fused activation, and output 0 of
// shape [N, oh, ow, out_c] for the options' padding, strides and dilations, whose padded input
// image fits (PaddedConvImageFits, graph/shape_inference.h).
void CheckConvOutput(const KernelContext& ctx, const TensorView& in, int32_t f_h, int32_t f_w, int32_t out_c);

// DEPTHWISE_CONV_2D's Prepare checks: 4-D input and 1HWC filter (inputs 0 and 1) whose channels
// are a multiple of the input's, then CheckConvOutput. Shared by the reference and fast kernels.
void CheckDepthwiseConv(const KernelContext& ctx);

// TRANSPOSE_CONV (inputs: output_shape, filter OHWI, input NHWC, optional bias): 4-D tensors, the
// filter fitting input and output channels, positive strides, an output whose CONV_2D (same
// padding, stride, dilation 1) gives the input's size, a bias of O elements, a supported
// activation.
void CheckTransposeConv(const KernelContext& ctx);

// Integer contents of a small int32/int64 input (shape operands such as axes or paddings).
std::vector<int64_t> ReadInts(const KernelContext& ctx, size_t i, const char* what);

// Maps each output element index to element offsets of an input under numpy broadcasting.
// Dims are right-aligned; rank up to kMaxBroadcastRank.
inline constexpr int kMaxBroadcastRank = 6;
struct BroadcastMap {
  std::vector<int32_t> out_shape;
  std::vector<std::vector<int64_t>> strides;  // per input, per output dim (0 where broadcast)

  // Builds the map for inputs broadcasting to out; throws naming ctx on mismatch.
  BroadcastMap(const KernelContext& ctx, const std::vector<std::vector<int32_t>>& inputs,
               const std::vector<int32_t>& out);
  // Calls fn(out_index, offsets) for each output element in row-major order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    const int rank = static_cast<int>(out_shape.size());
    const int64_t total = NumElements(out_shape);
    std::vector<int32_t> idx(rank, 0);
    std::vector<int64_t> off(strides.size(), 0);
    for (int64_t n = 0; n < total; ++n) {
      fn(n, off);
      for (int d = rank - 1; d >= 0; --d) {
        ++idx[d];
        for (size_t k = 0; k < off.size(); ++k) off[k] += strides[k][d];
        if (idx[d] < out_shape[d]) break;
        for (size_t k = 0; k < off.size(); ++k) off[k] -= strides[k][d] * out_shape[d];
        idx[d] = 0;
      }
    }
  }
};

// A kernel that is a plain function of ctx, with an optional shape check in Prepare.
template <typename Derived>
std::unique_ptr<OpKernel> Make() {
  return std::make_unique<Derived>();
}

// Row-major strides of a shape.
std::vector<int64_t> Strides(const std::vector<int32_t>& shape);

}  // namespace cae::ref
