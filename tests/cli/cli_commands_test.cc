// inspect / run / compare / demo on real fixtures (small subsets; the full-set anchors are in
// cli_anchor_test.cc).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "data/image.h"
#include "data/npy.h"
#include "keras/keras_builders.h"
#include "keras/keras_import.h"
#include "keras/keras_writer.h"

namespace cae::testing {
namespace {

using nlohmann::json;

const std::string kMiles = "fixtures/keras/MilesWQ__conv_autoencoder.h5";
const std::string kMnist = "fixtures/mnist/t10k-images-idx3-ubyte.gz";
const std::string kMobilenet = "fixtures/coral/mobilenet_v1_0.25_128_quant.tflite";

TEST(CliInspect, KerasModelJsonAndTable) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  const json j = ParseJson(Cli("inspect --json " + Q(SharedPath(kMiles))));
  EXPECT_EQ(j["format"], "keras");
  EXPECT_EQ(j["params"], 4385);
  EXPECT_EQ(j["keras_version"], "2.2.4");
  ASSERT_EQ(j["inputs"].size(), 1u);
  EXPECT_EQ(j["inputs"][0]["shape"], json({1, 28, 28, 1}));
  EXPECT_EQ(j["outputs"][0]["shape"], json({1, 28, 28, 1}));
  EXPECT_GE(j["ops"].size(), 10u);
  EXPECT_GE(j["layers"].size(), 13u);
  const CommandResult t = Cli("inspect " + Q(SharedPath(kMiles)));
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_NE(t.output.find("total params: 4,385"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("CONV_2D"), std::string::npos) << t.output;
}

TEST(CliInspect, TfliteAndEdgeTpuFiles) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMobilenet));
  const json j = ParseJson(Cli("inspect --json " + Q(SharedPath(kMobilenet))));
  EXPECT_EQ(j["format"], "tflite");
  EXPECT_EQ(j["inputs"][0]["shape"], json({1, 128, 128, 3}));
  EXPECT_EQ(j["inputs"][0]["dtype"], "uint8");
  EXPECT_EQ(j["outputs"][0]["shape"], json({1, 1001}));
  EXPECT_GT(j["params"].get<int64_t>(), 100000);
  EXPECT_FALSE(j["ops"].empty());
  EXPECT_FALSE(j.contains("edgetpu"));
  const std::string tpu = SharedPath("fixtures/edgetpu/mobilenet_v1_0.25_128_quant_edgetpu.tflite");
  CAE_REQUIRE_FILE(tpu);
  const json k = ParseJson(Cli("inspect --json " + Q(tpu)));
  ASSERT_TRUE(k.contains("edgetpu")) << k.dump().substr(0, 500);
  EXPECT_GT(k["edgetpu"]["cached_bytes"].get<int64_t>() + k["edgetpu"]["streamed_bytes"].get<int64_t>(), 0);
  const CommandResult h = Cli("inspect " + Q(tpu));
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.output.find("Edge TPU"), std::string::npos) << h.output;
  EXPECT_NE(h.output.find("edgetpu-custom-op"), std::string::npos) << h.output;
}

// A converted model has Keras's parameter count: weights and int32 biases count, the RESIZE
// sizes and other integer index operands do not.
TEST(CliInspect, ConvertedModelsCountKerasParameters) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  TempDir dir;
  EXPECT_EQ(ParseJson(Cli("inspect --json " + Q(SharedPath(kMiles))))["params"], 4385);
  ASSERT_EQ(Cli("convert " + Q(SharedPath(kMiles)) + " -o " + Q(dir.File("f.tflite"))).exit_code, 0);
  ASSERT_EQ(Cli("convert " + Q(SharedPath(kMiles)) + " --quant int8 --calib " + Q(SharedPath(kMnist)) +
                " --calib-samples 8 -o " + Q(dir.File("q.tflite")))
                .exit_code,
            0);
  EXPECT_EQ(ParseJson(Cli("inspect --json " + Q(dir.File("f.tflite"))))["params"], 4385);
  EXPECT_EQ(ParseJson(Cli("inspect --json " + Q(dir.File("q.tflite"))))["params"], 4385);
}

