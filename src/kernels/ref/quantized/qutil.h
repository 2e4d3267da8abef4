// Helpers shared by the integer reference kernels: reading quantization parameters, type checks,
// NHWC indexing and TFLite's padding arithmetic. Internal to kernels/ref/quantized.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "graph/error.h"
#include "kernels/kernel.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"

namespace cae::qref {

inline bool IsQ8(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

// The tensor's input/output at index i, or throws naming the op.
const TensorView& In(const KernelContext& ctx, size_t i);
TensorView& Out(const KernelContext& ctx, size_t i);
// Input i if present (nullptr for an omitted optional input or a short input list).
const TensorView* OptIn(const KernelContext& ctx, size_t i);
// Type of input i, or nullopt-like kString when absent (factories use it to decline).
DType InType(const KernelContext& ctx, size_t i);
DType OutType(const KernelContext& ctx, size_t i);

// Per-tensor scale / zero point; throws naming ctx when the tensor is not quantized.
float Scale(const KernelContext& ctx, const TensorView& t);
int32_t ZeroPoint(const KernelContext& ctx, const TensorView& t);
// Per-channel scales of a weight tensor along its quantized dimension, broadcast to n entries
// when per-tensor. Throws when neither fits.
std::vector<float> ChannelScales(const KernelContext& ctx, const TensorView& t, int n);

// Requires rank r (names ctx and the tensor on failure).
void CheckRank(const KernelContext& ctx, const TensorView& t, int r);
void CheckSameShape(const KernelContext& ctx, const TensorView& a, const TensorView& b);

// TFLite ComputeOutSize / ComputePaddingHeightWidth for one spatial dimension, in 64-bit
// arithmetic (a huge dilation must not overflow): the filter's extent with dilation, the output
// size and the leading padding (clamped to int32).
int64_t ConvEffectiveFilter(int32_t filter, int32_t dilation);
int32_t ConvOutSize(Padding p, int32_t in, int32_t filter, int32_t stride, int32_t dilation);
int32_t ConvPadding(Padding p, int32_t in, int32_t filter, int32_t stride, int32_t dilation,
                    int32_t out);

// Clamps a value into [lo, hi] and converts.
template <typename T>
T ClampTo(int32_t v, int32_t lo, int32_t hi) {
  return static_cast<T>(std::min(hi, std::max(lo, v)));
}

// Reads element i of an 8-bit quantized tensor as int32.
inline int32_t Load8(const TensorView& t, int64_t i) {
  return t.type == DType::kInt8 ? static_cast<int32_t>(t.as<int8_t>()[i])
                                : static_cast<int32_t>(t.as<uint8_t>()[i]);
}
// Writes v (already clamped to the type's range) to element i.
inline void Store8(TensorView& t, int64_t i, int32_t v) {
  if (t.type == DType::kInt8) {
    t.as<int8_t>()[i] = static_cast<int8_t>(v);
  } else {
    t.as<uint8_t>()[i] = static_cast<uint8_t>(v);
  }
}

// Reads element i of an int8/uint8/int16 tensor as int32.
int32_t LoadQ(const TensorView& t, int64_t i);
void StoreQ(TensorView& t, int64_t i, int32_t v);

// Constant int32 values of a small index tensor (axis, multiples, paddings, size).
std::vector<int64_t> ReadIndexTensor(const KernelContext& ctx, const TensorView& t);
// ARG_MAX's Prepare checks (one constant axis in range, the output shape that reducing it gives);
// returns the axis, made non-negative. Shared by the reference and the fast kernel
// (defined in ref/quantized/arg_max.cc).
int PrepareArgMaxAxis(const KernelContext& ctx);

// Row-major strides for broadcasting `shape` (right-aligned) to `out` (rank >= shape's rank):
// stride 0 along broadcast dimensions. Throws when not broadcastable.
std::vector<int64_t> BroadcastStrides(const KernelContext& ctx, const std::vector<int32_t>& shape,
                                      const std::vector<int32_t>& out);

// The output of an int8/uint8 LOGISTIC or TANH (ctx's op) for every input value, as TFLite
// builds its table in float (dequantize, the function, round, add the output zero point, clamp):
// table[uint8_t(v)] for input v. Checks that input and output shapes match (activations.cc).
void BuildActivationTable(const KernelContext& ctx, uint8_t table[256]);

template <typename K>
std::unique_ptr<OpKernel> Make() {
  return std::make_unique<K>();
}

}  // namespace cae::qref
