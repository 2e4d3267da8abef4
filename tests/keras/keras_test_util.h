// Helpers shared by the Keras importer tests.
#pragma once

#include <map>
#include <string>

#include "graph/graph.h"
#include "graph/op_type.h"
#include "support/fixtures.h"

namespace cae::testing {

// Number of ops of each type in the main graph: {"CONV_2D": 7, ...}.
inline std::map<std::string, int> CountOps(const Model& m) {
  std::map<std::string, int> counts;
  for (const Op& op : m.main().ops) ++counts[OpTypeName(op.type)];
  return counts;
}

inline std::string KerasFixture(const std::string& name) {
  return SharedPath("fixtures/keras/" + name);
}

}  // namespace cae::testing

#include <cstring>
#include <vector>

#include "graph/tensor_data.h"
#include "keras/keras_config.h"
#include "keras/keras_model.h"
#include "runtime/interpreter.h"

namespace cae::testing {

// A KerasModel from a model config JSON text, as if read from a file named "test.h5".
inline KerasModel ModelFromJson(const std::string& text,
                                const std::string& keras_version = "2.4.0") {
  KerasModel km = ParseKerasModelConfig(ParseJsonText(text, "test.h5", "config"), "test.h5");
  km.keras_version = keras_version;
  return km;
}

inline KerasLayer& MutableLayer(KerasModel& km, const std::string& name) {
  for (KerasLayer& l : km.layers) {
    if (l.name == name) return l;
  }
  throw std::runtime_error("no layer " + name);
}

// Runs the model's first input through the interpreter and returns its first output.
inline std::vector<float> RunFloat(const Model& m, const std::vector<int32_t>& shape,
                                   const std::vector<float>& input,
                                   std::vector<int32_t>* out_shape = nullptr) {
  Interpreter interp(m);
  TensorData in(DType::kFloat32, shape);
  std::memcpy(in.bytes.data(), input.data(), input.size() * sizeof(float));
  std::vector<TensorData> out = interp.Run({in});
  if (out_shape != nullptr) *out_shape = out.at(0).shape;
  const float* p = out.at(0).as<float>();
  return std::vector<float>(p, p + out.at(0).num_elements());
}

// A Sequential model config over an input of shape dims (batch excluded) and the given layer
// entries ({"class_name": ..., "config": {...}} JSON texts).
inline std::string SequentialJson(const std::string& input_dims,
                                  const std::vector<std::string>& layers) {
  std::string s = R"({"class_name": "Sequential", "config": {"name": "seq", "layers": [)";
  s += R"({"class_name": "InputLayer", "config": {"batch_input_shape": [null, )" + input_dims +
       R"(], "dtype": "float32", "name": "input"}})";
  for (const std::string& l : layers) s += ", " + l;
  return s + "]}}";
}

}  // namespace cae::testing
