// The CLI's contract: --help everywhere, --version, one-line errors with exit status 1 (2 for
// usage mistakes).
#include <gtest/gtest.h>

#include "cli_helpers.h"

namespace cae::testing {
namespace {

TEST(CliBasics, VersionAndHelp) {
  CAE_REQUIRE_BINARY();
  const CommandResult v = Cli("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.output, "cae2tpu " CAE_VERSION "\n");
  const CommandResult h = Cli("--help");
  EXPECT_EQ(h.exit_code, 0);
  for (const char* sub : {"inspect", "run", "compare", "demo"}) {
    EXPECT_NE(h.output.find(sub), std::string::npos) << sub;
    const CommandResult sh = Cli(std::string(sub) + " --help");
    EXPECT_EQ(sh.exit_code, 0) << sub;
    EXPECT_NE(sh.output.find("--help"), std::string::npos) << sub;
  }
}

TEST(CliBasics, UsageMistakesExitTwoWithOneLine) {
  CAE_REQUIRE_BINARY();
  for (const char* args : {"", "frobnicate", "run", "run model.h5 --input x.npy", "inspect a b c --bogus",
                           "run m.h5 -i x.npy -o y.npy --batch 0"}) {
    const CommandResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    const auto lines = Lines(r.output);
    ASSERT_EQ(lines.size(), 1u) << args << "\n" << r.output;
    EXPECT_EQ(lines[0].rfind("cae2tpu: error: ", 0), 0u) << lines[0];
  }
  // The message names an unknown subcommand, and the help hint is the deepest subcommand's.
  const CommandResult unknown = Cli("frobnicate");
  EXPECT_NE(unknown.output.find("unknown subcommand 'frobnicate' (inspect, run,"), std::string::npos)
      << unknown.output;
  // Also after a global flag, and under a command that has subcommands.
  const CommandResult quiet = Cli("--quiet frobnicate");
  EXPECT_NE(quiet.output.find("unknown subcommand 'frobnicate' (inspect, run,"), std::string::npos) << quiet.output;
  for (const char* args : {"edgetpu frobnicate", "--quiet edgetpu -q frobnicate"}) {
    const CommandResult nested = Cli(args);
    EXPECT_EQ(nested.exit_code, 2) << nested.output;
    EXPECT_NE(nested.output.find("unknown subcommand 'frobnicate' of edgetpu (plan, compile, segment) (see: "
                                 "cae2tpu edgetpu --help)"),
              std::string::npos)
        << args << "\n" << nested.output;
  }
  const CommandResult plan = Cli("edgetpu plan");
  EXPECT_NE(plan.output.find("(see: cae2tpu edgetpu plan --help)"), std::string::npos) << plan.output;
}

// A report or --json that cannot be written (a full disk: /dev/full) fails with exit status 1.
TEST(CliBasics, OutputThatCannotBeWrittenIsAFailure) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE("/dev/full");
  const std::string model = SharedPath("fixtures/keras/MilesWQ__conv_autoencoder.h5");
  CAE_REQUIRE_FILE(model);
  for (const char* args : {"inspect --json ", "edgetpu plan "}) {
    // stdout to /dev/full, stderr to the captured output.
    const CommandResult r = RunCommand("{ " + Q(Cae2tpu()) + " " + args + Q(model) + " 2>&3 >/dev/full; } 3>&1");
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.output;
    EXPECT_EQ(r.output.rfind("cae2tpu: error: standard output: write failed", 0), 0u) << r.output;
  }
}

}  // namespace
}  // namespace cae::testing
