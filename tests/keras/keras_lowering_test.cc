// Structure of the lowered graph for layers the fixtures do not cover: op types, options,
// constant layouts, and the Keras 3 .keras layout of nested models.
#include <gtest/gtest.h>
#include <zip.h>

#include <cstring>

#include "graph/error.h"
#include "h5_test_writer.h"
#include "keras/keras_import.h"
#include "keras/keras_weights.h"
#include "keras_test_util.h"
#include "support/fixtures.h"

namespace cae::testing {
namespace {

std::vector<float> ConstFloats(const Graph& g, int t) {
  const Tensor& tensor = g.tensors.at(t);
  std::vector<float> v(tensor.data.size() / 4);
  std::memcpy(v.data(), tensor.data.data(), tensor.data.size());
  return v;
}

std::vector<int32_t> ConstInts(const Graph& g, int t) {
  const Tensor& tensor = g.tensors.at(t);
  std::vector<int32_t> v(tensor.data.size() / 4);
  std::memcpy(v.data(), tensor.data.data(), tensor.data.size());
  return v;
}

TEST(KerasLowering, SnakeCaseMatchesKeras3) {
  EXPECT_EQ(KerasSnakeCase("Conv2D"), "conv2d");
  EXPECT_EQ(KerasSnakeCase("Conv2DTranspose"), "conv2d_transpose");
  EXPECT_EQ(KerasSnakeCase("BatchNormalization"), "batch_normalization");
  EXPECT_EQ(KerasSnakeCase("UpSampling2D"), "up_sampling2d");
  EXPECT_EQ(KerasSnakeCase("InputLayer"), "input_layer");
  EXPECT_EQ(KerasSnakeCase("Functional"), "functional");
  EXPECT_EQ(KerasSnakeCase("PReLU"), "p_re_lu");
}

TEST(KerasLowering, Conv2DKernelIsOhwiAndDenseIsTransposed) {
  KerasModel km = ModelFromJson(SequentialJson(
      "5, 5, 2",
      {R"({"class_name": "Conv2D", "config": {"name": "c", "filters": 3, "kernel_size": [2, 3],
           "strides": [2, 1], "padding": "valid", "dilation_rate": [1, 1], "activation": "relu6",
           "use_bias": false}})",
       R"({"class_name": "Flatten", "config": {"name": "f"}})",
       R"({"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "softmax"}})"}));
  std::vector<float> k(2 * 3 * 2 * 3);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<float>(i);
  MutableLayer(km, "c").weights = {{"kernel", {2, 3, 2, 3}, k}};
  std::vector<float> dk(18 * 2);
  for (size_t i = 0; i < dk.size(); ++i) dk[i] = static_cast<float>(i);
  MutableLayer(km, "d").weights = {{"kernel", {18, 2}, dk}, {"bias", {2}, {1, 2}}};
  Model m = LowerKerasModel(km);
  const Graph& g = m.main();
  ASSERT_EQ(g.ops.size(), 4u);  // CONV_2D(relu6) RESHAPE FULLY_CONNECTED SOFTMAX
  const Op& conv = g.ops[0];
  EXPECT_EQ(conv.type, OpType::CONV_2D);
  EXPECT_EQ(conv.options.activation, Activation::kRelu6);
  EXPECT_EQ(conv.options.stride_h, 2);
  EXPECT_EQ(conv.options.stride_w, 1);
  EXPECT_EQ(conv.options.padding, Padding::kValid);
  EXPECT_EQ(g.tensors[conv.outputs[0]].shape, (std::vector<int32_t>{1, 2, 3, 3}));
  std::vector<float> ohwi = ConstFloats(g, conv.inputs[1]);
  // OHWI[o][y][x][i] == HWIO[y][x][i][o].
  for (int o = 0; o < 3; ++o)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x)
        for (int i = 0; i < 2; ++i)
          EXPECT_EQ(ohwi[((o * 2 + y) * 3 + x) * 2 + i], k[((y * 3 + x) * 2 + i) * 3 + o]);
  EXPECT_EQ(ConstFloats(g, conv.inputs[2]), (std::vector<float>{0, 0, 0}));  // use_bias=False
  const Op& reshape = g.ops[1];
  EXPECT_EQ(reshape.type, OpType::RESHAPE);
  EXPECT_EQ(reshape.options.new_shape, (std::vector<int32_t>{-1, 18}));
  EXPECT_EQ(ConstInts(g, reshape.inputs[1]), (std::vector<int32_t>{-1, 18}));
  const Op& fc = g.ops[2];
  EXPECT_EQ(fc.type, OpType::FULLY_CONNECTED);
  EXPECT_FALSE(fc.options.keep_num_dims);
  std::vector<float> w = ConstFloats(g, fc.inputs[1]);
  EXPECT_EQ(g.tensors[fc.inputs[1]].shape, (std::vector<int32_t>{2, 18}));
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 18; ++i) EXPECT_EQ(w[o * 18 + i], dk[i * 2 + o]);
  EXPECT_EQ(g.ops[3].type, OpType::SOFTMAX);
  EXPECT_EQ(g.ops[3].options.beta, 1.0f);
  for (const Op& op : g.ops) EXPECT_EQ(op.origin, op.type == OpType::CONV_2D ? "c" : op.origin);
  EXPECT_EQ(g.tensors[g.ops[0].outputs[0]].name.rfind("c/", 0), 0u);
}

