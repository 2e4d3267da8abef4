#include "passes/fold_batchnorm.h"

#include "graph/error.h"
#include "graph/shape.h"
#include "passes/graph_edit.h"

namespace cae::passes {
namespace {

bool IsFoldTarget(OpType t) {
  return t == OpType::CONV_2D || t == OpType::DEPTHWISE_CONV_2D || t == OpType::FULLY_CONNECTED ||
         t == OpType::TRANSPOSE_CONV;
}

// Weights are input 1 of every fold target (TRANSPOSE_CONV: output_shape, weights, input, bias).
int WeightIndex(const Op&) { return 1; }
int BiasSlot(const Op& op) { return op.type == OpType::TRANSPOSE_CONV ? 3 : 2; }

// Output channel axis of the weights.
int ChannelAxis(const Op& op) { return op.type == OpType::DEPTHWISE_CONV_2D ? 3 : 0; }

bool IsFloatConst(const Graph& g, int t) {
  return ValidTensor(g, t) && g.tensors[t].type == DType::kFloat32 && g.tensors[t].is_constant();
}

// Per-channel values of constant t broadcast against a [..., C] tensor, or empty if t is not a
// float32 constant of one value or C values along the last dim only.
std::vector<float> ChannelValues(const Graph& g, int t, int channels) {
  if (!IsFloatConst(g, t)) return {};
  const Tensor& c = g.tensors[t];
  for (size_t i = 0; i + 1 < c.shape.size(); ++i) {
    if (c.shape[i] != 1) return {};
  }
  std::vector<float> v = ReadFloats(g, t);
  if (v.size() == 1) return std::vector<float>(static_cast<size_t>(channels), v[0]);
  if (static_cast<int>(v.size()) != channels) return {};
  return v;
}

// Makes tensor slot `slot` of op `op_index` private to it (copies a shared constant).
void MakePrivate(Graph& g, int op_index, int slot, const std::vector<std::vector<int>>& consumers) {
  const int t = g.ops[op_index].inputs[slot];
  if (consumers[t].size() <= 1 && !IsGraphOutput(g, t)) return;
  Tensor copy = g.tensors[t];
  copy.name += "/folded";
  g.ops[op_index].inputs[slot] = g.AddTensor(std::move(copy));
}

// Ensures op has a float32 bias of `channels` values; returns its tensor index.
int EnsureBias(Graph& g, int op_index, int channels) {
  Op& op = g.ops[op_index];
  const int slot = BiasSlot(op);
  if (static_cast<int>(op.inputs.size()) <= slot) op.inputs.resize(static_cast<size_t>(slot) + 1, -1);
  if (op.inputs[slot] >= 0) return op.inputs[slot];
  Tensor bias;
  bias.name = g.tensors[op.outputs[0]].name + "/bias";
  bias.type = DType::kFloat32;
  bias.shape = {channels};
  bias.data.assign(static_cast<size_t>(channels) * 4, 0);
  const int idx = g.AddTensor(std::move(bias));
  g.ops[op_index].inputs[slot] = idx;
  return idx;
}

// Tries to fold the single reader of op p's output into p. Returns true on success.
bool FoldOne(Graph& g, int p, std::vector<bool>& erase) {
  const Op& conv = g.ops[p];
  if (!IsFoldTarget(conv.type) || conv.options.activation != Activation::kNone) return false;
  if (conv.outputs.size() != 1 || conv.inputs.size() < 2) return false;
  const int w = conv.inputs[WeightIndex(conv)];
  if (!IsFloatConst(g, w)) return false;
  const int slot = BiasSlot(conv);
  if (static_cast<int>(conv.inputs.size()) > slot && conv.inputs[slot] >= 0 &&
      !IsFloatConst(g, conv.inputs[slot]))
    return false;
  const int y = conv.outputs[0];
  if (IsGraphOutput(g, y)) return false;
  const auto consumers = ConsumersOf(g);
  int e = -1;
  for (int c : consumers[y]) {
    if (!erase[c]) {
      if (e >= 0) return false;
      e = c;
    }
  }
  if (e < 0) return false;
  const Op& ew = g.ops[e];
  if (ew.inputs.size() != 2 || ew.outputs.size() != 1) return false;
  if (ew.type != OpType::MUL && ew.type != OpType::ADD && ew.type != OpType::SUB) return false;
  if (ew.inputs[0] == ew.inputs[1]) return false;
  const int other = ew.inputs[0] == y ? ew.inputs[1] : ew.inputs[0];
  if (ew.type == OpType::SUB && ew.inputs[0] != y) return false;
  const Tensor& wt = g.tensors[w];
  const int axis = ChannelAxis(conv);
  if (static_cast<int>(wt.shape.size()) <= axis) return false;
  const int channels = wt.shape[axis];
  const Tensor& yt = g.tensors[y];
  if (yt.shape.empty() || yt.shape.back() != channels) return false;
  if (g.tensors[ew.outputs[0]].shape != yt.shape) return false;
  const std::vector<float> k = ChannelValues(g, other, channels);
  if (k.empty()) return false;

  const int out = ew.outputs[0];
  const Activation act = ew.options.activation;
  if (ew.type == OpType::MUL) {
    MakePrivate(g, p, WeightIndex(g.ops[p]), consumers);
    const int wi = g.ops[p].inputs[WeightIndex(g.ops[p])];
    std::vector<float> wv = ReadFloats(g, wi);
    const auto& shape = g.tensors[wi].shape;
    // Stride of the channel axis and the extent of the dims inside it.
    int64_t inner = 1;
    for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
    for (size_t i = 0; i < wv.size(); ++i) wv[i] *= k[static_cast<size_t>((static_cast<int64_t>(i) / inner) % channels)];
    WriteFloats(g, wi, wv);
    if (static_cast<int>(g.ops[p].inputs.size()) > slot && g.ops[p].inputs[slot] >= 0) {
      MakePrivate(g, p, slot, consumers);
      const int bi = g.ops[p].inputs[slot];
      std::vector<float> bv = ReadFloats(g, bi);
      Check(static_cast<int>(bv.size()) == channels, DescribeOp(g, p), ": bias has ", bv.size(),
            " values, expected ", channels);
      for (int c = 0; c < channels; ++c) bv[c] *= k[c];
      WriteFloats(g, bi, bv);
    }
  } else {
    const float sign = ew.type == OpType::SUB ? -1.0f : 1.0f;
    const bool had_bias = static_cast<int>(g.ops[p].inputs.size()) > slot && g.ops[p].inputs[slot] >= 0;
    if (had_bias) MakePrivate(g, p, slot, consumers);
    const int bi = EnsureBias(g, p, channels);
    std::vector<float> bv = ReadFloats(g, bi);
    Check(static_cast<int>(bv.size()) == channels, DescribeOp(g, p), ": bias has ", bv.size(),
          " values, expected ", channels);
    for (int c = 0; c < channels; ++c) bv[c] += sign * k[c];
    WriteFloats(g, bi, bv);
  }
  g.ops[p].outputs[0] = out;
  g.ops[p].options.activation = act;
  erase[e] = true;
  return true;
}

}  // namespace

int FoldBatchNorm(Graph& g) {
  std::vector<bool> erase(g.ops.size(), false);
  int folded = 0;
  for (size_t p = 0; p < g.ops.size(); ++p) {
    if (erase[p]) continue;
    while (FoldOne(g, static_cast<int>(p), erase)) ++folded;
  }
  EraseOps(g, erase);
  return folded;
}

}  // namespace cae::passes
