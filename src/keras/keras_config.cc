#include "keras/keras_config.h"

#include <cstdio>
#include <map>

#include "graph/error.h"

namespace cae {
namespace {

using nlohmann::json;

constexpr size_t kMaxLayers = 100000;

const json& Member(const json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key)) Fail(where, ": missing '", key, "'");
  return obj.at(key);
}

std::string StringMember(const json& obj, const char* key, const std::string& where) {
  const json& v = Member(obj, key, where);
  if (!v.is_string()) Fail(where, ": '", key, "' is not a string");
  return v.get<std::string>();
}

int SmallInt(const json& v, const std::string& where) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 1000000) {
    Fail(where, ": expected a small non-negative integer, found ", v.dump());
  }
  return v.get<int>();
}

// [name, node, tensor(, kwargs)] as written by Keras 2 (inbound_nodes, input_layers).
KerasInbound InboundFromList(const json& v, const std::string& where) {
  if (!v.is_array() || v.size() < 3 || !v[0].is_string()) {
    Fail(where, ": expected [layer, node_index, tensor_index], found ", v.dump().substr(0, 200));
  }
  return KerasInbound{v[0].get<std::string>(), SmallInt(v[1], where), SmallInt(v[2], where)};
}

// Collects the {"class_name": "__keras_tensor__"} references of a Keras 3 call's args.
void CollectKerasTensors(const json& v, const std::string& where, std::vector<KerasInbound>& out,
                         int depth = 0) {
  if (depth > 32) Fail(where, ": call arguments nested too deeply");
  if (v.is_array()) {
    for (const json& e : v) CollectKerasTensors(e, where, out, depth + 1);
  } else if (v.is_object()) {
    const auto cls = v.find("class_name");
    if (cls != v.end() && cls->is_string() && cls->get<std::string>() == "__keras_tensor__") {
      const json& cfg = Member(v, "config", where);
      out.push_back(InboundFromList(Member(cfg, "keras_history", where), where));
    }
  }
}

std::vector<KerasInbound> ParseCall(const json& node, const std::string& where) {
  std::vector<KerasInbound> inputs;
  if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
    CollectKerasTensors(Member(node, "args", where), where, inputs);
  } else if (node.is_array()) {  // Keras 2: [[name, node, tensor, kwargs], ...]
    for (const json& in : node) inputs.push_back(InboundFromList(in, where));
  } else {
    Fail(where, ": malformed inbound node ", node.dump().substr(0, 200));
  }
  return inputs;
}

// input_layers / output_layers: [[name, n, t], ...] or (Keras 3, one tensor) [name, n, t].
std::vector<KerasInbound> ParseEndpoints(const json& v, const std::string& where) {
  std::vector<KerasInbound> out;
  if (!v.is_array()) Fail(where, ": expected a list of [layer, node, tensor]");
  if (!v.empty() && v[0].is_string()) {
    out.push_back(InboundFromList(v, where));
    return out;
  }
  for (const json& e : v) out.push_back(InboundFromList(e, where));
  return out;
}

KerasLayer ParseLayer(const json& lj, const std::string& source, bool with_nodes);

// Layers are referred to by name (inbound nodes, input/output layers, weight groups), so two
// layers of one model must not share a name.
void CheckUniqueLayerNames(const std::vector<KerasLayer>& layers, const std::string& where) {
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto [it, fresh] = seen.emplace(layers[i].name, i);
    if (!fresh)
      Fail(where, ": two layers are named '", layers[i].name, "' (layers ", it->second, " (",
           layers[it->second].class_name, ") and ", i, " (", layers[i].class_name,
           ")); layer names must be unique");
  }
}