TEST(KerasLowering, DenseOnRank3KeepsDims) {
  KerasModel km = ModelFromJson(
      SequentialJson("4, 6", {R"({"class_name": "Dense", "config": {"name": "d", "units": 3}})"}));
  MutableLayer(km, "d").weights = {{"kernel", {6, 3}, std::vector<float>(18, 1.0f)},
                                   {"bias", {3}, {0, 0, 0}}};
  Model m = LowerKerasModel(km);
  ASSERT_EQ(m.main().ops.size(), 1u);
  EXPECT_TRUE(m.main().ops[0].options.keep_num_dims);
  EXPECT_EQ(m.main().tensors[m.main().outputs[0]].shape, (std::vector<int32_t>{1, 4, 3}));
}

TEST(KerasLowering, UpSamplingFlagsPoolsAndIdentityLayers) {
  const std::vector<std::string> layers = {
      R"({"class_name": "Dropout", "config": {"name": "drop", "rate": 0.5}})",
      R"({"class_name": "UpSampling2D", "config": {"name": "near", "size": [2, 3]}})",
      R"({"class_name": "GaussianNoise", "config": {"name": "noise", "stddev": 0.1}})",
      R"({"class_name": "UpSampling2D", "config": {"name": "bil", "size": 2, "interpolation": "bilinear"}})",
      R"({"class_name": "AveragePooling2D", "config": {"name": "avg", "pool_size": [3, 3], "strides": [2, 2], "padding": "same"}})",
      R"({"class_name": "GlobalMaxPooling2D", "config": {"name": "gmp", "keepdims": true}})"};
  KerasModel km = ModelFromJson(SequentialJson("3, 3, 2", layers), "2.9.0");
  Model m = LowerKerasModel(km);
  const Graph& g = m.main();
  ASSERT_EQ(g.ops.size(), 4u);
  EXPECT_EQ(g.ops[0].type, OpType::RESIZE_NEAREST_NEIGHBOR);
  EXPECT_TRUE(g.ops[0].options.half_pixel_centers);
  EXPECT_FALSE(g.ops[0].options.align_corners);
  EXPECT_EQ(ConstInts(g, g.ops[0].inputs[1]), (std::vector<int32_t>{6, 9}));
  EXPECT_EQ(g.ops[0].inputs[0], g.inputs[0]);  // Dropout is no op
  EXPECT_EQ(g.ops[1].type, OpType::RESIZE_BILINEAR);
  EXPECT_TRUE(g.ops[1].options.half_pixel_centers);
  EXPECT_EQ(g.tensors[g.ops[1].outputs[0]].shape, (std::vector<int32_t>{1, 12, 18, 2}));
  EXPECT_EQ(g.ops[2].type, OpType::AVERAGE_POOL_2D);
  EXPECT_EQ(g.ops[2].options.filter_h, 3);
  EXPECT_EQ(g.tensors[g.ops[2].outputs[0]].shape, (std::vector<int32_t>{1, 6, 9, 2}));
  EXPECT_EQ(g.ops[3].type, OpType::REDUCE_MAX);
  EXPECT_TRUE(g.ops[3].options.keep_dims);
  EXPECT_EQ(ConstInts(g, g.ops[3].inputs[1]), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(g.tensors[g.outputs[0]].shape, (std::vector<int32_t>{1, 1, 1, 2}));

  // Standalone Keras 2.2 resized bilinearly without half-pixel centers.
  KerasModel old = ModelFromJson(SequentialJson("3, 3, 2", {layers[3]}), "2.2.4");
  EXPECT_FALSE(LowerKerasModel(old).main().ops[0].options.half_pixel_centers);
}

TEST(KerasLowering, BilinearUpsamplingValues) {
  KerasModel km = ModelFromJson(
      SequentialJson("1, 2, 1",
                     {R"({"class_name": "UpSampling2D", "config": {"name": "bil", "size": [1, 2],
                     "interpolation": "bilinear"}})"}),
      "2.9.0");
  // Half-pixel centers: output x samples input at (x + 0.5) / 2 - 0.5, clamped: for inputs
  // [0, 4]: -0.25 -> 0, 0.25 -> 1, 0.75 -> 3, 1.25 -> 4.
  std::vector<float> y = RunFloat(LowerKerasModel(km), {1, 1, 2, 1}, {0.0f, 4.0f});
  EXPECT_EQ(y, (std::vector<float>{0.0f, 1.0f, 3.0f, 4.0f}));
}

