// Flattening nested models (keras/keras_inline.h): the flat model has the same layers, weights and
// outputs as the nested one, for a real Keras 2.4 file (ML3ARN: encoder layers + a nested
// Functional decoder) and for a Sequential nested in a Functional model; clashing names and a
// nested model called twice are handled as documented.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/error.h"
#include "keras/keras_import.h"
#include "keras/keras_inline.h"
#include "keras_test_util.h"

namespace cae {
namespace {

using testing::KerasFixture;
using testing::ModelFromJson;
using testing::MutableLayer;
using testing::RunFloat;

std::vector<float> Ramp(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>((i * 37) % 101) / 100.0f;
  return v;
}

TEST(KerasInline, ML3ARNDecoderBecomesFlatLayersWithTheSameOutput) {
  const std::string path = KerasFixture("ML3ARN__autoencoder.h5");
  CAE_REQUIRE_FILE(path);
  const KerasModel nested = LoadKerasModel(path);
  ASSERT_TRUE(HasNestedModels(nested));
  const KerasModel flat = InlineNestedModels(nested);
  EXPECT_FALSE(HasNestedModels(flat));
  EXPECT_EQ(flat.ParamCount(), nested.ParamCount());
  // 7 outer layers (input .. dense) + the decoder's 7 (its InputLayer disappears).
  EXPECT_EQ(flat.layers.size(), 14u);
  const KerasLayer* dense1 = flat.FindLayer("dense_1");
  ASSERT_NE(dense1, nullptr);
  ASSERT_EQ(dense1->calls.size(), 1u);
  ASSERT_EQ(dense1->calls[0].size(), 1u);
  EXPECT_EQ(dense1->calls[0][0].layer, "dense");  // reads what the decoder was called on
  EXPECT_EQ(dense1->calls[0][0].node_index, 0);
  ASSERT_EQ(flat.outputs.size(), 1u);
  EXPECT_EQ(flat.outputs[0].layer, "conv2d_6");
  const std::vector<float> x = Ramp(28 * 28);
  EXPECT_EQ(RunFloat(LowerKerasModel(flat), {1, 28, 28, 1}, x),
            RunFloat(LowerKerasModel(nested), {1, 28, 28, 1}, x));
}

// outer: x -> inner (Sequential: Dense 3 relu, Dense 2) -> head (Dense 1).
const char* kNestedSequential = R"({"class_name": "Model", "config": {"name": "outer", "layers": [
  {"class_name": "InputLayer", "name": "x", "config": {"batch_input_shape": [null, 4], "name": "x"}, "inbound_nodes": []},
  {"class_name": "Sequential", "name": "inner", "config": {"name": "inner", "layers": [
     {"class_name": "Dense", "config": {"name": "d1", "units": 3, "activation": "relu", "batch_input_shape": [null, 4]}},
     {"class_name": "Dense", "config": {"name": "d2", "units": 2, "activation": "linear"}}]},
   "inbound_nodes": [[["x", 0, 0, {}]]]},
  {"class_name": "Dense", "name": "%HEAD%", "config": {"name": "%HEAD%", "units": 1, "activation": "linear"},
   "inbound_nodes": [[["inner", 1, 0, {}]]]}],
  "input_layers": [["x", 0, 0]], "output_layers": [["%HEAD%", 0, 0]]}})";

std::string WithHead(const std::string& head) {
  std::string text = kNestedSequential;
  for (size_t at; (at = text.find("%HEAD%")) != std::string::npos;) text.replace(at, 6, head);
  return text;
}

void SetDense(KerasLayer& l, int in, int out) {
  std::vector<float> k = Ramp(static_cast<size_t>(in * out));
  for (float& v : k) v -= 0.4f;
  l.weights = {{"kernel", {in, out}, k}, {"bias", {out}, std::vector<float>(out, 0.1f)}};
}

TEST(KerasInline, SequentialInsideFunctional) {
  KerasModel nested = ModelFromJson(WithHead("head"));
  KerasLayer& inner = MutableLayer(nested, "inner");
  ASSERT_TRUE(inner.submodel);
  SetDense(MutableLayer(*inner.submodel, "d1"), 4, 3);
  SetDense(MutableLayer(*inner.submodel, "d2"), 3, 2);
  SetDense(MutableLayer(nested, "head"), 2, 1);
  const KerasModel flat = InlineNestedModels(nested);
  std::vector<std::string> names;
  for (const KerasLayer& l : flat.layers) names.push_back(l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"x", "d1", "d2", "head"}));  // dependency order
  EXPECT_EQ(flat.FindLayer("d1")->calls[0][0].layer, "x");
  EXPECT_EQ(flat.FindLayer("head")->calls[0][0].layer, "d2");
  const std::vector<float> x{0.5f, -1.0f, 2.0f, 0.25f};
  const std::vector<float> want = RunFloat(LowerKerasModel(nested), {1, 4}, x);
  EXPECT_EQ(RunFloat(LowerKerasModel(flat), {1, 4}, x), want);
}

TEST(KerasInline, ClashingNamesFailClearly) {
  const KerasModel nested = ModelFromJson(WithHead("d1"));  // outer head named like an inner layer
  try {
    InlineNestedModels(nested);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer name 'd1' is used both inside and outside"),
              std::string::npos)
        << e.what();
  }
}

// The same nested model applied to two tensors: each inner layer gets two calls (shared weights).
TEST(KerasInline, NestedModelCalledTwiceSharesItsLayers) {
  const KerasModel nested = ModelFromJson(R"({"class_name": "Model", "config": {"name": "outer", "layers": [
    {"class_name": "InputLayer", "name": "x", "config": {"batch_input_shape": [null, 2], "name": "x"}, "inbound_nodes": []},
    {"class_name": "Model", "name": "block", "config": {"name": "block", "layers": [
       {"class_name": "InputLayer", "name": "bx", "config": {"batch_input_shape": [null, 2], "name": "bx"}, "inbound_nodes": []},
       {"class_name": "Dense", "name": "bd", "config": {"name": "bd", "units": 2}, "inbound_nodes": [[["bx", 0, 0, {}]]]}],
       "input_layers": [["bx", 0, 0]], "output_layers": [["bd", 0, 0]]},
     "inbound_nodes": [[["x", 0, 0, {}]], [["block", 1, 0, {}]]]}],
    "input_layers": [["x", 0, 0]], "output_layers": [["block", 2, 0]]}})");
  const KerasModel flat = InlineNestedModels(nested);
  const KerasLayer* bd = flat.FindLayer("bd");
  ASSERT_NE(bd, nullptr);
  ASSERT_EQ(bd->calls.size(), 2u);
  EXPECT_EQ(bd->calls[0][0].layer, "x");
  EXPECT_EQ(bd->calls[1][0].layer, "bd");
  EXPECT_EQ(bd->calls[1][0].node_index, 0);
  ASSERT_EQ(flat.outputs.size(), 1u);
  EXPECT_EQ(flat.outputs[0].layer, "bd");
  EXPECT_EQ(flat.outputs[0].node_index, 1);
}

}  // namespace
}  // namespace cae
