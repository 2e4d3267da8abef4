// `cae2tpu run SEG1 SEG2 --pipeline`: segments written by `edgetpu segment` run as a pipeline and
// give the whole model's output byte for byte.
#include <gtest/gtest.h>

#include "cli_helpers.h"

namespace cae::testing {
namespace {

TEST(CliPipeline, SegmentsRunAsAPipelineEqualTheWholeModel) {
  CAE_REQUIRE_BINARY();
  const std::string model = SharedPath("fixtures/coral/mobilenet_v1_0.25_128_quant.tflite");
  const std::string bird = SharedPath("fixtures/coral/bird.bmp");
  CAE_REQUIRE_FILE(model);
  CAE_REQUIRE_FILE(bird);
  TempDir dir;
  CommandResult r = Cli("edgetpu segment " + Q(model) + " --num-segments 3 -o " + Q(dir.path()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string seg = dir.File("mobilenet_v1_0.25_128_quant_segment_");
  r = Cli("run " + Q(model) + " --input " + Q(bird) + " --resize 128x128 --raw -o " + Q(dir.File("whole.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Cli("run " + Q(seg + "0_of_3.tflite") + " " + Q(seg + "1_of_3.tflite") + " " + Q(seg + "2_of_3.tflite") +
          " --pipeline --input " + Q(bird) + " --resize 128x128 --raw -o " + Q(dir.File("pipe.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadBytes(dir.File("whole.npy")), ReadBytes(dir.File("pipe.npy")));
  // Several models without --pipeline are a usage error.
  r = Cli("run " + Q(seg + "0_of_3.tflite") + " " + Q(seg + "1_of_3.tflite") + " --input " + Q(bird) + " -o " +
          Q(dir.File("x.npy")));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_FALSE(FileExists(dir.File("x.npy")));
}

}  // namespace
}  // namespace cae::testing
