// --json output parses even when names from the model file or paths from the command line are
// not valid UTF-8 (each bad byte becomes U+FFFD).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "data/npy.h"
#include "graph/graph.h"
#include "tflite/writer.h"

namespace cae::testing {
namespace {

// input [1,4] 'in\xff' -> RELU -> output 'out\x80'; description '\xfe' (DescribeTfliteModel's U+FFFD).
Model ReluWithLatin1Names() {
  Model m;
  m.description = "\xfe";
  m.subgraphs.emplace_back();
  Graph& g = m.main();
  Tensor t;
  t.shape = {1, 4};
  t.name = "in\xff";
  const int in = g.AddTensor(t);
  t.name = "out\x80";
  const int out = g.AddTensor(t);
  Op relu;
  relu.type = OpType::RELU;
  relu.inputs = {in};
  relu.outputs = {out};
  g.AddOp(relu);
  g.inputs = {in};
  g.outputs = {out};
  return m;
}

TEST(CliJson, NamesThatAreNotUtf8StillGiveJson) {
  CAE_REQUIRE_BINARY();
  TempDir dir;
  const std::string model = dir.File("m\xff.tflite");
  WriteTflite(ReluWithLatin1Names(), model);
  const nlohmann::json info = ParseJson(Cli("inspect --json " + Q(model)));
  ASSERT_TRUE(info.contains("inputs")) << info.dump();
  EXPECT_EQ(info["inputs"][0]["name"], "in\xEF\xBF\xBD");
  EXPECT_EQ(info["outputs"][0]["name"], "out\xEF\xBF\xBD");

  const nlohmann::json plan = ParseJson(Cli("edgetpu plan --json " + Q(model)));
  EXPECT_EQ(plan["source"], dir.File("m\xEF\xBF\xBD.tflite"));

  TensorData x(DType::kFloat32, {2, 4});
  WriteNpy(dir.File("x.npy"), x);
  const std::string out = dir.File("y\xfe.npy");
  const nlohmann::json run = ParseJson(Cli("run " + Q(model) + " -i " + Q(dir.File("x.npy")) + " -o " + Q(out) + " --json"));
  ASSERT_TRUE(run.contains("outputs")) << run.dump();
  EXPECT_EQ(run["outputs"][0]["path"], dir.File("y\xEF\xBF\xBD.npy"));
  EXPECT_TRUE(FileExists(out));

  // compare too (as train and demo, which print through the same PrintJson).
  const nlohmann::json cmp = ParseJson(Cli("compare " + Q(model) + " " + Q(model) + " --data " + Q(dir.File("x.npy")) + " --json"));
  ASSERT_TRUE(cmp.contains("models")) << cmp.dump();
  EXPECT_EQ(cmp["reference"], dir.File("m\xEF\xBF\xBD.tflite"));
}

}  // namespace
}  // namespace cae::testing
