#include "passes/fuse_activation.h"

#include "passes/graph_edit.h"

namespace cae::passes {
namespace {

bool CanFuseInto(OpType t, const FuseActivationOptions& o) {
  switch (t) {
    case OpType::CONV_2D:
    case OpType::DEPTHWISE_CONV_2D:
    case OpType::FULLY_CONNECTED:
    case OpType::ADD:
    case OpType::SUB:
    case OpType::MUL:
      return true;
    case OpType::AVERAGE_POOL_2D:
    case OpType::MAX_POOL_2D:
    case OpType::CONCATENATION:
      return o.into_pools_and_concat;
    default:
      return false;
  }
}

bool ActivationOf(OpType t, Activation* a) {
  switch (t) {
    case OpType::RELU: *a = Activation::kRelu; return true;
    case OpType::RELU6: *a = Activation::kRelu6; return true;
    case OpType::RELU_N1_TO_1: *a = Activation::kReluN1To1; return true;
    default: return false;
  }
}

}  // namespace

int FuseActivations(Graph& g, const FuseActivationOptions& options) {
  std::vector<bool> erase(g.ops.size(), false);
  int fused = 0;
  for (size_t r = 0; r < g.ops.size(); ++r) {
    Activation act;
    const Op& relu = g.ops[r];
    if (!ActivationOf(relu.type, &act) || relu.inputs.size() != 1 || relu.outputs.size() != 1) continue;
    const int x = relu.inputs[0], y = relu.outputs[0];
    if (!ValidTensor(g, x) || !ValidTensor(g, y) || IsGraphOutput(g, x)) continue;
    const auto producers = ProducersOf(g);
    const auto consumers = ConsumersOf(g);
    const int p = producers[x];
    if (p < 0 || erase[p] || consumers[x].size() != 1) continue;
    Op& prod = g.ops[p];
    if (!CanFuseInto(prod.type, options) || prod.options.activation != Activation::kNone) continue;
    if (prod.outputs.size() != 1) continue;
    const Tensor& tx = g.tensors[x];
    const Tensor& ty = g.tensors[y];
    if (tx.type != ty.type || tx.quant.scale != ty.quant.scale || tx.quant.zero_point != ty.quant.zero_point)
      continue;
    prod.outputs[0] = y;
    prod.options.activation = act;
    erase[r] = true;
    ++fused;
  }
  EraseOps(g, erase);
  return fused;
}

}  // namespace cae::passes
