// How data meets models in `run` and `compare`: uint8 .npy pixels scale like IDX and images,
// rows and trailing-1 shapes fit an input with the same values per item,
// non-finite data and weights are refused, Keras models without outputs are refused, and integer
// image models fed [0,1] floats get a warning that points to --raw.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/npy.h"
#include "keras/keras_import.h"
#include "keras/keras_writer.h"

namespace cae::testing {
namespace {

std::string MilesWq() { return SharedPath("fixtures/keras/MilesWQ__conv_autoencoder.h5"); }
std::string Mobilenet() { return SharedPath("fixtures/coral/mobilenet_v1_0.25_128_quant.tflite"); }
std::string Bird() { return SharedPath("fixtures/coral/bird.bmp"); }

// The line of text holding needle ("" when none).
std::string LineWith(const std::string& text, const std::string& needle) {
  for (const std::string& l : Lines(text))
    if (l.find(needle) != std::string::npos) return l;
  return "";
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

int64_t ArgMax(const TensorData& t) {
  int64_t best = 0;
  for (int64_t i = 1; i < t.num_elements(); ++i) {
    const double a = t.type == DType::kFloat32 ? t.as<float>()[i] : t.bytes[i];
    const double b = t.type == DType::kFloat32 ? t.as<float>()[best] : t.bytes[best];
    if (a > b) best = i;
  }
  return best;
}

TEST(CliDataRules, Uint8NpyRunsLikeTheSameBytesAsIdx) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  std::vector<uint8_t> pixels(3 * 28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 7919) % 256);
  std::vector<uint8_t> idx = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28};
  idx.insert(idx.end(), pixels.begin(), pixels.end());
  WriteBytes(dir.File("x.idx"), idx);
  TensorData u8(DType::kUInt8, {3, 28, 28, 1});
  u8.bytes = pixels;
  WriteNpy(dir.File("x.npy"), u8);

  CommandResult a = Cli("run " + Q(MilesWq()) + " -i " + Q(dir.File("x.idx")) + " -o " + Q(dir.File("a.npy")));
  ASSERT_EQ(a.exit_code, 0) << a.output;
  CommandResult b = Cli("run " + Q(MilesWq()) + " -i " + Q(dir.File("x.npy")) + " -o " + Q(dir.File("b.npy")));
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_EQ(ReadBytes(dir.File("a.npy")), ReadBytes(dir.File("b.npy")));

  // compare: the reconstruction error against the input is the IDX one (it was MAE ~30 against
  // the raw 0..255 values).
  auto mae = [&](const std::string& data) {
    CommandResult r = Cli("compare " + Q(MilesWq()) + " " + Q(MilesWq()) + " -d " + Q(data) + " --json");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return nlohmann::json::parse(r.output)["models"][0]["mae"].get<double>();
  };
  const double m_idx = mae(dir.File("x.idx"));
  EXPECT_EQ(mae(dir.File("x.npy")), m_idx);
  EXPECT_LT(m_idx, 1.0);
}

// Data with the model input's values per item but another shape: flat rows [N,K] and shapes
// that differ only by trailing 1s are read in row-major order (as train reads them); other
// shapes with the same count are ambiguous and refused.
TEST(CliDataRules, RowsAndTrailingOnesFitTheInputOtherShapesAreRefused) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  TensorData images(DType::kFloat32, {3, 28, 28, 1});
  for (int64_t i = 0; i < images.num_elements(); ++i) images.as<float>()[i] = float((i * 37) % 101) / 100.0f;
  WriteNpy(dir.File("images.npy"), images);
  TensorData rows = images, squeezed = images, ambiguous = images;
  rows.shape = {3, 784};
  squeezed.shape = {3, 28, 28};
  ambiguous.shape = {3, 784, 1};
  WriteNpy(dir.File("rows.npy"), rows);
  WriteNpy(dir.File("squeezed.npy"), squeezed);
  WriteNpy(dir.File("ambiguous.npy"), ambiguous);
  auto run = [&](const std::string& data, const std::string& out) {
    return Cli("run " + Q(MilesWq()) + " -i " + Q(dir.File(data)) + " -o " + Q(dir.File(out)));
  };
  ASSERT_EQ(run("images.npy", "a.npy").exit_code, 0);
  for (const char* data : {"rows.npy", "squeezed.npy"}) {
    const CommandResult r = run(data, "b.npy");
    ASSERT_EQ(r.exit_code, 0) << data << "\n" << r.output;
    EXPECT_EQ(ReadBytes(dir.File("a.npy")), ReadBytes(dir.File("b.npy"))) << data;
  }
  const CommandResult bad = run("ambiguous.npy", "c.npy");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("expects shape [N,28,28,1], found [3,784,1]"), std::string::npos) << bad.output;
  EXPECT_FALSE(std::filesystem::exists(dir.File("c.npy")));
}

