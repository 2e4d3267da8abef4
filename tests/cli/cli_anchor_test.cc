// Anchors: `cae2tpu run` on whole test sets equals independent runtimes (ONNX Runtime for the
// PyTorch-exported ONNX twins of our Keras fixtures; the real TFLite runtime for a converter-made
// .tflite of the same weights), and reproduces the recorded reconstruction MAE.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "cli_helpers.h"
#include "data/dataset.h"
#include "data/npy.h"
#include "graph/graph.h"
#include <nlohmann/json.hpp>

namespace cae::testing {
namespace {

struct Diff {
  double max_abs = 0;
  double mae_vs_input = 0;
};

// Runs `cae2tpu run MODEL` on the IDX test set and ONNX Runtime on the same floats.
void CheckAgainstOnnx(const std::string& keras, const std::string& onnx, const std::string& idx, double want_mae) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(keras);
  CAE_REQUIRE_FILE(onnx);
  CAE_REQUIRE_FILE(idx);
  CAE_REQUIRE_ONNX();
  TempDir dir;
  const CommandResult r = Cli("run " + Q(keras) + " --input " + Q(idx) + " -o " + Q(dir.File("ours.npy")) +
                              " --batch 1000 --threads 2 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const TensorData ours = ReadNpy(dir.File("ours.npy"));
  const TensorData input = LoadData(idx);
  ASSERT_EQ(ours.shape, input.shape);
  ASSERT_EQ(input.shape[0], 10000);
  WriteBytes(dir.File("input.bin"), input.bytes);
  std::string log;
  const std::vector<uint8_t> theirs =
      RunOnnx(onnx, dir.File("input.bin"), {input.shape[0], input.shape[1], input.shape[2], input.shape[3]}, &log);
  ASSERT_EQ(theirs.size(), ours.bytes.size()) << log;
  const float* a = ours.as<float>();
  const float* b = reinterpret_cast<const float*>(theirs.data());
  const float* x = input.as<float>();
  double max_abs = 0, mae = 0;
  for (int64_t i = 0; i < ours.num_elements(); ++i) {
    max_abs = std::max(max_abs, std::fabs(static_cast<double>(a[i]) - b[i]));
    mae += std::fabs(static_cast<double>(a[i]) - x[i]);
  }
  mae /= static_cast<double>(ours.num_elements());
  EXPECT_LE(max_abs, 1e-5) << "max |ours - onnxruntime| over " << ours.num_elements() << " values";
  EXPECT_NEAR(mae, want_mae, 2e-5);
}

TEST(CliAnchor, MilesWqOnMnistEqualsOnnxRuntimeHeavy) {
  CheckAgainstOnnx(SharedPath("fixtures/keras/MilesWQ__conv_autoencoder.h5"),
                   SharedPath("fixtures/anchors/mileswq_mnist.onnx"),
                   SharedPath("fixtures/mnist/t10k-images-idx3-ubyte.gz"), 0.041537);
}

TEST(CliAnchor, Cae12785OnFashionMnistEqualsOnnxRuntimeHeavy) {
  CheckAgainstOnnx(SharedPath("fixtures/anchors/cae12785_fmnist.h5"),
                   SharedPath("fixtures/anchors/cae12785_fmnist.onnx"),
                   "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", 0.052089);
}

TEST(CliAnchor, HenrikcmfKerasEqualsTfliteOracleHeavy) {
  CAE_REQUIRE_BINARY();
  const std::string h5 = SharedPath("fixtures/keras/tflite_pairs/henrikcmf_autoencoder.h5");
  const std::string tfl = SharedPath("fixtures/keras/tflite_pairs/henrikcmf_autoencoder.tflite");
  CAE_REQUIRE_FILE(h5);
  CAE_REQUIRE_FILE(tfl);
  CAE_REQUIRE_ORACLE();
  // The .tflite's stored input shape [1, K]; K from inspect.
  const CommandResult meta = Cli("inspect --json " + Q(tfl));
  ASSERT_EQ(meta.exit_code, 0) << meta.output;
  const auto j = nlohmann::json::parse(meta.output);
  const std::vector<int32_t> in_shape = j["inputs"][0]["shape"].get<std::vector<int32_t>>();
  ASSERT_EQ(in_shape.size(), 2u);
  ASSERT_EQ(in_shape[0], 1);
  const int records = 256, k = in_shape[1];
  TensorData x(DType::kFloat32, {records, k});
  uint32_t state = 12345;
  for (int64_t i = 0; i < x.num_elements(); ++i) {
    state = state * 1664525u + 1013904223u;
    x.as<float>()[i] = static_cast<float>(state >> 8) / static_cast<float>(1 << 24);  // [0,1)
  }
  TempDir dir;
  WriteNpy(dir.File("x.npy"), x);
  WriteBytes(dir.File("x.bin"), x.bytes);
  const CommandResult r = Cli("run " + Q(h5) + " -i " + Q(dir.File("x.npy")) + " -o " + Q(dir.File("y.npy")) + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const TensorData ours = ReadNpy(dir.File("y.npy"));
  const OracleRun oracle = RunOracle(tfl, {dir.File("x.bin")}, {"--no-xnnpack"}, records);
  ASSERT_EQ(oracle.exit_code, 0) << oracle.json;
  ASSERT_EQ(oracle.outputs.size(), 1u);
  ASSERT_EQ(oracle.outputs[0].size(), ours.bytes.size()) << ShapeToString(ours.shape);
  const float* a = ours.as<float>();
  const float* b = reinterpret_cast<const float*>(oracle.outputs[0].data());
  double max_abs = 0;
  for (int64_t i = 0; i < ours.num_elements(); ++i) max_abs = std::max(max_abs, std::fabs(static_cast<double>(a[i]) - b[i]));
  EXPECT_LE(max_abs, 1e-5);
}

}  // namespace
}  // namespace cae::testing
