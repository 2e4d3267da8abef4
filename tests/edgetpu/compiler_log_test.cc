#include <csignal>
#include <filesystem>
#include <string>

#include "edgetpu/compiler_driver.h"
#include "edgetpu/compiler_log.h"
#include "edgetpu/planner.h"
#include "support/fixtures.h"
#include "graph/error.h"
#include "tflite/reader.h"

namespace cae::edgetpu {
namespace {

using ::cae::testing::ReadBytes;
using ::cae::testing::SharedPath;
using ::cae::testing::TempDir;
using ::cae::testing::WriteText;

std::string Fixture(const std::string& name) { return SharedPath("fixtures/edgetpu/" + name); }

std::string ReadTextFile(const std::string& path) {
  const std::vector<uint8_t> b = ReadBytes(path);
  return std::string(b.begin(), b.end());
}

TEST(CompilerLog, ParsesTheRealLog) {
  CAE_REQUIRE_FILE(Fixture("nrf20_mnist7_edgetpu.log"));
  const auto reports = ParseCompilerOutput(ReadTextFile(Fixture("nrf20_mnist7_edgetpu.log")));
  ASSERT_EQ(reports.size(), 1u);
  const CompilerModelReport& r = reports[0];
  EXPECT_EQ(r.compiler_version, "15.0.340273435");
  EXPECT_EQ(r.input, "mnist7.tflite");
  EXPECT_EQ(r.output, "mnist7_edgetpu.tflite");
  ASSERT_EQ(r.op_table.size(), 5u);
  EXPECT_EQ(r.op_table[0].op, "SOFTMAX");
  EXPECT_EQ(r.op_table[1].op, "FULLY_CONNECTED");
  EXPECT_EQ(r.op_table[1].count, 2);
  EXPECT_EQ(r.op_table[1].status, "Mapped to Edge TPU");
  EXPECT_EQ(r.total_ops, 8);
  EXPECT_EQ(r.ops_on_tpu, 8);
  EXPECT_EQ(r.ops_on_cpu, 0);
}

TEST(CompilerLog, PlanAgreesWithTheRealLog) {
  CAE_REQUIRE_FILE(Fixture("nrf20_mnist7_edgetpu.log"));
  CAE_REQUIRE_FILE(Fixture("nrf20_mnist7.tflite"));
  const auto reports = ParseCompilerOutput(ReadTextFile(Fixture("nrf20_mnist7_edgetpu.log")));
  ASSERT_EQ(reports.size(), 1u);
  const ModelPlan plan = PlanModel(ReadTflite(Fixture("nrf20_mnist7.tflite")));
  EXPECT_TRUE(CompareWithPlan(plan, reports[0]).empty());

  // A report that disagrees is flagged, op type by op type.
  CompilerModelReport changed = reports[0];
  changed.op_table[0].status = "Operation not supported";
  changed.ops_on_tpu = 7;
  const auto diffs = CompareWithPlan(plan, changed);
  ASSERT_EQ(diffs.size(), 2u);
  EXPECT_NE(diffs[0].find("7"), std::string::npos);
  EXPECT_NE(diffs[1].find("SOFTMAX"), std::string::npos);
}

// Summary lines in the compiler's stdout format (as printed by compiler 15/16), two co-compiled
// models.
const char kStdout[] =
    "Edge TPU Compiler version 16.0.384591198\n"
    "\n"
    "Models compiled successfully in 412 ms.\n"
    "\n"
    "Input model: a.tflite\n"
    "Input size: 467.59KiB\n"
    "Output model: out/a_edgetpu.tflite\n"
    "Output size: 782.73KiB\n"
    "On-chip memory used for caching model parameters: 553.62KiB\n"
    "On-chip memory remaining for caching model parameters: 7.43MiB\n"
    "Off-chip memory used for streaming uncached model parameters: 0.00B\n"
    "Number of Edge TPU subgraphs: 1\n"
    "Total number of operations: 31\n"
    "Operation log: out/a_edgetpu.log\n"
    "See the operation log file for individual operation details.\n"
    "\n"
    "Input model: b.tflite\n"
    "Input size: 1.33MiB\n"
    "Output model: out/b_edgetpu.tflite\n"
    "Output size: 1.66MiB\n"
    "On-chip memory used for caching model parameters: 1.41MiB\n"
    "On-chip memory remaining for caching model parameters: 6.02MiB\n"
    "Off-chip memory used for streaming uncached model parameters: 245.19KiB\n"
    "Number of Edge TPU subgraphs: 1\n"
    "Total number of operations: 72\n"
    "Operation log: out/b_edgetpu.log\n"
    "\n"
    "Model successfully compiled but not all operations are supported by the Edge TPU.\n"
    "Number of operations that will run on Edge TPU: 64\n"
    "Number of operations that will run on CPU: 8\n";

TEST(CompilerLog, ParsesSummaryBlocksPerModel) {
  const auto reports = ParseCompilerOutput(kStdout);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].compiler_version, "16.0.384591198");
  EXPECT_EQ(reports[0].input, "a.tflite");
  EXPECT_EQ(reports[0].cached_bytes, 566907);  // 553.62 KiB
  EXPECT_EQ(reports[0].streamed_bytes, 0);
  EXPECT_EQ(reports[0].remaining_bytes, ParseCompilerSize("7.43MiB"));
  EXPECT_EQ(reports[0].total_ops, 31);
  EXPECT_EQ(reports[0].tpu_subgraphs, 1);
  EXPECT_EQ(reports[0].log_file, "out/a_edgetpu.log");
  EXPECT_EQ(reports[1].compiler_version, "16.0.384591198");
  EXPECT_EQ(reports[1].streamed_bytes, ParseCompilerSize("245.19KiB"));
  EXPECT_EQ(reports[1].ops_on_tpu, 64);
  EXPECT_EQ(reports[1].ops_on_cpu, 8);
  EXPECT_EQ(ParseCompilerSize("0.00B"), 0);
  EXPECT_EQ(ParseCompilerSize("1.00MiB"), 1048576);
  EXPECT_EQ(ParseCompilerSize("12 parsecs"), -1);
  EXPECT_EQ(ParseCompilerSize(""), -1);
}

