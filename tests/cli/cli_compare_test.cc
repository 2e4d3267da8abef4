// `cae2tpu compare` with truth other than the input: segmentation IoU against masks and class maps
// (our U-Nets, float and int8, and Coral's real Cityscapes model with its reference mask),
// denoising against the clean data, and reconstruction against --targets. Every figure compare
// prints is recomputed here from `run`'s outputs, independently of the product's metric code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cli/cli_helpers.h"
#include "data/convert.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/npy.h"

namespace cae::testing {
namespace {

using json = nlohmann::json;

const std::string kMnist = "fixtures/mnist/t10k-images-idx3-ubyte.gz";
const std::string kDenoiser = "fixtures/keras/Qusai1201_Denoising_mnist__autoencoder.h5";
const std::string kCityscapes = "fixtures/coral/deeplab_mobilenet_edgetpu_slim_cityscapes_quant.tflite";

// The first n MNIST test images as uint8 [n,28,28,1] pixels.
TensorData MnistBytes(int n) {
  LoadOptions o;
  o.keep_type = true;
  o.limit = n;
  return LoadData(SharedPath(kMnist), o);
}

// Per-class counts of a prediction against a truth, and the figures compare reports.
struct Counts {
  explicit Counts(int classes) : inter(classes), pred(classes), truth(classes) {}
  void Add(int p, int t) {
    ++pred[p];
    ++truth[t];
    if (p == t) ++inter[p], ++correct;
    ++total;
  }
  double MeanIou() const {
    double sum = 0;
    int n = 0;
    for (size_t k = 0; k < inter.size(); ++k) {
      const int64_t uni = pred[k] + truth[k] - inter[k];
      if (uni) sum += double(inter[k]) / double(uni), ++n;
    }
    return sum / n;
  }
  double Iou(int k) const { return double(inter[k]) / double(pred[k] + truth[k] - inter[k]); }
  double Accuracy() const { return double(correct) / double(total); }
  std::vector<int64_t> inter, pred, truth;
  int64_t correct = 0, total = 0;
};

// Output 0 of `cae2tpu run MODEL -i DATA [flags]` as float32 (or its own type with --raw).
TensorData RunOutput(const TempDir& dir, const std::string& model, const std::string& data, const std::string& flags = "") {
  const std::string out = dir.File("run_out.npy");
  const CommandResult r = Cli("run " + Q(model) + " -i " + Q(data) + " -o " + Q(out) + " " + flags);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.exit_code == 0 ? ReadNpy(out) : TensorData();
}

TEST(CliCompare, SegmentationIouOfFloatAndInt8UnetsEqualsAnIndependentCount) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMnist));
  TempDir dir;
  const int n = 256;
  const TensorData x = MnistBytes(n);
  WriteNpy(dir.File("x.npy"), x);
  // Three classes by brightness (class maps [N,H,W]) and a binary mask of 0/255 bytes.
  TensorData cls(DType::kUInt8, {n, 28, 28}), mask(DType::kUInt8, {n, 28, 28, 1});
  for (size_t i = 0; i < x.bytes.size(); ++i) {
    cls.bytes[i] = static_cast<uint8_t>((x.bytes[i] > 50) + (x.bytes[i] > 180));
    mask.bytes[i] = x.bytes[i] > 127 ? 255 : 0;
  }
  WriteNpy(dir.File("cls.npy"), cls);
  WriteNpy(dir.File("mask.npy"), mask);
  for (const int classes : {3, 1}) {
    SCOPED_TRACE(classes);
    const std::string targets = dir.File(classes == 3 ? "cls.npy" : "mask.npy");
    const std::string h5 = dir.File("u.h5"), int8 = dir.File("u_int8.tflite");
    ASSERT_EQ(Cli("train --arch unet --depth 2 --base-filters 8 --classes " + std::to_string(classes) +
                  " --task segment --data " + Q(dir.File("x.npy")) + " --targets " + Q(targets) +
                  " --epochs 2 --quiet -o " + Q(h5))
                  .exit_code,
              0);
    ASSERT_EQ(Cli("convert " + Q(h5) + " --quant int8 --calib " + Q(dir.File("x.npy")) + " --quiet -o " + Q(int8))
                  .exit_code,
              0);
    const json j = ParseJson(Cli("compare " + Q(h5) + " " + Q(int8) + " --data " + Q(dir.File("x.npy")) +
                                 " --task segment --targets " + Q(targets) + " --json --report " +
                                 Q(dir.File("r.md"))));
    // The Markdown report's cost row: the int8 file's size against the Keras file's.
    const std::vector<uint8_t> md_bytes = ReadBytes(dir.File("r.md"));
    const std::string md(md_bytes.begin(), md_bytes.end());
    char smaller[64];
    std::snprintf(smaller, sizeof(smaller), "| %.2fx smaller |",
                  double(ReadBytes(h5).size()) / double(ReadBytes(int8).size()));
    EXPECT_NE(md.find("| " + int8 + " " + smaller), std::string::npos) << smaller << "\n" << md;
    EXPECT_NE(md.find("## IoU per class"), std::string::npos) << md;
    const int k = classes == 3 ? 3 : 2;
    ASSERT_EQ(j["classes"], k);
    std::vector<std::vector<int>> predicted;
    for (const std::string& model : {h5, int8}) {
      const TensorData out = ToFloat32(RunOutput(dir, model, dir.File("x.npy")));
      ASSERT_EQ(out.num_elements(), int64_t{n} * 28 * 28 * classes);
      std::vector<int> p(static_cast<size_t>(n) * 28 * 28);
      for (size_t i = 0; i < p.size(); ++i) {
        const float* s = out.as<float>() + i * classes;
        p[i] = classes == 1 ? (s[0] > 0.5f) : static_cast<int>(std::max_element(s, s + classes) - s);
      }
      predicted.push_back(p);
    }
    for (size_t m = 0; m < 2; ++m) {
      Counts c(k);
      for (size_t i = 0; i < predicted[m].size(); ++i)
        c.Add(predicted[m][i], classes == 3 ? cls.bytes[i] : mask.bytes[i] / 255);
      const json& e = j["models"][m];
      EXPECT_NEAR(e["mean_iou"].get<double>(), c.MeanIou(), 1e-12);
      EXPECT_NEAR(e["pixel_accuracy"].get<double>(), c.Accuracy(), 1e-12);
      for (int q = 0; q < k; ++q) EXPECT_NEAR(e["class_iou"][q].get<double>(), c.Iou(q), 1e-12) << q;
      if (k == 2) {
        EXPECT_NEAR(e["foreground_iou"].get<double>(), c.Iou(1), 1e-12);
      }
      std::printf("[compare] U-Net %d class(es), %s: mean IoU %.4f, pixel accuracy %.4f\n", classes,
                  m ? "int8" : "float", c.MeanIou(), c.Accuracy());
    }
    int64_t same = 0;
    for (size_t i = 0; i < predicted[0].size(); ++i) same += predicted[0][i] == predicted[1][i];
    EXPECT_NEAR(j["models"][1]["ref_agreement"].get<double>(), double(same) / predicted[0].size(), 1e-12);
    EXPECT_TRUE(j["models"][0]["ref_agreement"].is_null());
  }
}

