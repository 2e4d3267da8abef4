// The trainer's 1-D Keras layers (Conv1D, MaxPooling1D, AveragePooling1D, UpSampling1D,
// GlobalAveragePooling1D, GlobalMaxPooling1D) on [N, steps, C] inputs, kept as C x 1 x steps.
// For each: weight and input gradients against central finite differences, the trainer's forward
// pass against the importer + interpreter on the same random weights (same output shape:
// [N, steps, C], [N, 1, C] or [N, C]), Conv1D kernels in Keras's [k, cin, cout] through the Net
// and through a saved HDF5 file, training on [N, steps, C] data, and errors for what neither the
// importer nor the trainer takes. Also the Keras output shapes Trainer::Predict gives.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "graph/error.h"
#include "keras/keras_builders.h"
#include "keras/keras_import.h"
#include "keras/keras_writer.h"
#include "kernels/parallel.h"
#include "runtime/interpreter.h"
#include "support/fixtures.h"
#include "train/net.h"
#include "train/trainer.h"
#include "train/train_test_util.h"

namespace cae::train {
namespace {

using json = nlohmann::json;
using testing::TempDir;

json PoolConfig1D(int pool, const std::string& padding, int stride = 0) {
  json c = {{"pool_size", {pool}}, {"padding", padding}, {"data_format", "channels_last"}};
  c["strides"] = stride > 0 ? json({stride}) : json(nullptr);
  return c;
}

// input [steps, c] -> 1-wide Conv1D "pre" -> the layer (-> optional tail).
KerasModel OneLayer(std::vector<int> shape, const std::string& cls, const json& config,
                    const std::vector<std::pair<std::string, json>>& tail = {}) {
  std::vector<std::pair<std::string, json>> layers{{cls, config}};
  layers.insert(layers.end(), tail.begin(), tail.end());
  return Chain(shape, layers);
}

// The Conv1D configurations the tests run: padding same / valid / causal, strides, dilation, a
// layer that narrows channels (the kn2row form) and one that widens them (im2col), no bias.
std::vector<json> Conv1DVariants() {
  json no_bias = Conv1DConfig(3, 2, "linear", "same");
  no_bias["use_bias"] = false;
  json keras3 = {{"filters", 2}, {"kernel_size", 3}, {"strides", 1}, {"padding", "causal"},
                 {"dilation_rate", 2}, {"activation", "sigmoid"}};  // plain ints, as Keras 3
  return {Conv1DConfig(5, 3, "tanh", "same"),         Conv1DConfig(2, 3, "relu", "same"),
          Conv1DConfig(3, 3, "linear", "valid", 2),   Conv1DConfig(5, 2, "linear", "valid", 3),
          Conv1DConfig(2, 3, "tanh", "same", 1, 2),   Conv1DConfig(5, 3, "linear", "valid", 1, 2),
          Conv1DConfig(2, 3, "linear", "causal"),     Conv1DConfig(5, 2, "elu", "causal", 1, 3),
          Conv1DConfig(3, 4, "linear", "causal", 2), no_bias,
          keras3};
}

// ---- Gradients ----

TEST(OneDLayersGradients, Conv1D) {
  for (const json& cfg : Conv1DVariants()) {
    SCOPED_TRACE(cfg.dump());
    CheckGradients(OneLayer({9, 4}, "Conv1D", cfg), 2, true);
  }
  ThreadPool pool(2);
  CheckGradients(OneLayer({10, 3}, "Conv1D", Conv1DConfig(4, 3, "tanh", "causal", 1, 2),
                          {{"Conv1D", Conv1DConfig(2, 3, "linear", "same", 2)}}),
                 3, true, &pool);
}

TEST(OneDLayersGradients, PoolsAndUpSampling) {
  CheckGradients(
      Chain({12, 3}, {{"MaxPooling1D", PoolConfig1D(2, "valid")},
                      {"Conv1D", Conv1DConfig(3, 3, "tanh", "same")},
                      {"AveragePooling1D", PoolConfig1D(3, "same", 2)},
                      {"UpSampling1D", {{"size", 3}}},
                      {"Conv1D", Conv1DConfig(2, 2, "linear", "causal")},
                      {"MaxPooling1D", PoolConfig1D(3, "same", 1)},
                      {"GlobalMaxPooling1D", json::object()},
                      {"Dense", DenseConfig(2, "tanh")}}),
      2, true);
  CheckGradients(Chain({7, 3}, {{"AveragePooling1D", PoolConfig1D(2, "valid", 1)},
                                {"GlobalAveragePooling1D", {{"keepdims", true}}},
                                {"Conv1D", Conv1DConfig(2, 1, "linear")}}),
                 2, true);
}

// Every new layer's dL/din, from its own Forward/Backward.
TEST(OneDLayersGradients, Inputs) {
  std::vector<std::pair<std::string, json>> layers;
  for (const json& cfg : Conv1DVariants()) layers.push_back({"Conv1D", cfg});
  layers.push_back({"MaxPooling1D", PoolConfig1D(2, "valid")});
  layers.push_back({"MaxPooling1D", PoolConfig1D(3, "same", 2)});
  layers.push_back({"MaxPool1D", PoolConfig1D(2, "same", 1)});
  layers.push_back({"AveragePooling1D", PoolConfig1D(3, "same", 2)});
  layers.push_back({"AvgPool1D", PoolConfig1D(2, "valid", 3)});
  layers.push_back({"UpSampling1D", {{"size", 2}}});
  layers.push_back({"UpSampling1D", {{"size", 3}}});
  for (const char* cls : {"GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAvgPool1D",
                          "GlobalMaxPool1D"}) {
    layers.push_back({cls, json::object()});
    layers.push_back({cls, {{"keepdims", true}}});
  }
  for (const auto& [cls, cfg] : layers) {
    SCOPED_TRACE(cls + " " + cfg.dump());
    Net net(OneLayer({9, 4}, cls, cfg), 5);
    CheckLayerInputGradients(*net.layers()[1], 2, true);
  }
}

// ---- Against the importer + interpreter ----

TEST(OneDLayersInterpreter, EachLayer) {
  for (const json& cfg : Conv1DVariants()) {
    SCOPED_TRACE(cfg.dump());
    ExpectTrainerMatchesInterpreter(OneLayer({11, 3}, "Conv1D", cfg), 2, {11, 3});
  }
  for (const json& cfg : {PoolConfig1D(2, "valid"), PoolConfig1D(3, "same", 2),
                          PoolConfig1D(3, "valid", 1), PoolConfig1D(2, "same", 3)}) {
    ExpectTrainerMatchesInterpreter(OneLayer({11, 3}, "MaxPooling1D", cfg), 2, {11, 3});
    ExpectTrainerMatchesInterpreter(OneLayer({11, 3}, "AveragePooling1D", cfg), 2, {11, 3});
  }
  ExpectTrainerMatchesInterpreter(OneLayer({5, 3}, "UpSampling1D", {{"size", 3}}), 2, {5, 3});
  for (const char* cls : {"GlobalAveragePooling1D", "GlobalMaxPooling1D"}) {
    for (bool keep : {false, true}) {
      ExpectTrainerMatchesInterpreter(OneLayer({6, 3}, cls, {{"keepdims", keep}}), 2, {6, 3});
      ExpectTrainerMatchesInterpreter(
          OneLayer({6, 3}, cls, {{"keepdims", keep}}, {{"Dense", DenseConfig(2, "linear")}}), 2,
          {6, 3});
    }
  }
}

// activation="elu" / "leaky_relu" on a layer, and Activation("elu"), use Keras's alpha (1, 0.2).
TEST(OneDLayersInterpreter, NamedActivationsUseKerasAlpha) {
  ExpectTrainerMatchesInterpreter(Chain({5}, {{"Dense", DenseConfig(4, "elu")},
                                              {"Dense", DenseConfig(3, "leaky_relu")},
                                              {"Activation", {{"activation", "elu"}}}}),
                                  3, {5});
}

// Conv1D (same, valid, strides, dilation, causal) + pools + UpSampling1D + global pooling + Dense,
// and a sequence-to-sequence model with BatchNormalization (axis [2], as tf.keras saves it),
// Concatenate (axis 2), Flatten, Dense and Reshape back to [steps, C].
KerasModel Classifier1D() {
  KerasModelBuilder b("classifier1d");
  std::string x = b.Input({24, 2});
  x = b.Add("Conv1D", Conv1DConfig(4, 3, "relu", "same"), {x});
  x = b.Add("Conv1D", Conv1DConfig(6, 3, "tanh", "valid", 2), {x});  // 24 -> 11
  x = b.Add("MaxPooling1D", PoolConfig1D(2, "same"), {x});          // 11 -> 6
  x = b.Add("Conv1D", Conv1DConfig(4, 2, "linear", "causal", 1, 2), {x});
  x = b.Add("UpSampling1D", {{"size", 2}}, {x});                         // 6 -> 12
  x = b.Add("Conv1D", Conv1DConfig(3, 3, "sigmoid", "same", 1, 3), {x});
  x = b.Add("AveragePooling1D", PoolConfig1D(3, "valid", 2), {x});      // 12 -> 5
  x = b.Add("GlobalAveragePooling1D", json::object(), {x});
  x = b.Add("Dense", DenseConfig(3, "softmax"), {x});
  return b.Finish(x);
}

KerasModel Sequence1D() {
  KerasModelBuilder b("sequence1d");
  std::string in = b.Input({10, 3});
  std::string a = b.Add("Conv1D", Conv1DConfig(4, 3, "linear", "same"), {in});
  json bn = BatchNormConfig();
  bn["axis"] = {2};
  a = b.Add("BatchNormalization", bn, {a});
  std::string c = b.Add("Conv1D", Conv1DConfig(2, 2, "relu", "causal"), {in});
  std::string x = b.Add("Concatenate", {{"axis", 2}}, {a, c});  // 10 x 6
  x = b.Add("MaxPooling1D", PoolConfig1D(2, "valid"), {x});      // 5 x 6
  x = b.Add("Flatten", json::object(), {x});
  x = b.Add("Dense", DenseConfig(10, "tanh"), {x});
  x = b.Add("Reshape", {{"target_shape", {5, 2}}}, {x});
  x = b.Add("UpSampling1D", {{"size", 2}}, {x});                // 10 x 2
  x = b.Add("Conv1D", Conv1DConfig(3, 3, "linear", "same"), {x});
  return b.Finish(x);
}

TEST(OneDLayersInterpreter, SmallModels) {
  ExpectTrainerMatchesInterpreter(Classifier1D(), 3, {24, 2});
  ExpectTrainerMatchesInterpreter(Sequence1D(), 3, {10, 3});
  // Concatenate names the last axis by its number for each rank: 1 for flat tensors.
  KerasModelBuilder b("flat_concat");
  std::string in = b.Input({5});
  std::string a = b.Add("Dense", DenseConfig(3, "tanh"), {in});
  std::string c = b.Add("Dense", DenseConfig(2, "relu"), {in});
  std::string x = b.Add("Concatenate", {{"axis", 1}}, {a, c});
  ExpectTrainerMatchesInterpreter(b.Finish(b.Add("Dense", DenseConfig(2, "linear"), {x})), 2, {5});
}

TEST(OneDLayersGradients, SmallModels) {
  CheckGradients(Classifier1D(), 2, true);
  CheckGradients(Sequence1D(), 3, true);
}

// Layers that keep their input's rank, on sequences: Dense on the last axis (at every step),
// PReLU with a [steps, C] alpha (shared_axes 1 = steps, 2 = channels).
TEST(OneDLayersGradients, DenseAndPReLUOnSequences) {
  const json init = {{"class_name", "Constant"}, {"config", {{"value", 0.25}}}};
  CheckGradients(Chain({6, 3}, {{"Dense", DenseConfig(4, "tanh")},
                                {"PReLU", {{"alpha_initializer", init}}},
                                {"Dense", DenseConfig(2, "softmax")},
                                {"PReLU", {{"alpha_initializer", init}, {"shared_axes", {1}}}},
                                {"PReLU", {{"alpha_initializer", init}, {"shared_axes", 2}}}}),
                 2, true);
  Net net(Chain({6, 3}, {{"Dense", DenseConfig(4, "elu")}}), 5);
  CheckLayerInputGradients(*net.layers()[1], 2, true);
}

TEST(OneDLayersInterpreter, DenseAndPReLUOnSequences) {
  ExpectTrainerMatchesInterpreter(OneLayer({7, 3}, "Dense", DenseConfig(4, "relu")), 2, {7, 3});
  ExpectTrainerMatchesInterpreter(OneLayer({7, 3}, "Dense", DenseConfig(4, "softmax")), 2, {7, 3});
  ExpectTrainerMatchesInterpreter(Chain({3, 4, 2}, {{"Dense", DenseConfig(3, "tanh")}}), 2,
                                  {3, 4, 2});
  for (const json& shared : {json(nullptr), json({1}), json(2), json({1, 2})}) {
    json cfg = json::object();
    if (!shared.is_null()) cfg["shared_axes"] = shared;
    ExpectTrainerMatchesInterpreter(OneLayer({7, 3}, "PReLU", cfg), 2, {7, 3});
  }
}

TEST(OneDLayers, DenseAndPReLUWeightsOnSequences) {
  ExpectWeightRoundTrip(OneLayer({7, 3}, "Dense", DenseConfig(4, "relu")), "Dense",
                        {{"kernel", {3, 4}}, {"bias", {4}}});
  ExpectWeightRoundTrip(OneLayer({7, 3}, "PReLU", json::object()), "PReLU", {{"alpha", {7, 3}}});
  ExpectWeightRoundTrip(OneLayer({7, 3}, "PReLU", {{"shared_axes", {1}}}), "PReLU",
                        {{"alpha", {1, 3}}});
  // With the Net's ranks a [N, 1, 1, C] input and a flat one are told apart.
  ExpectWeightRoundTrip(Chain({4}, {{"PReLU", json::object()}}), "PReLU", {{"alpha", {4}}});
  ExpectWeightRoundTrip(OneLayer({7, 3}, "GlobalAveragePooling1D", {{"keepdims", true}},
                                 {{"PReLU", json::object()}}),
                        "PReLU", {{"alpha", {1, 3}}});
  ExpectNetError(OneLayer({7, 3}, "PReLU", {{"shared_axes", {3}}}),
                 "shared axis 3 is out of range for a rank 3 input");
}

// ---- Weights ----

TEST(OneDLayers, Conv1DWeightsKeepTheKerasShape) {
  ExpectWeightRoundTrip(OneLayer({6, 2}, "Conv1D", Conv1DConfig(4, 3, "relu")), "Conv1D",
                        {{"kernel", {3, 2, 4}}, {"bias", {4}}});
  json no_bias = Conv1DConfig(3, 2, "linear", "causal");
  no_bias["use_bias"] = false;
  ExpectWeightRoundTrip(OneLayer({6, 2}, "Conv1D", no_bias), "Conv1D", {{"kernel", {2, 2, 3}}});
  // Keras's Glorot-uniform fans for a [k, cin, cout] kernel: k * cin and k * cout.
  Net net(OneLayer({6, 2}, "Conv1D", Conv1DConfig(4, 3, "relu")), 3);
  const std::vector<KerasWeight> w = net.layers()[1]->StoreKerasWeights();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].shape, (std::vector<int32_t>{3, 2, 4}));
  const float limit = std::sqrt(6.0f / (3 * 2 + 3 * 4));
  float largest = 0.0f;
  for (float v : w[0].values) largest = std::max(largest, std::abs(v));
  EXPECT_LE(largest, limit);
  EXPECT_GT(largest, 0.5f * limit);
}

