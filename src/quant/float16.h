// float16 weight quantization, laid out as the TFLite converter writes it.
//
// Contract: every float32 constant read by an op becomes a float16 constant (round to nearest
// even) feeding a DEQUANTIZE op that writes the original float32 tensor (same index and name,
// now non-constant); the DEQUANTIZE ops are placed first in the op list. Ops, activations and
// graph inputs/outputs stay float32. A float32 value beyond the float16 range throws cae::Error
// naming the tensor.
#pragma once

#include "graph/graph.h"

namespace cae::quant {

// Returns the number of constants converted.
int QuantizeFloat16(Graph& g);

}  // namespace cae::quant