TEST(KerasLowering, GeneralReluThresholdIsDecomposed) {
  KerasModel km = ModelFromJson(
      SequentialJson("4", {R"({"class_name": "ReLU", "config": {"name": "r", "threshold": 1.0,
                "negative_slope": 0.5, "max_value": 3.0}})"}));
  Model m = LowerKerasModel(km);
  std::map<std::string, int> counts = CountOps(m);
  EXPECT_EQ(counts["GREATER"], 1);
  EXPECT_EQ(counts["CAST"], 1);
  EXPECT_EQ(counts["MINIMUM"], 1);
  EXPECT_EQ(counts["SUB"], 1);
  for (const Op& op : m.main().ops) {
    if (op.type == OpType::GREATER) {
      EXPECT_EQ(m.main().tensors[op.outputs[0]].type, DType::kBool);
    }
  }
}

TEST(KerasLowering, SequentialWithoutInputLayerAndUnsupportedActivation) {
  // Keras 2.0-style Sequential: a list of layers, the first carrying batch_input_shape.
  KerasModel km = ModelFromJson(R"({"class_name": "Sequential", "config": [
      {"class_name": "Dense", "config": {"name": "d1", "units": 2, "activation": "mish",
       "batch_input_shape": [null, 3]}}]})");
  ASSERT_EQ(km.layers.size(), 2u);
  EXPECT_EQ(km.layers[0].class_name, "InputLayer");
  MutableLayer(km, "d1").weights = {{"kernel", {3, 2}, std::vector<float>(6, 1.0f)},
                                    {"bias", {2}, {0, 0}}};
  try {
    LowerKerasModel(km);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("test.h5: layer 'd1' (Dense): unsupported activation 'mish'"),
        std::string::npos)
        << e.what();
  }
}

void AddZipEntry(zip_t* z, const char* name, const std::vector<uint8_t>& bytes) {
  void* copy = std::malloc(bytes.size());
  std::memcpy(copy, bytes.data(), bytes.size());
  zip_source_t* src = zip_source_buffer(z, copy, bytes.size(), 1);
  ASSERT_NE(src, nullptr);
  ASSERT_GE(zip_file_add(z, name, src, ZIP_FL_OVERWRITE), 0);
}

