// Our planner and payload reader held to real edgetpu_compiler outputs: every pair X.tflite /
// X_edgetpu.tflite in shared/fixtures/edgetpu.
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "edgetpu/payload.h"
#include "edgetpu/planner.h"
#include "edgetpu/segment.h"
#include "graph/error.h"
#include "support/fixtures.h"
#include "tflite/reader.h"

namespace cae::edgetpu {
namespace {

using ::cae::testing::SharedPath;

std::string Fixture(const std::string& name) { return SharedPath("fixtures/edgetpu/" + name); }

struct Pair {
  std::string input;
  std::string compiled;
};

const std::vector<Pair>& Pairs() {
  static const std::vector<Pair> pairs = {
      {"deeplabv3_mnv2_dm05_pascal_quant.tflite", "deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite"},
      {"keras_lstm_mnist_ptq.tflite", "keras_lstm_mnist_ptq_edgetpu.tflite"},
      {"mobilenet_v1_0.25_128_quant.tflite", "mobilenet_v1_0.25_128_quant_edgetpu.tflite"},
      {"mobilenet_v1_0.25_128_quant.tflite",
       "mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite"},
      {"mobilenet_v1_0.5_160_quant.tflite", "mobilenet_v1_0.5_160_quant_edgetpu.tflite"},
      {"mobilenet_v1_0.5_160_quant.tflite",
       "mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite"},
      {"nrf20_mnist7.tflite", "nrf20_mnist7_edgetpu.tflite"},
      {"posenet_mobilenet_v1_075_353_481_16_quant_decoder.tflite",
       "posenet_mobilenet_v1_075_353_481_16_quant_decoder_edgetpu.tflite"},
  };
  return pairs;
}

// Names of the tensors written by ops the compiler left on the CPU.
std::set<std::string> CpuOutputNames(const EdgetpuInfo& info) {
  std::set<std::string> names;
  for (const CpuOpInfo& c : info.cpu_ops) names.insert(c.outputs.begin(), c.outputs.end());
  return names;
}

TEST(FixturePairs, PlanMatchesCompilerOpForOp) {
  for (const Pair& pair : Pairs()) {
    SCOPED_TRACE(pair.compiled);
    CAE_REQUIRE_FILE(Fixture(pair.input));
    CAE_REQUIRE_FILE(Fixture(pair.compiled));
    const Model input = ReadTflite(Fixture(pair.input));
    const Model compiled = ReadTflite(Fixture(pair.compiled));
    const std::optional<EdgetpuInfo> info = ReadEdgetpuInfo(compiled);
    ASSERT_TRUE(info.has_value());
    ASSERT_EQ(info->custom_ops.size(), 1u);
    const std::set<std::string> cpu_outputs = CpuOutputNames(*info);

    const ModelPlan plan = PlanModel(input);
    std::set<std::string> all_outputs;
    int mapped = 0;
    for (const OpPlan& p : plan.ops) {
      ASSERT_FALSE(p.outputs.empty());
      const bool on_cpu = cpu_outputs.count(p.outputs.front()) > 0;
      EXPECT_EQ(p.on_tpu, !on_cpu) << "op " << p.index << " " << p.op << ": " << p.reason << " "
                                   << p.detail;
      all_outputs.insert(p.outputs.begin(), p.outputs.end());
      mapped += !on_cpu;
    }
    // Every op the compiler left on the CPU is an op of the input model.
    for (const std::string& name : cpu_outputs) EXPECT_TRUE(all_outputs.count(name)) << name;
    EXPECT_EQ(plan.mapped, mapped);
    // The custom op's outputs are the planned region's outputs, by name.
    for (const std::string& name : info->custom_ops.front().outputs) {
      EXPECT_TRUE(all_outputs.count(name)) << name;
    }
  }
}

TEST(FixturePairs, ParameterEstimateWithinTwentyPercent) {
  int checked = 0;
  for (const Pair& pair : Pairs()) {
    SCOPED_TRACE(pair.compiled);
    CAE_REQUIRE_FILE(Fixture(pair.input));
    const ModelPlan plan = PlanModel(ReadTflite(Fixture(pair.input)));
    if (plan.raw_parameter_bytes < 100 * 1000) continue;
    const std::optional<EdgetpuInfo> info = ReadEdgetpuInfo(ReadTflite(Fixture(pair.compiled)));
    ASSERT_TRUE(info.has_value());
    const double real = static_cast<double>(info->cached_bytes + info->streamed_bytes);
    const double estimate = static_cast<double>(plan.cached_bytes + plan.streamed_bytes);
    EXPECT_NEAR(estimate / real, 1.0, 0.20) << "estimate " << estimate << " real " << real;
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

TEST(FixturePairs, PayloadReportsRealFigures) {
  struct Expect {
    std::string file;
    int64_t cached, streamed;
  };
  const std::vector<Expect> expects = {
      {"mobilenet_v1_0.25_128_quant_edgetpu.tflite", 566912, 0},
      {"mobilenet_v1_0.5_160_quant_edgetpu.tflite", 1473280, 0},
      {"deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite", 766720, 0},
  };
  for (const Expect& e : expects) {
    SCOPED_TRACE(e.file);
    CAE_REQUIRE_FILE(Fixture(e.file));
    const std::optional<EdgetpuInfo> info = ReadEdgetpuInfo(ReadTflite(Fixture(e.file)));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->cached_bytes, e.cached);
    EXPECT_EQ(info->streamed_bytes, e.streamed);
    EXPECT_GT(info->min_runtime_version, 0);
    ASSERT_EQ(info->custom_ops.size(), 1u);
    const PackageInfo& pkg = info->custom_ops.front().payload.package;
    ASSERT_EQ(pkg.executables.size(), 2u);
    EXPECT_NE(pkg.caching_token, 0u);
    for (const ExecutableInfo& x : pkg.executables) EXPECT_EQ(x.caching_token, pkg.caching_token);
  }
}

TEST(FixturePairs, DeeplabMapsSixtyFourOfSeventyTwo) {
  CAE_REQUIRE_FILE(Fixture("deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite"));
  const Model compiled = ReadTflite(Fixture("deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite"));
  const std::optional<EdgetpuInfo> info = ReadEdgetpuInfo(compiled);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->cpu_ops.size(), 8u);
  EXPECT_EQ(info->cpu_ops.front().op, "RESIZE_BILINEAR");

  const ModelPlan plan = PlanModel(ReadTflite(Fixture("deeplabv3_mnv2_dm05_pascal_quant.tflite")));
  EXPECT_EQ(plan.total, 72);
  EXPECT_EQ(plan.mapped, 64);
  EXPECT_EQ(plan.ops[64].op, "RESIZE_BILINEAR");
  EXPECT_EQ(plan.ops[64].status, Status::kUnspecifiedLimitation);
  EXPECT_NE(plan.ops[64].detail.find("conservative"), std::string::npos);
  EXPECT_EQ(plan.ops[66].status, Status::kMoreThanOneSubgraph);  // CONCATENATION after the cut
  EXPECT_EQ(plan.ops[71].status, Status::kNotSupported);         // ARG_MAX
  EXPECT_FALSE(plan.advice.empty());
}

// A compiled file's one edgetpu-custom-op is the TPU region, not an unsupported op: planning or
// splitting it again would report 0 mapped ops and advise replacing it.
TEST(FixturePairs, CompiledFilesAreRefusedByPlannerAndSegmenter) {
  for (const Pair& pair : Pairs()) {
    CAE_REQUIRE_FILE(Fixture(pair.compiled));
    Model compiled = ReadTflite(Fixture(pair.compiled));
    compiled.source = pair.compiled;
    for (int what = 0; what < 2; ++what) {
      try {
        if (what == 0) PlanModel(compiled);
        else PlanSegments(compiled, 1);
        ADD_FAILURE() << pair.compiled << " was not refused (" << what << ")";
      } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(pair.compiled + ": already compiled for the Edge TPU (op ", 0), 0u)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("is edgetpu-custom-op)"), std::string::npos) << e.what();
      }
    }
  }
}

