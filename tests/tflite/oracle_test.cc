// The real TFLite runtime (../shared/tools/tflite-oracle) as the reference: what it reports about
// each fixture equals what we read, and a rewritten fixture computes byte-identical outputs.
// Named *Heavy*: skipped in the sanitizer build (the oracle runs in node, not in our process).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "graph/shape.h"
#include "tflite/op_version.h"
#include "tflite/reader.h"
#include "tflite/writer.h"
#include "tflite_test_util.h"

namespace cae {
namespace {

using nlohmann::json;
using testing::SharedPath;

void ExpectSameIo(const json& io, const Graph& g, int tensor_index, const std::string& where) {
  const Tensor& t = g.tensors.at(tensor_index);
  EXPECT_EQ(io.at("tensor_index").get<int>(), tensor_index) << where;
  EXPECT_EQ(io.at("name").get<std::string>(), t.name) << where;
  EXPECT_EQ(io.at("shape").get<std::vector<int32_t>>(), t.shape) << where;
  EXPECT_EQ(io.at("dtype").get<std::string>(), std::string(DTypeName(t.type))) << where;
  const json& q = io.at("quantization");
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  if (q.contains("scale")) scale = q["scale"].get<std::vector<float>>();
  if (q.contains("zero_point")) zero_point = q["zero_point"].get<std::vector<int64_t>>();
  EXPECT_EQ(scale, t.quant.scale) << where;
  EXPECT_EQ(zero_point, t.quant.zero_point) << where;
}

class FixtureOracleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureOracleTest, MatchesOracleAndRewrittenRunsIdenticallyHeavy) {
  const std::string path = SharedPath(GetParam());
  CAE_REQUIRE_FILE(path);
  CAE_REQUIRE_ORACLE();
  const Model m = ReadTflite(path);
  // TFLite's builtin kernels, except for models with large inputs (deeplab 513x513,
  // mobilenet_v2 224x224), where a --no-xnnpack run takes minutes on a loaded 2-core machine:
  // there both files run on the default (XNNPACK) path, which is deterministic as well.
  std::vector<std::string> flags = {"--fill", "pattern"};
  int64_t input_elements = 0;
  for (int i : m.main().inputs) input_elements += NumElements(m.main().tensors[i].shape);
  if (input_elements <= 100'000) flags.push_back("--no-xnnpack");
  const testing::OracleRun ref = testing::RunOracle(path, {}, flags);
  ASSERT_FALSE(ref.json.empty()) << "oracle printed nothing";
  const json j = json::parse(ref.json);
  const json& info = j.at("model_info");

  // The op histogram, description and minimum runtime as the runtime sees them.
  std::map<std::string, int> histogram;
  for (const auto& [k, v] : info.at("ops").items()) histogram[k] = v.get<int>();
  EXPECT_EQ(histogram, testing::OpHistogram(m));
  EXPECT_EQ(info.at("description").get<std::string>(), m.description);
  EXPECT_EQ(info.at("subgraphs").get<size_t>(), m.subgraphs.size());
  // nrf20_mnist7 was re-quantized after conversion: its ops (CONV_2D v3, ...) need 1.14.0 but its
  // metadata still says 1.5.0.
  if (!info.at("min_runtime_version").is_null() &&
      GetParam().find("nrf20_mnist7") == std::string::npos) {
    EXPECT_EQ(info["min_runtime_version"].get<std::string>(), MinRuntimeVersion(m));
  }
  if (ref.exit_code != 0) {
    // The runtime cannot create this model (custom op it does not know): read-side checks only.
    EXPECT_EQ(ref.exit_code, 2) << j.value("error", "");
    return;
  }
  const Graph& g = m.main();
  ASSERT_EQ(j.at("inputs").size(), g.inputs.size());
  ASSERT_EQ(j.at("outputs").size(), g.outputs.size());
  for (size_t i = 0; i < g.inputs.size(); ++i)
    ExpectSameIo(j["inputs"][i], g, g.inputs[i], "input " + std::to_string(i));
  for (size_t i = 0; i < g.outputs.size(); ++i)
    ExpectSameIo(j["outputs"][i], g, g.outputs[i], "output " + std::to_string(i));

  // The rewritten file computes byte-identical outputs on the same inputs.
  testing::TempDir dir;
  const std::string rewritten = dir.File("rewritten.tflite");
  WriteTflite(m, rewritten);
  const testing::OracleRun run = testing::RunOracle(rewritten, {}, flags);
  ASSERT_EQ(run.exit_code, 0) << run.json;
  ASSERT_EQ(run.outputs.size(), ref.outputs.size());
  for (size_t i = 0; i < ref.outputs.size(); ++i) {
    EXPECT_TRUE(run.outputs[i] == ref.outputs[i]) << "output " << i << " differs";
  }
  const json j2 = json::parse(run.json);
  std::map<std::string, int> histogram2;
  for (const auto& [k, v] : j2.at("model_info").at("ops").items()) histogram2[k] = v.get<int>();
  EXPECT_EQ(histogram2, histogram);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureOracleTest,
                         ::testing::ValuesIn(testing::TfliteFixtures()),
                         [](const auto& info) { return testing::FixtureTestName(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FixtureOracleTest);

}  // namespace
}  // namespace cae
