// LowerKerasModel and SummarizeKerasModel: walks the layer graph in dependency order, inlines
// nested models, and lowers every layer call through the registry (keras_lowering.h).
#include <map>

#include "graph/shape.h"
#include "keras/keras_config.h"
#include "keras/keras_import.h"
#include "keras/keras_lowering.h"

namespace cae {
namespace {

using keras_lowering::LayerContext;
using keras_lowering::Value;

// Output values of the top-level layers' first calls, for the summary.
using LayerOutputs = std::map<std::string, std::vector<Value>>;

class Lowerer {
 public:
  Lowerer(const KerasModel& top, Graph& graph) : top_(top), graph_(graph) {}

  void Run(LayerOutputs* record) {
    record_ = record;
    Check(!top_.outputs.empty(), top_.source, ": model '", top_.name, "' has no outputs");
    std::vector<Value> inputs;
    for (const KerasInbound& in : top_.inputs) {
      const KerasLayer* l = top_.FindLayer(in.layer);
      Check(l != nullptr && l->class_name == "InputLayer", top_.source, ": model input '", in.layer,
            "' is not an InputLayer");
      inputs.push_back(MakeGraphInput(*l));
    }
    std::vector<Value> outputs = LowerModel(top_, inputs, "", 0);
    for (const Value& v : outputs) graph_.outputs.push_back(v.tensor);
  }

 private:
  static std::string Key(const std::string& layer, size_t call, int tensor) {
    return StrCat(layer, "#", call, "#", tensor);
  }

  Value MakeGraphInput(const KerasLayer& l) {
    const std::string where = StrCat(top_.source, ": layer '", l.name, "' (InputLayer)");
    nlohmann::json shape;
    for (const char* key : {"batch_input_shape", "batch_shape"}) {
      if (l.config.is_object() && l.config.contains(key) && !l.config[key].is_null()) {
        shape = l.config[key];
      }
    }
    Check(shape.is_array() && !shape.empty(), where, ": no batch_input_shape / batch_shape");
    Check(shape.size() <= 6, where, ": input rank ", shape.size(), " is not supported");
    std::vector<int32_t> dims;
    for (size_t i = 0; i < shape.size(); ++i) {
      const auto& d = shape[i];
      if (i == 0) {
        dynamic_batch_ = d.is_null();
        dims.push_back(1);
        continue;
      }
      Check(d.is_number_integer() && d.get<int64_t>() > 0 && d.get<int64_t>() <= (1 << 24), where,
            ": input dimension ", i, " must be a known positive size, found ", d.dump());
      dims.push_back(d.get<int32_t>());
    }
    Check(NumElements(dims) <= (int64_t{1} << 28), where, ": input shape ", ShapeToString(dims),
          " is too large");
    const std::string dtype = l.config.value("dtype", nlohmann::json("float32")).is_string()
                                  ? l.config.value("dtype", std::string("float32"))
                                  : std::string("float32");
    Check(dtype == "float32", where, ": input dtype ", dtype, " is not supported (float32)");
    Tensor t;
    t.name = l.name;
    t.type = DType::kFloat32;
    t.shape = dims;
    if (dynamic_batch_) {
      t.shape_signature = dims;
      t.shape_signature[0] = -1;
    }
    const int idx = graph_.AddTensor(std::move(t));
    graph_.inputs.push_back(idx);
    return Value{idx, dims};
  }

  // Which entry of layer.calls a Keras node index refers to.
  static size_t CallIndex(const KerasLayer& l, int node_index) {
    if (l.submodel && node_index >= 1) return static_cast<size_t>(node_index - 1);
    return static_cast<size_t>(node_index);
  }