TEST(CompilerDriver, RunsAFakeCompilerAndReadsItsLog) {
  CAE_REQUIRE_FILE(Fixture("nrf20_mnist7.tflite"));
  CAE_REQUIRE_FILE(Fixture("nrf20_mnist7_edgetpu.log"));
  TempDir dir;
  // A stand-in edgetpu_compiler: checks its flags, writes the output model and the real log
  // under the names the real compiler uses, and prints a real-format summary.
  const std::string fake = dir.File("edgetpu_compiler");
  WriteText(fake,
            "#!/bin/sh\n"
            "out=.; model=\n"
            "while [ $# -gt 0 ]; do case \"$1\" in\n"
            "  -o) out=$2; shift 2;; -n|-m) echo \"flag $1 $2\"; shift 2;; -*) echo \"flag $1\"; shift;;\n"
            "  *) model=$1; shift;; esac; done\n"
            "name=$(basename \"$model\" .tflite)\n"
            "cp \"$model\" \"$out/${name}_edgetpu.tflite\"\n"
            "cp '" + Fixture("nrf20_mnist7_edgetpu.log") + "' \"$out/${name}_edgetpu.log\"\n"
            "echo 'Edge TPU Compiler version 15.0.340273435'\n"
            "echo\n"
            "echo \"Input model: $model\"\n"
            "echo \"Output model: $out/${name}_edgetpu.tflite\"\n"
            "echo 'On-chip memory used for caching model parameters: 1.58MiB'\n"
            "echo 'On-chip memory remaining for caching model parameters: 6.08MiB'\n"
            "echo 'Off-chip memory used for streaming uncached model parameters: 0.00B'\n"
            "echo 'Number of Edge TPU subgraphs: 1'\n"
            "echo 'Total number of operations: 8'\n"
            "echo \"Operation log: $out/${name}_edgetpu.log\"\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);

  EXPECT_EQ(FindCompiler(fake), fake);
  EXPECT_THROW(FindCompiler(dir.File("missing")), cae::Error);

  CompileOptions options;
  options.models = {Fixture("nrf20_mnist7.tflite")};
  options.out_dir = dir.File("out");
  options.min_runtime = 13;
  options.extra_flags = {"-s"};
  const CompileRun run = RunCompiler(fake, options);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("flag -m 13"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("flag -s"), std::string::npos) << run.output;
  EXPECT_TRUE(cae::testing::FileExists(dir.File("out/nrf20_mnist7_edgetpu.tflite")));
  ASSERT_EQ(run.reports.size(), 1u);
  const CompilerModelReport& r = run.reports[0];
  EXPECT_EQ(r.cached_bytes, ParseCompilerSize("1.58MiB"));
  EXPECT_EQ(r.total_ops, 8);
  ASSERT_EQ(r.op_table.size(), 5u);  // merged from the log file
  const ModelPlan plan = PlanModel(ReadTflite(Fixture("nrf20_mnist7.tflite")));
  EXPECT_TRUE(CompareWithPlan(plan, r).empty());
}

TEST(CompilerDriver, NonZeroExitIsReportedNotThrown) {
  TempDir dir;
  const std::string fake = dir.File("edgetpu_compiler");
  WriteText(fake, "#!/bin/sh\necho 'Invalid model: x.tflite'\nexit 1\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  CompileOptions options;
  options.models = {"x.tflite"};
  options.out_dir = dir.path();
  const CompileRun run = RunCompiler(fake, options);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.output.find("Invalid model"), std::string::npos);
}

TEST(CompilerDriver, ACrashIsReportedWithItsSignal) {
  TempDir dir;
  const std::string fake = dir.File("edgetpu_compiler");
  WriteText(fake, "#!/bin/sh\necho 'Edge TPU Compiler version 16.0.384591198'\nkill -SEGV $$\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  CompileOptions options;
  options.models = {"x.tflite"};
  options.out_dir = dir.path();
  const CompileRun run = RunCompiler(fake, options);
  EXPECT_EQ(run.exit_code, -1);
  EXPECT_EQ(run.signal, SIGSEGV);
  EXPECT_NE(run.output.find("Edge TPU Compiler version"), std::string::npos);
}

// A compiler that writes without end (here a report, then 40 MiB, and a 40 MiB log the report
// names) is kept to the first kMaxCompilerText bytes of each, marked truncated, and still run to
// its exit.
TEST(CompilerDriver, OutputAndLogAreReadUpToABound) {
  TempDir dir;
  const std::string fake = dir.File("edgetpu_compiler");
  WriteText(fake, "#!/bin/sh\n"
                  "echo 'Input model: x.tflite'\necho 'Total number of operations: 8'\n"
                  "head -c 41943040 /dev/zero | tr '\\0' 'x' > \"$2/x_edgetpu.log\"\n"
                  "echo \"Operation log: $2/x_edgetpu.log\"\n"
                  "head -c 41943040 /dev/zero | tr '\\0' 'x'\nexit 3\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  CompileOptions options;
  options.models = {"x.tflite"};
  options.out_dir = dir.path();
  const CompileRun run = RunCompiler(fake, options);
  EXPECT_EQ(run.exit_code, 3);  // the exit status, after the whole output was drained
  EXPECT_EQ(run.output.size(), kMaxCompilerText);
  EXPECT_TRUE(run.output_truncated);
  EXPECT_EQ(run.output.find("Total number of operations: 8"), run.output.find('\n') + 1);
  ASSERT_EQ(run.reports.size(), 1u);
  EXPECT_EQ(run.reports[0].total_ops, 8);
}

TEST(CompilerLog, AReportWithoutFiguresIsNotAgreement) {
  CAE_REQUIRE_FILE(Fixture("nrf20_mnist7.tflite"));
  const ModelPlan plan = PlanModel(ReadTflite(Fixture("nrf20_mnist7.tflite")));
  CompilerModelReport unknown;  // e.g. "Total number of operations: 99999999999999999999999"
  unknown.compiler_version = "16.0.384591198";
  const std::vector<std::string> diffs = CompareWithPlan(plan, unknown);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0], "the compiler's report has none of the figures the plan is compared on");
}

}  // namespace
}  // namespace cae::edgetpu