TEST(CliCompare, CoralCityscapesModelAgainstItsReferenceMask) {
  CAE_REQUIRE_BINARY();
  const std::string model = SharedPath(kCityscapes);
  const std::string image = SharedPath("fixtures/coral/cityscapes_segmentation.bmp");
  const std::string mask_bmp = SharedPath("fixtures/coral/cityscapes_segmentation_mask.bmp");
  CAE_REQUIRE_FILE(model);
  TempDir dir;
  const std::string labels = dir.File("labels.txt");
  WriteText(labels, "road\nsidewalk\nbuilding\nwall\nfence\npole\ntraffic light\ntraffic sign\nvegetation\n"
                    "terrain\nsky\nperson\nrider\ncar\ntruck\nbus\ntrain\nmotorcycle\nbicycle\n");
  const CommandResult r = Cli("compare " + Q(model) + " " + Q(model) + " --data " + Q(image) + " --task segment --raw" +
                              " --targets " + Q(mask_bmp) + " --classes 19 --labels " + Q(labels) + " --json");
  const json j = ParseJson(r);
  ASSERT_EQ(j["classes"], 19);
  ASSERT_EQ(j["labels"].size(), 19u);
  // Independently: the model's ARG_MAX output from `run --raw` against the BMP's palette indices.
  const TensorData out = RunOutput(dir, model, image, "--raw");
  int w = 0, h = 0;
  const std::vector<uint8_t> mask = ReadMaskBmp(mask_bmp, &w, &h);
  ASSERT_EQ(out.num_elements(), int64_t{w} * h);
  Counts c(19);
  for (int64_t i = 0; i < out.num_elements(); ++i)
    c.Add(static_cast<int>(out.type == DType::kInt64 ? out.as<int64_t>()[i] : out.as<int32_t>()[i]), mask[i]);
  for (size_t m = 0; m < 2; ++m) {
    const json& e = j["models"][m];
    EXPECT_NEAR(e["mean_iou"].get<double>(), c.MeanIou(), 1e-12);
    EXPECT_NEAR(e["pixel_accuracy"].get<double>(), c.Accuracy(), 1e-12);
    EXPECT_TRUE(e["class_iou"][18].is_null());  // bicycle: in neither map
  }
  EXPECT_EQ(j["models"][1]["ref_agreement"], 1.0);
  std::printf("[compare] Coral Cityscapes DeepLab vs its reference mask: mean IoU %.4f, pixel accuracy %.4f\n",
              c.MeanIou(), c.Accuracy());
  // The table names the classes.
  const CommandResult t = Cli("compare " + Q(model) + " " + Q(model) + " --data " + Q(image) + " --task segment --raw" +
                              " --targets " + Q(mask_bmp) + " --classes 19 --labels " + Q(labels));
  EXPECT_EQ(t.exit_code, 0) << t.output;
  EXPECT_NE(t.output.find("13 car"), std::string::npos) << t.output;
  EXPECT_EQ(t.output.find("18 bicycle"), std::string::npos) << t.output;
}

