// Every Keras fixture imports, lowers to a valid graph whose shapes agree with shape inference,
// and has the parameter count its README states (or that its architecture implies).
#include <gtest/gtest.h>

#include "graph/error.h"
#include "graph/shape_inference.h"
#include "graph/validate.h"
#include "keras/keras_import.h"
#include "keras_test_util.h"
#include "support/fixtures.h"

namespace cae::testing {
namespace {

// Lowers km and checks the structural invariants every lowered model must satisfy.
Model LowerAndCheck(const KerasModel& km) {
  Model m = LowerKerasModel(km);
  EXPECT_NO_THROW(ValidateGraph(m));
  Graph& g = m.main();
  EXPECT_FALSE(g.inputs.empty());
  EXPECT_FALSE(g.outputs.empty());
  for (const Op& op : g.ops) {
    EXPECT_EQ(op.version, 1);
    EXPECT_FALSE(op.origin.empty());
    for (int out : op.outputs)
      EXPECT_FALSE(g.tensors[out].shape.empty() && op.type != OpType::MEAN);
  }
  // Our shapes must equal what shape inference computes from the inputs.
  Graph copy = g;
  InferShapes(copy);
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    EXPECT_EQ(copy.tensors[i].shape, g.tensors[i].shape) << g.tensors[i].name;
  }
  return m;
}

struct FixtureCase {
  const char* file;
  int64_t params;
  std::vector<int32_t> input_shape, output_shape;
};

class KerasFixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(KerasFixtureTest, ImportsAndLowers) {
  const FixtureCase& c = GetParam();
  const std::string path = KerasFixture(c.file);
  CAE_REQUIRE_FILE(path);
  KerasModel km = LoadKerasModel(path);
  EXPECT_EQ(km.source, path);
  EXPECT_EQ(km.ParamCount(), c.params);
  Model m = LowerAndCheck(km);
  const Graph& g = m.main();
  ASSERT_EQ(g.inputs.size(), 1u);
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.tensors[g.inputs[0]].shape, c.input_shape);
  EXPECT_EQ(g.tensors[g.outputs[0]].shape, c.output_shape);
  // The constant elements of the graph are at least the model's parameters minus BatchNorm's
  // four per channel folded into two.
  int64_t float_consts = 0;
  for (const Tensor& t : g.tensors) {
    if (t.is_constant() && t.type == DType::kFloat32)
      float_consts += static_cast<int64_t>(t.data.size() / 4);
  }
  EXPECT_GE(float_consts, c.params / 2);
}

// Parameter counts: README figures where given; otherwise summed from the architecture
// (kernel + bias per layer; BatchNormalization 4 per channel), as worked out in the comments.
INSTANTIATE_TEST_SUITE_P(
    Fixtures, KerasFixtureTest,
    ::testing::Values(
        FixtureCase{"MilesWQ__conv_autoencoder.h5", 4385, {1, 28, 28, 1}, {1, 28, 28, 1}},
        FixtureCase{
            "Qusai1201_Denoising_mnist__autoencoder.h5", 28353, {1, 28, 28, 1}, {1, 28, 28, 1}},
        FixtureCase{"ML3ARN__autoencoder.h5", 67707, {1, 28, 28, 1}, {1, 28, 28, 1}},
        FixtureCase{"Harshit-Chabria__autoencoder.h5", 12193, {1, 28, 28, 1}, {1, 28, 28, 1}},
        // The .keras variant adds BatchNormalization after dec_conv1 (16 ch) and dec_conv2
        // (32 ch): 12,193 + 4 * (16 + 32) = 12,385.
        FixtureCase{"Harshit-Chabria__autoencoder.keras", 12385, {1, 28, 28, 1}, {1, 28, 28, 1}},
        // Dense 784-128-64-32-64-128-784: 100480 + 8256 + 2080 + 2112 + 8320 + 101136.
        FixtureCase{"kryptologyst__autoencoder.h5", 222384, {1, 784}, {1, 784}},
        // Dense 784-64-32-784: 50240 + 2080 + 25872; encoder 50240 + 2080; decoder 25872.
        FixtureCase{"zxzhaixiang__autoencoder_mnist.h5", 78192, {1, 784}, {1, 784}},
        FixtureCase{"zxzhaixiang__encoder_mnist.h5", 52320, {1, 784}, {1, 32}},
        FixtureCase{"zxzhaixiang__decoder_mnist.h5", 25872, {1, 32}, {1, 784}},
        // U-Net 14-28-56: convs 140+1778+3556+7084+14168+28280+14140+7084+3542+1778+15,
        // transposed convs 6300+1582, BatchNorm 4*(14+14+28+28+56+56+28+28+14+14)=1120.
        FixtureCase{"hiwony7933__unet_mnist.h5", 90567, {1, 28, 28, 1}, {1, 28, 28, 1}},
        FixtureCase{"Gho-Ost__trained_unet.h5", 266339, {1, 400, 600, 3}, {1, 400, 600, 3}},
        // Dense 50-128-64-32-16-32-64-128-50: 6528+8256+2080+528+544+2112+8320+6450.
        FixtureCase{"tflite_pairs/henrikcmf_autoencoder.h5", 34818, {1, 50}, {1, 50}},
        FixtureCase{"../anchors/cae12785_fmnist.h5", 12785, {1, 28, 28, 1}, {1, 28, 28, 1}}));