TEST(CliDataRules, NonFiniteDataIsRefusedByRunAndCompare) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  TensorData x(DType::kFloat32, {2, 28, 28, 1});
  x.as<float>()[30] = std::numeric_limits<float>::quiet_NaN();  // item 0, row 1, column 2
  WriteNpy(dir.File("nan.npy"), x);
  TensorData y(DType::kFloat32, {2, 28, 28, 1});
  y.as<float>()[800] = std::numeric_limits<float>::infinity();  // item 1, row 0, column 16
  WriteNpy(dir.File("inf.npy"), y);

  for (const std::string& cmd : {std::string("run ") + Q(MilesWq()) + " -i ", std::string("run --raw ") + Q(MilesWq()) + " -i ",
                                 "compare " + Q(MilesWq()) + " " + Q(MilesWq()) + " -d "}) {
    const std::string out = dir.File("o.npy");
    const bool run = cmd.rfind("run", 0) == 0;
    CommandResult r = Cli(cmd + Q(dir.File("nan.npy")) + (run ? " -o " + Q(out) : std::string()));
    EXPECT_EQ(r.exit_code, 1) << cmd << r.output;
    ASSERT_EQ(Lines(r.output).size(), 1u) << r.output;
    EXPECT_NE(r.output.find(dir.File("nan.npy") + ": value 30 (item 0, index [0,1,2,0]) is not finite (nan)"),
              std::string::npos)
        << r.output;
    EXPECT_FALSE(FileExists(out));
    CommandResult i = Cli(cmd + Q(dir.File("inf.npy")) + (run ? " -o " + Q(out) : std::string()));
    EXPECT_EQ(i.exit_code, 1) << i.output;
    EXPECT_NE(i.output.find("value 800 (item 1, index [1,0,16,0]) is not finite (inf)"), std::string::npos)
        << i.output;
  }
}

TEST(CliDataRules, NonFiniteKerasWeightIsRefusedByRunAndCompareAsByConvert) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  KerasModel km = LoadKerasModel(MilesWq());
  KerasWeight* w = nullptr;
  for (KerasLayer& l : km.layers)
    if (!w && l.class_name == "Conv2D" && !l.weights.empty()) w = &l.weights[0];
  ASSERT_NE(w, nullptr);
  ASSERT_GT(w->values.size(), 45u);
  w->values[45] = std::numeric_limits<float>::quiet_NaN();
  const std::string model = dir.File("nanw.h5");
  SaveKerasH5(km, model);
  const std::string data = SharedPath("fixtures/mnist/t10k-images-idx3-ubyte.gz");

  CommandResult c = Cli("convert " + Q(model) + " -o " + Q(dir.File("m.tflite")));
  ASSERT_EQ(c.exit_code, 1) << c.output;
  // (Keras value 45 of the kernel is some other index of the lowered OHWI tensor.)
  const std::string expected = LineWith(c.output, "is not finite (nan)");
  ASSERT_FALSE(expected.empty()) << c.output;
  EXPECT_NE(expected.find(model + ": tensor "), std::string::npos) << expected;
  EXPECT_NE(expected.find("weight value "), std::string::npos) << expected;
  CommandResult r = Cli("run " + Q(model) + " -i " + Q(data) + " --limit 5 -o " + Q(dir.File("o.npy")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(LineWith(r.output, "error:"), expected);
  EXPECT_FALSE(FileExists(dir.File("o.npy")));
  CommandResult p = Cli("compare " + Q(MilesWq()) + " " + Q(model) + " -d " + Q(data) + " --limit 5");
  EXPECT_EQ(p.exit_code, 1) << p.output;
  EXPECT_EQ(LineWith(p.output, "error:"), expected);
}

TEST(CliDataRules, KerasModelWithoutOutputsIsRefusedByEveryCommand) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  KerasModel km = LoadKerasModel(MilesWq());
  km.outputs.clear();
  const std::string model = dir.File("noout.h5");
  SaveKerasH5(km, model);
  const std::string data = SharedPath("fixtures/mnist/t10k-images-idx3-ubyte.gz");
  const std::string cmds[] = {
      "run " + Q(model) + " -i " + Q(data) + " --limit 5 -o " + Q(dir.File("o.npy")),
      "convert " + Q(model) + " -o " + Q(dir.File("o.tflite")),
      "compare " + Q(MilesWq()) + " " + Q(model) + " -d " + Q(data) + " --limit 5",
      "inspect " + Q(model),
  };
  for (const std::string& cmd : cmds) {
    CommandResult r = Cli(cmd);
    EXPECT_EQ(r.exit_code, 1) << cmd << "\n" << r.output;
    ASSERT_EQ(Lines(r.output).size(), 1u) << cmd << "\n" << r.output;
    EXPECT_NE(r.output.find(model), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("has no outputs"), std::string::npos) << r.output;
  }
  EXPECT_FALSE(FileExists(dir.File("o.npy")));
  EXPECT_FALSE(FileExists(dir.File("o.tflite")));
}

