// cae2tpu: the command-line entry point. Registers one subcommand per cmd_<name>.cc (commands.h),
// parses, and turns every failure into one line "cae2tpu: error: <message>" on stderr with exit
// status 1 (2 for usage mistakes).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <new>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "graph/error.h"

namespace {

int ErrorExit(const char* message, int status) {
  std::fflush(stdout);
  std::fprintf(stderr, "cae2tpu: error: %s\n", message);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cae2tpu: convolutional autoencoders from Keras to TFLite int8 and the Coral Edge TPU"};
  app.name("cae2tpu");
  app.set_version_flag("--version", "cae2tpu " CAE_VERSION);
  app.add_flag("-q,--quiet", cae::cli::Globals().quiet, "No progress output");
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the subcommand

  // One line per subcommand (see commands.h).
  cae::cli::AddInspectCommand(app);
  cae::cli::AddRunCommand(app);
  cae::cli::AddCompareCommand(app);
  cae::cli::AddDemoCommand(app);
  cae::cli::AddTrainCommand(app);
  cae::cli::AddEdgetpuCommand(app);
  cae::cli::AddConvertCommand(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    // The deepest subcommand given ("edgetpu plan"), for the help hint.
    std::string path;
    for (const CLI::App* sub = &app; !sub->get_subcommands().empty();) {
      sub = sub->get_subcommands().front();
      path += " " + sub->get_name();
    }
    if (path.empty() && argc > 1 && argv[1][0] != '-') {
      std::string names;
      for (const CLI::App* sub : app.get_subcommands({}))
        names += (names.empty() ? "" : ", ") + sub->get_name();
      msg = "unknown subcommand '" + std::string(argv[1]) + "' (" + names + ")";
    }
    msg += " (see: cae2tpu" + path + " --help)";
    return ErrorExit(msg.c_str(), 2);
  } catch (const cae::cli::UsageError& e) {
    return ErrorExit(e.what(), 2);
  } catch (const cae::Error& e) {
    return ErrorExit(e.what(), 1);
  } catch (const std::bad_alloc&) {
    return ErrorExit("out of memory", 1);
  } catch (const std::exception& e) {
    return ErrorExit(e.what(), 1);
  }
  return 0;
}