TEST(CliRun, KerasOnMnistSubset) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  TempDir dir;
  const json j = ParseJson(Cli("run " + Q(SharedPath(kMiles)) + " --input " + Q(SharedPath(kMnist)) + " -o " +
                               Q(dir.File("rec.npy")) + " --limit 20 --batch 7 --json"));
  EXPECT_EQ(j["images"], 20);
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["path"], dir.File("rec.npy"));
  const TensorData out = ReadNpy(dir.File("rec.npy"));
  EXPECT_EQ(out.type, DType::kFloat32);
  EXPECT_EQ(out.shape, (std::vector<int32_t>{20, 28, 28, 1}));
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    ASSERT_TRUE(out.as<float>()[i] >= 0.0f && out.as<float>()[i] <= 1.0f) << i;  // sigmoid output
  }
  // Batching does not change results.
  const CommandResult again = Cli("run " + Q(SharedPath(kMiles)) + " -i " + Q(SharedPath(kMnist)) + " -o " +
                                  Q(dir.File("rec2.npy")) + " --limit 20 --batch 20 --quiet");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output, "");
  EXPECT_EQ(ReadBytes(dir.File("rec.npy")), ReadBytes(dir.File("rec2.npy")));
}

TEST(CliRun, QuantizedTfliteRawAndFloatAgree) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMobilenet));
  TempDir dir;
  // The input is uint8 with scale 1/128, zero point 128: q and (q - 128) / 128 are the same input.
  TensorData q(DType::kUInt8, {2, 128, 128, 3});
  TensorData f(DType::kFloat32, {2, 128, 128, 3});
  for (int64_t i = 0; i < q.num_elements(); ++i) {
    q.bytes[i] = static_cast<uint8_t>((i * 7919) % 256);
    f.as<float>()[i] = (static_cast<float>(q.bytes[i]) - 128.0f) / 128.0f;
  }
  WriteNpy(dir.File("q.npy"), q);
  WriteNpy(dir.File("f.npy"), f);
  const json meta = ParseJson(Cli("inspect --json " + Q(SharedPath(kMobilenet))));
  ASSERT_EQ(meta["inputs"][0]["quantization"]["scale"][0], 0.0078125);
  ASSERT_EQ(meta["inputs"][0]["quantization"]["zero_point"][0], 128);
  const CommandResult raw = Cli("run " + Q(SharedPath(kMobilenet)) + " -i " + Q(dir.File("q.npy")) + " -o " +
                                Q(dir.File("raw.npy")) + " --raw --quiet");
  ASSERT_EQ(raw.exit_code, 0) << raw.output;
  const CommandResult flt = Cli("run " + Q(SharedPath(kMobilenet)) + " -i " + Q(dir.File("f.npy")) + " -o " +
                                Q(dir.File("flt.npy")) + " --quiet");
  ASSERT_EQ(flt.exit_code, 0) << flt.output;
  const TensorData r = ReadNpy(dir.File("raw.npy"));
  const TensorData d = ReadNpy(dir.File("flt.npy"));
  ASSERT_EQ(r.type, DType::kUInt8);
  ASSERT_EQ(d.type, DType::kFloat32);
  ASSERT_EQ(r.shape, (std::vector<int32_t>{2, 1001}));
  const double scale = meta["outputs"][0]["quantization"]["scale"][0].get<double>();
  const int64_t zp = meta["outputs"][0]["quantization"]["zero_point"][0].get<int64_t>();
  for (int64_t i = 0; i < r.num_elements(); ++i)
    ASSERT_FLOAT_EQ(d.as<float>()[i], static_cast<float>((r.bytes[i] - zp) * scale)) << i;
}

TEST(CliRun, ImageFileResizedToTheModel) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMobilenet));
  TempDir dir;
  const CommandResult r = Cli("run " + Q(SharedPath(kMobilenet)) + " -i " + Q(SharedPath("fixtures/coral/bird.bmp")) +
                              " -o " + Q(dir.File("bird.npy")) + " --resize 128x128 --raw --json");
  const json j = ParseJson(r);
  EXPECT_EQ(j["images"], 1);
  EXPECT_EQ(ReadNpy(dir.File("bird.npy")).shape, (std::vector<int32_t>{1, 1001}));
}

