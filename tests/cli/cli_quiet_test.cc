// The global --quiet (before or after the subcommand): commands that write files (run, convert,
// edgetpu segment, edgetpu compile) print nothing but errors and --json.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_helpers.h"
#include "data/npy.h"

namespace cae::testing {
namespace {

std::string EdgetpuFixture(const std::string& name) { return SharedPath("fixtures/edgetpu/" + name); }

TEST(CliQuiet, EdgetpuSegmentPrintsNothingButJsonAndErrors) {
  CAE_REQUIRE_BINARY();
  const std::string model = EdgetpuFixture("mobilenet_v1_0.25_128_quant.tflite");
  CAE_REQUIRE_FILE(model);
  TempDir dir;
  const std::string base = "edgetpu segment " + Q(model) + " -n 2 -o ";
  for (const std::string& args : {"--quiet " + base + Q(dir.File("a")), base + Q(dir.File("b")) + " --quiet"}) {
    const CommandResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
    EXPECT_EQ(r.output, "") << args;
  }
  EXPECT_EQ(ListFiles(dir.File("a")).size(), 2u);
  EXPECT_EQ(ListFiles(dir.File("b")).size(), 2u);

  const nlohmann::json j = ParseJson(Cli("--quiet " + base + Q(dir.File("c")) + " --json"));
  EXPECT_EQ(j["segments"].size(), 2u);

  const CommandResult bad = Cli("--quiet edgetpu segment " + Q(dir.File("missing.tflite")) + " -n 2 -o " +
                                Q(dir.File("d")));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("missing.tflite"), std::string::npos) << bad.output;
}

TEST(CliQuiet, EdgetpuCompilePrintsNothingOnSuccess) {
  CAE_REQUIRE_BINARY();
  const std::string model = EdgetpuFixture("nrf20_mnist7.tflite");
  CAE_REQUIRE_FILE(model);
  TempDir dir;
  // A compiler that reports the figures of the real one's log and writes no files.
  const std::string fake = dir.File("edgetpu_compiler");
  WriteText(fake,
            "#!/bin/sh\n"
            "echo 'Edge TPU Compiler version 16.0.384591198'\n"
            "echo 'Number of Edge TPU subgraphs: 1'\n"
            "echo 'Total number of operations: 8'\n"
            "echo 'Number of operations that will run on Edge TPU: 8'\n"
            "echo 'Number of operations that will run on CPU: 0'\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  const CommandResult r =
      Cli("--quiet edgetpu compile " + Q(model) + " -o " + Q(dir.path()) + " --compiler " + Q(fake));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "");

  // Without a compiler: exit status 3 and the install hint (stderr), no plan.
  const CommandResult none = RunCommand("PATH=" + Q(dir.File("empty")) + " " + Q(Cae2tpu()) +
                                        " edgetpu compile " + Q(model) + " -o " + Q(dir.path()) + " --quiet");
  EXPECT_EQ(none.exit_code, 3) << none.output;
  EXPECT_NE(none.output.find("edgetpu-compiler"), std::string::npos) << none.output;
  EXPECT_EQ(none.output.find("Total number of operations"), std::string::npos) << none.output;
}

TEST(CliQuiet, RunAndConvertPrintNothing) {
  CAE_REQUIRE_BINARY();
  const std::string model = SharedPath("fixtures/keras/MilesWQ__conv_autoencoder.h5");
  CAE_REQUIRE_FILE(model);
  TempDir dir;
  TensorData x(DType::kFloat32, {2, 28, 28, 1});
  for (int64_t i = 0; i < x.num_elements(); ++i) x.as<float>()[i] = static_cast<float>(i % 7) / 7.0f;
  WriteNpy(dir.File("x.npy"), x);
  const CommandResult run = Cli("--quiet run " + Q(model) + " -i " + Q(dir.File("x.npy")) + " -o " + Q(dir.File("y.npy")));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, "");
  const CommandResult conv = Cli("convert " + Q(model) + " -o " + Q(dir.File("m.tflite")) + " --quiet");
  EXPECT_EQ(conv.exit_code, 0) << conv.output;
  EXPECT_EQ(conv.output, "");
}

}  // namespace
}  // namespace cae::testing