TEST(KerasFixtures, MilesWQStructure) {
  const std::string path = KerasFixture("MilesWQ__conv_autoencoder.h5");
  CAE_REQUIRE_FILE(path);
  KerasModel km = LoadKerasModel(path);
  EXPECT_EQ(km.keras_version, "2.2.4");
  EXPECT_EQ(km.backend, "tensorflow");
  EXPECT_EQ(km.name, "model_1");
  Model m = LowerAndCheck(km);
  auto counts = CountOps(m);
  EXPECT_EQ(counts["CONV_2D"], 7);
  EXPECT_EQ(counts["MAX_POOL_2D"], 3);
  EXPECT_EQ(counts["RESIZE_NEAREST_NEIGHBOR"], 3);
  EXPECT_EQ(counts["LOGISTIC"], 1);
  EXPECT_EQ(m.main().ops.size(), 14u);  // relu fused into the six hidden convolutions
  const Op& first = m.main().ops[0];
  EXPECT_EQ(first.type, OpType::CONV_2D);
  EXPECT_EQ(first.options.activation, Activation::kRelu);
  EXPECT_EQ(first.options.padding, Padding::kSame);
  EXPECT_EQ(first.origin, "conv2d_1");
  EXPECT_EQ(m.main().tensors[first.inputs[1]].shape, (std::vector<int32_t>{16, 3, 3, 1}));
  // The valid conv: 16x16 -> 14x14.
  const Op* valid = nullptr;
  for (const Op& op : m.main().ops) {
    if (op.origin == "conv2d_6") valid = &op;
  }
  ASSERT_NE(valid, nullptr);
  EXPECT_EQ(valid->options.padding, Padding::kValid);
  EXPECT_EQ(m.main().tensors[valid->outputs[0]].shape, (std::vector<int32_t>{1, 14, 14, 16}));
  // None batch: the signature marks it dynamic.
  EXPECT_EQ(m.main().tensors[m.main().inputs[0]].shape_signature,
            (std::vector<int32_t>{-1, 28, 28, 1}));
}

TEST(KerasFixtures, QusaiSequentialTransposeConv) {
  const std::string path = KerasFixture("Qusai1201_Denoising_mnist__autoencoder.h5");
  CAE_REQUIRE_FILE(path);
  KerasModel km = LoadKerasModel(path);
  ASSERT_GE(km.layers.size(), 2u);
  EXPECT_EQ(km.layers[0].class_name, "InputLayer");
  ASSERT_EQ(km.layers[1].calls.size(), 1u);
  EXPECT_EQ(km.layers[1].calls[0][0].layer, km.layers[0].name);
  Model m = LowerAndCheck(km);
  auto counts = CountOps(m);
  EXPECT_EQ(counts["TRANSPOSE_CONV"], 2);
  EXPECT_EQ(counts["RELU"], 2);  // TRANSPOSE_CONV's relu is a separate op
  for (const Op& op : m.main().ops) {
    if (op.type != OpType::TRANSPOSE_CONV) continue;
    EXPECT_EQ(op.options.activation, Activation::kNone);
    ASSERT_EQ(op.inputs.size(), 4u);
    const Tensor& shape = m.main().tensors[op.inputs[0]];
    EXPECT_EQ(shape.type, DType::kInt32);
    EXPECT_EQ(m.main().tensors[op.inputs[1]].shape, (std::vector<int32_t>{32, 3, 3, 32}));
  }
}

TEST(KerasFixtures, ML3ARNNestedDecoderIsInlined) {
  const std::string path = KerasFixture("ML3ARN__autoencoder.h5");
  CAE_REQUIRE_FILE(path);
  KerasModel km = LoadKerasModel(path);
  const KerasLayer* dec = km.FindLayer("decoder");
  ASSERT_NE(dec, nullptr);
  ASSERT_TRUE(dec->submodel);
  EXPECT_TRUE(dec->weights.empty());
  const KerasLayer* dense1 = dec->submodel->FindLayer("dense_1");
  ASSERT_NE(dense1, nullptr);
  ASSERT_EQ(dense1->weights.size(), 2u);
  EXPECT_EQ(dense1->weights[0].name, "kernel");
  EXPECT_EQ(dense1->weights[0].shape, (std::vector<int32_t>{2, 3136}));
  Model m = LowerAndCheck(km);
  auto counts = CountOps(m);
  EXPECT_EQ(counts["FULLY_CONNECTED"], 2);
  EXPECT_EQ(counts["RESHAPE"], 2);  // Flatten and Reshape
  bool found = false;
  for (const Tensor& t : m.main().tensors) found |= t.name.rfind("decoder/", 0) == 0;
  EXPECT_TRUE(found) << "nested layers' tensors are prefixed with the submodel name";
}