TEST(CliCompare, SameModelTwiceHasZeroDifference) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  const json j = ParseJson(Cli("compare " + Q(SharedPath(kMiles)) + " " + Q(SharedPath(kMiles)) + " --data " +
                               Q(SharedPath(kMnist)) + " --limit 30 --json"));
  ASSERT_EQ(j["models"].size(), 2u);
  EXPECT_EQ(j["images"], 30);
  const json& ref = j["models"][0];
  const json& other = j["models"][1];
  EXPECT_GT(ref["mae"].get<double>(), 0.01);
  EXPECT_LT(ref["mae"].get<double>(), 0.1);
  EXPECT_EQ(ref["mae"], other["mae"]);
  EXPECT_GT(ref["ssim"].get<double>(), 0.5);
  EXPECT_GT(ref["psnr"].get<double>(), 10.0);
  EXPECT_TRUE(ref["ref_mean_abs_diff"].is_null());
  EXPECT_EQ(other["ref_mean_abs_diff"], 0.0);
  EXPECT_EQ(other["ref_max_abs_diff"], 0.0);
  EXPECT_GT(ref["file_size"].get<int64_t>(), 0);
  const CommandResult t = Cli("compare " + Q(SharedPath(kMiles)) + " " + Q(SharedPath(kMiles)) + " -d " +
                              Q(SharedPath(kMnist)) + " --limit 30");
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_NE(t.output.find("SSIM"), std::string::npos) << t.output;
  // Data line, header, rule, two models; then what the second costs against the first.
  const std::vector<std::string> lines = Lines(t.output);
  ASSERT_EQ(lines.size(), 9u) << t.output;
  EXPECT_EQ(lines[5].rfind("what each model costs against ", 0), 0u) << t.output;
  EXPECT_NE(lines[8].find("1.00x "), std::string::npos) << t.output;  // same file: same size
  EXPECT_NE(lines[8].find("+0.00%"), std::string::npos) << t.output;  // same MSE
}

TEST(CliDemo, TrainsConvertsComparesAndPlansTheEdgeTpuHeavy) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
  CAE_REQUIRE_FILE("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
  TempDir dir;
  const CommandResult r =
      Cli("demo --out " + Q(dir.File("demo")) + " --epochs 2 --train-limit 6000 --limit 64");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("MAE"), std::string::npos) << r.output;
  const json m = json::parse(ReadBytes(dir.File("demo/metrics.json")));
  EXPECT_EQ(m["images"], 64);
  EXPECT_EQ(m["training"]["parameters"], 12785);
  // The trained model, written as Keras HDF5, is what the importer read back and ran.
  ASSERT_TRUE(FileExists(dir.File("demo/cae_fmnist.h5")));
  ASSERT_EQ(m["variants"].size(), 7u);
  const std::vector<std::string> names = {"keras", "float32", "float16",      "dynamic",
                                          "int8",  "int8_qat", "edgetpu_uint8"};
  for (size_t i = 0; i < names.size(); ++i) {
    const json& v = m["variants"][i];
    EXPECT_EQ(v["variant"], names[i]);
    EXPECT_LT(v["mae"].get<double>(), 0.2) << names[i];
    EXPECT_EQ(ReadNpy(dir.File("demo/" + names[i] + "_reconstructions.npy")).shape,
              (std::vector<int32_t>{64, 28, 28, 1}));
    if (i == 0) continue;
    EXPECT_TRUE(FileExists(dir.File("demo/cae_fmnist_" + names[i] + ".tflite"))) << names[i];
    // Every variant stays close to the float model; float32 equals it.
    EXPECT_LT(v["ref_mean_abs_diff"].get<double>(), i == 1 ? 1e-5 : 0.03) << names[i];
  }
  // Quantization-aware training started one epoch before the end and ran one epoch.
  EXPECT_EQ(m["qat"]["start_epoch"], 1);
  ASSERT_EQ(m["qat"]["epochs"].size(), 1u);
  EXPECT_EQ(m["qat"]["epochs"][0]["epoch"], 2);
  EXPECT_TRUE(FileExists(dir.File("demo/cae_fmnist_qat.h5")));
  // Smaller files for the quantized variants.
  EXPECT_LT(m["variants"][2]["file_size"].get<double>(), m["variants"][1]["file_size"].get<double>());
  EXPECT_LT(m["variants"][4]["file_size"].get<double>(), m["variants"][2]["file_size"].get<double>());
  // The uint8 model maps fully to the Edge TPU.
  EXPECT_EQ(m["edgetpu_plan"]["mapped"], m["edgetpu_plan"]["total"]);
  EXPECT_GT(m["edgetpu_plan"]["total"].get<int>(), 0);
  // The Markdown report: training, the variants, what each costs, the grid, the Edge TPU plan.
  const std::vector<uint8_t> md_bytes = ReadBytes(dir.File("demo/report.md"));
  const std::string md(md_bytes.begin(), md_bytes.end());
  for (const char* part : {"## Training", "| 2 | ", "## Results", "| edgetpu_uint8 | ",
                           "## What each model costs against keras", "x smaller", "![input, truth and outputs](grid.png)",
                           "## Edge TPU plan of the uint8 model", "Mapped to Edge TPU"})
    EXPECT_NE(md.find(part), std::string::npos) << part << "\n" << md;
  const Image grid = DecodeImageFile(dir.File("demo/grid.png"));
  EXPECT_GT(grid.width, 8 * 28);
  EXPECT_GT(grid.height, 7 * 28);
}


}  // namespace
}  // namespace cae::testing

