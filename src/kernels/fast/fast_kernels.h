// Registration of the optimized kernels in kernels/fast (priority kFastPriority). Each factory
// returns nullptr for what it does not handle, so the reference kernel runs instead.
// Two groups, each with its own registration file: float32 and data-movement ops
// (register_fast_float.cc) and quantized compute ops (register_fast_quant.cc).
#pragma once

#include "kernels/kernel.h"

namespace cae::fast {

void RegisterFastFloatKernels(KernelRegistry& r);  // register_fast_float.cc
void RegisterFastQuantKernels(KernelRegistry& r);  // register_fast_quant.cc

// Float32 and data-movement ops.
void RegisterFastConvF32(KernelRegistry& r);   // CONV_2D float32
void RegisterFastMaxPool(KernelRegistry& r);   // MAX_POOL_2D float32 and int8
void RegisterFastAvgPool(KernelRegistry& r);   // AVERAGE_POOL_2D float32, int8 and uint8
void RegisterFastElementwiseF32(KernelRegistry& r);  // LOGISTIC, RELU.., ADD/SUB/MUL.. float32
void RegisterFastResizeNearest(KernelRegistry& r);   // RESIZE_NEAREST_NEIGHBOR, any type
void RegisterFastTransposeConvF32(KernelRegistry& r);  // TRANSPOSE_CONV float32
void RegisterFastFullyConnectedF32(KernelRegistry& r);  // FULLY_CONNECTED float32
void RegisterFastPad(KernelRegistry& r);  // PAD, PADV2, any fixed-size type
void RegisterFastMirrorPad(KernelRegistry& r);  // MIRROR_PAD, any fixed-size type
void RegisterFastResizeBilinear(KernelRegistry& r);  // RESIZE_BILINEAR float32, uint8, int8
void RegisterFastArgMax(KernelRegistry& r);  // ARG_MAX float32, uint8, int8 -> int32/int64
void RegisterFastDepthwiseF32(KernelRegistry& r);  // DEPTHWISE_CONV_2D float32

// Quantized compute ops.
void RegisterFastConvInt8(KernelRegistry& r);  // CONV_2D int8, per-channel weights
void RegisterFastDepthwiseQ8(KernelRegistry& r);  // DEPTHWISE_CONV_2D int8/uint8
void RegisterFastQuantizeQ8(KernelRegistry& r);   // QUANTIZE/DEQUANTIZE float <-> int8/uint8
void RegisterFastAddQ8(KernelRegistry& r);  // ADD/SUB/MUL int8/uint8 (b may repeat along last axis)
void RegisterFastFullyConnectedQ8(KernelRegistry& r);  // FULLY_CONNECTED int8/uint8
void RegisterFastLutQ8(KernelRegistry& r);  // LOGISTIC, TANH int8/uint8 (table lookup)
void RegisterFastTransposeConvQ8(KernelRegistry& r);  // TRANSPOSE_CONV int8/uint8
void RegisterFastHybrid(KernelRegistry& r);  // CONV_2D, FULLY_CONNECTED float32 in/out, int8 weights
void RegisterFastHybridDepthwise(KernelRegistry& r);  // DEPTHWISE_CONV_2D float32 in/out, int8 weights

}  // namespace cae::fast
