#include <algorithm>
#include "train/net.h"

#include <cmath>
#include <map>

#include "graph/error.h"
#include "keras/keras_config.h"
#include "train/layers.h"

namespace cae::train {
namespace {

// The per-sample dims of an InputLayer and its Keras rank (with the batch axis).
Dims InputDims(const KerasLayer& l, const std::string& source, int* rank) {
  nlohmann::json shape;
  for (const char* key : {"batch_input_shape", "batch_shape"}) {
    if (l.config.is_object() && l.config.contains(key) && !l.config[key].is_null())
      shape = l.config[key];
  }
  Check(shape.is_array() && shape.size() >= 2 && shape.size() <= 4, source, ": input '", l.name,
        "' must have shape [None, D], [None, steps, C] or [None, H, W, C] for training, got ",
        shape.dump());
  std::vector<int> d;
  for (size_t i = 1; i < shape.size(); ++i) {
    Check(shape[i].is_number_integer() && shape[i].get<int64_t>() > 0 &&
              shape[i].get<int64_t>() <= (1 << 16),
          source, ": input '", l.name, "' dimension ", i, " must be a known size, got ",
          shape[i].dump());
    d.push_back(shape[i].get<int>());
  }
  *rank = static_cast<int>(shape.size());
  Dims dims = d.size() == 1   ? Dims{d[0], 1, 1}
              : d.size() == 2 ? Dims{d[1], 1, d[0]}
                              : Dims{d[2], d[0], d[1]};
  Check(dims.size() <= (int64_t{1} << 26), source, ": input '", l.name, "' is too large");
  return dims;
}

}  // namespace

Net::~Net() = default;

Net::Net(const KerasModel& km, uint64_t seed, const QatOptions* qat)
    : source_(km.source.empty() ? "model" : km.source) {
  if (qat != nullptr) {
    // The simulator lowers the model, which needs every weight: those of a new model are the
    // ones this Net initializes from seed, so a plain Net provides them.
    KerasModel full = km;
    Net(km, seed).StoreWeights(full);
    qat_ = std::make_unique<QatSimulator>(full, *qat);
  }
  Check(km.inputs.size() == 1 && km.outputs.size() == 1, source_,
        ": the trainer needs exactly one model input and one output (has ", km.inputs.size(),
        " and ", km.outputs.size(), ")");
  const KerasLayer* in = km.FindLayer(km.inputs[0].layer);
  Check(in != nullptr && in->class_name == "InputLayer", source_, ": model input '",
        km.inputs[0].layer, "' is not an InputLayer");
  int input_rank = 0;
  input_dims_ = InputDims(*in, source_, &input_rank);
  std::map<std::string, int> node_of;
  Node input;
  input.dims = input_dims_;
  input.rank = input_rank;
  if (qat_) input.qat_point = qat_->OutputPoint(in->name);
  nodes_.push_back(std::move(input));
  node_of[in->name] = 0;

  for (const KerasLayer& l : km.layers) {
    if (&l == in) continue;
    Check(l.class_name != "InputLayer", source_, ": layer '", l.name,
          "': more than one InputLayer is not supported by the trainer");
    Check(!l.submodel, source_, ": layer '", l.name,
          "' is a nested model; the trainer needs a flat model (flatten it with InlineNestedModels)");
    Check(l.calls.size() == 1, source_, ": layer '", l.name, "' is called ", l.calls.size(),
          " times; the trainer needs every layer called exactly once");
  }
  // Layers in dependency order (Keras files list them so, but do not rely on it); the order
  // numbers the layers' initialization seeds.
  uint64_t index = 0;
  const KerasLayer* stuck = VisitCallsInDependencyOrder(km, [&](const KerasLayer& l, size_t) {
    for (const KerasInbound& ib : l.calls[0])
      if (node_of.count(ib.layer) == 0) return false;
    Node node;
    std::vector<Dims> in_dims;
    std::vector<int> in_ranks;
    for (const KerasInbound& ib : l.calls[0]) {
      Check(ib.node_index == 0 && ib.tensor_index == 0, source_, ": layer '", l.name,
            "' reads output ", ib.tensor_index, " of call ", ib.node_index, " of '", ib.layer,
            "'; only single-call, single-output layers are supported");
      node.inputs.push_back(node_of[ib.layer]);
      in_dims.push_back(nodes_[node_of[ib.layer]].dims);
      in_ranks.push_back(nodes_[node_of[ib.layer]].rank);
    }
    // QAT: a layer whose activation stays a separate op in the int8 model runs without it here,
    // followed by an Activation node, so the tensor between them can be fake-quantized.
    std::string split_activation;
    const int pre_point = qat_ ? qat_->PreActivationPoint(l.name, &split_activation) : -1;
    if (l.class_name == "UpSampling2D" && StandaloneKerasBefore24(km.keras_version)) {
      KerasLayer legacy = l;  // tells the layer how this Keras version resized (see pool.cc)
      legacy.config["half_pixel_centers"] = false;
      node.layer = MakeLayer(legacy);
    } else if (pre_point >= 0) {
      KerasLayer linear = l;
      linear.config["activation"] = "linear";
      node.layer = MakeLayer(linear);
    } else {
      node.layer = MakeLayer(l);
    }
    if (qat_) {
      node.qat_point = pre_point >= 0 ? pre_point : qat_->OutputPoint(l.name);
      node.quantize_weights = HasQuantizedKernels(l.class_name);
    }
    node.layer->in_dims = in_dims;
    node.layer->in_ranks = in_ranks;
    node.dims = node.layer->Setup(in_dims);
    node.layer->out_dims = node.dims;
    node.rank = node.layer->OutputRank();
    Check((node.rank == 2 && node.dims.h == 1 && node.dims.w == 1) ||
              (node.rank == 3 && node.dims.h == 1) || node.rank == 4,
          source_, ": layer '", l.name, "' (", l.class_name, "): output ",
          DimsToString(node.dims), " does not fit its Keras rank ", node.rank);
    for (const Param& p : node.layer->params) {
      const std::string prefix = WeightConfigPrefix(p.keras_name);
      RejectConstraint(l.config, prefix + "_constraint", l.name);
      node.weight_reg.push_back(p.trainable
                                    ? ParseRegularizer(l.config, prefix + "_regularizer", l.name)
                                    : std::nullopt);
      has_regularizers_ = has_regularizers_ || node.weight_reg.back().has_value();
    }
    node.activity_reg = ParseRegularizer(l.config, "activity_regularizer", l.name);
    if (l.class_name == "ActivityRegularization") {  // the layer is its own activity regularizer
      nlohmann::json as_regularizer = {
          {"activity_regularizer", {{"class_name", "L1L2"}, {"config", l.config}}}};
      node.activity_reg = ParseRegularizer(as_regularizer, "activity_regularizer", l.name);
    }
    has_regularizers_ = has_regularizers_ || node.activity_reg.has_value();
    if (l.weights.empty()) {
      node.layer->Initialize(Mix(seed, ++index, 0x1417));
    } else {
      ++index;
      node.layer->LoadKerasWeights(l.weights);
      for (const Param& p : node.layer->params)
        for (size_t i = 0; i < p.value.size(); ++i)
          Check(std::isfinite(p.value[i]), source_, ": layer '", l.name, "' weight '", p.keras_name,
                "' value ", i, " is not finite (", p.value[i], ")");
    }
    node_of[l.name] = static_cast<int>(nodes_.size());
    nodes_.push_back(std::move(node));
    if (pre_point >= 0) {
      Node act;
      KerasLayer a;
      a.name = l.name + "/activation";
      a.class_name = "Activation";
      a.config = {{"name", a.name}, {"activation", split_activation}};
      const Node& conv = nodes_.back();
      act.inputs = {static_cast<int>(nodes_.size()) - 1};
      act.layer = MakeLayer(a);
      act.layer->in_dims = {conv.dims};
      act.layer->in_ranks = {conv.rank};
      act.dims = act.layer->Setup(act.layer->in_dims);
      act.layer->out_dims = act.dims;
      act.rank = conv.rank;
      act.qat_point = qat_->OutputPoint(l.name);
      act.synthetic = true;
      node_of[l.name] = static_cast<int>(nodes_.size());
      nodes_.push_back(std::move(act));
    }
    return true;
  });
  Check(stuck == nullptr, source_, ": layer '", stuck ? stuck->name : "",
        "' depends on a layer that is missing or on a cycle");
  const KerasInbound& out = km.outputs[0];
  auto found = node_of.find(out.layer);
  Check(found != node_of.end(), source_, ": model output '", out.layer, "' is not a layer");
  Check(found->second == static_cast<int>(nodes_.size()) - 1, source_, ": model output '",
        out.layer, "' must be the last layer; layers after it are not supported");
  SetUpInputCentering();
}

void Net::SetUpInputCentering() {
  for (size_t i = 1; i < nodes_.size(); ++i)
    if (const std::optional<BiasedKernelLayout> layout = nodes_[i].layer->CenteringLayout())
      nodes_[i].centering.emplace(*layout);
  std::vector<int> pending = {static_cast<int>(nodes_.size()) - 1};
  std::vector<bool> seen(nodes_.size(), false);
  while (!pending.empty()) {
    const int i = pending.back();
    pending.pop_back();
    if (i <= 0 || seen[i]) continue;  // node 0 is the input
    seen[i] = true;
    if (!nodes_[i].layer->params.empty()) {
      nodes_[i].centering.reset();
      continue;
    }
    for (int k : nodes_[i].inputs) pending.push_back(k);
  }
}

std::vector<int32_t> KerasSampleShape(const Dims& d, int rank) {
  if (rank == 2) return {static_cast<int32_t>(d.size())};
  if (rank == 3) return {d.w, d.c};
  return {d.h, d.w, d.c};
}

void KerasToInternal(const float* nhwc, const Dims& d, int n, float* chw) {
  const int64_t P = d.pixels();
  for (int s = 0; s < n; ++s) {
    const float* x = nhwc + s * d.size();
    float* y = chw + s * d.size();
    for (int64_t p = 0; p < P; ++p)
      for (int c = 0; c < d.c; ++c) y[c * P + p] = x[p * d.c + c];
  }
}

void InternalToKeras(const float* chw, const Dims& d, int n, float* nhwc) {
  const int64_t P = d.pixels();
  for (int s = 0; s < n; ++s) {
    const float* x = chw + s * d.size();
    float* y = nhwc + s * d.size();
    for (int64_t p = 0; p < P; ++p)
      for (int c = 0; c < d.c; ++c) y[p * d.c + c] = x[c * P + p];
  }
}

void Net::Forward(const RunContext& ctx, const float* x_nhwc, int n) {
  Check(n > 0, source_, ": empty batch");
  batch_ = n;
  if (qat_) QuantizeWeights();
  Node& input = nodes_[0];
  input.value.resize(static_cast<size_t>(n * input.dims.size()));
  KerasToInternal(x_nhwc, input.dims, n, input.value.data());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& node = nodes_[i];
    if (i > 0) {
      node.value.resize(static_cast<size_t>(n * node.dims.size()));
      std::vector<const float*> ins;
      for (int k : node.inputs) ins.push_back(nodes_[k].out().data());
      if (node.centering) node.centering->Measure(ctx, n, ins[0], node.layer->in_dims[0].pixels());
      node.layer->Forward(ctx, n, ins, node.value.data());
    }
    if (node.qat_point >= 0) {
      node.qvalue.resize(node.value.size());
      node.mask.resize(node.value.size());
      qat_->Apply(ctx, node.qat_point, node.value.data(), static_cast<int64_t>(node.value.size()),
                  ctx.training, node.qvalue.data(), node.mask.data());
    }
  }
  if (!ctx.training) RestoreWeights();  // no Backward follows
}

