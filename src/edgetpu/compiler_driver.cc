#include "edgetpu/compiler_driver.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "graph/error.h"

extern char** environ;

namespace cae::edgetpu {
namespace {

namespace fs = std::filesystem;

bool IsExecutableFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && access(path.c_str(), X_OK) == 0;
}

// The first kMaxCompilerText bytes of a file ("" when it cannot be read).
std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string text;
  char buf[65536];
  while (text.size() < kMaxCompilerText) {  // grows with the file, not to the bound at once
    in.read(buf, static_cast<std::streamsize>(std::min(sizeof(buf), kMaxCompilerText - text.size())));
    if (in.gcount() <= 0) break;
    text.append(buf, static_cast<size_t>(in.gcount()));
  }
  return text;
}

// Runs argv[0] with argv, stdout and stderr into one pipe, keeping the first kMaxCompilerText
// bytes in *output (*truncated when there were more); returns the exit status, or -1 with
// *signal set when a signal ended it.
int Spawn(const std::vector<std::string>& argv, std::string* output, bool* truncated, int* signal) {
  int fds[2];
  Check(pipe(fds) == 0, "edgetpu compile: cannot create a pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    Fail(argv[0], ": cannot start the compiler (error ", rc, ")");
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) {  // drained to the end: the child never blocks
    const size_t keep = std::min(static_cast<size_t>(n), kMaxCompilerText - output->size());
    output->append(buf, keep);
    if (keep < static_cast<size_t>(n)) *truncated = true;
  }
  close(fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  if (WIFSIGNALED(status)) *signal = WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string FindCompiler(const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    Check(IsExecutableFile(explicit_path), explicit_path,
          ": --compiler is not an executable file");
    return explicit_path;
  }
  const char* path = std::getenv("PATH");
  if (path == nullptr) return {};
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = (fs::path(dir) / "edgetpu_compiler").string();
    if (IsExecutableFile(candidate)) return candidate;
  }
  return {};
}

CompileRun RunCompiler(const std::string& compiler, const CompileOptions& options) {
  Check(!options.models.empty(), "edgetpu compile: no model given");
  CompileRun run;
  run.argv = {compiler, "-o", options.out_dir};
  if (options.num_segments > 1) {
    run.argv.push_back("-n");
    run.argv.push_back(std::to_string(options.num_segments));
  }
  if (options.min_runtime > 0) {
    run.argv.push_back("-m");
    run.argv.push_back(std::to_string(options.min_runtime));
  }
  run.argv.insert(run.argv.end(), options.extra_flags.begin(), options.extra_flags.end());
  run.argv.insert(run.argv.end(), options.models.begin(), options.models.end());

  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  run.exit_code = Spawn(run.argv, &run.output, &run.output_truncated, &run.signal);
  run.reports = ParseCompilerOutput(run.output);

  // Log files: the one each report names, else NAME_edgetpu.log beside the output.
  for (size_t i = 0; i < run.reports.size(); ++i) {
    CompilerModelReport& r = run.reports[i];
    std::string log_name = r.log_file;
    if (log_name.empty() && i < options.models.size()) {
      log_name = fs::path(options.models[i]).stem().string() + "_edgetpu.log";
    }
    if (log_name.empty()) continue;
    const std::string text = ReadText((fs::path(options.out_dir) / fs::path(log_name).filename()).string());
    if (text.empty()) continue;
    const std::vector<CompilerModelReport> logs = ParseCompilerOutput(text);
    if (!logs.empty()) MergeLog(logs.front(), &r);
  }
  return run;
}

}  // namespace cae::edgetpu
