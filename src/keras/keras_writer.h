// Writes a KerasModel as a Keras 2 HDF5 model file (the layout keras.Model.save(..., 'x.h5')
// produces and LoadKerasModel reads): root attributes model_config (functional "Model" JSON),
// keras_version, backend and optionally training_config; group model_weights with attributes
// layer_names, backend, keras_version; per layer a group model_weights/<layer> with attribute
// weight_names ("<layer>/<weight>:0", an empty float64 array for layers without weights) and
// float32 datasets model_weights/<layer>/<layer>/<weight>:0.
//
// The file is written to a temporary name in the destination folder and renamed over path only
// when complete; on any failure cae::Error names path and no file is left behind. Models with
// nested submodels are rejected.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "keras/keras_model.h"

namespace cae {

void SaveKerasH5(const KerasModel& km, const std::string& path);
// As above, also storing training_config (Keras: {"loss": ..., "optimizer_config": {...}, ...}).
void SaveKerasH5(const KerasModel& km, const std::string& path,
                 const nlohmann::json& training_config);

// The model_config JSON SaveKerasH5 writes ({"class_name": "Model", "config": {...}}).
nlohmann::json KerasModelConfig(const KerasModel& km);

}  // namespace cae
