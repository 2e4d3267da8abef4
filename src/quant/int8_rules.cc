#include "quant/int8_rules.h"

namespace cae::quant {

Int8Kind Int8KindOf(OpType t) {
  switch (t) {
    case OpType::CONV_2D:
    case OpType::DEPTHWISE_CONV_2D:
    case OpType::FULLY_CONNECTED:
    case OpType::TRANSPOSE_CONV:
      return Int8Kind::kWeighted;
    case OpType::AVERAGE_POOL_2D:
    case OpType::MAX_POOL_2D:
    case OpType::CONCATENATION:
    case OpType::RESHAPE:
    case OpType::SQUEEZE:
    case OpType::EXPAND_DIMS:
    case OpType::RESIZE_BILINEAR:
    case OpType::RESIZE_NEAREST_NEIGHBOR:
    case OpType::SPACE_TO_DEPTH:
    case OpType::DEPTH_TO_SPACE:
    case OpType::PAD:
    case OpType::PADV2:
    case OpType::GATHER:
    case OpType::TRANSPOSE:
    case OpType::SLICE:
    case OpType::STRIDED_SLICE:
    case OpType::MAXIMUM:
    case OpType::MINIMUM:
    case OpType::REDUCE_MAX:
    case OpType::REDUCE_MIN:
    case OpType::BATCH_TO_SPACE_ND:
    case OpType::SPACE_TO_BATCH_ND:
      return Int8Kind::kSameScale;
    case OpType::LOGISTIC:
    case OpType::SOFTMAX:
    case OpType::TANH:
    case OpType::L2_NORMALIZATION:
    case OpType::LOG_SOFTMAX:
      return Int8Kind::kFixedOutput;
    case OpType::ADD:
    case OpType::SUB:
    case OpType::MUL:
    case OpType::RELU:
    case OpType::RELU6:
    case OpType::RELU_N1_TO_1:
    case OpType::LEAKY_RELU:
    case OpType::HARD_SWISH:
    case OpType::MEAN:
      return Int8Kind::kFree;
    default:
      return Int8Kind::kUnsupported;
  }
}

std::vector<int> SameScaleInputs(const Op& op) {
  std::vector<int> slots;
  switch (op.type) {
    case OpType::CONCATENATION:
      for (size_t i = 0; i < op.inputs.size(); ++i) slots.push_back(static_cast<int>(i));
      break;
    case OpType::MAXIMUM:
    case OpType::MINIMUM:
      slots = {0, 1};
      break;
    case OpType::PADV2:
      slots = {0};
      if (op.inputs.size() > 2) slots.push_back(2);
      break;
    default:
      slots = {0};
  }
  return slots;
}

std::optional<FixedParams> FixedOutputParams(OpType t) {
  switch (t) {
    case OpType::LOGISTIC:
    case OpType::SOFTMAX:
      return FixedParams{1.0f / 256.0f, -128};
    case OpType::TANH:
    case OpType::L2_NORMALIZATION:
      return FixedParams{1.0f / 128.0f, 0};
    case OpType::LOG_SOFTMAX:
      return FixedParams{16.0f / 256.0f, 127};
    default:
      return std::nullopt;
  }
}

WeightSlots WeightSlotsOf(OpType t, bool per_tensor) {
  switch (t) {
    case OpType::CONV_2D: return {1, 2, 0, per_tensor ? -1 : 0};
    case OpType::DEPTHWISE_CONV_2D: return {1, 2, 0, per_tensor ? -1 : 3};
    case OpType::TRANSPOSE_CONV: return {1, 3, 2, per_tensor ? -1 : 0};
    default: return {1, 2, 0, -1};  // FULLY_CONNECTED: per-tensor, as the TFLite converter writes it
  }
}

}  // namespace cae::quant
