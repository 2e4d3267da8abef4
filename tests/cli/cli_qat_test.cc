// `train --qat` then `convert --quant int8` without calibration data, checked by the real TFLite
// runtime; the usage rules around them.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "data/npy.h"

namespace cae::testing {
namespace {

using nlohmann::json;

// n 28x28x1 images in [0, 1]: smooth stripes, a different frequency per image.
TensorData Stripes(int n) {
  TensorData t(DType::kFloat32, {n, 28, 28, 1});
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    const int64_t s = i / 784, y = (i / 28) % 28, x = i % 28;
    t.as<float>()[i] = 0.5f + 0.45f * std::sin(0.2f * static_cast<float>((1 + s % 5) * x + y));
  }
  return t;
}

TEST(CliQat, TrainedRangesReplaceCalibrationAndTheTfliteRuntimeAgrees) {
  CAE_REQUIRE_BINARY();
  TempDir dir;
  const TensorData x = Stripes(64);
  const std::string data = dir.File("x.npy"), fl = dir.File("float.h5"), qat = dir.File("qat.h5");
  WriteNpy(data, x);
  ASSERT_EQ(Cli("train --arch cae --filters 8,4,4 --data " + Q(data) +
                " --epochs 1 --batch-size 16 --quiet -o " + Q(fl)).exit_code, 0);
  const json t = ParseJson(Cli("train --init " + Q(fl) + " --qat --data " + Q(data) +
                             " --epochs 1 --batch-size 16 --json -o " + Q(qat)));
  EXPECT_EQ(t["qat"]["activations"], 15);  // input, 7 convs, 3 pools, 3 resizes, the sigmoid
  EXPECT_EQ(t["qat"]["not_simulated"].size(), 0u);
  // No --calib: the ranges come from the training.
  const std::string tfl = dir.File("qat_uint8.tflite");
  const json c = ParseJson(Cli("convert " + Q(qat) + " --quant int8 --io uint8 --json -o " + Q(tfl)));
  EXPECT_EQ(c["calibration_samples"], 0);
  EXPECT_EQ(c["qat_ranges_used"], c["activations_quantized"]);
  EXPECT_GT(c["qat_ranges_used"].get<int>(), 10);
  // The real runtime runs it (uint8 pixels in) to the same bytes as our interpreter.
  CAE_REQUIRE_ORACLE();
  TensorData bytes(DType::kUInt8, {64, 28, 28, 1});
  for (int64_t i = 0; i < x.num_elements(); ++i)
    bytes.as<uint8_t>()[i] = static_cast<uint8_t>(std::lround(x.as<float>()[i] * 255.0f));
  WriteNpy(dir.File("x_u8.npy"), bytes);
  WriteBytes(dir.File("x_u8.bin"), bytes.bytes);
  const CommandResult ours = Cli("run " + Q(tfl) + " -i " + Q(dir.File("x_u8.npy")) + " -o " +
                                 Q(dir.File("y.npy")) + " --raw --quiet");
  ASSERT_EQ(ours.exit_code, 0) << ours.output;
  const TensorData y = ReadNpy(dir.File("y.npy"));
  const OracleRun oracle = RunOracle(tfl, {dir.File("x_u8.bin")}, {"--no-xnnpack"}, 64);
  ASSERT_EQ(oracle.exit_code, 0) << oracle.json;
  ASSERT_EQ(oracle.outputs.size(), 1u);
  EXPECT_EQ(oracle.outputs[0], y.bytes);
}

TEST(CliQat, UsageRules) {
  CAE_REQUIRE_BINARY();
  TempDir dir;
  const std::string data = dir.File("x.npy"), fl = dir.File("float.h5"), qat = dir.File("qat.h5");
  WriteNpy(data, Stripes(16));
  // --per-tensor belongs to --qat.
  CommandResult r = Cli("train --arch cae --filters 4,4,4 --data " + Q(data) +
                        " --epochs 1 --per-tensor -o " + Q(fl));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--per-tensor is used only with --qat"), std::string::npos) << r.output;
  ASSERT_EQ(Cli("train --arch cae --filters 4,4,4 --data " + Q(data) + " --epochs 1 --quiet -o " +
                Q(fl)).exit_code, 0);
  // A float model still needs calibration data for int8.
  r = Cli("convert " + Q(fl) + " --quant int8 -o " + Q(dir.File("f.tflite")));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--calib"), std::string::npos) << r.output;
  // Trained per-tensor, converted per-channel: a warning says the rounding differs.
  ASSERT_EQ(Cli("train --init " + Q(fl) + " --qat --per-tensor --data " + Q(data) +
                " --epochs 1 --quiet -o " + Q(qat)).exit_code, 0);
  r = Cli("convert " + Q(qat) + " --quant int8 -o " + Q(dir.File("q.tflite")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: " + qat + ": trained (--qat) for per-tensor weights"),
            std::string::npos) << r.output;
  EXPECT_NE(r.output.find("activations from quantization-aware training"), std::string::npos)
      << r.output;
  // Training the QAT model again without --qat drops its (now stale) ranges.
  const std::string again = dir.File("again.h5");
  r = Cli("train --init " + Q(qat) + " --data " + Q(data) + " --epochs 1 -o " + Q(again));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("without --qat drops them"), std::string::npos) << r.output;
  r = Cli("convert " + Q(again) + " --quant int8 -o " + Q(dir.File("a.tflite")));
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace cae::testing
