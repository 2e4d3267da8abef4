#include "support/fixtures.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace cae::testing {

namespace fs = std::filesystem;

std::string SharedPath(const std::string& relative) {
  return fs::weakly_canonical(fs::path(CAE_SHARED_DIR) / relative).string();
}

std::string BinaryPath(const std::string& relative) {
  return (fs::path(CAE_BINARY_DIR) / relative).string();
}

bool FileExists(const std::string& path) { return fs::exists(path); }

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "cae2tpu_test_XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void WriteText(const std::string& path, const std::string& text) {
  WriteBytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool OracleAvailable() {
  static const bool available = FileExists(SharedPath("tools/tflite-oracle/oracle")) &&
                                RunCommand("command -v node").exit_code == 0;
  return available;
}

OracleRun RunOracle(const std::string& model, const std::vector<std::string>& input_files,
                    const std::vector<std::string>& flags, int records) {
  TempDir out;
  std::string cmd = "'" + SharedPath("tools/tflite-oracle/oracle") + "' '" + model + "'";
  if (!input_files.empty()) {
    cmd += " --in";
    for (const auto& f : input_files) cmd += " '" + f + "'";
  }
  if (records > 1) cmd += " --records " + std::to_string(records);
  cmd += " --out-dir '" + out.path() + "' --quiet";
  for (const auto& f : flags) cmd += " " + f;
  OracleRun run;
  FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return run;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) run.json.append(buf.data(), n);
  const int status = pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  for (int i = 0;; ++i) {
    const std::string f = out.File("output" + std::to_string(i) + ".bin");
    if (!FileExists(f)) break;
    run.outputs.push_back(ReadBytes(f));
  }
  return run;
}

}  // namespace cae::testing
