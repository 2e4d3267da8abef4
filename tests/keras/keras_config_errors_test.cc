// Structural mistakes in a Keras model config are found at load time and named: duplicated layer
// names, a model without outputs.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "graph/error.h"
#include "h5_test_writer.h"
#include "keras/keras_config.h"
#include "keras/keras_import.h"
#include "support/fixtures.h"

namespace cae::testing {
namespace {

// Input 6x6x1 -> Conv2D c1 -> Conv2D c2 -> MaxPooling2D p1, Keras 2 functional; the names of the
// three layers and the output layers are parameters.
std::string ThreeLayerConfig(const std::string& n1, const std::string& n2, const std::string& n3,
                             const std::string& output_layers) {
  auto conv = [](const std::string& name, const std::string& from) {
    return R"({"name": ")" + name + R"(", "class_name": "Conv2D", "config": {"name": ")" + name +
           R"(", "filters": 2, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
           "activation": "relu", "use_bias": true}, "inbound_nodes": [[[")" + from + R"(", 0, 0, {}]]]})";
  };
  return R"({"class_name": "Model", "config": {"name": "m", "layers": [
    {"name": "input_1", "class_name": "InputLayer",
     "config": {"batch_input_shape": [null, 6, 6, 1], "dtype": "float32", "name": "input_1"},
     "inbound_nodes": []}, )" +
         conv(n1, "input_1") + ", " + conv(n2, n1) + R"(,
    {"name": ")" + n3 + R"(", "class_name": "MaxPooling2D", "config": {"name": ")" + n3 +
         R"(", "pool_size": [2, 2], "strides": [2, 2], "padding": "valid"},
     "inbound_nodes": [[[")" + n2 + R"(", 0, 0, {}]]]}],
    "input_layers": [["input_1", 0, 0]], "output_layers": )" +
         output_layers + "}}";
}

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(KerasConfigErrors, DuplicateLayerNameIsNamed) {
  // As in a file where the pooling layer after enc_conv1 was renamed enc_conv1 too: the second
  // conv then takes input from a layer that "does not exist"; the real mistake is the name.
  const std::string cfg = ThreeLayerConfig("enc_conv1", "enc_conv1", "enc_pool1", R"([["enc_pool1", 0, 0]])");
  const std::string msg =
      ErrorOf([&] { ParseKerasModelConfig(nlohmann::json::parse(cfg), "dup.h5"); });
  ASSERT_FALSE(msg.empty());
  EXPECT_NE(msg.find("dup.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("two layers are named 'enc_conv1'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;

  // A Sequential model too.
  const std::string seq = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "in"}},
    {"class_name": "Dense", "config": {"name": "d", "units": 2}},
    {"class_name": "Dense", "config": {"name": "d", "units": 2}}]}})";
  const std::string smsg = ErrorOf([&] { ParseKerasModelConfig(nlohmann::json::parse(seq), "seq.h5"); });
  EXPECT_NE(smsg.find("two layers are named 'd'"), std::string::npos) << smsg;

  // Unique names still load.
  EXPECT_NO_THROW(ParseKerasModelConfig(
      nlohmann::json::parse(ThreeLayerConfig("c1", "c2", "p1", R"([["p1", 0, 0]])")), "ok.h5"));
}

TEST(KerasConfigErrors, ModelWithoutOutputsIsRejectedAtLoad) {
  const std::string cfg = ThreeLayerConfig("c1", "c2", "p1", "[]");
  const std::string msg = ErrorOf([&] { ParseKerasModelConfig(nlohmann::json::parse(cfg), "noout.keras"); });
  EXPECT_NE(msg.find("noout.keras"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has no outputs"), std::string::npos) << msg;

  // Through a file: LoadKerasModel names the file.
  TempDir dir;
  const std::string path = dir.File("noout.h5");
  {
    H5TestWriter w(path);
    w.StringAttr("/", "model_config", cfg);
  }
  const std::string fmsg = ErrorOf([&] { LoadKerasModel(path); });
  EXPECT_NE(fmsg.find(path), std::string::npos) << fmsg;
  EXPECT_NE(fmsg.find("has no outputs"), std::string::npos) << fmsg;

  // A model built in memory without outputs is refused by the lowering as well.
  KerasModel km = ParseKerasModelConfig(
      nlohmann::json::parse(ThreeLayerConfig("c1", "c2", "p1", R"([["p1", 0, 0]])")), "mem.h5");
  km.outputs.clear();
  const std::string lmsg = ErrorOf([&] { LowerKerasModel(km); });
  EXPECT_NE(lmsg.find("mem.h5"), std::string::npos) << lmsg;
  EXPECT_NE(lmsg.find("has no outputs"), std::string::npos) << lmsg;
}

}  // namespace
}  // namespace cae::testing
