// Helpers shared by the test suites: where the fixtures are, temporary folders, raw files, and the
// real TFLite runtime (../shared/tools/tflite-oracle) as a reference.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cae::testing {

// Absolute path of a file under ../shared (e.g. "fixtures/keras/MilesWQ__conv_autoencoder.h5").
std::string SharedPath(const std::string& relative);
// Absolute path of a file in the build tree (e.g. "cae2tpu").
std::string BinaryPath(const std::string& relative);
bool FileExists(const std::string& path);

// Skips the current test with a clear message when a fixture is absent.
#define CAE_REQUIRE_FILE(path)                                              \
  do {                                                                      \
    if (!::cae::testing::FileExists(path)) GTEST_SKIP() << "fixture missing: " << (path); \
  } while (0)

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<uint8_t> ReadBytes(const std::string& path);
void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes);
// Class ids of an 8-bit palettized BMP label mask (the palette index is the class), row-major
// top to bottom; empty if the file is not such a BMP. Independent of the product's image code.
std::vector<uint8_t> ReadMaskBmp(const std::string& path, int* w, int* h);
void WriteText(const std::string& path, const std::string& text);

// Result of running a shell command: exit status and captured stdout+stderr.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::string& command);

// The real TFLite runtime. Available when node is on PATH and the oracle script exists.
bool OracleAvailable();
#define CAE_REQUIRE_ORACLE()                                                      \
  do {                                                                            \
    if (!::cae::testing::OracleAvailable()) GTEST_SKIP() << "tflite-oracle (node) not available"; \
  } while (0)

struct OracleRun {
  int exit_code = -1;
  std::string json;                          // the oracle's stdout (one JSON object)
  std::vector<std::vector<uint8_t>> outputs;  // raw bytes of output<i>.bin
};
// Runs the oracle on model with the given raw input files (one per model input; may be empty to
// let the oracle fill inputs itself) and extra flags (e.g. {"--no-xnnpack"}); records > 1 feeds
// that many inputs per file. Outputs are read from a private folder.
OracleRun RunOracle(const std::string& model, const std::vector<std::string>& input_files,
                    const std::vector<std::string>& flags = {"--no-xnnpack"}, int records = 1);

}  // namespace cae::testing
