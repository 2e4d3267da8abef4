// Hostile configs: every value of a small model config replaced by values of other JSON types
// gives either a model or a cae::Error naming the file, never another exception or a crash.
#include <gtest/gtest.h>

#include <functional>

#include "graph/error.h"
#include "keras/keras_import.h"
#include "keras_test_util.h"

namespace cae::testing {
namespace {

using nlohmann::json;

const char* kConfig = R"({"class_name": "Functional", "config": {"name": "f", "layers": [
  {"name": "in", "class_name": "InputLayer", "config": {"batch_shape": [null, 4, 4, 1], "name": "in"},
   "inbound_nodes": []},
  {"name": "c", "class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [3, 3],
   "strides": [1, 1], "padding": "same", "dilation_rate": [1, 1], "activation": "relu", "use_bias": true},
   "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}}], "kwargs": {}}]},
  {"name": "t", "class_name": "Conv2DTranspose", "config": {"name": "t", "filters": 1, "kernel_size": [2, 2],
   "strides": [2, 2], "padding": "valid", "activation": "sigmoid", "use_bias": false},
   "inbound_nodes": [[["c", 0, 0, {}]]]},
  {"name": "u", "class_name": "UpSampling2D", "config": {"name": "u", "size": [2, 2]},
   "inbound_nodes": [[["c", 0, 0, {}]]]},
  {"name": "k", "class_name": "Concatenate", "config": {"name": "k", "axis": -1},
   "inbound_nodes": [[["t", 0, 0, {}], ["u", 0, 0, {}]]]},
  {"name": "b", "class_name": "BatchNormalization", "config": {"name": "b", "axis": -1, "epsilon": 0.001},
   "inbound_nodes": [[["k", 0, 0, {}]]]},
  {"name": "p", "class_name": "ZeroPadding2D", "config": {"name": "p", "padding": [[1, 0], [0, 1]]},
   "inbound_nodes": [[["b", 0, 0, {}]]]},
  {"name": "r", "class_name": "Reshape", "config": {"name": "r", "target_shape": [-1, 3]},
   "inbound_nodes": [[["p", 0, 0, {}]]]}],
  "input_layers": [["in", 0, 0]], "output_layers": [["r", 0, 0]]}})";

void AttachWeights(KerasModel& km) {
  for (KerasLayer& l : km.layers) {
    if (l.name == "c") {
      l.weights = {{"kernel", {3, 3, 1, 2}, std::vector<float>(18, 0.1f)}, {"bias", {2}, {0, 0}}};
    } else if (l.name == "t") {
      l.weights = {{"kernel", {2, 2, 1, 2}, std::vector<float>(8, 0.1f)}};
    } else if (l.name == "b") {
      l.weights = {{"gamma", {3}, {1, 1, 1}},
                   {"beta", {3}, {0, 0, 0}},
                   {"moving_mean", {3}, {0, 0, 0}},
                   {"moving_variance", {3}, {1, 1, 1}}};
    }
  }
}

// Applies fn to every value in j (depth first), with a way to replace it.
void ForEachValue(json& j, const std::function<void(json&)>& fn) {
  fn(j);
  if (j.is_object()) {
    for (auto& [key, v] : j.items()) ForEachValue(v, fn);
  } else if (j.is_array()) {
    for (auto& v : j) ForEachValue(v, fn);
  }
}

TEST(KerasConfigFuzz, OriginalIsValid) {
  KerasModel km = ModelFromJson(kConfig);
  AttachWeights(km);
  Model m = LowerKerasModel(km);
  EXPECT_EQ(m.main().tensors[m.main().outputs[0]].shape, (std::vector<int32_t>{1, 81, 3}));
}

TEST(KerasConfigFuzz, EveryValueReplacedByOtherTypes) {
  const json original = json::parse(kConfig);
  size_t count = 0;
  {
    json probe = original;
    ForEachValue(probe, [&](json&) { ++count; });
  }
  const std::vector<json> replacements = {nullptr,
                                          json("x"),
                                          json(-3),
                                          json(1e30),
                                          json::array(),
                                          json::object(),
                                          json::array({1, "a"}),
                                          json(true),
                                          json(2147483648LL)};
  int errors = 0, successes = 0;
  for (size_t target = 0; target < count; ++target) {
    for (const json& rep : replacements) {
      json mutated = original;
      size_t index = 0;
      ForEachValue(mutated, [&](json& v) {
        if (index++ == target) v = rep;
      });
      try {
        KerasModel km = ParseKerasModelConfig(mutated, "fuzz.h5");
        AttachWeights(km);
        LowerKerasModel(km);
        SummarizeKerasModel(km);
        ++successes;
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("fuzz.h5"), std::string::npos) << e.what();
        ++errors;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "value " << target << " -> " << rep.dump() << ": non-cae exception "
                      << e.what();
      }
    }
  }
  EXPECT_GT(errors, 0);
  EXPECT_GT(successes, 0);
}

}  // namespace
}  // namespace cae::testing