namespace cae::testing {
namespace {

// `train --init` on a save_weights() file: an error pointing at --arch-json without it, a
// fine-tuned full model with it.
TEST(CliCommands, TrainFineTunesAWeightsOnlyFileWithArchJson) {
  CAE_REQUIRE_BINARY();
  const std::string w = SharedPath("fixtures/keras/HouYueJie_CAE_Keras__autoencoder_weights_only.h5");
  CAE_REQUIRE_FILE(w);
  TempDir dir;
  const std::string common = " --data " + Q(SharedPath(kMnist)) + " --epochs 1 --limit 64 --json -o ";
  CommandResult no_arch = Cli("train --init " + Q(w) + common + Q(dir.File("a.h5")));
  EXPECT_EQ(no_arch.exit_code, 1) << no_arch.output;
  EXPECT_NE(no_arch.output.find("to_json"), std::string::npos) << no_arch.output;
  const std::string arch = dir.File("arch.json");
  WriteText(arch, HouYueJieArchJson());
  const json r = ParseJson(
      Cli("train --init " + Q(w) + " --arch-json " + Q(arch) + common + Q(dir.File("b.h5"))));
  EXPECT_EQ(r["parameters"], 12537);
  EXPECT_EQ(Cli("inspect " + Q(dir.File("b.h5"))).exit_code, 0);
  CommandResult misuse = Cli("train --arch cae --arch-json " + Q(arch) + " -o " + Q(dir.File("c.h5")));
  EXPECT_EQ(misuse.exit_code, 2) << misuse.output;
  // A .keras name would get HDF5 bytes that Keras 3 cannot open as .keras: refused up front.
  CommandResult zip_name = Cli("train --arch cae --epochs 1 --limit 64 -o " + Q(dir.File("m.keras")));
  EXPECT_EQ(zip_name.exit_code, 2) << zip_name.output;
  EXPECT_NE(zip_name.output.find(".h5"), std::string::npos) << zip_name.output;
  EXPECT_FALSE(std::filesystem::exists(dir.File("m.keras")));
}


// convert -o naming its own input (also through a symbolic link) is refused; the input stays.
TEST(CliCommands, ConvertRefusesToOverwriteItsInput) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(SharedPath(kMiles));
  TempDir dir;
  const std::string model = dir.File("m.h5"), link = dir.File("link.tflite");
  std::filesystem::copy_file(SharedPath(kMiles), model);
  std::filesystem::create_symlink(model, link);
  const auto size = std::filesystem::file_size(model);
  for (const std::string& out : {model, link}) {
    CommandResult r = Cli("convert " + Q(model) + " -o " + Q(out));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("is the input model"), std::string::npos) << r.output;
  }
  EXPECT_EQ(std::filesystem::file_size(model), size);
  std::ifstream in(model, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  EXPECT_EQ(std::string(magic + 1, 3), "HDF");  // still the Keras file
}

// train on flat rows [N, D]: fine-tuning a dense model and --arch dense-ae; NaN data is refused
// naming the file.
TEST(CliCommands, TrainTakesFlatRowsAndRefusesNonFiniteData) {
  CAE_REQUIRE_BINARY();
  const std::string dense = SharedPath("fixtures/keras/kryptologyst__autoencoder.h5");
  CAE_REQUIRE_FILE(dense);
  TempDir dir;
  TensorData rows(DType::kFloat32, {64, 784});
  for (int64_t i = 0; i < rows.num_elements(); ++i) rows.as<float>()[i] = static_cast<float>(i % 251) / 250.0f;
  const std::string flat = dir.File("rows.npy");
  WriteNpy(flat, rows);
  const std::string common = " --data " + Q(flat) + " --epochs 1 --json -o ";
  EXPECT_EQ(ParseJson(Cli("train --init " + Q(dense) + common + Q(dir.File("a.h5"))))["parameters"], 222384);
  EXPECT_EQ(ParseJson(Cli("train --arch dense-ae --units 32,8" + common + Q(dir.File("b.h5"))))["parameters"],
            784 * 32 + 32 + 32 * 8 + 8 + 8 * 32 + 32 + 32 * 784 + 784);
  rows.as<float>()[5 * 784 + 3] = std::nanf("");
  const std::string bad = dir.File("nan.npy");
  WriteNpy(bad, rows);
  CommandResult r = Cli("train --arch dense-ae" + std::string(" --data ") + Q(bad) + " --epochs 1 -o " + Q(dir.File("c.h5")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(bad + ": value 3923 (item 5"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.File("c.h5")));
}

// train --init on a 1-D Keras model (Conv1D same / causal, MaxPooling1D, UpSampling1D) with
// [N, steps, C] .npy data: the loss goes down, the saved model keeps the Conv1D kernels in
// Keras's [k, cin, cout] and inspects with the model's [1, steps, C] input and output; data of
// another shape is refused naming the model's shape, and no output is written.
TEST(CliCommands, TrainFineTunesA1DKerasModel) {
  CAE_REQUIRE_BINARY();
  TempDir dir;
  auto conv1d = [](int filters, const std::string& padding, int dilation) {
    return json{{"filters", filters},         {"kernel_size", {3}},   {"strides", {1}},
                {"padding", padding},         {"activation", "relu"}, {"use_bias", true},
                {"dilation_rate", {dilation}}, {"data_format", "channels_last"}};
  };
  KerasModelBuilder b("conv1d_ae");
  std::string x = b.Input({16, 2});
  x = b.Add("Conv1D", conv1d(8, "same", 1), {x});
  x = b.Add("MaxPooling1D", {{"pool_size", {2}}, {"strides", {2}}, {"padding", "valid"}}, {x});
  x = b.Add("Conv1D", conv1d(4, "causal", 2), {x});
  x = b.Add("UpSampling1D", {{"size", 2}}, {x});
  x = b.Add("Conv1D", conv1d(2, "same", 1), {x});
  KerasModel km = b.Finish(x);
  int cin = 2, seed = 0;
  for (KerasLayer& l : km.layers) {  // kernel [3, cin, filters] U(-0.3, 0.3), bias 0
    if (l.class_name != "Conv1D") continue;
    const int filters = l.config["filters"].get<int>();
    std::vector<float> kernel(static_cast<size_t>(3 * cin * filters));
    for (float& v : kernel) v = 0.3f * std::sin(static_cast<float>(++seed) * 1.7f);
    l.weights = {{"kernel", {3, cin, filters}, kernel},
                 {"bias", {filters}, std::vector<float>(static_cast<size_t>(filters), 0.0f)}};
    cin = filters;
  }
  const std::string model = dir.File("conv1d.h5");
  SaveKerasH5(km, model);
  TensorData rows(DType::kFloat32, {64, 16, 2});
  for (int64_t i = 0; i < rows.num_elements(); ++i) {  // sample n, step t, channel c: sines
    const int64_t n = i / 32, t = (i / 2) % 16, c = i % 2;
    rows.as<float>()[i] = 0.5f + 0.4f * std::sin(0.3f * static_cast<float>(t * (1 + n % 4) + c));
  }
  const std::string data = dir.File("rows.npy");
  WriteNpy(data, rows);
  const std::string out = dir.File("out.h5");
  const json r = ParseJson(Cli("train --init " + Q(model) + " --data " + Q(data) +
                               " --epochs 4 --batch-size 16 --lr 0.01 --json -o " + Q(out)));
  EXPECT_EQ(r["parameters"], (3 * 2 * 8 + 8) + (3 * 8 * 4 + 4) + (3 * 4 * 2 + 2));
  ASSERT_EQ(r["epochs"].size(), 4u) << r.dump();
  EXPECT_LT(r["epochs"][3]["train_loss"].get<double>(), r["epochs"][0]["train_loss"].get<double>());
  const KerasModel back = LoadKerasModel(out);
  ASSERT_NE(back.FindLayer("conv1d_2"), nullptr);
  ASSERT_EQ(back.FindLayer("conv1d_2")->weights.size(), 2u);
  EXPECT_EQ(back.FindLayer("conv1d_2")->weights[0].shape, (std::vector<int32_t>{3, 8, 4}));
  const json j = ParseJson(Cli("inspect --json " + Q(out)));
  EXPECT_EQ(j["params"], r["parameters"]);
  EXPECT_EQ(j["inputs"][0]["shape"], json({1, 16, 2}));
  EXPECT_EQ(j["outputs"][0]["shape"], json({1, 16, 2}));
  TensorData wide(DType::kFloat32, {8, 16, 3});
  for (int64_t i = 0; i < wide.num_elements(); ++i) wide.as<float>()[i] = 0.5f;
  WriteNpy(dir.File("wide.npy"), wide);
  CommandResult bad = Cli("train --init " + Q(model) + " --data " + Q(dir.File("wide.npy")) +
                          " --epochs 1 -o " + Q(dir.File("bad.h5")));
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("shape [8,16,3] does not fit the model's 16x2 per sample"),
            std::string::npos)
      << bad.output;
  EXPECT_FALSE(std::filesystem::exists(dir.File("bad.h5")));
}

}  // namespace
}  // namespace cae::testing
