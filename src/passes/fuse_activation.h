// Pass: fuse a standalone RELU / RELU6 / RELU_N1_TO_1 into the op that produces its input, as the
// TFLite converter does.
//
// Contract: activation op R reading tensor x fuses into the producer P of x when P is one of
// CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, SUB, MUL, and (if options allow)
// AVERAGE_POOL_2D, MAX_POOL_2D, CONCATENATION; P has no fused activation; R is x's only reader;
// x is not a graph output; x and R's output have the same type and quantization. P then writes
// R's output tensor with the activation fused, and R is removed. TRANSPOSE_CONV is never fused
// into (TFLite 2.12 kernels ignore its fused activation).
#pragma once

#include "graph/graph.h"

namespace cae::passes {

struct FuseActivationOptions {
  // The Edge TPU compiler maps pools and CONCATENATION only without a fused activation: turn off
  // for Edge TPU targets.
  bool into_pools_and_concat = true;
};

// Returns the number of activation ops fused.
int FuseActivations(Graph& g, const FuseActivationOptions& options = {});

}  // namespace cae::passes
