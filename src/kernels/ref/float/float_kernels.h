// Registration functions of the float32 reference kernels, one per file (family of ops).
// RegisterRefFloatKernels (register_float.cc) calls them all.
#pragma once

#include "kernels/kernel.h"

namespace cae::ref {

void RegisterConv(KernelRegistry& r);            // CONV_2D
void RegisterDepthwiseConv(KernelRegistry& r);   // DEPTHWISE_CONV_2D
void RegisterTransposeConv(KernelRegistry& r);   // TRANSPOSE_CONV
void RegisterFullyConnected(KernelRegistry& r);  // FULLY_CONNECTED
void RegisterPool(KernelRegistry& r);            // MAX_POOL_2D, AVERAGE_POOL_2D
void RegisterReduce(KernelRegistry& r);          // MEAN, SUM, REDUCE_MAX, REDUCE_MIN
void RegisterResize(KernelRegistry& r);          // RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR
void RegisterConcat(KernelRegistry& r);          // CONCATENATION
void RegisterBinary(KernelRegistry& r);          // ADD SUB MUL DIV MAXIMUM MINIMUM SQUARED_DIFFERENCE PRELU
void RegisterUnary(KernelRegistry& r);           // activations and elementwise math
void RegisterSoftmax(KernelRegistry& r);         // SOFTMAX, LOG_SOFTMAX
void RegisterReshape(KernelRegistry& r);         // RESHAPE, SQUEEZE, EXPAND_DIMS
void RegisterPad(KernelRegistry& r);             // PAD, PADV2, MIRROR_PAD
void RegisterSlice(KernelRegistry& r);           // SLICE, STRIDED_SLICE
void RegisterTranspose(KernelRegistry& r);       // TRANSPOSE
void RegisterArgMinMax(KernelRegistry& r);       // ARG_MAX, ARG_MIN
void RegisterTile(KernelRegistry& r);            // TILE
void RegisterSplit(KernelRegistry& r);           // SPLIT, SPLIT_V
void RegisterPack(KernelRegistry& r);            // PACK, UNPACK
void RegisterCast(KernelRegistry& r);            // CAST
void RegisterShape(KernelRegistry& r);           // SHAPE
void RegisterGather(KernelRegistry& r);          // GATHER
void RegisterDepthSpace(KernelRegistry& r);      // DEPTH_TO_SPACE, SPACE_TO_DEPTH

}  // namespace cae::ref
