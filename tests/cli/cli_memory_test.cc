// Peak memory of `cae2tpu run` stays bounded (issue 7): on the 10,000 Fashion-MNIST test images
// the child's peak RSS (wait4 rusage) is at most input + output bytes + 64 MiB, for one call of
// 10,000 images and for 10,000 calls of one image, float32 and int8 models. Memory, not timing.
// Heavy: skipped under the sanitizers (their shadow memory is not the program's).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "cli_helpers.h"

namespace cae::testing {
namespace {

constexpr const char* kTestImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
constexpr const char* kTrainImages = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

struct ChildRun {
  int exit_code = -1;
  int64_t max_rss_bytes = 0;
};

// Runs `sh -c command` (stdout/stderr to /dev/null) and returns its exit code and peak RSS.
ChildRun RunMeasured(const std::string& command) {
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", (command + " >/dev/null 2>&1").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ChildRun r;
  int status = 0;
  struct rusage usage {};
  if (pid < 0 || wait4(pid, &status, 0, &usage) != pid) return r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.max_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;  // kilobytes on Linux
  return r;
}

void ExpectBoundedRun(const std::string& model, int batch, const std::string& out) {
  const ChildRun r = RunMeasured("exec " + Q(Cae2tpu()) + " run " + Q(model) + " -i " + Q(kTestImages) + " -o " +
                                 Q(out) + " --batch " + std::to_string(batch) + " --threads 2 --quiet");
  ASSERT_EQ(r.exit_code, 0) << model << " --batch " << batch;
  const int64_t io_bytes = 2 * int64_t{10000} * 28 * 28 * 4;  // float32 input and output
  const int64_t bound = io_bytes + (int64_t{64} << 20);
  EXPECT_LE(r.max_rss_bytes, bound) << model << " --batch " << batch << ": peak RSS " << (r.max_rss_bytes >> 20)
                                    << " MiB, bound " << (bound >> 20) << " MiB";
  EXPECT_GT(r.max_rss_bytes, io_bytes) << "the data set must have been in memory";
}

TEST(CliMemory, RunOfTenThousandImagesStaysWithinInputOutputPlus64MiBHeavy) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(kTestImages);
  CAE_REQUIRE_FILE(kTrainImages);
  const std::string keras = SharedPath("fixtures/anchors/cae12785_fmnist.h5");
  CAE_REQUIRE_FILE(keras);
  TempDir dir;
  const std::string int8 = dir.path() + "/cae_int8.tflite";
  ASSERT_EQ(Cli("convert " + Q(keras) + " -o " + Q(int8) + " --quant int8 --io float32 --calib " + Q(kTrainImages) +
                " --calib-samples 100 --quiet")
                .exit_code,
            0);
  for (const std::string& model : {keras, int8}) {
    ExpectBoundedRun(model, 10000, dir.path() + "/out.npy");
    ExpectBoundedRun(model, 1, dir.path() + "/out.npy");
  }
}

}  // namespace
}  // namespace cae::testing