// Trained on [N, steps, C] data, saved as Keras HDF5, re-imported: the same weights in the same
// shapes, and the interpreter computes what the trainer predicts.
TEST(OneDLayers, TrainedModelSavesAndReimportsExactly) {
  for (KerasModel km : {Sequence1D(), Classifier1D()}) {
    SCOPED_TRACE(km.name);
    const std::vector<int> in_shape = km.name == "sequence1d" ? std::vector<int>{10, 3}
                                                              : std::vector<int>{24, 2};
    const TensorData x = RandomTensor(32, in_shape);
    TrainOptions o;
    o.epochs = 3;
    o.batch_size = 8;
    Trainer t(km, o, nullptr);
    TensorData y = t.Predict(x);  // targets: the initial outputs, shifted
    for (int64_t i = 0; i < y.num_elements(); ++i)
      y.as<float>()[i] = 0.5f * y.as<float>()[i] + 0.1f;
    const double before = t.Evaluate(x, y);
    t.Fit(x, y, nullptr, nullptr);
    EXPECT_LT(t.Evaluate(x, y), before);
    t.StoreWeights(km);
    TempDir dir;
    SaveKerasH5(km, dir.File("m.h5"), t.TrainingConfig());
    const KerasModel back = LoadKerasModel(dir.File("m.h5"));
    for (const KerasLayer& l : km.layers) {
      const KerasLayer* r = back.FindLayer(l.name);
      ASSERT_NE(r, nullptr) << l.name;
      ASSERT_EQ(r->weights.size(), l.weights.size()) << l.name;
      for (size_t i = 0; i < l.weights.size(); ++i) {
        EXPECT_EQ(r->weights[i].shape, l.weights[i].shape) << l.name;
        EXPECT_EQ(r->weights[i].values, l.weights[i].values) << l.name;
      }
    }
    Interpreter interp(LowerKerasModel(back));
    const std::vector<TensorData> ran = interp.Run({x});
    const TensorData mine = t.Predict(x);
    ASSERT_EQ(ran[0].shape, mine.shape);
    float worst = 0.0f;
    for (int64_t i = 0; i < mine.num_elements(); ++i)
      worst = std::max(worst, std::abs(ran[0].as<float>()[i] - mine.as<float>()[i]));
    EXPECT_LE(worst, 1e-5f);
  }
}

