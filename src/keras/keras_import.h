// Keras model import: read Keras files into KerasModel, lower KerasModel into the project graph.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "keras/keras_model.h"

namespace cae {

// Reads Keras 2.x HDF5 (model_config + model_weights), Keras 3 legacy HDF5 (batch_shape,
// __keras_tensor__ inbound nodes, weight names without :0), Keras 3 .keras zips (config.json,
// metadata.json, model.weights.h5). A weights-only file (no model_config) fails with a clear
// message unless arch_json_path names a model.to_json() file.
KerasModel LoadKerasModel(const std::string& path, const std::string& arch_json_path = "");

// Lowers to a float32 graph in TFLite's vocabulary (Model with one subgraph). Stored batch is 1.
Model LowerKerasModel(const KerasModel& km);
// The same, also recording for every top-level layer (InputLayers included) the graph tensor
// indices of its first call's outputs, in Keras output order.
Model LowerKerasModel(const KerasModel& km, std::map<std::string, std::vector<int>>* layer_outputs);

// Per-layer rows for `inspect`: name, class, output shape(s) (batch as -1/None), param count.
struct KerasLayerSummary {
  std::string name, class_name;
  std::vector<std::vector<int32_t>> output_shapes;
  int64_t params;
};
std::vector<KerasLayerSummary> SummarizeKerasModel(const KerasModel& km);

// By magic bytes: HDF5 signature, or a zip archive holding config.json.
bool LooksLikeKerasFile(const std::string& path);

}  // namespace cae
