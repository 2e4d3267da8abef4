// Dynamic-range ("hybrid") quantization, as the TFLite converter writes it.
//
// Contract: for each CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED whose float32 constant
// weights hold at least min_elements values (TFLite's default threshold: 1024; smaller weights
// stay float, as TFLite leaves them), the weights become int8 symmetric in [-127, 127]:
// per-channel for CONV_2D (axis 0) and DEPTHWISE_CONV_2D (axis 3), per-tensor for
// FULLY_CONNECTED, whose option asymmetric_quantize_inputs is set (TFLite's hybrid scheme).
// Biases, activations and every other op stay float32. A weight tensor shared with another op
// is copied first.
#pragma once

#include "graph/graph.h"

namespace cae::quant {

struct DynamicRangeOptions {
  int min_elements = 1024;
  bool per_tensor = false;  // per-tensor weights for CONV_2D too
};

// Returns the number of weight tensors quantized.
int QuantizeDynamicRange(Graph& g, const DynamicRangeOptions& options = {});

}  // namespace cae::quant
