// Parsing of a Keras model config (the JSON in model_config / config.json / model.to_json())
// into KerasModel's layer graph. Weights are attached separately (keras_weights.h).
#pragma once

#include <array>
#include <cstdint>
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

// True for versions of standalone Keras before 2.4 ("2.2.4", "2.3.1", "1.2.2"), whose bilinear
// UpSampling2D resized without half-pixel centers; false for tf.keras ("2.3.0-tf"), 2.4 and later,
// and an empty or unreadable version. Shared by the importer and the trainer.
bool StandaloneKerasBefore24(const std::string& version);

// ZeroPadding2D / Cropping2D amounts {top, bottom, left, right} from config[key]: an int (all four
// sides), a pair (symmetric height, symmetric width) or ((top, bottom), (left, right)); fallback
// on all four when absent or null. Throws cae::Error "<where>: config '<key>' ..." for other forms
// or values outside [0, 2^20]. Shared by the importer and the trainer.
std::array<int32_t, 4> KerasPadPairs(const nlohmann::json& config, const char* key,
                                     int32_t fallback, const std::string& where);

// True for the class names of models that can be nested as layers.
bool IsModelClass(const std::string& class_name);

}  // namespace cae
