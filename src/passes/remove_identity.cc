#include "passes/remove_identity.h"

#include <cstring>

#include "graph/shape.h"
#include "passes/graph_edit.h"

namespace cae::passes {
namespace {

bool SameQuant(const QuantParams& a, const QuantParams& b) {
  return a.scale == b.scale && a.zero_point == b.zero_point;
}

// True if tensor t is a constant whose every element equals value (float32 or int32).
bool ConstantAll(const Graph& g, int t, double value) {
  if (!ValidTensor(g, t)) return false;
  const Tensor& c = g.tensors[t];
  if (!c.is_constant()) return false;
  const size_t n = c.data.size();
  if (c.type == DType::kFloat32 && n % 4 == 0) {
    for (size_t i = 0; i < n; i += 4) {
      float v;
      std::memcpy(&v, &c.data[i], 4);
      if (v != static_cast<float>(value)) return false;
    }
    return true;
  }
  if (c.type == DType::kInt32 && n % 4 == 0) {
    for (size_t i = 0; i < n; i += 4) {
      int32_t v;
      std::memcpy(&v, &c.data[i], 4);
      if (v != static_cast<int32_t>(value)) return false;
    }
    return true;
  }
  return false;
}

bool IsIdentity(const Graph& g, const Op& op) {
  if (op.outputs.size() != 1 || op.inputs.empty()) return false;
  const int in = op.inputs[0], out = op.outputs[0];
  if (!ValidTensor(g, in) || !ValidTensor(g, out)) return false;
  const Tensor& ti = g.tensors[in];
  const Tensor& to = g.tensors[out];
  if (ti.shape.empty() && to.shape.empty()) return false;  // shapes unknown: cannot tell
  if (ti.shape != to.shape || ti.type != to.type || !SameQuant(ti.quant, to.quant)) return false;
  const auto second = [&](double v) { return op.inputs.size() == 2 && ConstantAll(g, op.inputs[1], v); };
  switch (op.type) {
    case OpType::RESHAPE:
    case OpType::SQUEEZE:
    case OpType::EXPAND_DIMS:
    case OpType::CAST:
      return true;
    case OpType::CONCATENATION:
      return op.inputs.size() == 1 && op.options.activation == Activation::kNone;
    case OpType::ADD:
    case OpType::SUB:
      return op.options.activation == Activation::kNone && second(0.0);
    case OpType::MUL:
    case OpType::DIV:
      return op.options.activation == Activation::kNone && second(1.0);
    case OpType::PAD:
    case OpType::PADV2:
    case OpType::MIRROR_PAD:
      return op.inputs.size() >= 2 && ConstantAll(g, op.inputs[1], 0.0);
    case OpType::RESIZE_BILINEAR:
    case OpType::RESIZE_NEAREST_NEIGHBOR:
      return ti.shape.size() == 4;  // shapes equal, so H and W are unchanged
    case OpType::AVERAGE_POOL_2D:
    case OpType::MAX_POOL_2D:
      return op.options.filter_w == 1 && op.options.filter_h == 1 && op.options.stride_w == 1 &&
             op.options.stride_h == 1 && op.options.activation == Activation::kNone;
    default:
      return false;
  }
}

}  // namespace

int RemoveIdentityOps(Graph& g) {
  int removed = 0;
  std::vector<bool> erase(g.ops.size(), false);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    if (!IsIdentity(g, op)) continue;
    const int in = op.inputs[0], out = op.outputs[0];
    if (!IsGraphOutput(g, out)) {
      ReplaceUses(g, out, in);
      erase[i] = true;
      ++removed;
      continue;
    }
    // The output is a graph output: let the producer of `in` write `out` directly.
    if (IsGraphInput(g, in) || IsGraphOutput(g, in) || g.tensors[in].is_constant()) continue;
    const auto producers = ProducersOf(g);
    const auto consumers = ConsumersOf(g);
    const int p = producers[in];
    int readers = 0;
    for (int c : consumers[in]) readers += erase[c] ? 0 : 1;
    if (p < 0 || erase[p] || readers != 1) continue;
    for (int& t : g.ops[p].outputs) {
      if (t == in) t = out;
    }
    erase[i] = true;
    ++removed;
  }
  EraseOps(g, erase);
  return removed;
}

}  // namespace cae::passes
