// Pass: remove ops that compute the identity.
//
// Contract: an op is removed only when its (single) output equals its first input element by
// element for every input value, with the same shape, type and quantization:
//  - RESHAPE / SQUEEZE / EXPAND_DIMS whose output shape equals the input shape;
//  - CONCATENATION of one input; CAST to the same type;
//  - ADD / SUB of an all-zero constant, MUL / DIV by an all-one constant (the constant on the
//    right for SUB and DIV), broadcasting not changing the shape, no fused activation;
//  - PAD / PADV2 / MIRROR_PAD with all-zero paddings;
//  - RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR to the same height and width;
//  - AVERAGE_POOL_2D / MAX_POOL_2D with a 1x1 filter, stride 1, no fused activation.
// Readers of the output read the input instead. When the output is a graph output, the op that
// produces the input writes the output tensor directly (kept name), if the input has no other
// use; otherwise the op stays. Tensors left unused are not deleted (RemoveDeadOps does that).
#pragma once

#include "graph/graph.h"

namespace cae::passes {

// Returns the number of ops removed.
int RemoveIdentityOps(Graph& g);

}  // namespace cae::passes
