// Segments of a real model, chained, compute the whole model's outputs bit for bit: in the real
// TFLite runtime (oracle) and in our interpreter.
#include <filesystem>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "edgetpu/segment.h"
#include "graph/error.h"
#include "runtime/interpreter.h"
#include "support/fixtures.h"
#include "tflite/reader.h"

namespace cae::edgetpu {
namespace {

using ::cae::testing::ReadBytes;
using ::cae::testing::RunOracle;
using ::cae::testing::SharedPath;
using ::cae::testing::TempDir;
using ::cae::testing::WriteBytes;

const char kModel[] = "fixtures/edgetpu/mobilenet_v1_0.25_128_quant.tflite";

// A deterministic, non-trivial uint8 image of the model's input size.
std::vector<uint8_t> TestImage(size_t bytes) {
  std::vector<uint8_t> image(bytes);
  uint32_t x = 12345;
  for (uint8_t& b : image) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  return image;
}

TEST(Segment, CutsBalanceParametersAndKeepNames) {
  CAE_REQUIRE_FILE(SharedPath(kModel));
  const Model model = ReadTflite(SharedPath(kModel));
  for (int n : {2, 3, 4}) {
    SCOPED_TRACE(n);
    const SegmentPlan plan = PlanSegments(model, n);
    ASSERT_EQ(plan.cuts.size(), static_cast<size_t>(n - 1));
    ASSERT_EQ(plan.parameter_bytes.size(), static_cast<size_t>(n));
    const int64_t total = std::accumulate(plan.parameter_bytes.begin(), plan.parameter_bytes.end(),
                                          int64_t{0});
    for (int64_t b : plan.parameter_bytes) {
      // MobileNet's last 1x1 conv alone holds ~54% of the bytes: balance within reason.
      EXPECT_GT(b, 0);
      EXPECT_LT(b, total * 3 / 4 + 1);
    }
    const std::vector<Model> segs = SplitModel(model, plan);
    ASSERT_EQ(segs.size(), static_cast<size_t>(n));
    // Boundaries: each later segment's inputs are earlier segments' outputs, by name.
    std::map<std::string, int> available;
    for (int t : model.main().inputs) available[model.main().tensors[t].name] = 1;
    size_t ops = 0;
    for (const Model& s : segs) {
      for (int t : s.main().inputs) EXPECT_TRUE(available.count(s.main().tensors[t].name));
      for (int t : s.main().outputs) available[s.main().tensors[t].name] = 1;
      ops += s.main().ops.size();
    }
    EXPECT_EQ(ops, model.main().ops.size());
    const Graph& last = segs.back().main();
    ASSERT_EQ(last.outputs.size(), 1u);
    EXPECT_EQ(last.tensors[last.outputs[0]].name,
              model.main().tensors[model.main().outputs[0]].name);
  }
  EXPECT_THROW(PlanSegments(model, 0), Error);
  EXPECT_THROW(PlanSegments(model, 1000), Error);
}

// Runs the chain of segment files in the oracle, feeding tensors by name; returns the final
// outputs' bytes.
std::vector<std::vector<uint8_t>> RunChainInOracle(const std::vector<std::string>& paths,
                                                   const std::string& input_name,
                                                   const std::vector<uint8_t>& input,
                                                   const TempDir& dir) {
  std::map<std::string, std::vector<uint8_t>> values = {{input_name, input}};
  std::vector<std::vector<uint8_t>> last;
  for (size_t k = 0; k < paths.size(); ++k) {
    const Model seg = ReadTflite(paths[k]);
    std::vector<std::string> files;
    for (int t : seg.main().inputs) {
      const std::string& name = seg.main().tensors[t].name;
      EXPECT_TRUE(values.count(name)) << name;
      const std::string f = dir.File("in_" + std::to_string(k) + "_" + std::to_string(t) + ".bin");
      WriteBytes(f, values[name]);
      files.push_back(f);
    }
    const auto run = RunOracle(paths[k], files);
    EXPECT_EQ(run.exit_code, 0) << run.json;
    EXPECT_EQ(run.outputs.size(), seg.main().outputs.size());
    for (size_t i = 0; i < run.outputs.size() && i < seg.main().outputs.size(); ++i) {
      values[seg.main().tensors[seg.main().outputs[i]].name] = run.outputs[i];
    }
    last = run.outputs;
  }
  return last;
}

TEST(Segment, ChainEqualsWholeModelInTheOracleHeavy) {
  CAE_REQUIRE_FILE(SharedPath(kModel));
  CAE_REQUIRE_ORACLE();
  const Model model = ReadTflite(SharedPath(kModel));
  const Tensor& in = model.main().tensors[model.main().inputs[0]];
  const std::vector<uint8_t> image = TestImage(static_cast<size_t>(NumElements(in.shape)));
  TempDir dir;
  WriteBytes(dir.File("image.bin"), image);
  const auto whole = RunOracle(SharedPath(kModel), {dir.File("image.bin")});
  ASSERT_EQ(whole.exit_code, 0) << whole.json;
  ASSERT_EQ(whole.outputs.size(), 1u);

  for (int n : {2, 3}) {
    SCOPED_TRACE(n);
    const std::vector<std::string> paths = WriteSegments(model, n, dir.File("seg" + std::to_string(n)));
    ASSERT_EQ(paths.size(), static_cast<size_t>(n));
    const auto chained = RunChainInOracle(paths, in.name, image, dir);
    ASSERT_EQ(chained.size(), 1u);
    EXPECT_EQ(chained[0], whole.outputs[0]);
  }
}

TEST(Segment, ChainEqualsWholeModelInOurInterpreter) {
  CAE_REQUIRE_FILE(SharedPath(kModel));
  const Model model = ReadTflite(SharedPath(kModel));
  const Tensor& in = model.main().tensors[model.main().inputs[0]];
  TensorData image(in.type, in.shape);
  image.bytes = TestImage(image.bytes.size());

  Interpreter whole_interp(model);
  const std::vector<TensorData> whole = whole_interp.Run({image});
  ASSERT_EQ(whole.size(), 1u);

  const std::vector<Model> segs = SplitModel(model, PlanSegments(model, 3));
  std::map<std::string, TensorData> values = {{in.name, image}};
  std::vector<TensorData> last;
  for (const Model& s : segs) {
    std::vector<TensorData> inputs;
    for (int t : s.main().inputs) inputs.push_back(values.at(s.main().tensors[t].name));
    Interpreter interp(s);
    last = interp.Run(inputs);
    ASSERT_EQ(last.size(), s.main().outputs.size());
    for (size_t i = 0; i < last.size(); ++i) {
      values[s.main().tensors[s.main().outputs[i]].name] = last[i];
    }
  }
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].shape, whole[0].shape);
  EXPECT_EQ(last[0].bytes, whole[0].bytes);
}

