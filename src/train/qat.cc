#include "train/qat.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

#include "graph/error.h"
#include "keras/keras_import.h"
#include "passes/graph_edit.h"
#include "passes/pipeline.h"
#include "quant/int8_quantizer.h"
#include "quant/int8_rules.h"
#include "quant/quant_math.h"

namespace cae::train {
namespace {

bool IsActivationTensor(const Graph& g, int t) {
  return passes::ValidTensor(g, t) && g.tensors[t].type == DType::kFloat32 &&
         !g.tensors[t].is_constant();
}

// Where a Keras kernel's output channel lies: kernel shape [..., channels] flattened from axis
// `first` on (DepthwiseConv2D: cin x multiplier), or `axis` alone with the rest inner
// (Conv2DTranspose [kh, kw, out, in]).
struct KernelLayout {
  const char* weight;
  int axis;        // output-channel axis in the Keras shape; -1: per tensor
  bool flatten_rest = false;  // the channel index spans axis..end (depthwise: cin * multiplier)
};

std::vector<KernelLayout> KernelsOf(const std::string& cls) {
  if (cls == "Conv2D" || cls == "Convolution2D") return {{"kernel", 3}};
  if (cls == "Conv1D" || cls == "Convolution1D") return {{"kernel", 2}};
  if (cls == "Conv2DTranspose" || cls == "Convolution2DTranspose") return {{"kernel", 2}};
  if (cls == "DepthwiseConv2D") return {{"depthwise_kernel", 2, true}};
  if (cls == "SeparableConv2D" || cls == "SeparableConvolution2D")
    return {{"depthwise_kernel", 2, true}, {"pointwise_kernel", 3}};
  if (cls == "Dense") return {{"kernel", -1}};
  return {};
}

}  // namespace

bool HasQuantizedKernels(const std::string& class_name) { return !KernelsOf(class_name).empty(); }

namespace {

// round(v / scale), half away from zero, clamped to the int8 codes, written so that the loops
// below vectorize (with -fno-trapping-math, component.cmake): the integer part by conversion
// (|t| is bounded first), then the fraction.
inline float Code(float v, float scale, float zp) {
  const float t = std::min(std::max(v / scale, -1e6f), 1e6f);
  const float whole = static_cast<float>(static_cast<int32_t>(t));
  const float frac = t - whole;
  const float r = whole + static_cast<float>(frac >= 0.5f) - static_cast<float>(frac <= -0.5f);
  return std::min(std::max(r + zp, -128.0f), 127.0f);
}

}  // namespace

void FakeQuantize(const float* x, int64_t n, const FakeQuantParams& p, float* y, uint8_t* mask) {
  const float zp = static_cast<float>(p.zero_point), s = p.scale;
  if (mask != nullptr) {
    const float lo = (-128.0f - zp) * s, hi = (127.0f - zp) * s;
    for (int64_t i = 0; i < n; ++i) mask[i] = static_cast<uint8_t>((x[i] >= lo) & (x[i] <= hi));
  }
  for (int64_t i = 0; i < n; ++i) y[i] = (Code(x[i], s, zp) - zp) * s;
}

bool FakeQuantizeKerasWeights(const std::string& class_name, bool per_tensor,
                              std::vector<KerasWeight>& w) {
  const std::vector<KernelLayout> kernels = KernelsOf(class_name);
  if (kernels.empty()) return false;
  for (const KernelLayout& k : kernels) {
    for (KerasWeight& kw : w) {
      if (kw.name != k.weight) continue;
      const int rank = static_cast<int>(kw.shape.size());
      Check(k.axis < rank, "internal: ", class_name, " ", k.weight, " has rank ", rank);
      // As [outer, channels, inner] with one scale per channel (or one for all).
      int64_t channels = 1, inner = 1;
      if (k.axis >= 0 && !per_tensor) {
        for (int d = k.axis; d < rank; ++d) {
          if (d == k.axis || k.flatten_rest)
            channels *= kw.shape[d];
          else
            inner *= kw.shape[d];
        }
      }
      const int64_t total = static_cast<int64_t>(kw.values.size());
      QuantParams params;
      const std::vector<int8_t> q = quant::QuantizeSymmetric(
          kw.values, {static_cast<int32_t>(total / (channels * inner)),
                      static_cast<int32_t>(channels), static_cast<int32_t>(inner)},
          channels > 1 ? 1 : -1, &params);
      for (int64_t i = 0; i < total; ++i) {
        const float s = params.scale[params.scale.size() == 1 ? 0 : (i / inner) % channels];
        kw.values[i] = static_cast<float>(q[i]) * s;
      }
    }
  }
  return true;
}

QatSimulator::QatSimulator(const KerasModel& km, const QatOptions& options) : options_(options) {
  Check(options.ema_decay >= 0.0f && options.ema_decay < 1.0f,
        "QAT range decay must be in [0, 1)");
  // The plan must not depend on weight values: a fresh BatchNormalization (offset 0) lowers to an
  // ADD of zeros that the identity pass removes, while the trained one keeps it. Its weights are
  // therefore replaced by values no pass simplifies away.
  KerasModel structural = km;
  for (KerasLayer& l : structural.layers) {
    if (l.class_name != "BatchNormalization") continue;
    for (KerasWeight& w : l.weights) std::fill(w.values.begin(), w.values.end(), 0.5f);
  }
  std::map<std::string, std::vector<int>> layer_outputs;
  Model m = LowerKerasModel(structural, &layer_outputs);
  // Names of the layers' outputs and of split activations' inputs, before the passes (which may
  // renumber tensors but keep the names of the tensors they keep).
  const Graph& lowered = m.main();
  const auto lowered_producers = passes::ProducersOf(lowered);
  std::map<std::string, std::string> output_name;                       // layer -> tensor name
  std::map<std::string, std::pair<std::string, std::string>> pre_name;  // layer -> (tensor, act)
  for (const KerasLayer& l : km.layers) {
    auto it = layer_outputs.find(l.name);
    if (it == layer_outputs.end() || it->second.size() != 1) continue;
    const int out = it->second[0];
    output_name[l.name] = lowered.tensors[out].name;
    if (KernelsOf(l.class_name).empty() || !l.config.contains("activation")) continue;
    const int p = lowered_producers[out];
    if (p < 0 || lowered.ops[p].inputs.empty()) continue;
    const Op& act = lowered.ops[p];
    if (quant::Int8KindOf(act.type) == quant::Int8Kind::kWeighted) continue;  // fused or linear
    const int pre = act.inputs[0];
    // The weighted op may sit behind reshapes (Conv1D: CONV_2D, then the squeezing RESHAPE).
    int pp = lowered_producers[pre];
    while (pp >= 0 && !lowered.ops[pp].inputs.empty() &&
           (lowered.ops[pp].type == OpType::RESHAPE || lowered.ops[pp].type == OpType::SQUEEZE ||
            lowered.ops[pp].type == OpType::EXPAND_DIMS))
      pp = lowered_producers[lowered.ops[pp].inputs[0]];
    if (pp < 0 || quant::Int8KindOf(lowered.ops[pp].type) != quant::Int8Kind::kWeighted) continue;
    const nlohmann::json& a = l.config["activation"];
    std::string name = a.is_string() ? a.get<std::string>() : "";
    if (a.is_object() && a.contains("config") && a["config"].is_object() &&
        a["config"].contains("name") && a["config"]["name"].is_string())
      name = a["config"]["name"].get<std::string>();  // Keras 3: a serialized function
    if (a.is_object() && name.empty() && a.contains("class_name") && a["class_name"].is_string())
      name = a["class_name"].get<std::string>();
    if (!name.empty()) pre_name[l.name] = {lowered.tensors[pre].name, name};
  }

  passes::PipelineOptions popt;
  popt.batch = 1;
  popt.fuse.into_pools_and_concat = false;
  passes::RunStandardPasses(m.main(), popt);
  graph_ = m.main();
  const size_t n = graph_.tensors.size();
  for (size_t i = 0; i < graph_.ops.size(); ++i) {
    Check(quant::Int8KindOf(graph_.ops[i].type) != quant::Int8Kind::kUnsupported, km.source, ": ",
          DescribeOp(graph_, static_cast<int>(i)),
          " has no int8 form, so the model cannot be converted to full integer; "
          "quantization-aware training is pointless for it");
  }
  std::map<std::string, int> by_name;
  for (size_t t = 0; t < n; ++t)
    if (IsActivationTensor(graph_, static_cast<int>(t))) by_name[graph_.tensors[t].name] =
        static_cast<int>(t);
  std::vector<bool> covered(n, false);
  for (const auto& [layer, name] : output_name) {
    auto it = by_name.find(name);
    if (it == by_name.end()) continue;
    output_point_[layer] = it->second;
    covered[it->second] = true;
  }
  for (const auto& [layer, tensor_act] : pre_name) {
    auto it = by_name.find(tensor_act.first);
    if (it == by_name.end() || output_point_.count(layer) == 0) continue;
    pre_point_[layer] = {it->second, tensor_act.second};
    covered[it->second] = true;
  }
  // Activations the trainer cannot see still get simulated parameters when they share a scale
  // with a point (a Conv1D's CONV_2D output before its squeezing RESHAPE) or have fixed ones: the
  // converter gives them the same. The rest are not simulated.
  quant::RangeTable probe(n);
  for (size_t t = 0; t < n; ++t) {
    if (!covered[t]) continue;
    point_tensors_.push_back(static_cast<int>(t));
    probe[t] = {0.0f, 1.0f, true};
  }
  const auto probed =
      quant::ChooseActivationQuantization(graph_, probe, quant::Int8Options{}, /*allow_missing=*/true);
  for (size_t t = 0; t < n; ++t) {
    if (!covered[t] && IsActivationTensor(graph_, static_cast<int>(t)) && !probed[t])
      uncovered_.push_back(graph_.tensors[t].name);
  }
  ranges_.assign(n, {});
  batch_min_.assign(n, 0.0f);
  batch_max_.assign(n, 0.0f);
  observed_.assign(n, false);
  params_.assign(n, std::nullopt);
  Recompute();
}

int QatSimulator::OutputPoint(const std::string& layer) const {
  auto it = output_point_.find(layer);
  return it == output_point_.end() ? -1 : it->second;
}

int QatSimulator::PreActivationPoint(const std::string& layer, std::string* activation) const {
  auto it = pre_point_.find(layer);
  if (it == pre_point_.end()) return -1;
  if (activation != nullptr) *activation = it->second.second;
  return it->second.first;
}

void QatSimulator::Apply(const RunContext& ctx, int point, const float* x, int64_t n,
                         bool observe, float* y, uint8_t* mask) {
  Check(point >= 0 && static_cast<size_t>(point) < params_.size(), "internal: QAT point ", point);
  const std::optional<FakeQuantParams> p = params_[point];
  std::mutex merge;
  float mn = std::numeric_limits<float>::infinity(), mx = -mn;
  ForRange(ctx, n, int64_t{1} << 15, [&](int64_t begin, int64_t end) {
    if (observe) {
      float lo = x[begin], hi = x[begin];
      for (int64_t i = begin + 1; i < end; ++i) {
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
      }
      std::lock_guard<std::mutex> lock(merge);
      mn = std::min(mn, lo);
      mx = std::max(mx, hi);
    }
    if (p) {
      FakeQuantize(x + begin, end - begin, *p, y + begin, mask ? mask + begin : nullptr);
    } else {  // no parameters yet: float
      if (y != x) std::copy(x + begin, x + end, y + begin);
      if (mask != nullptr) std::fill(mask + begin, mask + end, uint8_t{1});
    }
  });
  if (observe && n > 0) {
    if (observed_[point]) {
      mn = std::min(mn, batch_min_[point]);
      mx = std::max(mx, batch_max_[point]);
    }
    batch_min_[point] = mn;
    batch_max_[point] = mx;
    observed_[point] = std::isfinite(mn) && std::isfinite(mx);
  }
}

void QatSimulator::EndStep() {
  const float d = options_.ema_decay;
  for (int t : point_tensors_) {
    if (!observed_[t]) continue;
    quant::TensorRange& r = ranges_[t];
    if (!r.valid) {
      r = {batch_min_[t], batch_max_[t], true};
    } else {
      r.min = d * r.min + (1.0f - d) * batch_min_[t];
      r.max = d * r.max + (1.0f - d) * batch_max_[t];
    }
    observed_[t] = false;
  }
  Recompute();
}

void QatSimulator::Recompute() {
  quant::Int8Options o;
  o.per_tensor = options_.per_tensor;
  const std::vector<std::optional<QuantParams>> p =
      quant::ChooseActivationQuantization(graph_, ranges_, o, /*allow_missing=*/true);
  for (int t : point_tensors_) {
    params_[t].reset();
    if (static_cast<size_t>(t) < p.size() && p[t] && !p[t]->scale.empty())
      params_[t] = FakeQuantParams{p[t]->scale[0], static_cast<int32_t>(p[t]->zero_point[0])};
  }
}

nlohmann::json QatSimulator::RangesJson() const {
  nlohmann::json ranges = nlohmann::json::object();
  for (int t : point_tensors_) {
    if (!ranges_[t].valid) continue;
    ranges[graph_.tensors[t].name] = {ranges_[t].min, ranges_[t].max};
  }
  return {{"format", "cae2tpu-qat"},
          {"version", 1},
          {"per_tensor", options_.per_tensor},
          {"ranges", ranges}};
}

void QatSimulator::LoadRanges(const nlohmann::json& stored) {
  const std::map<std::string, quant::TensorRange> r = StoredQatRanges(stored);
  for (int t : point_tensors_) {
    auto it = r.find(graph_.tensors[t].name);
    if (it != r.end()) ranges_[t] = it->second;
  }
  Recompute();
}

std::map<std::string, quant::TensorRange> StoredQatRanges(const nlohmann::json& stored) {
  std::map<std::string, quant::TensorRange> out;
  if (!stored.is_object() || !stored.contains("ranges") || !stored["ranges"].is_object()) return out;
  for (const auto& [name, r] : stored["ranges"].items()) {
    if (!r.is_array() || r.size() != 2 || !r[0].is_number() || !r[1].is_number()) continue;
    const float mn = r[0].get<float>(), mx = r[1].get<float>();
    if (std::isfinite(mn) && std::isfinite(mx) && mn <= mx) out[name] = {mn, mx, true};
  }
  return out;
}

}  // namespace cae::train
