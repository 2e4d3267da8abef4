#include "graph/graph.h"

#include "graph/error.h"

namespace cae {

const char* ActivationName(Activation a) {
  switch (a) {
    case Activation::kNone: return "NONE";
    case Activation::kRelu: return "RELU";
    case Activation::kReluN1To1: return "RELU_N1_TO_1";
    case Activation::kRelu6: return "RELU6";
    case Activation::kTanh: return "TANH";
    case Activation::kSignBit: return "SIGN_BIT";
  }
  return "UNKNOWN";
}

std::string DescribeOp(const Graph& g, int op_index) {
  if (op_index < 0 || op_index >= static_cast<int>(g.ops.size())) return StrCat("op ", op_index);
  const Op& op = g.ops[op_index];
  std::string name = op.type == OpType::CUSTOM ? StrCat("CUSTOM '", op.custom_code, "'") : OpTypeName(op.type);
  if (op.origin.empty()) return StrCat("op ", op_index, " (", name, ")");
  return StrCat("op ", op_index, " (", name, ", layer '", op.origin, "')");
}

std::string DescribeTensor(const Graph& g, int tensor_index) {
  if (tensor_index < 0 || tensor_index >= static_cast<int>(g.tensors.size()))
    return StrCat("tensor ", tensor_index);
  return StrCat("tensor ", tensor_index, " '", g.tensors[tensor_index].name, "'");
}

std::string ShapeToString(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace cae