// A segment path that cannot be written leaves no segment of this split behind: a folder is
// refused before writing, a failed write (a link to /dev/full) removes the segments before it.
TEST(Segment, WriteIsAllOrNone) {
  CAE_REQUIRE_FILE(SharedPath(kModel));
  CAE_REQUIRE_FILE("/dev/full");
  Model model = ReadTflite(SharedPath(kModel));
  model.source = "m.tflite";
  for (int blocker = 0; blocker < 2; ++blocker) {
    TempDir dir;
    const std::string second = dir.File("m_segment_1_of_2.tflite");
    if (blocker == 0) std::filesystem::create_directory(second);
    else std::filesystem::create_symlink("/dev/full", second);
    try {
      WriteSegments(model, 2, dir.path());
      ADD_FAILURE() << "no error (" << blocker << ")";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(second + ": ", 0), 0u) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir.File("m_segment_0_of_2.tflite"))) << blocker;
  }
}

TEST(Segment, AModelWithoutOpsIsNamedAsSuch) {
  Model m;
  m.subgraphs.emplace_back();
  Tensor t;
  t.shape = {1, 4};
  const int x = m.main().AddTensor(t);
  m.main().inputs = {x};
  m.main().outputs = {x};
  try {
    PlanSegments(m, 1);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model has no ops to split into segments"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cae::edgetpu