TEST(FixturePairs, CoCompiledFilesAndSegmentsShareATokenAndKeepTotals) {
  const std::string a = "mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite";
  const std::string b = "mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite";
  const std::string s0 = "ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite";
  const std::string s1 = "ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite";
  for (const std::string& f : {a, b, s0, s1}) CAE_REQUIRE_FILE(Fixture(f));
  const auto ia = ReadEdgetpuInfo(ReadTflite(Fixture(a)));
  const auto ib = ReadEdgetpuInfo(ReadTflite(Fixture(b)));
  const auto i0 = ReadEdgetpuInfo(ReadTflite(Fixture(s0)));
  const auto i1 = ReadEdgetpuInfo(ReadTflite(Fixture(s1)));
  ASSERT_TRUE(ia && ib && i0 && i1);
  EXPECT_EQ(ia->caching_token, ib->caching_token);
  EXPECT_EQ(i0->caching_token, i1->caching_token);
  EXPECT_NE(ia->caching_token, i0->caching_token);
  // Co-compilation moves bytes between cached and streamed but keeps each model's total.
  EXPECT_EQ(ia->cached_bytes + ia->streamed_bytes, 566912);
  EXPECT_EQ(ib->cached_bytes + ib->streamed_bytes, 1473280);
  // The segments' CPU side: DEQUANTIZE and the detection post-processing after segment 1.
  EXPECT_TRUE(i0->cpu_ops.empty());
  ASSERT_FALSE(i1->cpu_ops.empty());
  EXPECT_EQ(i1->cpu_ops.back().op, "TFLite_Detection_PostProcess");
}

}  // namespace
}  // namespace cae::edgetpu