TEST(CliCompare, DenoiseMeasuresAgainstTheCleanDataAndTargetsReplaceTheInput) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kDenoiser));
  TempDir dir;
  const std::string model = SharedPath(kDenoiser), data = SharedPath(kMnist);
  const std::string cmd = "compare " + Q(model) + " " + Q(model) + " --data " + Q(data) + " --limit 64 --task denoise";
  const json a = ParseJson(Cli(cmd + " --noise 0.4 --json"));
  const json b = ParseJson(Cli(cmd + " --noise 0.4 --json"));
  const json c = ParseJson(Cli(cmd + " --noise 0.4 --seed 2 --json"));
  ASSERT_TRUE(a.contains("noisy_input"));
  const double noisy = a["noisy_input"]["mse"], cleaned = a["models"][0]["mse"];
  EXPECT_GT(noisy, 3 * cleaned);  // the denoiser removes most of the noise
  EXPECT_GT(noisy, 0.05);
  EXPECT_EQ(a["models"][0]["mse"], b["models"][0]["mse"]);  // deterministic
  EXPECT_EQ(a["noisy_input"]["mse"], b["noisy_input"]["mse"]);
  EXPECT_NE(a["noisy_input"]["mse"], c["noisy_input"]["mse"]);  // the seed draws other noise
  EXPECT_TRUE(a["noisy_input"]["file_size"].is_null());

  // --targets: outputs on the clean data measured against inverted images, recomputed here.
  const TensorData x = MnistBytes(64);
  TensorData inv(DType::kFloat32, x.shape);
  for (size_t i = 0; i < x.bytes.size(); ++i) inv.as<float>()[i] = 1.0f - x.bytes[i] / 255.0f;
  WriteNpy(dir.File("inv.npy"), inv);
  const json t = ParseJson(Cli("compare " + Q(model) + " " + Q(model) + " --data " + Q(data) + " --limit 64 --targets " +
                               Q(dir.File("inv.npy")) + " --json"));
  const TensorData out = ToFloat32(RunOutput(dir, model, data, "--limit 64"));
  ASSERT_EQ(out.num_elements(), inv.num_elements());
  double se = 0;
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    const double d = double(out.as<float>()[i]) - inv.as<float>()[i];
    se += d * d;
  }
  EXPECT_NEAR(t["models"][0]["mse"].get<double>(), se / out.num_elements(), 1e-9);
  EXPECT_GT(t["models"][0]["mse"].get<double>(), 0.3);  // not measured against the input
}

