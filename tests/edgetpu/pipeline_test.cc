// The pipelined chain of segments gives, item by item, the whole model's outputs.
#include <map>
#include <string>
#include <vector>

#include "edgetpu/pipeline.h"
#include "edgetpu/segment.h"
#include "graph/error.h"
#include "runtime/interpreter.h"
#include "support/fixtures.h"
#include "tflite/reader.h"

namespace cae::edgetpu {
namespace {

TEST(Pipeline, ItemsThroughThreeStagesEqualTheWholeModel) {
  const std::string path = cae::testing::SharedPath("fixtures/edgetpu/mobilenet_v1_0.25_128_quant.tflite");
  CAE_REQUIRE_FILE(path);
  const Model model = ReadTflite(path);
  const Tensor& in = model.main().tensors[model.main().inputs[0]];
  const Tensor& out = model.main().tensors[model.main().outputs[0]];
  Interpreter whole(model);

  std::vector<std::map<std::string, TensorData>> items;
  std::vector<TensorData> expected;
  for (int i = 0; i < 4; ++i) {
    TensorData image(in.type, in.shape);
    for (size_t b = 0; b < image.bytes.size(); ++b) image.bytes[b] = static_cast<uint8_t>(b * (i + 3) + i);
    items.push_back({{in.name, image}});
    expected.push_back(whole.Run({image}).at(0));
  }
  const std::vector<Model> segs = SplitModel(model, PlanSegments(model, 3));
  const auto results = RunPipeline(segs, items, 1);
  ASSERT_EQ(results.size(), items.size());
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].count(out.name)) << i;
    EXPECT_EQ(results[i].at(out.name).bytes, expected[i].bytes) << i;
  }
  // A missing input is an error, not a hang.
  std::vector<std::map<std::string, TensorData>> bad = {{{"not_the_input", items[0].at(in.name)}}};
  EXPECT_THROW(RunPipeline(segs, bad, 1), Error);
}

// Segments out of order are refused before any item runs, naming the segment's file and input.
TEST(Pipeline, ChainIsCheckedFirstNamingTheSegmentFile) {
  const std::string path = cae::testing::SharedPath("fixtures/edgetpu/mobilenet_v1_0.25_128_quant.tflite");
  CAE_REQUIRE_FILE(path);
  const Model model = ReadTflite(path);
  const Tensor& in = model.main().tensors[model.main().inputs[0]];
  std::vector<Model> segs = SplitModel(model, PlanSegments(model, 3));
  for (size_t k = 0; k < segs.size(); ++k) segs[k].source = "seg" + std::to_string(k) + ".tflite";
  std::swap(segs[1], segs[2]);
  const std::vector<std::map<std::string, TensorData>> items = {{{in.name, TensorData(in.type, in.shape)}}};
  try {
    RunPipeline(segs, items, 1);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string expected = "pipeline: segment 1 (seg2.tflite) input '" +
                                 segs[1].main().tensors[segs[1].main().inputs[0]].name +
                                 "' is neither an input of the data nor an output of an earlier segment";
    EXPECT_EQ(std::string(e.what()).rfind(expected, 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace cae::edgetpu
