#include "quant/int8_quantizer.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>

#include "graph/error.h"
#include "passes/graph_edit.h"
#include "quant/int8_rules.h"
#include "quant/quant_math.h"
#include "quant/weight_search.h"

namespace cae::quant {
namespace {

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int Find(int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void Unite(int a, int b) { parent[Find(a)] = Find(b); }
};

bool IsFloat(const Graph& g, int t) {
  return passes::ValidTensor(g, t) && g.tensors[t].type == DType::kFloat32;
}

// The range an op's activation allows for its output: [lo, hi].
void ActivationBounds(const Op& op, float* lo, float* hi) {
  *lo = -std::numeric_limits<float>::infinity();
  *hi = std::numeric_limits<float>::infinity();
  Activation a = op.options.activation;
  if (op.type == OpType::RELU) a = Activation::kRelu;
  if (op.type == OpType::RELU6) a = Activation::kRelu6;
  if (op.type == OpType::RELU_N1_TO_1) a = Activation::kReluN1To1;
  switch (a) {
    case Activation::kRelu: *lo = 0; break;
    case Activation::kRelu6: *lo = 0; *hi = 6; break;
    case Activation::kReluN1To1: *lo = -1; *hi = 1; break;
    default: break;
  }
}

QuantParams FixedToParams(const FixedParams& f) {
  QuantParams p;
  p.scale = {f.scale};
  p.zero_point = {f.zero_point};
  p.min = {(-128 - static_cast<float>(f.zero_point)) * f.scale};
  p.max = {(127 - static_cast<float>(f.zero_point)) * f.scale};
  return p;
}

// Gives op slot its own copy of a constant used elsewhere (weights and biases are quantized with
// op-specific scales).
void MakePrivate(Graph& g, int op_index, int slot) {
  Op& op = g.ops[op_index];
  if (slot >= static_cast<int>(op.inputs.size())) return;
  const int t = op.inputs[slot];
  if (!passes::ValidTensor(g, t) || passes::CountReferences(g, t) <= 1) return;
  Tensor copy = g.tensors[t];
  copy.name += "/" + std::to_string(op_index);
  g.ops[op_index].inputs[slot] = g.AddTensor(std::move(copy));
}

void SetInt8Data(Tensor& t, const std::vector<int8_t>& q) {
  t.type = DType::kInt8;
  t.data.assign(reinterpret_cast<const uint8_t*>(q.data()), reinterpret_cast<const uint8_t*>(q.data()) + q.size());
}

void MinMaxOf(const std::vector<float>& v, float* mn, float* mx) {
  *mn = v.empty() ? 0.0f : *std::min_element(v.begin(), v.end());
  *mx = v.empty() ? 0.0f : *std::max_element(v.begin(), v.end());
}

// Subtracts from bias the mean output shift caused by rounding weights w (float) to tensor wq
// (int8, quantized), given the per-channel means of the op's data input. Skips silently when
// shapes do not match the op's layout.
void CorrectBias(const Op& op, const std::vector<float>& w, const Tensor& wq, const std::vector<float>& mean,
                 std::vector<float>* bias) {
  const auto& shape = wq.shape;
  if (mean.empty() || w.size() != wq.data.size()) return;
  const std::vector<float>& scale = wq.quant.scale;
  const auto dq = [&](size_t i, size_t channel) {
    return static_cast<float>(static_cast<int8_t>(wq.data[i])) * scale[scale.size() == 1 ? 0 : channel];
  };
  const size_t out = bias->size();
  std::vector<double> shift(out, 0.0);
  if (op.type == OpType::DEPTHWISE_CONV_2D) {
    if (shape.size() != 4 || static_cast<size_t>(shape[3]) != out) return;
    const size_t mult = static_cast<size_t>(std::max(1, op.options.depth_multiplier));
    for (size_t i = 0; i < w.size(); ++i) {
      const size_t c = i % out;
      if (c / mult >= mean.size()) return;
      shift[c] += (dq(i, c) - w[i]) * static_cast<double>(mean[c / mult]);
    }
  } else {
    if (shape.empty() || static_cast<size_t>(shape[0]) != out) return;
    const size_t inner = w.size() / out;
    const size_t in_ch = static_cast<size_t>(shape.back());
    if (in_ch != mean.size()) return;
    for (size_t i = 0; i < w.size(); ++i) {
      const size_t c = i / inner;
      shift[c] += (dq(i, c) - w[i]) * static_cast<double>(mean[i % in_ch]);
    }
    if (op.type == OpType::TRANSPOSE_CONV) {
      const double taps = static_cast<double>(std::max(1, op.options.stride_h)) * std::max(1, op.options.stride_w);
      for (double& v : shift) v /= taps;
    }
  }
  for (size_t c = 0; c < out; ++c) (*bias)[c] -= static_cast<float>(shift[c]);
}

// Adds QUANTIZE/DEQUANTIZE ops at the graph edges for float32 or uint8 IO.
void AddIoEdges(Graph& g, IoType io) {
  if (io == IoType::kInt8) return;
  std::vector<Op> head;
  for (int& in : g.inputs) {
    const int t = in;
    Tensor q = g.tensors[t];
    q.name += "_int8";
    const int qi = g.AddTensor(std::move(q));
    passes::ReplaceUses(g, t, qi);
    Tensor& edge = g.tensors[t];
    if (io == IoType::kFloat32) {
      edge.type = DType::kFloat32;
      edge.quant = {};
    } else {
      edge.type = DType::kUInt8;
      edge.quant = ToUint8Params(edge.quant);
    }
    Op op;
    op.type = OpType::QUANTIZE;
    op.inputs = {t};
    op.outputs = {qi};
    head.push_back(std::move(op));
  }
  for (Op& op : g.ops) head.push_back(std::move(op));
  g.ops = std::move(head);
  for (int& out : g.outputs) {
    const int o = out;
    Tensor f = g.tensors[o];
    g.tensors[o].name += "_int8";
    if (io == IoType::kFloat32) {
      f.type = DType::kFloat32;
      f.quant = {};
    } else {
      f.type = DType::kUInt8;
      f.quant = ToUint8Params(f.quant);
    }
    const int fi = g.AddTensor(std::move(f));
    Op op;
    op.type = io == IoType::kFloat32 ? OpType::DEQUANTIZE : OpType::QUANTIZE;
    op.inputs = {o};
    op.outputs = {fi};
    g.ops.push_back(std::move(op));
    out = fi;
  }
}

}  // namespace

std::vector<std::optional<QuantParams>> ChooseActivationQuantization(const Graph& g,
                                                                    const RangeTable& ranges,
                                                                    const Int8Options& options,
                                                                    bool allow_missing,
                                                                    int* same_scale_groups) {
  const size_t n = g.tensors.size();
  const auto producers = passes::ProducersOf(g);

  // 2. Same-scale groups.
  UnionFind groups(n);
  for (const Op& op : g.ops) {
    if (Int8KindOf(op.type) != Int8Kind::kSameScale || op.outputs.empty()) continue;
    for (int slot : SameScaleInputs(op)) {
      if (slot < static_cast<int>(op.inputs.size()) && IsFloat(g, op.inputs[slot]))
        groups.Unite(op.inputs[slot], op.outputs[0]);
    }
  }
  std::vector<int> group_size(n, 0);
  for (size_t t = 0; t < n; ++t) {
    if (IsFloat(g, static_cast<int>(t))) ++group_size[groups.Find(static_cast<int>(t))];
  }

  // 3. Ranges of group members (activations and constants in groups) and fixed parameters.
  std::vector<bool> in_group(n, false);
  for (size_t t = 0; t < n; ++t) in_group[t] = group_size[groups.Find(static_cast<int>(t))] > 1;
  struct GroupInfo {
    float min = 0, max = 0;
    bool has_range = false;
    std::optional<FixedParams> fixed;
    int fixed_from = -1;
  };
  std::vector<GroupInfo> info(n);
  const auto consumers = passes::ConsumersOf(g);
  // [lo, hi] beyond which tensor t's readers (all LOGISTIC or all TANH) saturate; false if none.
  const auto saturation = [&](int t, float* lo, float* hi) {
    if (!options.clip_saturated_inputs || consumers[t].empty() || passes::IsGraphOutput(g, t)) return false;
    const OpType first = g.ops[consumers[t][0]].type;
    for (int c : consumers[t]) {
      if (g.ops[c].type != first) return false;
    }
    if (first == OpType::LOGISTIC) {
      *lo = -6.4f;
      *hi = 5.3f;
      return true;
    }
    if (first == OpType::TANH) {
      *lo = -3.2f;
      *hi = 2.65f;
      return true;
    }
    return false;
  };
  for (size_t ti = 0; ti < n; ++ti) {
    const int t = static_cast<int>(ti);
    if (!IsFloat(g, t)) continue;
    const Tensor& tensor = g.tensors[t];
    if (tensor.is_constant() && !in_group[t]) continue;  // weights, biases, free constants: later
    GroupInfo& gi = info[groups.Find(t)];
    float mn, mx;
    if (tensor.is_constant()) {
      MinMaxOf(passes::ReadFloats(g, t), &mn, &mx);
    } else {
      const int p = producers[t];
      if (p >= 0) {
        if (auto f = FixedOutputParams(g.ops[p].type)) {
          if (gi.fixed && (gi.fixed->scale != f->scale || gi.fixed->zero_point != f->zero_point)) {
            Fail(DescribeTensor(g, t), ": shares a scale (through ", DescribeOp(g, p),
                 " and same-scale ops) with ", DescribeTensor(g, gi.fixed_from),
                 ", whose fixed int8 parameters differ");
          }
          gi.fixed = f;
          gi.fixed_from = t;
          continue;
        }
      }
      if (allow_missing && (ti >= ranges.size() || !ranges[t].valid)) continue;
      Check(ti < ranges.size() && ranges[t].valid, DescribeTensor(g, t),
            ": no calibration statistics for this activation",
            p >= 0 ? " (output of " + DescribeOp(g, p) + ")" : std::string());
      mn = ranges[t].min;
      mx = ranges[t].max;
      if (p >= 0) {
        float lo, hi;
        ActivationBounds(g.ops[p], &lo, &hi);
        mn = std::clamp(mn, lo, hi);
        mx = std::clamp(mx, lo, hi);
      }
      float slo, shi;
      if (!in_group[t] && saturation(t, &slo, &shi)) {
        mn = std::clamp(mn, slo, shi);
        mx = std::clamp(mx, slo, shi);
      }
    }
    if (!gi.has_range) {
      gi.min = mn;
      gi.max = mx;
      gi.has_range = true;
    } else {
      gi.min = std::min(gi.min, mn);
      gi.max = std::max(gi.max, mx);
    }
  }

  // 4. Parameters of every activation and grouped constant.
  std::vector<std::optional<QuantParams>> params(n);
  int groups_seen = 0;
  for (size_t ti = 0; ti < n; ++ti) {
    const int t = static_cast<int>(ti);
    if (!IsFloat(g, t) || (g.tensors[t].is_constant() && !in_group[t])) continue;
    const int root = groups.Find(t);
    if (root == t && group_size[t] > 1) ++groups_seen;
    const GroupInfo& gi = info[root];
    if (gi.fixed) {
      params[t] = FixedToParams(*gi.fixed);
    } else if (gi.has_range) {
      params[t] = ChooseActivationParams(gi.min, gi.max, DType::kInt8);
    }
  }
  if (same_scale_groups != nullptr) *same_scale_groups = groups_seen;
  return params;
}


Int8Summary QuantizeFullInt8(Graph& g, const RangeTable& ranges, const Int8Options& options,
                             const ChannelMeans* channel_means) {
  Int8Summary summary;
  // 1. Every op must have an int8 form and float32 data; weights and biases become private.
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    const Int8Kind kind = Int8KindOf(op.type);
    Check(kind != Int8Kind::kUnsupported, DescribeOp(g, static_cast<int>(i)),
          ": this op has no int8 form; the layer cannot be quantized to full integer");
    for (int t : op.outputs) {
      Check(IsFloat(g, t), DescribeOp(g, static_cast<int>(i)), ": output ", DescribeTensor(g, t),
            " is ", passes::ValidTensor(g, t) ? std::string(DTypeName(g.tensors[t].type)) : "invalid",
            ", expected float32");
    }
    if (kind == Int8Kind::kWeighted) {
      const WeightSlots s = WeightSlotsOf(op.type, options.per_tensor);
      Check(static_cast<int>(op.inputs.size()) > std::max(s.weights, s.input) &&
                IsFloat(g, op.inputs[s.weights]) && g.tensors[op.inputs[s.weights]].is_constant(),
            DescribeOp(g, static_cast<int>(i)), ": weights are not a float32 constant");
      MakePrivate(g, static_cast<int>(i), s.weights);
      MakePrivate(g, static_cast<int>(i), s.bias);
    }
  }
  int same_scale_groups = 0;
  std::vector<std::optional<QuantParams>> params =
      ChooseActivationQuantization(g, ranges, options, false, &same_scale_groups);
  summary.same_scale_groups = same_scale_groups;
  const size_t n = g.tensors.size();
  for (size_t t = 0; t < n; ++t)
    if (params[t] && !g.tensors[t].is_constant()) ++summary.activations;

