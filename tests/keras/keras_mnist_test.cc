// Reconstruction error of the trained CAEs on the real test sets, against the figures their
// fixture README states (float Keras / PyTorch): the importer reproduces the trained models.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "keras/keras_import.h"
#include "keras_test_util.h"
#include "support/fixtures.h"

namespace cae::testing {
namespace {

// Images of a gzip'd IDX3 file as floats in [0, 1] (uint8 / 255), NHWC [n, rows, cols, 1].
// The test binary does not link zlib, so the gzip tool decompresses into a temporary folder.
TensorData ReadIdxImages(const std::string& path) {
  TempDir dir;
  const std::string raw = dir.File("images.idx");
  CommandResult r = RunCommand("gzip -dc '" + path + "' > '" + raw + "'");
  if (r.exit_code != 0) throw std::runtime_error("gzip -dc failed: " + r.output);
  const std::vector<uint8_t> bytes = ReadBytes(raw);
  auto be32 = [&](size_t off) {
    return static_cast<int32_t>((uint32_t{bytes.at(off)} << 24) |
                                (uint32_t{bytes.at(off + 1)} << 16) |
                                (uint32_t{bytes.at(off + 2)} << 8) | uint32_t{bytes.at(off + 3)});
  };
  if (bytes.size() < 16 || be32(0) != 0x803) throw std::runtime_error(path + ": not IDX3 images");
  const int32_t count = be32(4), rows = be32(8), cols = be32(12);
  TensorData t(DType::kFloat32, {count, rows, cols, 1});
  const size_t total = static_cast<size_t>(count) * rows * cols;
  if (bytes.size() != 16 + total) throw std::runtime_error(path + ": size mismatch");
  float* out = t.as<float>();
  for (size_t i = 0; i < total; ++i) out[i] = static_cast<float>(bytes[16 + i]) / 255.0f;
  return t;
}

double ReconstructionMae(const std::string& model_path, const std::string& images_path) {
  Model m = LowerKerasModel(LoadKerasModel(model_path));
  TensorData images = ReadIdxImages(images_path);
  InterpreterOptions options;
  options.batch_chunk = 500;
  Interpreter interp(m, options);
  std::vector<TensorData> out = interp.Run({images});
  EXPECT_EQ(out.at(0).shape, images.shape);
  const float* a = images.as<float>();
  const float* b = out.at(0).as<float>();
  double sum = 0;
  const int64_t n = images.num_elements();
  for (int64_t i = 0; i < n; ++i) sum += std::fabs(static_cast<double>(a[i]) - b[i]);
  const double mae = sum / static_cast<double>(n);
  std::printf("%s: MAE %.6f over %d images\n", model_path.c_str(), mae, images.shape[0]);
  return mae;
}

TEST(KerasMnist, MilesWQReconstructionHeavy) {
  const std::string model = KerasFixture("MilesWQ__conv_autoencoder.h5");
  const std::string images = SharedPath("fixtures/mnist/t10k-images-idx3-ubyte.gz");
  CAE_REQUIRE_FILE(model);
  CAE_REQUIRE_FILE(images);
  EXPECT_NEAR(ReconstructionMae(model, images), 0.041537, 2e-5);
}

TEST(KerasMnist, Cae12785FashionReconstructionHeavy) {
  const std::string model = SharedPath("fixtures/anchors/cae12785_fmnist.h5");
  const std::string images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  CAE_REQUIRE_FILE(model);
  CAE_REQUIRE_FILE(images);
  EXPECT_NEAR(ReconstructionMae(model, images), 0.052089, 2e-5);
}

}  // namespace
}  // namespace cae::testing
