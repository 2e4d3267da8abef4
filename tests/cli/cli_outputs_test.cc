// `run` outputs: several model outputs give OUT_0.npy, OUT_1.npy, ... in output order; an output
// never replaces the input data; the outputs are written all or none.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "cli_helpers.h"
#include "data/npy.h"
#include "graph/graph.h"
#include "tflite/writer.h"

namespace cae::testing {
namespace {

// input [1,4] -> LOGISTIC -> output 0, input -> RELU -> output 1.
Model TwoOutputModel() {
  Model m;
  m.subgraphs.emplace_back();
  Graph& g = m.main();
  auto tensor = [&](const std::string& name) {
    Tensor t;
    t.name = name;
    t.shape = {1, 4};
    return g.AddTensor(t);
  };
  const int in = tensor("x"), a = tensor("sigmoid"), b = tensor("relu");
  Op sig;
  sig.type = OpType::LOGISTIC;
  sig.inputs = {in};
  sig.outputs = {a};
  g.AddOp(sig);
  Op relu;
  relu.type = OpType::RELU;
  relu.inputs = {in};
  relu.outputs = {b};
  g.AddOp(relu);
  g.inputs = {in};
  g.outputs = {a, b};
  return m;
}

TEST(CliRun, SeveralOutputsGetNumberedFiles) {
  CAE_REQUIRE_BINARY();
  TempDir dir;
  WriteTflite(TwoOutputModel(), dir.File("two.tflite"));
  TensorData x(DType::kFloat32, {3, 4});
  for (int i = 0; i < 12; ++i) x.as<float>()[i] = static_cast<float>(i) - 6.0f;
  WriteNpy(dir.File("x.npy"), x);
  const CommandResult r = Cli("run " + Q(dir.File("two.tflite")) + " -i " + Q(dir.File("x.npy")) + " -o " +
                              Q(dir.File("y.npy")) + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(FileExists(dir.File("y.npy")));
  const TensorData s = ReadNpy(dir.File("y_0.npy"));
  const TensorData u = ReadNpy(dir.File("y_1.npy"));
  ASSERT_EQ(s.shape, (std::vector<int32_t>{3, 4}));
  ASSERT_EQ(u.shape, (std::vector<int32_t>{3, 4}));
  for (int i = 0; i < 12; ++i) {
    const float v = static_cast<float>(i) - 6.0f;
    EXPECT_NEAR(s.as<float>()[i], 1.0f / (1.0f + std::exp(-v)), 1e-6f);
    EXPECT_EQ(u.as<float>()[i], std::max(v, 0.0f));
  }
}

// An output that is the data file (by name, by a numbered name, or through a link) is refused
// before anything is written: the data stays as it was.
TEST(CliRun, OutputsNeverReplaceTheInputData) {
  CAE_REQUIRE_BINARY();
  TempDir dir;
  WriteTflite(TwoOutputModel(), dir.File("two.tflite"));
  TensorData x(DType::kFloat32, {3, 4});
  for (int i = 0; i < 12; ++i) x.as<float>()[i] = static_cast<float>(i);
  WriteNpy(dir.File("y_1.npy"), x);
  const std::vector<uint8_t> before = ReadBytes(dir.File("y_1.npy"));
  std::filesystem::create_symlink(dir.File("y_1.npy"), dir.File("link.npy"));
  for (const char* data : {"y_1.npy", "link.npy"}) {
    const CommandResult r = Cli("run " + Q(dir.File("two.tflite")) + " -i " + Q(dir.File(data)) + " -o " +
                                Q(dir.File("y.npy")));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("-o " + dir.File("y_1.npy") + " is the input data file " + dir.File(data)),
              std::string::npos)
        << r.output;
    EXPECT_EQ(ReadBytes(dir.File("y_1.npy")), before);
    EXPECT_FALSE(FileExists(dir.File("y_0.npy")));
  }
}

// An output that cannot be written leaves none of the others: a folder is refused before the run,
// a failed write (a link to /dev/full) removes the outputs written before it.
TEST(CliRun, FailedOutputLeavesNoOtherOutputs) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE("/dev/full");
  for (int blocker = 0; blocker < 2; ++blocker) {
    TempDir dir;
    WriteTflite(TwoOutputModel(), dir.File("two.tflite"));
    WriteNpy(dir.File("x.npy"), TensorData(DType::kFloat32, {3, 4}));
    if (blocker == 0) std::filesystem::create_directory(dir.File("y_1.npy"));
    else std::filesystem::create_symlink("/dev/full", dir.File("y_1.npy"));
    const CommandResult r = Cli("run " + Q(dir.File("two.tflite")) + " -i " + Q(dir.File("x.npy")) + " -o " +
                                Q(dir.File("y.npy")));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(dir.File("y_1.npy") + ": "), std::string::npos) << r.output;
    EXPECT_FALSE(FileExists(dir.File("y_0.npy"))) << blocker;
  }
}

// A model without outputs (valid TFLite) would run and write nothing: refused naming the model.
TEST(CliRun, ModelWithoutOutputsIsRefused) {
  CAE_REQUIRE_BINARY();
  TempDir dir;
  Model m = TwoOutputModel();
  m.main().outputs.clear();
  WriteTflite(m, dir.File("none.tflite"));
  WriteNpy(dir.File("x.npy"), TensorData(DType::kFloat32, {3, 4}));
  const CommandResult r = Cli("run " + Q(dir.File("none.tflite")) + " -i " + Q(dir.File("x.npy")) + " -o " +
                              Q(dir.File("y.npy")) + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output, "cae2tpu: error: " + dir.File("none.tflite") + ": model has no outputs, so there is nothing to write to " +
                          dir.File("y.npy") + "\n");
}

}  // namespace
}  // namespace cae::testing
