// Reading real .tflite files: every fixture reads, and spot checks against values read from the
// files with flatc's JSON dump.
#include "tflite/reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "graph/error.h"
#include "graph/shape.h"
#include "tflite/op_version.h"
#include "tflite_test_util.h"

namespace cae {
namespace {

using testing::SharedPath;

class FixtureReadTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureReadTest, ReadsAndIsConsistent) {
  const std::string path = SharedPath(GetParam());
  CAE_REQUIRE_FILE(path);
  const Model m = ReadTflite(path);
  EXPECT_EQ(m.source, path);
  ASSERT_FALSE(m.subgraphs.empty());
  const Graph& g = m.main();
  EXPECT_FALSE(g.inputs.empty());
  EXPECT_FALSE(g.outputs.empty());
  EXPECT_FALSE(g.ops.empty());
  for (const Graph& sg : m.subgraphs) {
    for (const Tensor& t : sg.tensors) {
      if (t.is_constant()) {
        EXPECT_EQ(static_cast<int64_t>(t.data.size()), NumBytes(t.shape, DTypeSize(t.type)));
      }
      if (t.quant.per_channel()) {
        EXPECT_EQ(t.quant.scale.size(), t.quant.zero_point.size());
      }
    }
  }
}

// Op versions the converter wrote that cannot be derived from the file itself: the TF 1.x
// converter versioned one operator code for all DEPTHWISE_CONV_2D ops of the deeplab models (v2,
// yet no op in the file is dilated), and autoencoder_int8's CONV_2D v5 was computed for a hybrid
// filter that the file stores as float32. For these, our version must not exceed the file's.
bool VersionNotDerivable(const std::string& fixture, OpType t) {
  if (fixture.find("deeplab") != std::string::npos) return t == OpType::DEPTHWISE_CONV_2D;
  if (fixture.find("autoencoder_int8") != std::string::npos) return t == OpType::CONV_2D;
  return false;
}

// The converter's op versions are what TFLite's rules give; AssignOpVersions must reproduce them
// for every builtin op of every fixture (see VersionNotDerivable for the two exceptions).
TEST_P(FixtureReadTest, AssignOpVersionsReproducesTheConverter) {
  const std::string path = SharedPath(GetParam());
  CAE_REQUIRE_FILE(path);
  const Model original = ReadTflite(path);
  Model m = original;
  for (Graph& g : m.subgraphs) {
    for (Op& op : g.ops) {
      if (op.type != OpType::CUSTOM) op.version = 1;
    }
  }
  AssignOpVersions(m);
  for (size_t s = 0; s < m.subgraphs.size(); ++s) {
    for (size_t i = 0; i < m.subgraphs[s].ops.size(); ++i) {
      const Op& ours = m.subgraphs[s].ops[i];
      const Op& theirs = original.subgraphs[s].ops[i];
      if (VersionNotDerivable(GetParam(), ours.type)) {
        EXPECT_LE(ours.version, theirs.version)
            << DescribeOp(original.subgraphs[s], static_cast<int>(i));
      } else {
        EXPECT_EQ(ours.version, theirs.version)
            << DescribeOp(original.subgraphs[s], static_cast<int>(i));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureReadTest, ::testing::ValuesIn(testing::TfliteFixtures()),
                         [](const auto& info) { return testing::FixtureTestName(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FixtureReadTest);

TEST(TfliteReader, MobilenetV1SpotChecks) {
  const std::string path = SharedPath("fixtures/coral/mobilenet_v1_0.25_128_quant.tflite");
  CAE_REQUIRE_FILE(path);
  const Model m = ReadTflite(path);
  ASSERT_EQ(m.subgraphs.size(), 1u);
  const Graph& g = m.main();
  EXPECT_EQ(g.tensors.size(), 89u);
  EXPECT_EQ(g.ops.size(), 31u);
  EXPECT_EQ(g.inputs, std::vector<int>{0});
  EXPECT_EQ(g.outputs, std::vector<int>{88});
  EXPECT_EQ(m.description, "MLIR Converted.");

  const Tensor& in = g.tensors[0];
  EXPECT_EQ(in.name, "input");
  EXPECT_EQ(in.shape, (std::vector<int32_t>{1, 128, 128, 3}));
  EXPECT_EQ(in.type, DType::kUInt8);
  ASSERT_EQ(in.quant.scale.size(), 1u);
  EXPECT_NEAR(in.quant.scale[0], 0.007812, 1e-6);
  EXPECT_EQ(in.quant.zero_point, std::vector<int64_t>{128});
  EXPECT_FALSE(in.is_constant());

  const Op& conv = g.ops[0];
  EXPECT_EQ(conv.type, OpType::CONV_2D);
  EXPECT_EQ(conv.version, 1);
  EXPECT_EQ(conv.inputs, (std::vector<int>{0, 30, 29}));
  EXPECT_EQ(conv.outputs, std::vector<int>{31});
  EXPECT_EQ(conv.options.padding, Padding::kSame);
  EXPECT_EQ(conv.options.stride_w, 2);
  EXPECT_EQ(conv.options.stride_h, 2);
  EXPECT_EQ(conv.options.dilation_w, 1);
  EXPECT_EQ(conv.options.activation, Activation::kRelu6);
  EXPECT_EQ(conv.options.builtin_options_type, 1);  // Conv2DOptions

  const Tensor& w = g.tensors[30];
  EXPECT_EQ(w.shape, (std::vector<int32_t>{8, 3, 3, 3}));
  EXPECT_EQ(w.type, DType::kUInt8);
  EXPECT_EQ(w.data.size(), 216u);
  EXPECT_EQ(w.quant.zero_point, std::vector<int64_t>{157});
  const Tensor& b = g.tensors[29];
  EXPECT_EQ(b.type, DType::kInt32);
  EXPECT_EQ(b.data.size(), 32u);
  EXPECT_EQ(g.tensors[31].shape, (std::vector<int32_t>{1, 64, 64, 8}));

  ASSERT_EQ(m.metadata.size(), 2u);
  EXPECT_EQ(m.metadata[0].first, "min_runtime_version");
  ASSERT_EQ(m.metadata[0].second.size(), 16u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.metadata[0].second.data())), "1.5.0");
  EXPECT_EQ(m.metadata[1].first, "TFLITE_METADATA");
  EXPECT_EQ(MinRuntimeVersion(m), "1.5.0");

  int depthwise = 0;
  for (const Op& op : g.ops) depthwise += op.type == OpType::DEPTHWISE_CONV_2D;
  EXPECT_EQ(depthwise, 13);
}

TEST(TfliteReader, PerChannelInt8AndCustomOps) {
  const std::string v2 = SharedPath("fixtures/coral/tf2_mobilenet_v2_1.0_224_ptq.tflite");
  CAE_REQUIRE_FILE(v2);
  const Model m = ReadTflite(v2);
  bool found_per_channel = false;
  for (const Op& op : m.main().ops) {
    if (op.type != OpType::CONV_2D) continue;
    const Tensor& w = m.main().tensors[op.inputs[1]];
    EXPECT_EQ(w.type, DType::kInt8);
    ASSERT_EQ(w.quant.scale.size(), static_cast<size_t>(w.shape[0])) << w.name;
    EXPECT_EQ(w.quant.quantized_dimension, 0);
    found_per_channel = true;
  }
  EXPECT_TRUE(found_per_channel);

  const std::string tpu = SharedPath(
      "fixtures/edgetpu/posenet_mobilenet_v1_075_353_481_16_quant_decoder_edgetpu.tflite");
  CAE_REQUIRE_FILE(tpu);
  const Model p = ReadTflite(tpu);
  std::map<std::string, int> custom;
  for (const Op& op : p.main().ops) {
    if (op.type != OpType::CUSTOM) continue;
    ++custom[op.custom_code];
    EXPECT_FALSE(op.custom_options.empty()) << op.custom_code;
  }
  EXPECT_EQ(custom["edgetpu-custom-op"], 1);
  EXPECT_EQ(custom["PosenetDecoderOp"], 1);
  EXPECT_EQ(p.description, "EdgeTpu CustomOp Model.");
}

TEST(TfliteReader, LstmKeepsVariablesAndIntermediates) {
  const std::string path = SharedPath("fixtures/edgetpu/keras_lstm_mnist_ptq.tflite");
  CAE_REQUIRE_FILE(path);
  const Model m = ReadTflite(path);
  int variables = 0;
  for (const Tensor& t : m.main().tensors) variables += t.is_variable;
  EXPECT_EQ(variables, 2);  // the oracle reports variable_tensors: 2
  bool lstm = false;
  for (const Op& op : m.main().ops) {
    if (op.type != OpType::UNIDIRECTIONAL_SEQUENCE_LSTM) continue;
    lstm = true;
    EXPECT_EQ(op.inputs.size(), 24u);
    EXPECT_EQ(op.options.builtin_options_type, 71);  // UnidirectionalSequenceLSTMOptions
  }
  EXPECT_TRUE(lstm);
}

TEST(TfliteReader, MissingFileAndEmptyBufferFailCleanly) {
  try {
    ReadTflite("/nonexistent/model.tflite");
    FAIL() << "expected cae::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.tflite"), std::string::npos);
  }
  const uint8_t nothing[1] = {0};
  EXPECT_THROW(ReadTfliteBuffer(nothing, 0, "empty.tflite"), Error);
}

}  // namespace
}  // namespace cae