TEST(CliDataRules, IntegerImageModelFedUnitFloatsWarnsToUseRaw) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(Mobilenet());
  CAE_REQUIRE_FILE(Bird());
  TempDir dir;
  const std::string base = "run " + Q(Mobilenet()) + " --input " + Q(Bird()) + " --resize 128x128 ";

  // The README example: --raw feeds the pixel bytes, as TFLite does: class 20 (chickadee).
  CommandResult raw = Cli(base + "--raw -o " + Q(dir.File("raw.npy")));
  ASSERT_EQ(raw.exit_code, 0) << raw.output;
  EXPECT_EQ(raw.output.find("warning"), std::string::npos) << raw.output;
  EXPECT_EQ(ArgMax(ReadNpy(dir.File("raw.npy"))), 20);

  // Without --raw: [0,1] floats quantized into an input whose float range is [-1,1]: one warning.
  CommandResult f = Cli(base + "-o " + Q(dir.File("f.npy")));
  ASSERT_EQ(f.exit_code, 0) << f.output;
  EXPECT_EQ(Count(f.output, "warning:"), 1) << f.output;
  const std::string w = LineWith(f.output, "warning:");
  EXPECT_NE(w.find("--raw"), std::string::npos) << w;
  EXPECT_NE(w.find(Bird()), std::string::npos) << w;
  EXPECT_NE(w.find("[-1, 0.99"), std::string::npos) << w;

  // --json keeps stdout clean (the warning is on stderr); --quiet drops it.
  const std::string err = dir.File("err.txt");
  CommandResult j = RunCommand("{ '" + Cae2tpu() + "' " + base + "--json -o " + Q(dir.File("j.npy")) + " 2>" + Q(err) + "; }");
  ASSERT_EQ(j.exit_code, 0) << j.output;
  EXPECT_NO_THROW(nlohmann::json::parse(j.output)) << j.output;
  const std::vector<uint8_t> e = ReadBytes(err);
  EXPECT_NE(std::string(e.begin(), e.end()).find("warning:"), std::string::npos);
  CommandResult q = Cli("--quiet " + base + "-o " + Q(dir.File("q.npy")));
  ASSERT_EQ(q.exit_code, 0) << q.output;
  EXPECT_EQ(q.output.find("warning"), std::string::npos) << q.output;

  // A uint8 .npy of the same pixels with --raw is the same run; float models never warn.
  LoadOptions o;
  o.keep_type = true;
  o.height = o.width = 128;
  o.channels = 3;
  WriteNpy(dir.File("bird_u8.npy"), LoadData(Bird(), o));
  CommandResult n = Cli("run " + Q(Mobilenet()) + " --raw -i " + Q(dir.File("bird_u8.npy")) + " -o " + Q(dir.File("n.npy")));
  ASSERT_EQ(n.exit_code, 0) << n.output;
  EXPECT_EQ(ReadBytes(dir.File("n.npy")), ReadBytes(dir.File("raw.npy")));
  if (FileExists(MilesWq())) {
    CommandResult k = Cli("run " + Q(MilesWq()) + " -i " + Q(SharedPath("fixtures/mnist/t10k-images-idx3-ubyte.gz")) +
                          " --limit 3 -o " + Q(dir.File("k.npy")));
    EXPECT_EQ(k.exit_code, 0) << k.output;
    EXPECT_EQ(k.output.find("warning"), std::string::npos) << k.output;
  }

  // compare warns too (it cannot feed bytes), once per integer model, and names the model.
  Image img = ResizeBilinear(DecodeImageFile(Bird(), 3), 128, 128);
  WritePng(dir.File("bird128.png"), img);
  CommandResult c = Cli("compare " + Q(Mobilenet()) + " " + Q(Mobilenet()) + " -d " + Q(dir.File("bird128.png")));
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_EQ(Count(c.output, "warning:"), 2) << c.output;
  EXPECT_NE(LineWith(c.output, "warning:").find(Mobilenet()), std::string::npos) << c.output;
}

}  // namespace
}  // namespace cae::testing
