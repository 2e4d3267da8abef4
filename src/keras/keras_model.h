// A Keras model as read from a file, before lowering: the layer graph (config), each layer's
// calls, and its weights in Keras order. Produced by LoadKerasModel (keras_import.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cae {

struct KerasWeight {
  std::string name;  // the variable name without layer prefix and ":0": "kernel", "bias", ...
  std::vector<int32_t> shape;
  std::vector<float> values;
};

// A reference to a tensor: output tensor_index of call node_index of layer.
// Node indices are Keras's: for a nested model used as a layer, node 0 is the model's own
// construction and its k-th call in the outer graph is node k + 1 (see KerasLayer::calls).
struct KerasInbound {
  std::string layer;
  int node_index = 0;
  int tensor_index = 0;
};

struct KerasLayer {
  std::string name, class_name;
  nlohmann::json config;  // the layer's Keras config, as in the file
  // One entry per call (node) of the layer, in file order, each listing the call's input
  // tensors. Sequential models get these filled in (each layer calls the previous one).
  // For nested models, calls[k] is Keras node k + 1.
  std::vector<std::vector<KerasInbound>> calls;
  std::vector<KerasWeight> weights;  // in Keras order (from weight_names)
  // For nested models used as layers: the submodel (layers inlined by the lowering).
  std::shared_ptr<struct KerasModel> submodel;
};

struct KerasModel {
  std::string source;                  // file path
  std::string keras_version, backend;  // from file attributes ("" if absent)
  std::string name;
  std::vector<KerasLayer> layers;
  std::vector<KerasInbound> inputs, outputs;
  // Quantization-aware training ranges stored by `train --qat` (train/qat.h RangesJson; the
  // HDF5 root attribute "cae2tpu_qat"); null when the file has none.
  nlohmann::json qat;

  // Keras's count: every weight incl. BatchNorm moving stats, nested models included.
  int64_t ParamCount() const;
  // The layer named name, or nullptr.
  const KerasLayer* FindLayer(const std::string& name) const;
};

// Walks every call of m's layers except InputLayers in dependency order: passes over the
// calls still pending, in file order, offering each to try_visit(layer, call_index), which
// returns false when the call's inputs are not computed yet and otherwise handles the call
// (making its outputs available to later calls) and returns true. Keras files list layers in
// an order that needs one pass; others need more. Returns nullptr when every call was visited,
// or the layer of the first pending call when a pass makes no progress (a cycle or a reference
// to a tensor no layer produces); the caller reports it.
const KerasLayer* VisitCallsInDependencyOrder(
    const KerasModel& m, const std::function<bool(const KerasLayer&, size_t)>& try_visit);

}  // namespace cae