void Net::QuantizeWeights() {
  if (weights_quantized_) return;
  for (Node& node : nodes_) {
    if (!node.layer || !node.quantize_weights) continue;
    std::vector<KerasWeight> w = node.layer->StoreKerasWeights();
    if (!FakeQuantizeKerasWeights(node.layer->class_name, qat_->per_tensor(), w)) continue;
    node.master.clear();
    for (const Param& p : node.layer->params) node.master.push_back(p.value);
    node.layer->LoadKerasWeights(w);
  }
  weights_quantized_ = true;
}

void Net::RestoreWeights() {
  if (!weights_quantized_) return;
  for (Node& node : nodes_) {
    if (node.master.empty()) continue;
    for (size_t k = 0; k < node.master.size(); ++k)
      node.layer->params[k].value = std::move(node.master[k]);
    node.master.clear();
  }
  weights_quantized_ = false;
}

void Net::Backward(const RunContext& ctx, const std::vector<float>& doutput) {
  Check(batch_ > 0 && doutput.size() == nodes_.back().value.size(), source_,
        ": Backward needs a gradient of the last Forward's output size");
  for (Param* p : params()) std::fill(p->grad.begin(), p->grad.end(), 0.0f);
  for (size_t i = 1; i < nodes_.size(); ++i) {
    nodes_[i].grad.assign(nodes_[i].value.size(), 0.0f);
  }
  nodes_.back().grad = doutput;
  for (size_t i = nodes_.size() - 1; i >= 1; --i) {
    Node& node = nodes_[i];
    std::vector<const float*> ins;
    std::vector<float*> dins;
    for (int k : node.inputs) {
      ins.push_back(nodes_[k].out().data());
      dins.push_back(k == 0 ? nullptr : nodes_[k].grad.data());
    }
    if (node.qat_point >= 0) {  // straight through where the value was not clipped
      for (size_t j = 0; j < node.grad.size(); ++j)
        if (!node.mask[j]) node.grad[j] = 0.0f;
    }
    if (node.activity_reg)
      node.activity_reg->AddGradient(node.value.data(), static_cast<int64_t>(node.value.size()),
                                     1.0f / static_cast<float>(batch_), node.grad.data());
    node.layer->Backward(ctx, batch_, ins, node.value.data(), node.grad.data(), dins);
  }
  RestoreWeights();  // the gradients apply to the float weights (straight through)
  for (Node& node : nodes_) {
    if (!node.layer) continue;
    for (size_t k = 0; k < node.weight_reg.size(); ++k) {
      if (!node.weight_reg[k]) continue;
      Param& p = node.layer->params[k];
      node.weight_reg[k]->AddGradient(p.value.data(), static_cast<int64_t>(p.value.size()), 1.0f,
                                      p.grad.data());
    }
  }
}

