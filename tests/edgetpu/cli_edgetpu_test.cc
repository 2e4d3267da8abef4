// `cae2tpu edgetpu ...` end to end (skipped when the CLI binary has not been built).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "support/fixtures.h"

namespace cae::edgetpu {
namespace {

using ::cae::testing::BinaryPath;
using ::cae::testing::RunCommand;
using ::cae::testing::SharedPath;
using ::cae::testing::TempDir;
using ::cae::testing::WriteText;

std::string Fixture(const std::string& name) { return SharedPath("fixtures/edgetpu/" + name); }

std::string Cli() { return "'" + BinaryPath("cae2tpu") + "'"; }

TEST(EdgetpuCli, PlanJsonForSeveralModels) {
  CAE_REQUIRE_FILE(BinaryPath("cae2tpu"));
  CAE_REQUIRE_FILE(Fixture("deeplabv3_mnv2_dm05_pascal_quant.tflite"));
  const auto r = RunCommand(Cli() + " edgetpu plan --json '" +
                            Fixture("deeplabv3_mnv2_dm05_pascal_quant.tflite") + "' '" +
                            Fixture("keras_lstm_mnist_ptq.tflite") + "' 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["mapped"], 64);
  EXPECT_EQ(j[0]["total"], 72);
  EXPECT_EQ(j[0]["ops"][64]["on_tpu"], false);
  EXPECT_EQ(j[1]["mapped"], j[1]["total"]);
}

TEST(EdgetpuCli, CompileWithoutCompilerExitsThreeWithHintAndPlan) {
  CAE_REQUIRE_FILE(BinaryPath("cae2tpu"));
  CAE_REQUIRE_FILE(Fixture("nrf20_mnist7.tflite"));
  TempDir dir;
  const auto r = RunCommand("PATH='" + dir.path() + "' " + Cli() + " edgetpu compile '" +
                            Fixture("nrf20_mnist7.tflite") + "' -o '" + dir.path() + "'");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("edgetpu-compiler"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Total number of operations: 8"), std::string::npos) << r.output;
}

TEST(EdgetpuCli, CompileWithAFakeCompilerComparesWithThePlan) {
  CAE_REQUIRE_FILE(BinaryPath("cae2tpu"));
  CAE_REQUIRE_FILE(Fixture("nrf20_mnist7.tflite"));
  CAE_REQUIRE_FILE(Fixture("nrf20_mnist7_edgetpu.log"));
  TempDir dir;
  const std::string fake = dir.File("edgetpu_compiler");
  // Reports one op fewer on the TPU than the real log: the CLI must flag it.
  WriteText(fake,
            "#!/bin/sh\n"
            "out=.; model=\n"
            "while [ $# -gt 0 ]; do case \"$1\" in -o) out=$2; shift 2;; -*) shift;; *) model=$1; shift;; esac; done\n"
            "name=$(basename \"$model\" .tflite)\n"
            "cp '" + Fixture("nrf20_mnist7_edgetpu.log") + "' \"$out/${name}_edgetpu.log\"\n"
            "echo 'Edge TPU Compiler version 16.0.384591198'\n"
            "echo \"Input model: $model\"\n"
            "echo 'On-chip memory used for caching model parameters: 1.58MiB'\n"
            "echo 'Off-chip memory used for streaming uncached model parameters: 0.00B'\n"
            "echo 'Number of Edge TPU subgraphs: 1'\n"
            "echo 'Total number of operations: 8'\n"
            "echo \"Operation log: ${name}_edgetpu.log\"\n"
            "echo 'Number of operations that will run on Edge TPU: 7'\n"
            "echo 'Number of operations that will run on CPU: 1'\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  const auto r = RunCommand(Cli() + " edgetpu compile '" + Fixture("nrf20_mnist7.tflite") +
                            "' -o '" + dir.path() + "' --compiler '" + fake + "' -- -s");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("DISAGREE: operations on the Edge TPU: plan 8, compiler 7"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("1 disagreement(s)"), std::string::npos) << r.output;
}

TEST(EdgetpuCli, SegmentWritesNFiles) {
  CAE_REQUIRE_FILE(BinaryPath("cae2tpu"));
  CAE_REQUIRE_FILE(Fixture("mobilenet_v1_0.25_128_quant.tflite"));
  TempDir dir;
  const auto r = RunCommand(Cli() + " edgetpu segment '" +
                            Fixture("mobilenet_v1_0.25_128_quant.tflite") +
                            "' --num-segments 3 -o '" + dir.path() + "' --json 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j["segments"].size(), 3u);
  for (const auto& s : j["segments"]) {
    EXPECT_TRUE(cae::testing::FileExists(s["file"].get<std::string>()));
  }
}

}  // namespace
}  // namespace cae::edgetpu