TEST(KerasFixtures, HarshitKeras3FormatsAgree) {
  const std::string h5 = KerasFixture("Harshit-Chabria__autoencoder.h5");
  const std::string zip = KerasFixture("Harshit-Chabria__autoencoder.keras");
  CAE_REQUIRE_FILE(h5);
  CAE_REQUIRE_FILE(zip);
  KerasModel a = LoadKerasModel(h5);
  EXPECT_EQ(a.keras_version, "3.8.0");
  const KerasLayer* conv = a.FindLayer("enc_conv1");
  ASSERT_NE(conv, nullptr);
  ASSERT_EQ(conv->weights.size(), 2u);
  EXPECT_EQ(conv->weights[0].name, "kernel");
  EXPECT_EQ(conv->weights[1].name, "bias");
  KerasModel b = LoadKerasModel(zip);
  EXPECT_EQ(b.keras_version, "3.8.0");
  const KerasLayer* bn = b.FindLayer("dec_bn1");
  ASSERT_NE(bn, nullptr);
  ASSERT_EQ(bn->weights.size(), 4u);
  EXPECT_EQ(bn->weights[0].name, "gamma");
  EXPECT_EQ(bn->weights[3].name, "moving_variance");
  EXPECT_EQ(bn->weights[3].shape, (std::vector<int32_t>{16}));
  Model m = LowerAndCheck(b);
  auto counts = CountOps(m);
  EXPECT_EQ(counts["MUL"], 2);
  EXPECT_EQ(counts["ADD"], 2);
  EXPECT_TRUE(LooksLikeKerasFile(zip));
  EXPECT_TRUE(LooksLikeKerasFile(h5));
}

TEST(KerasFixtures, UnetConcatenateAndSummary) {
  const std::string path = KerasFixture("hiwony7933__unet_mnist.h5");
  CAE_REQUIRE_FILE(path);
  KerasModel km = LoadKerasModel(path);
  Model m = LowerAndCheck(km);
  auto counts = CountOps(m);
  EXPECT_EQ(counts["CONCATENATION"], 2);
  EXPECT_EQ(counts["TRANSPOSE_CONV"], 2);
  for (const Op& op : m.main().ops) {
    if (op.type == OpType::CONCATENATION) {
      EXPECT_EQ(op.options.axis, 3);
    }
  }
  std::vector<KerasLayerSummary> rows = SummarizeKerasModel(km);
  ASSERT_EQ(rows.size(), km.layers.size());
  int64_t total = 0;
  for (const auto& r : rows) total += r.params;
  EXPECT_EQ(total, 90567);
  EXPECT_EQ(rows[0].class_name, "InputLayer");
  ASSERT_EQ(rows[0].output_shapes.size(), 1u);
  EXPECT_EQ(rows[0].output_shapes[0], (std::vector<int32_t>{-1, 28, 28, 1}));
  for (const auto& r : rows) {
    if (r.name == "concatenate_1") {
      ASSERT_EQ(r.output_shapes.size(), 1u);
      EXPECT_EQ(r.output_shapes[0], (std::vector<int32_t>{-1, 14, 14, 56}));
    }
    if (r.name == "batch_normalization_1") {
      EXPECT_EQ(r.params, 56);
    }
  }
}

TEST(KerasFixtures, SummaryCountsNestedModelAsOneRow) {
  const std::string path = KerasFixture("ML3ARN__autoencoder.h5");
  CAE_REQUIRE_FILE(path);
  KerasModel km = LoadKerasModel(path);
  std::vector<KerasLayerSummary> rows = SummarizeKerasModel(km);
  const KerasLayerSummary& last = rows.back();
  EXPECT_EQ(last.name, "decoder");
  EXPECT_EQ(last.class_name, "Functional");
  ASSERT_EQ(last.output_shapes.size(), 1u);
  EXPECT_EQ(last.output_shapes[0], (std::vector<int32_t>{-1, 28, 28, 1}));
  // decoder: Dense 2->3136 (9408), Conv 64 (36928), Conv 32 (18464), Conv 1 (289).
  EXPECT_EQ(last.params, 9408 + 36928 + 18464 + 289);
}

}  // namespace
}  // namespace cae::testing
