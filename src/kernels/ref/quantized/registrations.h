// One registration function per kernel file of kernels/ref/quantized; register.cc calls them all.
#pragma once

#include "kernels/kernel.h"

namespace cae::qref {

void RegisterConv(KernelRegistry& r);            // conv.cc: CONV_2D int8/uint8
void RegisterDepthwiseConv(KernelRegistry& r);   // depthwise_conv.cc
void RegisterTransposeConv(KernelRegistry& r);   // transpose_conv.cc
void RegisterFullyConnected(KernelRegistry& r);  // fully_connected.cc
void RegisterHybrid(KernelRegistry& r);          // hybrid.cc: float input, int8 weights
void RegisterPooling(KernelRegistry& r);         // pooling.cc
void RegisterReduce(KernelRegistry& r);          // reduce.cc: MEAN, SUM
void RegisterResize(KernelRegistry& r);          // resize.cc
void RegisterConcatSplit(KernelRegistry& r);     // concat_split.cc
void RegisterBinary(KernelRegistry& r);          // binary.cc: ADD SUB MUL MAXIMUM MINIMUM
void RegisterActivations(KernelRegistry& r);     // activations.cc
void RegisterSoftmax(KernelRegistry& r);         // softmax.cc
void RegisterShapeOps(KernelRegistry& r);        // shape_ops.cc: RESHAPE SQUEEZE PAD TILE ...
void RegisterQuantize(KernelRegistry& r);        // quantize.cc: QUANTIZE DEQUANTIZE
void RegisterArgMax(KernelRegistry& r);          // arg_max.cc

}  // namespace cae::qref