double Net::RegularizationLoss() const {
  if (!has_regularizers_) return 0.0;
  double total = 0.0;
  for (const Node& node : nodes_) {
    if (!node.layer) continue;
    for (size_t k = 0; k < node.weight_reg.size(); ++k) {
      if (!node.weight_reg[k]) continue;
      const std::vector<float>& v =
          node.master.empty() ? node.layer->params[k].value : node.master[k];  // float weights
      total += node.weight_reg[k]->Penalty(v.data(), static_cast<int64_t>(v.size()));
    }
    if (node.activity_reg && batch_ > 0)
      total += node.activity_reg->Penalty(node.value.data(),
                                          static_cast<int64_t>(node.value.size())) / batch_;
  }
  return total;
}

std::vector<Param*> Net::params() {
  std::vector<Param*> out;
  for (Node& n : nodes_)
    if (n.layer)
      for (Param& p : n.layer->params) out.push_back(&p);
  return out;
}

void Net::BeforeOptimizerStep() {
  for (Node& node : nodes_)
    if (node.centering) node.centering->BeforeStep(node.layer->params[0], node.layer->params[1]);
}

void Net::AfterOptimizerStep() {
  for (Node& node : nodes_)
    if (node.centering) node.centering->AfterStep(node.layer->params[0], node.layer->params[1]);
}

std::vector<Layer*> Net::layers() {
  std::vector<Layer*> out;
  for (Node& n : nodes_)
    if (n.layer) out.push_back(n.layer.get());
  return out;
}

int64_t Net::ParamCount() const {
  int64_t total = 0;
  for (const Node& n : nodes_)
    if (n.layer)
      for (const Param& p : n.layer->params) total += static_cast<int64_t>(p.value.size());
  return total;
}

void Net::StoreWeights(KerasModel& km) const {
  for (const Node& n : nodes_) {
    if (!n.layer || n.synthetic) continue;
    KerasLayer* l = nullptr;
    for (KerasLayer& kl : km.layers)
      if (kl.name == n.layer->name) l = &kl;
    Check(l != nullptr, source_, ": layer '", n.layer->name, "' is not in the model");
    l->weights = n.layer->StoreKerasWeights();
  }
}

}  // namespace cae::train