KerasModel ParseSequential(const json& cfg, const std::string& source, const std::string& name) {
  KerasModel m;
  m.source = source;
  m.name = name;
  const json& layers = cfg.is_array() ? cfg : Member(cfg, "layers", source + ": Sequential");
  if (!layers.is_array() || layers.empty()) Fail(source, ": Sequential model has no layers");
  if (layers.size() > kMaxLayers) Fail(source, ": too many layers");
  for (const json& lj : layers) m.layers.push_back(ParseLayer(lj, source, false));
  CheckUniqueLayerNames(m.layers, StrCat(source, ": model '", name, "'"));
  if (m.layers.front().class_name != "InputLayer") {
    // Keras 2 keeps the input shape on the first layer or in build_input_shape.
    const KerasLayer& first = m.layers.front();
    json shape;
    if (first.config.contains("batch_input_shape")) {
      shape = first.config["batch_input_shape"];
    } else if (cfg.is_object() && cfg.contains("build_input_shape")) {
      shape = cfg["build_input_shape"];
    } else if (first.submodel) {
      shape = nullptr;  // resolved from the submodel's own input below
    } else {
      Fail(source, ": Sequential model '", name,
           "' has no InputLayer and no batch_input_shape: input shape unknown");
    }
    if (shape.is_null() && first.submodel && !first.submodel->inputs.empty()) {
      const KerasLayer* in = first.submodel->FindLayer(first.submodel->inputs[0].layer);
      if (in != nullptr)
        shape = in->config.value("batch_input_shape", in->config.value("batch_shape", json()));
    }
    KerasLayer input;
    input.name = first.name + "_input";
    input.class_name = "InputLayer";
    input.config = json{{"name", input.name}, {"batch_input_shape", shape}};
    m.layers.insert(m.layers.begin(), std::move(input));
  }
  for (size_t i = 1; i < m.layers.size(); ++i) {
    const KerasLayer& prev = m.layers[i - 1];
    const int node = prev.submodel ? 1 : 0;
    m.layers[i].calls = {{KerasInbound{prev.name, node, 0}}};
  }
  m.inputs = {KerasInbound{m.layers.front().name, 0, 0}};
  const KerasLayer& last = m.layers.back();
  m.outputs = {KerasInbound{last.name, last.submodel ? 1 : 0, 0}};
  return m;
}

KerasModel ParseFunctional(const json& cfg, const std::string& source, const std::string& name) {
  KerasModel m;
  m.source = source;
  m.name = name;
  const std::string where = StrCat(source, ": model '", name, "'");
  const json& layers = Member(cfg, "layers", where);
  if (!layers.is_array() || layers.empty()) Fail(where, ": no layers");
  if (layers.size() > kMaxLayers) Fail(where, ": too many layers");
  for (const json& lj : layers) m.layers.push_back(ParseLayer(lj, source, true));
  CheckUniqueLayerNames(m.layers, where);
  m.inputs = ParseEndpoints(Member(cfg, "input_layers", where), where + " input_layers");
  m.outputs = ParseEndpoints(Member(cfg, "output_layers", where), where + " output_layers");
  if (m.inputs.empty()) Fail(where, ": has no inputs (input_layers is empty)");
  if (m.outputs.empty()) Fail(where, ": has no outputs (output_layers is empty)");
  for (const auto* list : {&m.inputs, &m.outputs}) {
    for (const KerasInbound& e : *list) {
      if (m.FindLayer(e.layer) == nullptr) Fail(where, ": unknown layer '", e.layer, "'");
    }
  }
  for (const KerasLayer& l : m.layers) {
    for (const auto& call : l.calls) {
      for (const KerasInbound& in : call) {
        if (m.FindLayer(in.layer) == nullptr) {
          Fail(where, ": layer '", l.name, "' (", l.class_name,
               ") takes input from unknown layer '", in.layer, "'");
        }
      }
    }
  }
  return m;
}

// Bounds the nesting of models inside models (each level recurses).
struct NestingGuard {
  static inline thread_local int depth = 0;
  explicit NestingGuard(const std::string& source) {
    if (++depth > 64) {
      --depth;
      Fail(source, ": models nested more than 64 levels deep");
    }
  }
  ~NestingGuard() { --depth; }
};