TEST(CliCompare, BadTargetsAndOptionsGetOneClearLine) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kDenoiser));
  TempDir dir;
  const std::string model = Q(SharedPath(kDenoiser)), data = Q(SharedPath(kMnist));
  const std::string base = "compare " + model + " " + model + " --data " + data + " --limit 4";
  // Usage mistakes: exit 2.
  for (const std::string& flags : {std::string(" --task segment"), std::string(" --raw"), std::string(" --classes 3"),
                                   std::string(" --noise 0.3"), std::string(" --task denoise --targets x.npy"),
                                   std::string(" --task fold"), std::string(" --grid out.jpg"),
                                   std::string(" --task segment --targets m.npy --threshold nan"),
                                   std::string(" --report r.txt")}) {
    const CommandResult r = Cli(base + flags);
    EXPECT_EQ(r.exit_code, 2) << flags << "\n" << r.output;
  }
  // A class map value outside the classes names the file, item and index (checked before any
  // model runs).
  if (FileExists(SharedPath(kCityscapes))) {
    TensorData cls(DType::kUInt8, {1, 513, 513});
    cls.bytes[513 + 5] = 7;
    WriteNpy(dir.File("cls.npy"), cls);
    const std::string cs = Q(SharedPath(kCityscapes));
    const CommandResult r = Cli("compare " + cs + " " + cs + " --data " +
                                Q(SharedPath("fixtures/coral/cityscapes_segmentation.bmp")) +
                                " --raw --task segment --classes 3 --targets " + Q(dir.File("cls.npy")));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(dir.File("cls.npy") + ": class map value 7 (item 0, index [1,5]) is not an integer in [0, 3)"),
              std::string::npos)
        << r.output;
  }
  // The denoiser's sigmoid output takes binary masks: 3 is not one.
  TensorData bad(DType::kFloat32, {4, 28, 28, 1});
  bad.as<float>()[9] = 3;
  WriteNpy(dir.File("bad.npy"), bad);
  CommandResult r = Cli(base + " --task segment --targets " + Q(dir.File("bad.npy")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir.File("bad.npy") + ": value 3 (item 0, index [0,9,0]) is not a binary mask value"),
            std::string::npos)
      << r.output;
  // A colour mask image is refused; a gray one saved as RGB is read.
  Image rgb;
  rgb.width = rgb.height = 28;
  rgb.channels = 3;
  rgb.pixels.assign(28 * 28 * 3, 0);
  WritePng(dir.File("gray_rgb.png"), rgb);
  rgb.pixels[4] = 255;
  WritePng(dir.File("colour.png"), rgb);
  r = Cli("compare " + model + " " + model + " --data " + data + " --limit 1 --task segment --targets " +
          Q(dir.File("colour.png")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir.File("colour.png") + ": holds a colour mask"), std::string::npos) << r.output;
  r = Cli("compare " + model + " " + model + " --data " + data + " --limit 1 --task segment --targets " +
          Q(dir.File("gray_rgb.png")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // Denoising needs pixels in [0, 1].
  TensorData wide(DType::kFloat32, {2, 28, 28, 1});
  wide.as<float>()[30] = 2.5f;
  WriteNpy(dir.File("wide.npy"), wide);
  r = Cli("compare " + model + " " + model + " --data " + Q(dir.File("wide.npy")) + " --task denoise");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir.File("wide.npy") + ": value 2.5 at [0,1,2,0] is outside [0, 1]"), std::string::npos)
      << r.output;
  // Targets for fewer items than the data.
  r = Cli(base + " --task segment --targets " + Q(dir.File("gray_rgb.png")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir.File("gray_rgb.png") + ": 1 items [1,28,28] for the 4 items of"), std::string::npos)
      << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST(CliTrain, SegmentMasksOf0And255TrainLikeMasksOf0And1) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMnist));
  TempDir dir;
  const TensorData x = MnistBytes(64);
  WriteNpy(dir.File("x.npy"), x);
  TensorData bytes(DType::kUInt8, {64, 28, 28, 1}), ones(DType::kFloat32, {64, 28, 28, 1});
  for (size_t i = 0; i < x.bytes.size(); ++i) {
    bytes.bytes[i] = x.bytes[i] > 127 ? 255 : 0;
    ones.as<float>()[i] = x.bytes[i] > 127 ? 1.0f : 0.0f;
  }
  WriteNpy(dir.File("m255.npy"), bytes);
  WriteNpy(dir.File("m1.npy"), ones);
  std::vector<TensorData> outs;
  for (const char* m : {"m255.npy", "m1.npy"}) {
    ASSERT_EQ(Cli("train --arch unet --depth 1 --base-filters 4 --task segment --data " + Q(dir.File("x.npy")) +
                  " --targets " + Q(dir.File(m)) + " --epochs 1 --quiet -o " + Q(dir.File("u.h5")))
                  .exit_code,
              0);
    outs.push_back(RunOutput(dir, dir.File("u.h5"), dir.File("x.npy")));
  }
  ASSERT_FALSE(outs[0].bytes.empty());
  EXPECT_EQ(outs[0].bytes, outs[1].bytes);
}

}  // namespace
}  // namespace cae::testing