// ---- Keras shapes in and out ----

TEST(OneDLayers, PredictGivesKerasShapes) {
  auto predicted = [](const KerasModel& km, const std::vector<int>& in) {
    TrainOptions o;
    Trainer t(km, o, nullptr);
    return t.Predict(RandomTensor(2, in)).shape;
  };
  using Shape = std::vector<int32_t>;
  EXPECT_EQ(predicted(Sequence1D(), {10, 3}), (Shape{2, 10, 3}));
  EXPECT_EQ(predicted(Classifier1D(), {24, 2}), (Shape{2, 3}));
  EXPECT_EQ(predicted(OneLayer({6, 3}, "GlobalMaxPooling1D", {{"keepdims", true}}), {6, 3}),
            (Shape{2, 1, 3}));
  EXPECT_EQ(predicted(Chain({4, 5, 3}, {{"GlobalAveragePooling2D", json::object()}}), {4, 5, 3}),
            (Shape{2, 3}));
  EXPECT_EQ(predicted(Chain({4, 5, 3}, {{"GlobalAveragePooling2D", {{"keepdims", true}}}}),
                      {4, 5, 3}),
            (Shape{2, 1, 1, 3}));
  EXPECT_EQ(predicted(Chain({4, 5, 3}, {{"Flatten", json::object()}}), {4, 5, 3}), (Shape{2, 60}));
}