// A Keras 3 .keras file with a nested Functional model: weights at
// layers/functional/layers/dense/vars/{0,1} and the outer Dense at layers/dense/vars.
TEST(KerasLowering, Keras3ZipWithNestedModel) {
  TempDir dir;
  const std::string weights = dir.File("model.weights.h5");
  {
    H5TestWriter w(weights);
    w.FloatDataset("/layers/functional/layers/dense/vars/0", {3, 2}, {1, 2, 3, 4, 5, 6});
    w.FloatDataset("/layers/functional/layers/dense/vars/1", {2}, {0.5f, -0.5f});
    w.FloatDataset("/layers/dense/vars/0", {2, 1}, {1, 1});
    w.FloatDataset("/layers/dense/vars/1", {1}, {0});
    w.Group("/layers/input_layer");
  }
  const std::string config = R"({"class_name": "Functional", "config": {"name": "outer", "layers": [
    {"class_name": "InputLayer", "name": "x", "config": {"batch_shape": [null, 3], "name": "x"}, "inbound_nodes": []},
    {"class_name": "Functional", "name": "inner", "config": {"name": "inner", "layers": [
        {"class_name": "InputLayer", "name": "ix", "config": {"batch_shape": [null, 3], "name": "ix"}, "inbound_nodes": []},
        {"class_name": "Dense", "name": "hidden", "config": {"name": "hidden", "units": 2, "activation": "relu"},
         "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["ix", 0, 0]}}], "kwargs": {}}]}],
      "input_layers": [["ix", 0, 0]], "output_layers": [["hidden", 0, 0]]},
     "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}}], "kwargs": {}}]},
    {"class_name": "Dense", "name": "head", "config": {"name": "head", "units": 1},
     "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["inner", 1, 0]}}], "kwargs": {}}]}],
    "input_layers": [["x", 0, 0]], "output_layers": [["head", 0, 0]]}})";
  const std::string path = dir.File("nested.keras");
  {
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    ASSERT_NE(z, nullptr);
    AddZipEntry(z, "config.json", std::vector<uint8_t>(config.begin(), config.end()));
    const std::string meta = R"({"keras_version": "3.5.0"})";
    AddZipEntry(z, "metadata.json", std::vector<uint8_t>(meta.begin(), meta.end()));
    AddZipEntry(z, "model.weights.h5", ReadBytes(weights));
    ASSERT_EQ(zip_close(z), 0);
  }
  EXPECT_TRUE(LooksLikeKerasFile(path));
  KerasModel km = LoadKerasModel(path);
  EXPECT_EQ(km.keras_version, "3.5.0");
  EXPECT_EQ(km.ParamCount(), 6 + 2 + 2 + 1);
  Model m = LowerKerasModel(km);
  // x = [1, 1, 1]: hidden = relu([1+3+5+0.5, 2+4+6-0.5]) = [9.5, 11.5]; head = 21.
  std::vector<float> y = RunFloat(m, {1, 3}, {1, 1, 1});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_FLOAT_EQ(y[0], 21.0f);

  // The same weights saved alone (model.save_weights in Keras 3) load with the architecture.
  try {
    LoadKerasModel(weights);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weights-only"), std::string::npos) << e.what();
  }
  const std::string arch = dir.File("arch.json");
  WriteText(arch, config);
  KerasModel alone = LoadKerasModel(weights, arch);
  EXPECT_EQ(alone.ParamCount(), 11);
  EXPECT_EQ(RunFloat(LowerKerasModel(alone), {1, 3}, {1, 1, 1}), y);

  // A truncated copy fails cleanly, naming the file.
  std::vector<uint8_t> bytes = ReadBytes(path);
  const std::string cut = dir.File("cut.keras");
  WriteBytes(cut, std::vector<uint8_t>(bytes.begin(),
                                       bytes.begin() + static_cast<long>(bytes.size() / 2)));
  try {
    LoadKerasModel(cut);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(cut), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cae::testing
