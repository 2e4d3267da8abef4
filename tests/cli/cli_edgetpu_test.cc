// `cae2tpu edgetpu` usage rules checked before the compiler runs.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_helpers.h"

namespace cae::testing {
namespace {

// The compiler reads TFLite files only: a Keras model is refused (exit 2) and never handed to it.
TEST(CliEdgetpu, CompileRefusesKerasFilesBeforeRunningTheCompiler) {
  CAE_REQUIRE_BINARY();
  const std::string model = SharedPath("fixtures/keras/MilesWQ__conv_autoencoder.h5");
  CAE_REQUIRE_FILE(model);
  TempDir dir;
  const std::string fake = dir.File("edgetpu_compiler");
  WriteText(fake, "#!/bin/sh\ntouch '" + dir.File("ran") + "'\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  const CommandResult r = Cli("edgetpu compile " + Q(model) + " -o " + Q(dir.File("out")) + " --compiler " + Q(fake));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(Lines(r.output).size(), 1u) << r.output;
  EXPECT_NE(r.output.find(model + ": edgetpu_compiler reads .tflite files, not Keras; convert it first"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(FileExists(dir.File("ran")));
}

}  // namespace
}  // namespace cae::testing
