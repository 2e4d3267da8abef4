// Pass: fold per-channel affine ops (a BatchNormalization lowered to MUL + ADD) into the
// convolution before them.
//
// Contract: for an op P in {CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV} with
// float32 constant weights (and bias, if any), no fused activation, whose output y has exactly one
// reader E and is not a graph output, where E is
//   MUL(y, s) / MUL(s, y)  -> weights[c] *= s[c], bias[c] *= s[c]
//   ADD(y, t) / ADD(t, y)  -> bias[c] += t[c]
//   SUB(y, t)              -> bias[c] -= t[c]
// with s / t float32 constants holding one value or one value per output channel (all dims 1 but
// the last), and E's output of y's shape: P takes over E's output tensor and fused activation and
// E is removed. Repeats until nothing folds (so MUL then ADD both fold). A missing bias is created
// (zeros). Weights or biases shared with other ops are copied first, so other ops are unchanged.
// Output channels: CONV_2D / TRANSPOSE_CONV / FULLY_CONNECTED weights dim 0, DEPTHWISE dim 3.
#pragma once

#include "graph/graph.h"

namespace cae::passes {

// Returns the number of elementwise ops folded.
int FoldBatchNorm(Graph& g);

}  // namespace cae::passes
