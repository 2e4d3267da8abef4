// Bad input through the CLI: each failure is one clear line, a non-zero exit status, and no output
// file (not even a temporary one) left behind.
#include <gtest/gtest.h>

#include <string>

#include "cli_helpers.h"
#include "data/npy.h"

namespace cae::testing {
namespace {

const std::string kMiles = "fixtures/keras/MilesWQ__conv_autoencoder.h5";
const std::string kMnist = "fixtures/mnist/t10k-images-idx3-ubyte.gz";

// Copy of a fixture with the first occurrence of `from` replaced by `to` (same length, so the
// HDF5 layout stays valid).
std::string PatchedCopy(const TempDir& dir, const std::string& fixture, const std::string& from, const std::string& to,
                        const std::string& name) {
  std::vector<uint8_t> bytes = ReadBytes(SharedPath(fixture));
  const std::string s(bytes.begin(), bytes.end());
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(from.size(), to.size());
  if (at != std::string::npos) std::copy(to.begin(), to.end(), bytes.begin() + static_cast<long>(at));
  WriteBytes(dir.File(name), bytes);
  return dir.File(name);
}

// Runs `run MODEL --input DATA -o DIR/out.npy` and checks the failure contract; returns the line.
std::string ExpectRunFails(const TempDir& dir, const std::string& model, const std::string& data,
                           const std::string& out = "") {
  const std::string out_path = out.empty() ? dir.File("out.npy") : out;
  const auto before = ListFiles(dir.path());
  const CommandResult r = Cli("run " + Q(model) + " --input " + Q(data) + " -o " + Q(out_path) + " --limit 4");
  EXPECT_NE(r.exit_code, 0) << r.output;
  const auto lines = Lines(r.output);
  EXPECT_EQ(lines.size(), 1u) << r.output;
  EXPECT_EQ(r.output.rfind("cae2tpu: error: ", 0), 0u) << r.output;
  EXPECT_EQ(ListFiles(dir.path()), before) << "output left behind after: " << r.output;
  return lines.empty() ? "" : lines[0];
}

TEST(CliErrors, NotAnHdf5File) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMnist));
  TempDir dir;
  WriteText(dir.File("model.h5"), "this is not a model\n");
  const std::string line = ExpectRunFails(dir, dir.File("model.h5"), SharedPath(kMnist));
  EXPECT_NE(line.find("model.h5"), std::string::npos) << line;
}

TEST(CliErrors, TruncatedHdf5) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  TempDir dir;
  std::vector<uint8_t> bytes = ReadBytes(SharedPath(kMiles));
  bytes.resize(bytes.size() / 3);
  WriteBytes(dir.File("cut.h5"), bytes);
  const std::string line = ExpectRunFails(dir, dir.File("cut.h5"), SharedPath(kMnist));
  EXPECT_NE(line.find("cut.h5"), std::string::npos) << line;
}

TEST(CliErrors, Hdf5WithoutModelConfig) {
  CAE_REQUIRE_BINARY();
  const std::string w = SharedPath("fixtures/keras/HouYueJie_CAE_Keras__autoencoder_weights_only.h5");
  CAE_REQUIRE_FILE(w);
  TempDir dir;
  const std::string line = ExpectRunFails(dir, w, SharedPath(kMnist));
  EXPECT_NE(line.find("model_config"), std::string::npos) << line;
}

TEST(CliErrors, UnknownLayerClass) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  TempDir dir;
  const std::string m = PatchedCopy(dir, kMiles, "\"class_name\": \"UpSampling2D\"", "\"class_name\": \"UpSampling9D\"", "odd.h5");
  const std::string line = ExpectRunFails(dir, m, SharedPath(kMnist));
  EXPECT_NE(line.find("UpSampling9D"), std::string::npos) << line;
}

TEST(CliErrors, WeightShapeMismatch) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  TempDir dir;
  const std::string m = PatchedCopy(dir, kMiles, "\"filters\": 16", "\"filters\": 17", "shape.h5");
  const std::string line = ExpectRunFails(dir, m, SharedPath(kMnist));
  EXPECT_NE(line.find("shape.h5"), std::string::npos) << line;
}

TEST(CliErrors, TrainErrorsNameTheModelAndDataFiles) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  TempDir dir;
  const std::string m = PatchedCopy(dir, kMiles, "\"filters\": 16", "\"filters\": 17", "shape.h5");
  CommandResult r = Cli("train --init " + Q(m) + " --data " + Q(SharedPath(kMnist)) +
                        " --limit 32 --epochs 1 -o " + Q(dir.File("out.h5")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("error: " + m + ": "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("kernel"), std::string::npos) << r.output;
  WriteNpy(dir.File("short.npy"), TensorData(DType::kFloat32, {8, 28, 28, 1}));
  r = Cli("train --init " + Q(SharedPath(kMiles)) + " --task segment --data " +
          Q(SharedPath(kMnist)) + " --limit 32 --epochs 1 --targets " + Q(dir.File("short.npy")) +
          " -o " + Q(dir.File("out.h5")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir.File("short.npy") + " (training targets): 8 samples for 32 inputs"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(FileExists(dir.File("out.h5")));
}

TEST(CliErrors, InputOfTheWrongShape) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  TempDir dir;
  WriteNpy(dir.File("wrong.npy"), TensorData(DType::kFloat32, {3, 32, 32, 1}));
  const std::string line = ExpectRunFails(dir, SharedPath(kMiles), dir.File("wrong.npy"));
  EXPECT_NE(line.find("[N,28,28,1]"), std::string::npos) << line;
  EXPECT_NE(line.find("[3,32,32,1]"), std::string::npos) << line;
  EXPECT_NE(line.find("input 0"), std::string::npos) << line;
}

TEST(CliErrors, MissingInputFile) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  TempDir dir;
  const std::string line = ExpectRunFails(dir, SharedPath(kMiles), dir.File("nothere.npy"));
  EXPECT_NE(line.find("nothere.npy"), std::string::npos) << line;
}

TEST(CliErrors, UnwritableOutputPath) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  TempDir dir;
  const std::string line =
      ExpectRunFails(dir, SharedPath(kMiles), SharedPath(kMnist), dir.File("no_such_folder/out.npy"));
  EXPECT_NE(line.find("no_such_folder"), std::string::npos) << line;
}

TEST(CliErrors, RawInputOfTheWrongType) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  TempDir dir;
  WriteNpy(dir.File("u8.npy"), TensorData(DType::kUInt8, {2, 28, 28, 1}));
  const auto before = ListFiles(dir.path());
  const CommandResult r = Cli("run " + Q(SharedPath(kMiles)) + " -i " + Q(dir.File("u8.npy")) + " -o " +
                              Q(dir.File("o.npy")) + " --raw");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Lines(r.output).size(), 1u) << r.output;
  EXPECT_NE(r.output.find("uint8"), std::string::npos) << r.output;
  EXPECT_EQ(ListFiles(dir.path()), before);
}

}  // namespace
}  // namespace cae::testing
