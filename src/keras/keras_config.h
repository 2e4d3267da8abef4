// Parsing of a Keras model config (the JSON in model_config / config.json / model.to_json())
// into KerasModel's layer graph. Weights are attached separately (keras_weights.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "keras/keras_model.h"

namespace cae {

// Builds the layers, calls, inputs and outputs of a Sequential, Functional or Model config
// ({"class_name": ..., "config": ...}). Nested models become KerasLayer::submodel. Sequential
// models get an InputLayer (from batch_input_shape / build_input_shape) when the file has none.
// Throws cae::Error naming source on any malformed or dangling reference.
KerasModel ParseKerasModelConfig(const nlohmann::json& model, const std::string& source);

// Parses text as JSON; throws "<source>: <what> is not valid JSON: ..." on failure.
nlohmann::json ParseJsonText(const std::string& text, const std::string& source,
                             const std::string& what);

// True for the class names of models that can be nested as layers.
bool IsModelClass(const std::string& class_name);

}  // namespace cae
