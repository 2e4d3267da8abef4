// Per-op rules of TFLite's int8 specification, as the full-integer quantizer applies them: which
// ops have an int8 form, which inputs must share the output's scale and zero point, which outputs
// have fixed parameters, which inputs are weights and biases and along which axis.
#pragma once

#include <optional>
#include <vector>

#include "graph/graph.h"

namespace cae::quant {

enum class Int8Kind {
  kUnsupported,
  kWeighted,     // CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV
  kSameScale,    // the listed data inputs and output 0 share one scale / zero point
  kFixedOutput,  // output 0 has fixed parameters (LOGISTIC, SOFTMAX, TANH, ...)
  kFree,         // inputs and output have their own parameters (ADD, MUL, RELU, ...)
};

Int8Kind Int8KindOf(OpType t);

// Input slots of op that carry data in the same-scale group with output 0 (e.g. every input of
// CONCATENATION, input 0 of RESHAPE, inputs 0 and 2 of PADV2).
std::vector<int> SameScaleInputs(const Op& op);

// Fixed int8 output parameters (scale, zero point) of a kFixedOutput op.
struct FixedParams {
  float scale;
  int64_t zero_point;
};
std::optional<FixedParams> FixedOutputParams(OpType t);

// Weighted ops: the input slot of the weights and of the bias, and the per-channel axis of the
// weights (-1 for per-tensor).
struct WeightSlots {
  int weights;
  int bias;
  int input;  // the data input whose scale multiplies the weight scale in the bias scale
  int axis;
};
WeightSlots WeightSlotsOf(OpType t, bool per_tensor);

}  // namespace cae::quant
