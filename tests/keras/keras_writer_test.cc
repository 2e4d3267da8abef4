// SaveKerasH5: files LoadKerasModel reads back exactly, in the Keras 2 layout of real files.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "graph/error.h"
#include "keras/hdf5_reader.h"
#include "keras/keras_builders.h"
#include "keras/keras_import.h"
#include "keras/keras_writer.h"
#include "support/fixtures.h"

namespace cae {
namespace {

using testing::SharedPath;
using testing::TempDir;

void ExpectSameWeights(const KerasModel& a, const KerasModel& b) {
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const KerasLayer& la = a.layers[i];
    const KerasLayer& lb = b.layers[i];
    EXPECT_EQ(la.name, lb.name);
    EXPECT_EQ(la.class_name, lb.class_name);
    ASSERT_EQ(la.weights.size(), lb.weights.size()) << la.name;
    for (size_t k = 0; k < la.weights.size(); ++k) {
      EXPECT_EQ(la.weights[k].name, lb.weights[k].name) << la.name;
      EXPECT_EQ(la.weights[k].shape, lb.weights[k].shape) << la.name;
      EXPECT_EQ(la.weights[k].values, lb.weights[k].values) << la.name;
    }
  }
}

TEST(KerasWriter, AnchorRoundTripKeepsWeightsAndStructure) {
  const std::string anchor = SharedPath("fixtures/anchors/cae12785_fmnist.h5");
  CAE_REQUIRE_FILE(anchor);
  const KerasModel original = LoadKerasModel(anchor);
  TempDir dir;
  const std::string path = dir.File("copy.h5");
  SaveKerasH5(original, path);
  const KerasModel copy = LoadKerasModel(path);
  ExpectSameWeights(original, copy);
  EXPECT_EQ(copy.ParamCount(), 12785);
  ASSERT_EQ(copy.inputs.size(), 1u);
  EXPECT_EQ(copy.inputs[0].layer, original.inputs[0].layer);
  EXPECT_EQ(copy.outputs[0].layer, original.outputs[0].layer);
  for (size_t i = 0; i < copy.layers.size(); ++i) {
    EXPECT_EQ(copy.layers[i].calls.size(), original.layers[i].calls.size());
  }
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// HDF5 stamps objects with their creation time (1 s resolution) unless told not to; the same
// model written a second later must give the same bytes.
TEST(KerasWriter, SameModelGivesTheSameBytes) {
  const std::string anchor = SharedPath("fixtures/anchors/cae12785_fmnist.h5");
  CAE_REQUIRE_FILE(anchor);
  const KerasModel model = LoadKerasModel(anchor);
  TempDir dir;
  SaveKerasH5(model, dir.File("a.h5"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  SaveKerasH5(model, dir.File("b.h5"));
  const std::string a = FileBytes(dir.File("a.h5")), b = FileBytes(dir.File("b.h5"));
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == b) << "the two files differ";
}

TEST(KerasWriter, BuiltCaeHasTheSeedArchitectureAndLayout) {
  const std::string anchor = SharedPath("fixtures/anchors/cae12785_fmnist.h5");
  CAE_REQUIRE_FILE(anchor);
  KerasModel built = BuildCae(28, 28, 1, {32, 16, 8});
  const KerasModel trained = LoadKerasModel(anchor);
  // The builder names layers as Keras 2.2.4 did for the anchor; take its weights.
  ASSERT_EQ(built.layers.size(), trained.layers.size());
  for (size_t i = 0; i < built.layers.size(); ++i) {
    ASSERT_EQ(built.layers[i].name, trained.layers[i].name);
    ASSERT_EQ(built.layers[i].class_name, trained.layers[i].class_name);
    built.layers[i].weights = trained.layers[i].weights;
  }
  TempDir dir;
  const std::string path = dir.File("cae.h5");
  SaveKerasH5(built, path, nlohmann::json{{"loss", "mean_squared_error"}});
  const KerasModel back = LoadKerasModel(path);
  EXPECT_EQ(back.ParamCount(), 12785);
  int64_t summed = 0;
  for (const KerasLayerSummary& s : SummarizeKerasModel(back)) summed += s.params;
  EXPECT_EQ(summed, 12785);
  ExpectSameWeights(trained, back);

  // The attributes Keras reads.
  const h5::File f = h5::File::Open(path);
  EXPECT_EQ(f.ReadStringAttribute("/", "keras_version"), "2.2.4");
  EXPECT_EQ(f.ReadStringAttribute("/", "backend"), "tensorflow");
  EXPECT_EQ(nlohmann::json::parse(f.ReadStringAttribute("/", "training_config"))["loss"],
            "mean_squared_error");
  const nlohmann::json config = nlohmann::json::parse(f.ReadStringAttribute("/", "model_config"));
  EXPECT_EQ(config["class_name"], "Model");
  EXPECT_EQ(config["config"]["layers"].size(), 14u);
  EXPECT_EQ(f.ReadStringListAttribute("/model_weights", "layer_names").size(), 14u);
  EXPECT_EQ(f.ReadStringListAttribute("/model_weights/conv2d_1", "weight_names"),
            (std::vector<std::string>{"conv2d_1/kernel:0", "conv2d_1/bias:0"}));
  EXPECT_EQ(f.ReadFloatDataset("/model_weights/conv2d_1/conv2d_1/kernel:0").shape,
            (std::vector<int32_t>{3, 3, 1, 32}));
  // Lowering works on what was written.
  const Model m = LowerKerasModel(back);
  EXPECT_FALSE(m.main().ops.empty());
}

TEST(KerasWriter, BuildersProduceWritableModels) {
  for (const KerasModel& km :
       {BuildDenseAe(28, 28, 1, {256, 128, 64, 32}), BuildUnet(UnetOptions{}),
        BuildUnet(UnetOptions{16, 16, 3, 2, 4, 3, false})}) {
    TempDir dir;
    // Without weights the writer still produces a loadable structure; lowering needs weights, so
    // only the config round trip is checked here (the trainer tests cover trained models).
    SaveKerasH5(km, dir.File("m.h5"));
    const h5::File f = h5::File::Open(dir.File("m.h5"));
    const nlohmann::json config = nlohmann::json::parse(f.ReadStringAttribute("/", "model_config"));
    EXPECT_EQ(config["config"]["layers"].size(), km.layers.size());
  }
  EXPECT_THROW(BuildCae(32, 32, 1, {32, 16, 8}), Error);
  EXPECT_THROW(BuildUnet(UnetOptions{30, 30, 1, 2, 16, 1, true}), Error);
}

TEST(KerasWriter, UnwritableDestinationFailsWithoutLeavingFiles) {
  const KerasModel km = BuildCae(28, 28, 1, {4, 4, 4});
  try {
    SaveKerasH5(km, "/nonexistent-folder/model.h5");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-folder/model.h5"), std::string::npos);
  }
  TempDir dir;
  SaveKerasH5(km, dir.File("a.h5"));
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"a.h5"});  // the temporary file is gone
}

}  // namespace
}  // namespace cae