  // 5. Weights and biases.
  std::vector<bool> done(n, false);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    if (Int8KindOf(op.type) != Int8Kind::kWeighted) continue;
    const WeightSlots s = WeightSlotsOf(op.type, options.per_tensor);
    const int w = op.inputs[s.weights];
    const int in = op.inputs[s.input];
    Check(passes::ValidTensor(g, in) && params[in].has_value(), DescribeOp(g, static_cast<int>(i)),
          ": its data input has no int8 parameters");
    Tensor& wt = g.tensors[w];
    const std::vector<float> wv = passes::ReadFloats(g, w);
    try {
      SetInt8Data(wt, options.search_weight_scales ? QuantizeSymmetricSearched(wv, wt.shape, s.axis, &wt.quant)
                                                   : QuantizeSymmetric(wv, wt.shape, s.axis, &wt.quant));
    } catch (const Error& e) {
      Fail(DescribeOp(g, static_cast<int>(i)), ": weights ", DescribeTensor(g, w), ": ", e.what());
    }
    done[w] = true;
    ++summary.weights;
    const int b = s.bias < static_cast<int>(op.inputs.size()) ? op.inputs[s.bias] : -1;
    if (b < 0) continue;
    Check(IsFloat(g, b) && g.tensors[b].is_constant(), DescribeOp(g, static_cast<int>(i)),
          ": bias is not a float32 constant");
    std::vector<float> bv = passes::ReadFloats(g, b);
    const std::vector<float>& ws = g.tensors[w].quant.scale;
    if (channel_means && static_cast<size_t>(in) < channel_means->size())
      CorrectBias(op, wv, g.tensors[w], (*channel_means)[in], &bv);
    Check(ws.size() == 1 || ws.size() == bv.size(), DescribeOp(g, static_cast<int>(i)), ": bias has ",
          bv.size(), " values for ", ws.size(), " output channels");
    QuantParams bp;
    const std::vector<int32_t> q = QuantizeBias(bv, params[in]->scale[0], ws, &bp);
    Tensor& bt = g.tensors[b];
    bt.type = DType::kInt32;
    bt.quant = bp;
    bt.data.assign(reinterpret_cast<const uint8_t*>(q.data()), reinterpret_cast<const uint8_t*>(q.data()) + q.size() * 4);
    done[b] = true;
    ++summary.biases;
  }

  // 6. Apply activation parameters; quantize grouped and free float constants.
  for (size_t ti = 0; ti < n; ++ti) {
    const int t = static_cast<int>(ti);
    if (done[t] || !IsFloat(g, t)) continue;
    Tensor& tensor = g.tensors[t];
    if (!params[t]) {  // a free constant (e.g. an ADD or MUL operand): its own range
      float mn, mx;
      const std::vector<float> v = passes::ReadFloats(g, t);
      MinMaxOf(v, &mn, &mx);
      params[t] = ChooseActivationParams(mn, mx, DType::kInt8);
    }
    if (tensor.is_constant()) {
      SetInt8Data(tensor, QuantizeInt8(passes::ReadFloats(g, t), *params[t]));
    } else {
      tensor.type = DType::kInt8;
    }
    tensor.quant = *params[t];
  }

  // 7. Float or uint8 edges.
  AddIoEdges(g, options.io);
  return summary;
}

}  // namespace cae::quant