// Fit takes [N, steps, C] data and the same values as rows [N, steps * C]; other shapes are refused
// in the model's own terms.
TEST(OneDLayers, FitTakesSequencesAndRows) {
  const KerasModel km = OneLayer({8, 3}, "Conv1D", Conv1DConfig(3, 3, "tanh", "same"));
  TensorData seq = RandomTensor(6, {8, 3});
  TensorData rows(DType::kFloat32, {6, 24});
  rows.bytes = seq.bytes;
  TrainOptions o;
  o.epochs = 2;
  o.batch_size = 4;
  Trainer a(km, o, nullptr), b(km, o, nullptr);
  const std::vector<EpochStats> from_seq = a.Fit(seq, seq, nullptr, nullptr);
  const std::vector<EpochStats> from_rows = b.Fit(rows, rows, nullptr, nullptr);
  EXPECT_EQ(from_seq[1].train_loss, from_rows[1].train_loss);
  TensorData longer = RandomTensor(6, {9, 3});
  try {
    a.Fit(longer, longer, nullptr, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[6,9,3] does not fit the model's 8x3 per sample"),
              std::string::npos)
        << e.what();
  }
}

// ---- Errors ----

TEST(OneDLayersErrors, Configs) {
  ExpectNetError(OneLayer({8, 2}, "Conv1D", Conv1DConfig(2, 3, "linear", "full")),
                 "layer 'conv1d_1': padding 'full' is not supported (same, valid, causal)");
  ExpectNetError(OneLayer({8, 2}, "Conv1D", Conv1DConfig(2, 3, "linear", "same", 2, 2)),
                 "strides and dilation both > 1");
  ExpectNetError(OneLayer({4, 2}, "Conv1D", Conv1DConfig(2, 3, "linear", "valid", 1, 2)),
                 "is smaller than the kernel");
  json two_d_kernel = Conv1DConfig(2, 3, "linear");
  two_d_kernel["kernel_size"] = {3, 3};
  ExpectNetError(OneLayer({8, 2}, "Conv1D", two_d_kernel),
                 "config 'kernel_size' must be an integer or a 1-list, got [3,3]");
  ExpectNetError(OneLayer({8, 2}, "MaxPooling1D", PoolConfig1D(3, "valid", 1),
                          {{"MaxPooling1D", PoolConfig1D(7, "valid")}}),
                 "is smaller than the kernel");
  json bn = BatchNormConfig();
  bn["axis"] = {3};
  ExpectNetError(OneLayer({8, 2}, "BatchNormalization", bn),
                 "must normalize the channel axis 2 (got axis 3)");
  KerasModelBuilder b("concat");
  std::string in = b.Input({8, 2});
  std::string a = b.Add("Conv1D", Conv1DConfig(2, 3, "linear", "same"), {in});
  ExpectNetError(b.Finish(b.Add("Concatenate", {{"axis", 1}}, {in, a})),
                 "Concatenate only along the channel axis (-1 or 2), got 1");
}

