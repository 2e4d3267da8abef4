#include "keras/keras_inline.h"

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "graph/error.h"

namespace cae {
namespace {

// (layer, call index, tensor index) of one model's graph -> the flat tensor it becomes.
using TensorKey = std::tuple<std::string, size_t, int>;

// Which entry of layer.calls a Keras node index refers to (nested models: node 0 is their own
// construction, call k is node k + 1).
size_t CallIndex(const KerasLayer& l, int node_index) {
  if (l.submodel && node_index >= 1) return static_cast<size_t>(node_index - 1);
  return static_cast<size_t>(node_index);
}

class Inliner {
 public:
  explicit Inliner(KerasModel& flat) : flat_(flat) {}

  // Appends m's layers to flat_ in dependency order; m's inputs read `inputs` (flat tensors).
  // Returns m's outputs as flat tensors. At depth 0 the InputLayers are kept and `inputs` unused.
  std::vector<KerasInbound> Inline(const KerasModel& m, const std::vector<KerasInbound>& inputs,
                                   int depth) {
    Check(depth <= 64, m.source, ": models nested too deeply");
    const bool top = depth == 0;
    // Tensors of m's graph that are not simply (layer, call, tensor) of a placed plain layer: the
    // InputLayers' and the nested models' outputs.
    std::map<TensorKey, KerasInbound> env;
    // Calls of plain layers placed so far: (layer, call) -> its node in the flat model (a layer
    // of a nested model that is called again gets further nodes).
    std::map<std::pair<std::string, size_t>, int> placed;
    if (!top) {
      Check(inputs.size() == m.inputs.size(), m.source, ": model '", m.name, "' takes ",
            m.inputs.size(), " inputs, called with ", inputs.size());
      for (size_t i = 0; i < inputs.size(); ++i) env[{m.inputs[i].layer, 0, 0}] = inputs[i];
    }
    if (top) {
      for (const KerasLayer& l : m.layers) {
        if (l.class_name != "InputLayer") continue;
        Place(m, l);
        env[{l.name, 0, 0}] = KerasInbound{l.name, 0, 0};
      }
    }
    // The flat tensor an inbound reference of m's graph stands for, if it is computed yet.
    auto resolve = [&](const KerasInbound& in, const KerasLayer& user) -> const KerasInbound* {
      const KerasLayer* src = m.FindLayer(in.layer);
      Check(src != nullptr, m.source, ": layer '", user.name, "' takes input from unknown layer '",
            in.layer, "'");
      const size_t call = src->class_name == "InputLayer" ? 0 : CallIndex(*src, in.node_index);
      if (src->class_name == "InputLayer" || src->submodel) {
        auto found = env.find({in.layer, call, in.tensor_index});
        return found == env.end() ? nullptr : &found->second;
      }
      auto node = placed.find({in.layer, call});
      if (node == placed.end()) return nullptr;
      scratch_ = KerasInbound{in.layer, node->second, in.tensor_index};
      return &scratch_;
    };
    // Place each call once its inputs are placed.
    const KerasLayer* stuck = VisitCallsInDependencyOrder(m, [&](const KerasLayer& l, size_t call) {
      std::vector<KerasInbound> args;
      for (const KerasInbound& in : l.calls[call]) {
        const KerasInbound* flat_in = resolve(in, l);
        if (flat_in == nullptr) return false;
        args.push_back(*flat_in);
      }
      if (l.submodel) {
        const std::vector<KerasInbound> outs = Inline(*l.submodel, args, depth + 1);
        for (size_t t = 0; t < outs.size(); ++t) env[{l.name, call, static_cast<int>(t)}] = outs[t];
      } else {
        KerasLayer& copy = Place(m, l);
        copy.calls.push_back(std::move(args));
        placed[{l.name, call}] = static_cast<int>(copy.calls.size()) - 1;
      }
      return true;
    });
    if (stuck != nullptr)
      Fail(m.source, ": layer '", stuck->name, "' (", stuck->class_name, ") of model '", m.name,
           "' depends on a tensor no layer produces (cycle or dangling node reference)");
    std::vector<KerasInbound> outputs;
    for (const KerasInbound& out : m.outputs) {
      const KerasLayer* l = m.FindLayer(out.layer);
      Check(l != nullptr, m.source, ": model '", m.name, "' has unknown output layer '", out.layer,
            "'");
      const KerasInbound* flat_out = resolve(out, *l);
      Check(flat_out != nullptr, m.source, ": model '", m.name, "' output ", out.layer, "[",
            out.node_index, "][", out.tensor_index, "] is never computed");
      outputs.push_back(*flat_out);
    }
    return outputs;
  }

 private:
  // The flat copy of plain layer l, appended on its first call (so layers come in dependency
  // order); its calls are appended as they resolve.
  KerasLayer& Place(const KerasModel& m, const KerasLayer& l) {
    auto found = slot_.find(&l);
    if (found != slot_.end()) return flat_.layers[found->second];
    Check(names_.insert(l.name).second, m.source, ": layer name '", l.name,
          "' is used both inside and outside a nested model (in '", m.name,
          "'); the model cannot be flattened");
    KerasLayer copy = l;
    copy.calls.clear();
    slot_[&l] = flat_.layers.size();
    flat_.layers.push_back(std::move(copy));
    return flat_.layers.back();
  }

  KerasModel& flat_;
  std::set<std::string> names_;
  std::map<const KerasLayer*, size_t> slot_;  // a source layer -> its index in flat_.layers
  KerasInbound scratch_;
};

}  // namespace

bool HasNestedModels(const KerasModel& km) {
  for (const KerasLayer& l : km.layers)
    if (l.submodel) return true;
  return false;
}

KerasModel InlineNestedModels(const KerasModel& km) {
  KerasModel flat;
  flat.source = km.source;
  flat.keras_version = km.keras_version;
  flat.backend = km.backend;
  flat.name = km.name;
  flat.inputs = km.inputs;
  Inliner inliner(flat);
  flat.outputs = inliner.Inline(km, {}, 0);
  return flat;
}

}  // namespace cae
