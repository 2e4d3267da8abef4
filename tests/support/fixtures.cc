#include "support/fixtures.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

std::vector<uint8_t> ReadMaskBmp(const std::string& path, int* w, int* h) {
  const std::vector<uint8_t> b = ReadBytes(path);
  auto u32 = [&](size_t o) { return uint32_t(b[o]) | uint32_t(b[o + 1]) << 8 | uint32_t(b[o + 2]) << 16 | uint32_t(b[o + 3]) << 24; };
  if (b.size() < 54 || b[0] != 'B' || b[1] != 'M' || (b[28] | b[29] << 8) != 8) return {};
  const uint32_t off = u32(10);
  const int32_t width = static_cast<int32_t>(u32(18)), height = static_cast<int32_t>(u32(22));
  const int32_t rows = std::abs(height);
  const size_t stride = (static_cast<size_t>(width) + 3) / 4 * 4;
  if (width <= 0 || off + stride * rows > b.size()) return {};
  std::vector<uint8_t> m(static_cast<size_t>(width) * rows);
  for (int32_t y = 0; y < rows; ++y) {
    const size_t src = off + stride * static_cast<size_t>(height > 0 ? rows - 1 - y : y);
    std::memcpy(&m[static_cast<size_t>(y) * width], &b[src], static_cast<size_t>(width));
  }
  *w = width;
  *h = rows;
  return m;
}


}  // namespace cae::testing
