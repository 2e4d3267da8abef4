#include "tflite/describe.h"

#include <gtest/gtest.h>

#include "tflite/reader.h"
#include "tflite_test_util.h"

namespace cae {
namespace {

TEST(TfliteDescribe, MobilenetV1) {
  const std::string path = testing::SharedPath("fixtures/coral/mobilenet_v1_0.25_128_quant.tflite");
  CAE_REQUIRE_FILE(path);
  const Model m = ReadTflite(path);
  const nlohmann::json j = DescribeTfliteModel(m);
  EXPECT_EQ(j.at("description"), "MLIR Converted.");
  EXPECT_EQ(j.at("metadata"), nlohmann::json::array({"min_runtime_version", "TFLITE_METADATA"}));
  EXPECT_EQ(j.at("inputs"), nlohmann::json::array({0}));
  EXPECT_EQ(j.at("outputs"), nlohmann::json::array({88}));
  ASSERT_EQ(j.at("subgraphs").size(), 1u);
  const auto& sg = j["subgraphs"][0];
  ASSERT_EQ(sg.at("tensors").size(), 89u);
  ASSERT_EQ(sg.at("ops").size(), 31u);

  uint64_t sum = 0;
  for (const Tensor& t : m.main().tensors) sum += t.data.size();
  EXPECT_EQ(j.at("parameter_bytes").get<uint64_t>(), sum);
  EXPECT_GT(sum, 400'000u);

  const auto& input = sg["tensors"][0];
  EXPECT_EQ(input.at("name"), "input");
  EXPECT_EQ(input.at("shape"), nlohmann::json::array({1, 128, 128, 3}));
  EXPECT_EQ(input.at("type"), "uint8");
  EXPECT_EQ(input.at("quantization").at("zero_point"), nlohmann::json::array({128}));
  EXPECT_EQ(input.at("constant_bytes"), 0);
  EXPECT_EQ(sg["tensors"][30].at("constant_bytes"), 216);

  const auto& conv = sg["ops"][0];
  EXPECT_EQ(conv.at("op"), "CONV_2D");
  EXPECT_EQ(conv.at("version"), 1);
  EXPECT_EQ(conv.at("inputs"), nlohmann::json::array({0, 30, 29}));
  EXPECT_EQ(conv.at("options").at("padding"), "SAME");
  EXPECT_EQ(conv.at("options").at("stride"), nlohmann::json::array({2, 2}));
  EXPECT_EQ(conv.at("options").at("activation"), "RELU6");
}

TEST(TfliteDescribe, CustomOpsAreNamed) {
  const std::string path =
      testing::SharedPath("fixtures/edgetpu/mobilenet_v1_0.25_128_quant_edgetpu.tflite");
  CAE_REQUIRE_FILE(path);
  const nlohmann::json j = DescribeTfliteModel(ReadTflite(path));
  const auto& op = j.at("subgraphs")[0].at("ops")[0];
  EXPECT_EQ(op.at("op"), "CUSTOM:edgetpu-custom-op");
  EXPECT_GT(op.at("custom_options_bytes").get<size_t>(), 0u);
}

TEST(TfliteDescribe, InvalidUtf8NamesAreReplaced) {
  Model m;
  m.subgraphs.emplace_back();
  Tensor t;
  t.name = std::string("ok\xff\xc3(\xe2\x82\xac", 8);  // bad byte, bad pair, then a valid euro sign
  m.main().AddTensor(t);
  m.description = "caf\xc3\xa9";
  const nlohmann::json j = DescribeTfliteModel(m);
  EXPECT_NO_THROW((void)j.dump());
  EXPECT_EQ(j["subgraphs"][0]["tensors"][0]["name"],
            "ok\xEF\xBF\xBD"
            "\xEF\xBF\xBD(\xe2\x82\xac");
  EXPECT_EQ(j["description"], "caf\xc3\xa9");
}

}  // namespace
}  // namespace cae