  std::vector<Value> LowerModel(const KerasModel& m, const std::vector<Value>& inputs,
                                const std::string& prefix, int depth) {
    Check(depth <= 64, m.source, ": models nested too deeply");
    const bool top = depth == 0;
    Check(inputs.size() == m.inputs.size(), m.source, ": model '", m.name, "' takes ",
          m.inputs.size(), " inputs, called with ", inputs.size());
    std::map<std::string, Value> env;
    for (size_t i = 0; i < inputs.size(); ++i) {
      env[Key(m.inputs[i].layer, 0, 0)] = inputs[i];
      if (top && record_ != nullptr) (*record_)[m.inputs[i].layer] = {inputs[i]};
    }
    // Lower each call once its inputs are lowered.
    const KerasLayer* stuck = VisitCallsInDependencyOrder(m, [&](const KerasLayer& l, size_t call) {
      std::vector<Value> args;
      for (const KerasInbound& in : l.calls[call]) {
        const KerasLayer* src = m.FindLayer(in.layer);
        Check(src != nullptr, m.source, ": layer '", l.name, "' takes input from unknown layer '",
              in.layer, "'");
        auto found = env.find(Key(in.layer, CallIndex(*src, in.node_index), in.tensor_index));
        if (found == env.end()) return false;
        args.push_back(found->second);
      }
      std::vector<Value> outs = LowerCall(m, l, args, prefix, depth);
      for (size_t t = 0; t < outs.size(); ++t) env[Key(l.name, call, static_cast<int>(t))] = outs[t];
      if (top && record_ != nullptr && call == 0) (*record_)[l.name] = outs;
      return true;
    });
    if (stuck != nullptr)
      Fail(m.source, ": layer '", stuck->name, "' (", stuck->class_name,
           ") depends on a tensor no layer produces (cycle or dangling node reference)");
    std::vector<Value> outputs;
    for (const KerasInbound& out : m.outputs) {
      const KerasLayer* l = m.FindLayer(out.layer);
      Check(l != nullptr, m.source, ": unknown output layer '", out.layer, "'");
      auto found =
          env.find(Key(out.layer, l->class_name == "InputLayer" ? 0 : CallIndex(*l, out.node_index),
                       out.tensor_index));
      Check(found != env.end(), m.source, ": model '", m.name, "' output ", out.layer, "[",
            out.node_index, "][", out.tensor_index, "] is never computed");
      outputs.push_back(found->second);
    }
    return outputs;
  }

  std::vector<Value> LowerCall(const KerasModel& m, const KerasLayer& l,
                               const std::vector<Value>& args, const std::string& prefix,
                               int depth) {
    if (l.submodel) {
      return LowerModel(*l.submodel, args, prefix + l.name + "/", depth + 1);
    }
    auto lowering = keras_lowering::FindLayerLowering(l.class_name);
    if (lowering == nullptr) {
      Fail(m.source, ": layer '", l.name, "' (", l.class_name, "): unsupported layer class");
    }
    LayerContext ctx(graph_, m, l, prefix, dynamic_batch_);
    std::vector<Value> outs = lowering(ctx, args);
    Check(!outs.empty(), m.source, ": layer '", l.name, "' produced no output");
    return outs;
  }

  const KerasModel& top_;
  Graph& graph_;
  LayerOutputs* record_ = nullptr;
  bool dynamic_batch_ = true;
};

Model Lower(const KerasModel& km, LayerOutputs* record) {
  Model model;
  model.source = km.source;
  model.description =
      "Imported from Keras" + (km.keras_version.empty() ? std::string() : " " + km.keras_version);
  model.subgraphs.emplace_back();
  Graph& g = model.main();
  g.name = km.name;
  Lowerer(km, g).Run(record);
  return model;
}

}  // namespace

Model LowerKerasModel(const KerasModel& km) {
  try {
    return Lower(km, nullptr);
  } catch (const nlohmann::json::exception& e) {
    Fail(km.source, ": malformed Keras config (", e.what(), ")");
  }
}

Model LowerKerasModel(const KerasModel& km, std::map<std::string, std::vector<int>>* layer_outputs) {
  LayerOutputs outputs;
  Model model;
  try {
    model = Lower(km, &outputs);
  } catch (const nlohmann::json::exception& e) {
    Fail(km.source, ": malformed Keras config (", e.what(), ")");
  }
  layer_outputs->clear();
  for (const auto& [name, values] : outputs) {
    std::vector<int>& tensors = (*layer_outputs)[name];
    for (const Value& v : values) tensors.push_back(v.tensor);
  }
  return model;
}

std::vector<KerasLayerSummary> SummarizeKerasModel(const KerasModel& km) {
  LayerOutputs outputs;
  try {
    Lower(km, &outputs);
  } catch (const nlohmann::json::exception& e) {
    Fail(km.source, ": malformed Keras config (", e.what(), ")");
  }
  std::vector<KerasLayerSummary> rows;
  for (const KerasLayer& l : km.layers) {
    KerasLayerSummary row;
    row.name = l.name;
    row.class_name = l.class_name;
    row.params = 0;
    for (const KerasWeight& w : l.weights) row.params += static_cast<int64_t>(w.values.size());
    if (l.submodel) row.params += l.submodel->ParamCount();
    auto it = outputs.find(l.name);
    if (it != outputs.end()) {
      for (const Value& v : it->second) {
        std::vector<int32_t> s = v.shape;
        if (!s.empty()) s[0] = -1;
        row.output_shapes.push_back(std::move(s));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace cae
