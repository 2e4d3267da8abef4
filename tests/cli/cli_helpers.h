// Running the built cae2tpu binary from tests, and the ONNX Runtime anchor runner.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/fixtures.h"

namespace cae::testing {

// The binary under test; tests fail (not skip) when it was not built.
inline std::string Cae2tpu() { return BinaryPath("cae2tpu"); }
#define CAE_REQUIRE_BINARY()                                                                    \
  ASSERT_TRUE(::cae::testing::FileExists(::cae::testing::Cae2tpu()))                            \
      << "build the cae2tpu target first: " << ::cae::testing::Cae2tpu()

// Runs `cae2tpu ARGS` (args are shell words, quoted by the caller when needed).
inline CommandResult Cli(const std::string& args) { return RunCommand("'" + Cae2tpu() + "' " + args); }

// Single-quoted for the shell.
inline std::string Q(const std::string& s) { return "'" + s + "'"; }

// The JSON a command printed, with test failures when it exited non-zero or printed no JSON.
inline nlohmann::json ParseJson(const CommandResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.output;
  try {
    return nlohmann::json::parse(r.output);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON: " << e.what() << "\n" << r.output;
    return nlohmann::json::object();
  }
}

// Non-empty lines of text.
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

// Files in dir (names only, hidden ones included), sorted.
inline std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// A Sequential to_json() (for --arch-json) whose layer names and weight shapes fit HouYueJie's
// save_weights file, fixtures/keras/HouYueJie_CAE_Keras__autoencoder_weights_only.h5.
inline std::string HouYueJieArchJson() {
  using nlohmann::json;
  json layers = json::array({{{"class_name", "InputLayer"},
                              {"config", {{"batch_input_shape", {nullptr, 28, 28, 1}},
                                          {"dtype", "float32"}, {"name", "input_1"}}}}});
  auto conv = [&](const std::string& name, int filters, int stride, const std::string& cls,
                  const std::string& act) {
    layers.push_back({{"class_name", cls},
                      {"config", {{"name", name}, {"filters", filters}, {"kernel_size", {3, 3}},
                                  {"strides", {stride, stride}}, {"padding", "same"},
                                  {"activation", act}, {"use_bias", true}}}});
  };
  conv("conv2d", 32, 2, "Conv2D", "relu");
  conv("conv2d_1", 16, 2, "Conv2D", "relu");
  conv("conv2d_2", 8, 1, "Conv2D", "relu");
  conv("conv2d_3", 2, 1, "Conv2D", "relu");
  conv("conv2d_transpose", 2, 1, "Conv2DTranspose", "relu");
  conv("conv2d_transpose_1", 8, 1, "Conv2DTranspose", "relu");
  conv("conv2d_transpose_2", 16, 2, "Conv2DTranspose", "relu");
  conv("conv2d_transpose_3", 32, 2, "Conv2DTranspose", "relu");
  conv("conv2d_transpose_4", 1, 1, "Conv2DTranspose", "sigmoid");
  return json({{"class_name", "Sequential"},
               {"config", {{"name", "cae"}, {"layers", layers}}},
               {"keras_version", "2.3.0-tf"},
               {"backend", "tensorflow"}})
      .dump();
}

// ONNX Runtime through node (tests/tools/onnx_run.mjs); available once tests/tools/onnx_setup.sh
// installed it into CAE_ONNX_HOME (default ~/.cache/cae2tpu-onnxruntime).
inline std::string OnnxHome() {
  if (const char* h = std::getenv("CAE_ONNX_HOME")) return h;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  return (xdg ? std::string(xdg) : std::string(home ? home : "/root") + "/.cache") + "/cae2tpu-onnxruntime";
}
inline bool OnnxAvailable() {
  static const bool ok = FileExists(OnnxHome() + "/node_modules/onnxruntime-node/package.json") &&
                         RunCommand("command -v node").exit_code == 0;
  return ok;
}
#define CAE_REQUIRE_ONNX()                                                                            \
  do {                                                                                                \
    if (!::cae::testing::OnnxAvailable())                                                             \
      GTEST_SKIP() << "onnxruntime-node not installed (run tests/tools/onnx_setup.sh or ./run test)"; \
  } while (0)

// Runs an ONNX model on a raw float32 input of shape dims; returns output 0's raw bytes (empty on
// failure, with the runner's messages in *log).
inline std::vector<uint8_t> RunOnnx(const std::string& model, const std::string& input_bin,
                                    const std::vector<int>& dims, std::string* log) {
  TempDir out;
  std::string d;
  for (size_t i = 0; i < dims.size(); ++i) d += (i ? "," : "") + std::to_string(dims[i]);
  const std::string script = std::string(CAE_SOURCE_DIR) + "/tests/tools/onnx_run.mjs";
  const CommandResult r = RunCommand("node '" + script + "' '" + model + "' '" + input_bin + "' " + d + " '" +
                                     out.File("out") + "' --threads 2");
  *log = r.output;
  if (r.exit_code != 0 || !FileExists(out.File("out0.bin"))) return {};
  return ReadBytes(out.File("out0.bin"));
}

}  // namespace cae::testing