KerasModel ParseModel(const json& model, const std::string& source) {
  NestingGuard guard(source);
  const std::string cls = StringMember(model, "class_name", source + ": model config");
  const json& cfg = Member(model, "config", source + ": model config");
  std::string name;
  if (cfg.is_object() && cfg.contains("name") && cfg["name"].is_string()) {
    name = cfg["name"].get<std::string>();
  }
  if (cls == "Sequential") return ParseSequential(cfg, source, name);
  if (cls == "Model" || cls == "Functional") return ParseFunctional(cfg, source, name);
  Fail(source, ": unsupported model class '", cls, "' (expected Sequential, Functional or Model)");
}

KerasLayer ParseLayer(const json& lj, const std::string& source, bool with_nodes) {
  if (!lj.is_object()) Fail(source, ": layer entry is not an object");
  KerasLayer l;
  l.class_name = StringMember(lj, "class_name", source + ": layer");
  l.config = Member(lj, "config", StrCat(source, ": layer (", l.class_name, ")"));
  if (lj.contains("name") && lj["name"].is_string()) {
    l.name = lj["name"].get<std::string>();
  } else if (l.config.is_object() && l.config.contains("name") && l.config["name"].is_string()) {
    l.name = l.config["name"].get<std::string>();
  } else {
    Fail(source, ": a ", l.class_name, " layer has no name");
  }
  const std::string where = StrCat(source, ": layer '", l.name, "' (", l.class_name, ")");
  if (!l.config.is_object() && !(l.class_name == "Sequential" && l.config.is_array())) {
    Fail(where, ": config is not an object");
  }
  if (IsModelClass(l.class_name)) {
    l.submodel = std::make_shared<KerasModel>(ParseModel(lj, source));
  }
  if (with_nodes && lj.contains("inbound_nodes") && !lj["inbound_nodes"].is_null()) {
    const json& nodes = lj["inbound_nodes"];
    if (!nodes.is_array()) Fail(where, ": inbound_nodes is not a list");
    for (const json& node : nodes) l.calls.push_back(ParseCall(node, where));
  }
  return l;
}

}  // namespace

bool IsModelClass(const std::string& class_name) {
  return class_name == "Sequential" || class_name == "Functional" || class_name == "Model";
}

json ParseJsonText(const std::string& text, const std::string& source, const std::string& what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) Fail(source, ": ", what, " is not valid JSON");
  return j;
}

KerasModel ParseKerasModelConfig(const json& model, const std::string& source) {
  try {
    return ParseModel(model, source);
  } catch (const json::exception& e) {
    Fail(source, ": malformed Keras config (", e.what(), ")");
  }
}

std::array<int32_t, 4> KerasPadPairs(const nlohmann::json& config, const char* key,
                                     int32_t fallback, const std::string& where) {
  auto it = config.is_object() ? config.find(key) : config.end();
  if (it == config.end() || it->is_null()) return {fallback, fallback, fallback, fallback};
  const nlohmann::json& v = *it;
  auto get = [&](const nlohmann::json& e) {
    Check(e.is_number_integer() && e.get<int64_t>() >= 0 && e.get<int64_t>() <= (1 << 20), where,
          ": config '", key, "' must hold non-negative integers: ", v.dump());
    return e.get<int32_t>();
  };
  if (v.is_number_integer()) {
    const int32_t p = get(v);
    return {p, p, p, p};
  }
  if (v.is_array() && v.size() == 2) {
    if (v[0].is_number_integer() && v[1].is_number_integer())
      return {get(v[0]), get(v[0]), get(v[1]), get(v[1])};
    if (v[0].is_array() && v[0].size() == 2 && v[1].is_array() && v[1].size() == 2)
      return {get(v[0][0]), get(v[0][1]), get(v[1][0]), get(v[1][1])};
  }
  Fail(where, ": config '", key, "' must be an int, a pair or ((top, bottom), (left, right)), got ",
       v.dump());
}

bool StandaloneKerasBefore24(const std::string& version) {
  if (version.empty() || version.find("-tf") != std::string::npos) return false;
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major < 2 || (major == 2 && minor < 4);
}

}  // namespace cae
