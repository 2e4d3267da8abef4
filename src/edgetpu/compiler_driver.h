// Running the real edgetpu_compiler (when installed) and collecting what it reports.
#pragma once

#include <string>
#include <vector>

#include "edgetpu/compiler_log.h"

namespace cae::edgetpu {

// How to get the compiler, for the message shown when it is missing.
inline constexpr const char* kCompilerInstallHint =
    "edgetpu_compiler is not installed. It runs on x86-64 Linux only; install it from Coral's apt "
    "repository:\n"
    "  curl https://packages.cloud.google.com/apt/doc/apt-key.gpg | sudo apt-key add -\n"
    "  echo \"deb https://packages.cloud.google.com/apt coral-edgetpu-stable main\" | "
    "sudo tee /etc/apt/sources.list.d/coral-edgetpu.list\n"
    "  sudo apt-get update && sudo apt-get install edgetpu-compiler\n"
    "or pass its path with --compiler PATH.";

struct CompileOptions {
  std::vector<std::string> models;  // co-compiled in this order
  std::string out_dir = ".";
  int num_segments = 0;  // -n, when > 1
  int min_runtime = 0;   // -m, when > 0
  std::vector<std::string> extra_flags;
};

// The most the driver keeps of the compiler's output and reads of each log file: a real report
// is a few KiB, so a bigger one is cut there instead of filling memory.
inline constexpr size_t kMaxCompilerText = size_t{16} << 20;

struct CompileRun {
  std::vector<std::string> argv;  // the command that ran
  int exit_code = -1;  // -1 when it did not exit by itself (see signal)
  int signal = 0;      // the signal that ended it (e.g. SIGSEGV), 0 when it exited
  std::string output;  // stdout and stderr, the first kMaxCompilerText bytes
  bool output_truncated = false;  // the compiler wrote more (the rest was read and dropped)
  // One per model the compiler reported, with the op table of its log file merged in.
  std::vector<CompilerModelReport> reports;
};

// The compiler to run: explicit_path when given (must be an executable file, else cae::Error),
// otherwise `edgetpu_compiler` found on PATH; empty when there is none.
std::string FindCompiler(const std::string& explicit_path);

// Runs compiler with the options (no shell involved), waits, parses its output and the log files
// it names in out_dir. Throws cae::Error when it cannot be started; a non-zero exit is reported in
// exit_code, not thrown.
CompileRun RunCompiler(const std::string& compiler, const CompileOptions& options);

}  // namespace cae::edgetpu