// 1-D layers need [N, steps, C] inputs and 2-D layers [N, H, W, C], as in Keras and the importer.
TEST(OneDLayersErrors, InputRanks) {
  ExpectNetError(Chain({4, 4, 2}, {{"Conv1D", Conv1DConfig(2, 3, "linear")}}),
                 "layer 'conv1d_1' (Conv1D): expected a 3-D [N, steps, channels] input, got one "
                 "of rank 4");
  ExpectNetError(Chain({6}, {{"MaxPooling1D", PoolConfig1D(2, "valid")}}),
                 "(MaxPooling1D): expected a 3-D [N, steps, channels] input, got one of rank 2");
  ExpectNetError(Chain({6, 2}, {{"Conv2D", Conv2DConfig(2, 3, "linear")}}),
                 "(Conv2D): expected a 4-D [N, height, width, channels] input, got one of rank 3");
  ExpectNetError(Chain({6, 2}, {{"UpSampling2D", UpSamplingConfig(2)}}),
                 "(UpSampling2D): expected a 4-D");
  ExpectNetError(Chain({6, 2}, {{"GlobalMaxPooling2D", json::object()}}),
                 "(GlobalMaxPooling2D): expected a 4-D");
  KerasModelBuilder b("rank5");
  std::string x = b.Input({2, 3, 4, 1});
  ExpectNetError(b.Finish(b.Add("Flatten", json::object(), {x})),
                 "must have shape [None, D], [None, steps, C] or [None, H, W, C] for training");
}

TEST(OneDLayersErrors, Conv1DWeightShape) {
  KerasModel km = OneLayer({8, 2}, "Conv1D", Conv1DConfig(4, 3, "relu"));
  km.layers.back().weights = {{"kernel", {1, 3, 2, 4}, std::vector<float>(24)},
                              {"bias", {4}, std::vector<float>(4)}};
  ExpectNetError(km, "expected [3,2,4]");
}

}  // namespace
}  // namespace cae::train
