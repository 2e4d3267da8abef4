// Pass: make every shape static with batch N (the Edge TPU needs batch 1 and static shapes).
//
// Contract: the graph's activations must all carry the batch as their leading dimension (true for
// graphs of per-sample ops: convolutions, pools, resizes, elementwise ops, dense layers). Every
// non-constant tensor of rank >= 1 gets dim 0 = N; shape_signature is cleared (static). RESHAPE
// target shapes (options.new_shape and a constant int32 shape input) and TRANSPOSE_CONV output
// shapes (constant input 0) get dim 0 = N unless it is -1. A RESHAPE whose target dim 0 is
// neither -1 nor the old batch folds the batch into other dims and is rejected with cae::Error
// naming the op. The old batch is the graph inputs' dim 0
// (they must agree; a dynamic -1 or 0 counts as any).
#pragma once

#include "graph/graph.h"

namespace cae::passes {

// Returns the number of tensors whose shape changed.
int SetBatch(Graph& g, int batch);

}  // namespace cae::passes
