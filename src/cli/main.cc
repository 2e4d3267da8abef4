// cae2tpu: the command-line entry point. Registers one subcommand per cmd_<name>.cc (commands.h),
// parses, and turns every failure into one line "cae2tpu: error: <message>" on stderr with exit
// status 1 (2 for usage mistakes).
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>
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
    std::vector<std::string> given;  // the subcommands' names, outermost first
    const CLI::App* deepest = &app;
    while (!deepest->get_subcommands().empty()) {
      deepest = deepest->get_subcommands().front();
      given.push_back(deepest->get_name());
      path += " " + deepest->get_name();
    }
    // An unknown word where the deepest command expects one of its subcommands ("cae2tpu bogus",
    // "cae2tpu --quiet edgetpu bogus"): the first argument that is neither a flag nor one of the
    // given names (commands with subcommands take no options with values). Name it and the choices.
    const std::vector<const CLI::App*> choices = deepest->get_subcommands({});
    std::string word;
    for (int i = 1, k = 0; i < argc && !choices.empty(); ++i) {
      const std::string a = argv[i];
      if (a.empty() || a[0] == '-') continue;
      if (k < static_cast<int>(given.size()) && a == given[k]) {
        ++k;
        continue;
      }
      word = a;
      break;
    }
    if (!word.empty()) {
      std::string names;
      for (const CLI::App* sub : choices) names += (names.empty() ? "" : ", ") + sub->get_name();
      msg = "unknown subcommand '" + word + "'" + (path.empty() ? "" : " of" + path) + " (" + names + ")";
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
  // What a command printed (a report, --json) and could not write, e.g. to a full disk, is a
  // failure: the caller would otherwise take the missing output for success.
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    const std::string msg = std::string("standard output: write failed") + (errno ? ": " : "") +
                            (errno ? std::strerror(errno) : "");
    return ErrorExit(msg.c_str(), 1);
  }
  return 0;
}
