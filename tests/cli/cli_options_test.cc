// Options are never silently ignored or silently bounded: --resize (run, compare, convert) resizes
// image files and uint8 IDX images the same way and refuses .npy; convert refuses options its mode
// would ignore; --arch-json with a model that has its own architecture is refused; --batch is
// bounded at 2^20; `run --profile` names type-generic kernels truthfully; compare says why a
// metric is missing; "out of memory" names the file, output or tensor; count options show their
// real bounds; --percentile takes what the calibrator takes; output names match what is written;
// inspect takes --arch-json.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_helpers.h"
#include "data/image.h"
#include "data/npy.h"
#include "graph/graph.h"
#include "tflite/writer.h"

namespace cae::testing {
namespace {

using nlohmann::json;

std::string MilesWq() { return SharedPath("fixtures/keras/MilesWQ__conv_autoencoder.h5"); }
std::string Mobilenet() { return SharedPath("fixtures/coral/mobilenet_v1_0.25_128_quant.tflite"); }
std::string Mnist() { return SharedPath("fixtures/mnist/t10k-images-idx3-ubyte.gz"); }

// The only line of a one-line error, checked to start "cae2tpu: error: " ("" when not one line).
std::string OneErrorLine(const CommandResult& r) {
  const std::vector<std::string> lines = Lines(r.output);
  if (lines.size() != 1 || lines[0].rfind("cae2tpu: error: ", 0) != 0) return "";
  return lines[0];
}

bool Has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// n gray images of h x w with varied pixels: as an IDX file and as a folder of PNGs (same bytes).
void WriteGrayImages(const TempDir& dir, int n, int h, int w) {
  std::vector<uint8_t> idx = {0, 0, 8, 3, 0, 0, 0, static_cast<uint8_t>(n), 0, 0, 0, static_cast<uint8_t>(h),
                              0, 0, 0, static_cast<uint8_t>(w)};
  std::filesystem::create_directory(dir.File("png"));
  for (int i = 0; i < n; ++i) {
    Image img;
    img.width = w;
    img.height = h;
    img.channels = 1;
    for (int p = 0; p < h * w; ++p) img.pixels.push_back(static_cast<uint8_t>((p * 7919 + i * 104729) % 256));
    idx.insert(idx.end(), img.pixels.begin(), img.pixels.end());
    WritePng(dir.File("png/" + std::to_string(i) + ".png"), img);
  }
  WriteBytes(dir.File("x.idx"), idx);
}

TEST(CliOptions, ResizeTreatsIdxImagesLikeImageFilesInRunCompareAndConvert) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  CAE_REQUIRE_FILE(Mobilenet());
  TempDir dir;
  WriteGrayImages(dir, 3, 20, 24);
  // 1-channel model, 20x24 -> 28x28: the IDX file and the PNG folder give the same outputs.
  for (const char* data : {"x.idx", "png"}) {
    const CommandResult r = Cli("run " + Q(MilesWq()) + " -i " + Q(dir.File(data)) + " --resize 28x28 -o " +
                                Q(dir.File(std::string(data) + ".npy")));
    ASSERT_EQ(r.exit_code, 0) << data << "\n" << r.output;
  }
  EXPECT_EQ(ReadBytes(dir.File("x.idx.npy")), ReadBytes(dir.File("png.npy")));
  // 3-channel model: the gray value replicated, as the image decoders do.
  for (const char* data : {"x.idx", "png"}) {
    const CommandResult r = Cli("run " + Q(Mobilenet()) + " -i " + Q(dir.File(data)) + " --resize 128x128 --raw -o " +
                                Q(dir.File(std::string(data) + "_rgb.npy")));
    ASSERT_EQ(r.exit_code, 0) << data << "\n" << r.output;
  }
  EXPECT_EQ(ReadBytes(dir.File("x.idx_rgb.npy")), ReadBytes(dir.File("png_rgb.npy")));
  // Without --resize, the error names the input and points to --resize.
  const std::string unsized = OneErrorLine(Cli("run " + Q(MilesWq()) + " -i " + Q(dir.File("x.idx")) + " -o " +
                                                Q(dir.File("u.npy"))));
  EXPECT_TRUE(Has(unsized, "expects shape [N,28,28,1], found [3,20,24,1]") && Has(unsized, "--resize 28x28"))
      << unsized;
  // compare and convert read their data through the same options.
  const json cmp = json::parse(Cli("compare " + Q(MilesWq()) + " " + Q(MilesWq()) + " -d " + Q(dir.File("x.idx")) +
                                   " --resize 28x28 --json")
                                   .output);
  EXPECT_EQ(cmp["images"], 3);
  EXPECT_EQ(cmp["models"][1]["ref_max_abs_diff"], 0.0);
  const CommandResult conv = Cli("convert " + Q(MilesWq()) + " -o " + Q(dir.File("q.tflite")) +
                                 " --quant int8 --calib " + Q(dir.File("x.idx")) + " --resize 28x28 --json");
  ASSERT_EQ(conv.exit_code, 0) << conv.output;
  EXPECT_EQ(json::parse(conv.output)["calibration_samples"], 3);
}

TEST(CliOptions, ResizeRefusesNpyDataWithOneLineNamingTheFile) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  const std::string npy = dir.File("x.npy");
  WriteNpy(npy, TensorData(DType::kFloat32, {2, 28, 28, 1}));
  for (const std::string& args :
       {"run " + Q(MilesWq()) + " -i " + Q(npy) + " --resize 28x28 -o " + Q(dir.File("y.npy")),
        "compare " + Q(MilesWq()) + " " + Q(MilesWq()) + " -d " + Q(npy) + " --resize 28x28",
        "convert " + Q(MilesWq()) + " -o " + Q(dir.File("q.tflite")) + " --quant int8 --calib " + Q(npy) +
            " --resize 28x28"}) {
    const CommandResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    const std::string line = OneErrorLine(r);
    EXPECT_TRUE(Has(line, npy + ": .npy arrays are not resized")) << args << "\n" << r.output;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.File("y.npy")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("q.tflite")));
  // A malformed size is a usage mistake.
  const CommandResult bad = Cli("run " + Q(MilesWq()) + " -i " + Q(npy) + " --resize 28 -o " + Q(dir.File("y.npy")));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(Has(OneErrorLine(bad), "--resize expects HxW")) << bad.output;
}

TEST(CliOptions, ConvertRefusesOptionsItsModeWouldIgnore) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  const std::string head = "convert " + Q(MilesWq()) + " -o " + Q(dir.File("m.tflite")) + " ";
  const std::string int8 = "--quant int8 --calib " + Q(Mnist()) + " --calib-samples 8 ";
  const struct {
    std::string args, message;
  } cases[] = {
      {int8 + "--percentile 99", "--percentile is used only with --calib-method percentile (found --calib-method minmax)"},
      {int8 + "--calib-method mse --percentile 99", "--percentile is used only with --calib-method percentile"},
      {"--quant float16 --calib-method mse", "--calib-method is used only with --quant int8"},
      {"--quant dynamic --calib-samples 10", "--calib-samples is used only with --quant int8"},
      {"--percentile 99", "--percentile is used only with --quant int8"},
      {"--resize 28x28", "--resize is used only with --quant int8"},
      {"--quant float16 --per-tensor", "--per-tensor is used only with --quant int8 or dynamic"},
  };
  for (const auto& c : cases) {
    const CommandResult r = Cli(head + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_TRUE(Has(OneErrorLine(r), c.message)) << c.args << "\n" << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir.File("m.tflite"))) << c.args;
  }
  // Where they apply, they are taken.
  const CommandResult ok = Cli(head + int8 + "--calib-method percentile --percentile 99 --json");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(json::parse(ok.output)["calibration_method"], "percentile");
  EXPECT_EQ(Cli(head + "--quant dynamic --per-tensor --quiet").exit_code, 0);
}

TEST(CliOptions, ArchJsonWithAModelThatHasItsOwnArchitectureIsAUsageError) {  // run, convert, train
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  CAE_REQUIRE_FILE(Mobilenet());
  TempDir dir;
  WriteText(dir.File("arch.json"), "{}");
  for (const std::string& model : {MilesWq(), Mobilenet()}) {
    for (const std::string& args :
         {"run " + Q(model) + " -i " + Q(Mnist()) + " -o " + Q(dir.File("y.npy")),
          "convert " + Q(model) + " -o " + Q(dir.File("m.tflite"))}) {
      const CommandResult r = Cli(args + " --arch-json " + Q(dir.File("arch.json")));
      EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
      const std::string line = OneErrorLine(r);
      EXPECT_TRUE(Has(line, model + ": --arch-json is only for weights-only Keras HDF5 files") &&
                  Has(line, "holds its own architecture"))
          << args << "\n" << r.output;
    }
  }
  // train --init: the same rule for the model it fine-tunes.
  const CommandResult train = Cli("train --init " + Q(MilesWq()) + " --arch-json " + Q(dir.File("arch.json")) +
                                  " --data " + Q(Mnist()) + " --limit 8 --epochs 1 -o " + Q(dir.File("t.h5")));
  EXPECT_EQ(train.exit_code, 2) << train.output;
  EXPECT_TRUE(Has(OneErrorLine(train), MilesWq() + ": --arch-json is only for weights-only Keras HDF5 files"))
      << train.output;
  EXPECT_FALSE(std::filesystem::exists(dir.File("y.npy")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("m.tflite")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("t.h5")));
}

TEST(CliOptions, BatchIsAtMostTwoToTheTwentieth) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  for (const char* cmd : {"run", "compare", "demo"}) {
    const CommandResult help = Cli(std::string(cmd) + " --help");
    EXPECT_TRUE(Has(help.output, "--batch INT:INT in [1 - 1048576]")) << cmd << "\n" << help.output;
    EXPECT_FALSE(Has(help.output, "2147483648")) << cmd << "\n" << help.output;
  }
  TempDir dir;
  const std::string run = "run " + Q(MilesWq()) + " -i " + Q(Mnist()) + " --limit 4 -o " + Q(dir.File("y.npy"));
  const CommandResult over = Cli(run + " --batch 1048577");
  EXPECT_EQ(over.exit_code, 2) << over.output;
  EXPECT_TRUE(Has(OneErrorLine(over), "--batch")) << over.output;
  EXPECT_EQ(Cli(run + " --batch 1048576 --quiet").exit_code, 0);
}

TEST(CliOptions, ProfileNamesTypeGenericKernelsAsGeneric) {
  CAE_REQUIRE_BINARY();
  const std::string unet = SharedPath("fixtures/keras/hiwony7933__unet_mnist.h5");
  CAE_REQUIRE_FILE(unet);
  TempDir dir;
  const std::string int8 = dir.File("unet_int8.tflite");
  ASSERT_EQ(Cli("convert " + Q(unet) + " -o " + Q(int8) + " --quant int8 --calib " + Q(Mnist()) +
                " --calib-samples 8 --quiet")
                .exit_code,
            0);
  // Kernel names per model: the float model's CONCATENATION is float, the int8 one copies bytes.
  for (const auto& [model, want] : {std::pair{unet, std::string("ref/float/concatenation")},
                                    std::pair{int8, std::string("ref/generic/concatenation")}}) {
    const CommandResult r = Cli("run " + Q(model) + " -i " + Q(Mnist()) + " --limit 2 --profile --json -o " +
                                Q(dir.File("y.npy")));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json profile = json::parse(r.output)["profile"];
    int concats = 0;
    for (const json& row : profile) {
      if (row["op"] != "CONCATENATION") continue;
      ++concats;
      EXPECT_EQ(row["kernel"], want) << model;
    }
    EXPECT_EQ(concats, 2) << model;
  }
}

// A float16 model's weights are DEQUANTIZE outputs: the profile shows them in their own shape
// (not with dim 0 replaced by the item count) and at 0 ms (run once when the model is loaded).
TEST(CliOptions, ProfileShowsWeightTensorsInTheirOwnShape) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  const std::string f16 = dir.File("f16.tflite");
  ASSERT_EQ(Cli("convert " + Q(MilesWq()) + " -o " + Q(f16) + " --quant float16 --quiet").exit_code, 0);
  const CommandResult r = Cli("run " + Q(f16) + " -i " + Q(Mnist()) + " --limit 3 --batch 1 --profile --json -o " +
                              Q(dir.File("y.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json out = json::parse(r.output);
  int dequantize = 0, convs = 0;
  for (const json& row : out["profile"]) {
    const std::string shape = row["output_shape"];
    if (row["op"] == "DEQUANTIZE") {
      ++dequantize;
      EXPECT_NE(shape.rfind("[3,", 0), 0u) << shape;  // a weight's own dim 0, not the 3 items
      EXPECT_EQ(row["ms"], 0.0) << shape;
    } else if (row["op"] == "CONV_2D") {
      ++convs;
      EXPECT_EQ(shape.rfind("[3,", 0), 0u) << shape;  // activations: dim 0 = items
    }
  }
  EXPECT_GT(dequantize, 0);
  EXPECT_GT(convs, 0);
}

TEST(CliOptions, CompareSaysWhyMetricsAreMissing) {
  CAE_REQUIRE_BINARY();
  const std::string ae = SharedPath("fixtures/keras/zxzhaixiang__autoencoder_mnist.h5");
  const std::string encoder = SharedPath("fixtures/keras/zxzhaixiang__encoder_mnist.h5");
  CAE_REQUIRE_FILE(ae);
  CAE_REQUIRE_FILE(encoder);
  const std::string args = "compare " + Q(ae) + " " + Q(encoder) + " -d " + Q(Mnist()) + " --limit 10";
  const CommandResult table = Cli(args);
  ASSERT_EQ(table.exit_code, 0) << table.output;
  const std::vector<std::string> lines = Lines(table.output);
  ASSERT_EQ(lines.size(), 9u) << table.output;  // then what the encoder costs: 4 lines
  EXPECT_TRUE(Has(lines[1], "  note")) << lines[1];
  EXPECT_TRUE(Has(lines[4], "output [10,32] vs data [10,28,28,1]; vs reference [10,28,28,1]")) << lines[4];
  const json j = json::parse(Cli(args + " --json").output);
  EXPECT_TRUE(j["models"][0]["note"].is_null());
  EXPECT_EQ(j["models"][1]["note"], "output [10,32] vs data [10,28,28,1]; vs reference [10,28,28,1]");
  // Models that measure everything keep the table without the column.
  EXPECT_FALSE(Has(Cli("compare " + Q(ae) + " " + Q(ae) + " -d " + Q(Mnist()) + " --limit 10").output, "note"));
}

#if defined(__SANITIZE_ADDRESS__)
#define CAE_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAE_UNDER_ASAN 1
#endif
#endif

// input x [1,4] float -> TILE by [1, 2^24] -> y [1, 2^26]: 256 MiB of output per item.
Model HugeOutputModel() {
  Model m;
  m.subgraphs.emplace_back();
  Graph& g = m.main();
  Tensor x;
  x.name = "x";
  x.shape = {1, 4};
  Tensor multiples;
  multiples.name = "multiples";
  multiples.type = DType::kInt32;
  multiples.shape = {2};
  const int32_t mult[2] = {1, 1 << 24};
  multiples.data.resize(sizeof(mult));
  std::memcpy(multiples.data.data(), mult, sizeof(mult));
  Tensor y;
  y.name = "tiled";
  y.shape = {1, 4 << 24};
  Op tile;
  tile.type = OpType::TILE;
  tile.inputs = {g.AddTensor(x), g.AddTensor(multiples)};
  tile.outputs = {g.AddTensor(y)};
  g.AddOp(tile);
  g.inputs = {tile.inputs[0]};
  g.outputs = tile.outputs;
  return m;
}

// Under `ulimit -v` (so skipped under ASan, whose shadow memory needs more). OPENBLAS_NUM_THREADS=1:
// OpenBLAS's server thread spins at exit when mmap fails.
TEST(CliOptions, OutOfMemoryNamesTheFileTheOutputOrTheTensor) {
#ifdef CAE_UNDER_ASAN
  GTEST_SKIP() << "ulimit -v does not work under AddressSanitizer";
#endif
  CAE_REQUIRE_BINARY();
  const std::string train = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  CAE_REQUIRE_FILE(train);
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  auto limited = [&](int mib, const std::string& args) {
    return RunCommand("ulimit -v " + std::to_string(mib * 1024) + " && OPENBLAS_NUM_THREADS=1 timeout 120 " +
                      Q(Cae2tpu()) + " " + args);
  };
  // 60,000 images as float32 (188 MB) do not fit in 200 MiB of address space.
  const CommandResult data = limited(200, "run " + Q(MilesWq()) + " -i " + Q(train) + " -o " + Q(dir.File("y.npy")));
  EXPECT_EQ(data.exit_code, 1);
  EXPECT_TRUE(Has(OneErrorLine(data), train + ": out of memory while loading the data")) << data.output;
  // One item: the activation arena holds the 256 MiB output; the message names the tensor.
  const std::string model = dir.File("huge.tflite");
  WriteTflite(HugeOutputModel(), model);
  WriteNpy(dir.File("x1.npy"), TensorData(DType::kFloat32, {1, 4}));
  WriteNpy(dir.File("x8.npy"), TensorData(DType::kFloat32, {8, 4}));
  const CommandResult arena = limited(200, "run " + Q(model) + " -i " + Q(dir.File("x1.npy")) + " --threads 1 -o " +
                                               Q(dir.File("y.npy")));
  EXPECT_EQ(arena.exit_code, 1);
  const std::string arena_line = OneErrorLine(arena);
  EXPECT_TRUE(Has(arena_line, model + ": out of memory allocating the activation arena") &&
              Has(arena_line, "largest tensor 2 'tiled' 268435456 bytes"))
      << arena.output;
  // Eight items one at a time: the arena fits, the 2 GiB of outputs do not; the output is named.
  const CommandResult outputs = limited(768, "run " + Q(model) + " -i " + Q(dir.File("x8.npy")) +
                                                 " --batch 1 --threads 1 -o " + Q(dir.File("y.npy")));
  EXPECT_EQ(outputs.exit_code, 1);
  EXPECT_TRUE(Has(OneErrorLine(outputs), model + ": out of memory allocating output 0 'tiled' [8,67108864]"))
      << outputs.output;
  EXPECT_FALSE(std::filesystem::exists(dir.File("y.npy")));
}

// Count options state their real bounds ([1 - 65536], not CLI11's "0.000000 to 1797...") in the help
// and in the one-line error, which names the option.
TEST(CliOptions, CountOptionsShowReadableBounds) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  const std::string convert = "convert " + Q(MilesWq()) + " -o " + Q(dir.File("m.tflite")) + " --quant int8 --calib " +
                              Q(Mnist()) + " ";
  const std::string train = "train --arch cae -o " + Q(dir.File("t.h5")) + " ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {convert + "--calib-samples 0", "--calib-samples: Value 0 not in range 1 to 1048576"},
      {train + "--batch-size 0", "--batch-size: Value 0 not in range 1 to 65536"},
      {train + "--batch-size 65537", "--batch-size: Value 65537 not in range 1 to 65536"},
      {train + "--epochs -1", "--epochs: Value -1 not in range 0 to 100000"},
      {train + "--limit 0", "--limit: Value 0 not in range 1 to 2147483647"},
      {train + "--threads 257", "--threads: Value 257 not in range 0 to 256"}};
  for (const auto& [args, expected] : cases) {
    const CommandResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_TRUE(Has(OneErrorLine(r), expected)) << args << "\n" << r.output;
  }
  const std::string help = Cli("train --help").output + Cli("convert --help").output;
  for (const char* shown : {"--epochs INT:INT in [0 - 100000]", "--batch-size INT:INT in [1 - 65536]",
                            "--limit INT:INT in [1 - 2147483647]", "--threads INT:INT in [0 - 256]",
                            "--calib-samples INT:INT in [1 - 1048576]"})
    EXPECT_TRUE(Has(help, shown)) << shown << "\n" << help;
  EXPECT_FALSE(Has(help, "POSITIVE")) << help;
  EXPECT_FALSE(Has(help, "1797693")) << help;
  EXPECT_FALSE(std::filesystem::exists(dir.File("m.tflite")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("t.h5")));
}

// --percentile takes what the calibrator takes, (50, 100]: 50, NaN and 100.5 are usage errors
// naming --percentile (not the model), and 100 is accepted.
TEST(CliOptions, PercentileOptionMatchesTheCalibrator) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  const std::string head = "convert " + Q(MilesWq()) + " -o " + Q(dir.File("m.tflite")) + " --quant int8 --calib " +
                           Q(Mnist()) + " --calib-samples 8 --calib-method percentile --percentile ";
  for (const char* bad : {"50", "nan", "100.5", "-inf", "x"}) {
    const CommandResult r = Cli(head + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.output;
    const std::string line = OneErrorLine(r);
    EXPECT_TRUE(Has(line, std::string("--percentile: Value ") + bad + " not in range (50 - 100]")) << r.output;
    EXPECT_FALSE(Has(line, MilesWq())) << r.output;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.File("m.tflite")));
  EXPECT_TRUE(Has(Cli("convert --help").output, "--percentile FLOAT:FLOAT in (50 - 100]"));
  const CommandResult ok = Cli(head + "100 --quiet");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

// Output names say what is written: run writes .npy, convert .tflite (any case); other names are
// refused before any work. Devices and FIFOs (no extension) and links to a right name still work.
// Folder options (edgetpu segment -o, demo --out) refuse a file and a model/array file name.
TEST(CliOptions, OutputNamesMatchWhatIsWritten) {
  CAE_REQUIRE_BINARY();
  CAE_REQUIRE_FILE(MilesWq());
  CAE_REQUIRE_FILE(Mobilenet());
  TempDir dir;
  const std::string run = "run " + Q(MilesWq()) + " -i " + Q(Mnist()) + " --limit 2 --quiet -o ";
  const std::string convert = "convert " + Q(MilesWq()) + " --quiet -o ";
  const std::vector<std::pair<std::string, std::string>> refused = {
      {run + Q(dir.File("out.h5")), "out.h5: run writes .npy arrays, so the name must end in .npy"},
      {run + Q(dir.File("out")), "out: run writes .npy arrays, so the name must end in .npy"},
      {convert + Q(dir.File("x.npy")), "x.npy: convert writes a TFLite model, so the name must end in .tflite"},
      {"edgetpu segment " + Q(Mobilenet()) + " -n 2 -o " + Q(dir.File("seg.tflite")),
       "seg.tflite: names a folder for the output files, not a .tflite file"},
      {"demo --out " + Q(dir.File("m.h5")), "m.h5: names a folder for the output files, not a .h5 file"},
      {"edgetpu segment " + Q(Mobilenet()) + " -n 2 -o ''", "-o is empty; give a folder for the output files"},
      {"demo --out ''", "--out is empty; give a folder for the output files"}};
  for (const auto& [args, expected] : refused) {
    const CommandResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_TRUE(Has(OneErrorLine(r), expected)) << args << "\n" << r.output;
  }
  EXPECT_TRUE(ListFiles(dir.path()).empty());
  WriteText(dir.File("afile"), "kept");
  const CommandResult file_as_folder = Cli("edgetpu segment " + Q(Mobilenet()) + " -n 2 -o " + Q(dir.File("afile")));
  EXPECT_EQ(file_as_folder.exit_code, 2) << file_as_folder.output;
  EXPECT_TRUE(Has(OneErrorLine(file_as_folder), "afile: exists and is not a folder")) << file_as_folder.output;

  EXPECT_EQ(Cli(run + "/dev/null").exit_code, 0);
  EXPECT_EQ(Cli(convert + "/dev/null").exit_code, 0);
  EXPECT_EQ(Cli(run + Q(dir.File("Y.NPY"))).exit_code, 0);
  EXPECT_EQ(Cli(convert + Q(dir.File("M.TFLite"))).exit_code, 0);
  std::filesystem::create_symlink(dir.File("target.npy"), dir.File("link"));
  EXPECT_EQ(Cli(run + Q(dir.File("link"))).exit_code, 0);
  EXPECT_EQ(ReadBytes(dir.File("target.npy")), ReadBytes(dir.File("Y.NPY")));
  // A FIFO without extension: the .npy bytes come out of the pipe.
  const std::string fifo = dir.File("pipe"), copy = dir.File("copy.bin");
  ASSERT_EQ(RunCommand("mkfifo " + Q(fifo)).exit_code, 0);
  const CommandResult piped = RunCommand("cat " + Q(fifo) + " > " + Q(copy) + " & reader=$!; " + Q(Cae2tpu()) + " " +
                                         run + Q(fifo) + "; rc=$?; wait $reader; exit $rc");
  EXPECT_EQ(piped.exit_code, 0) << piped.output;
  EXPECT_EQ(ReadBytes(copy), ReadBytes(dir.File("Y.NPY")));
}

// inspect reads a weights-only Keras HDF5 with --arch-json, as run and convert do; the error
// without it points at the architecture JSON, and --arch-json with a full model is refused.
TEST(CliOptions, InspectTakesArchJsonForWeightsOnlyFiles) {
  CAE_REQUIRE_BINARY();
  const std::string w = SharedPath("fixtures/keras/HouYueJie_CAE_Keras__autoencoder_weights_only.h5");
  CAE_REQUIRE_FILE(w);
  CAE_REQUIRE_FILE(MilesWq());
  TempDir dir;
  const std::string arch = dir.File("arch.json");
  WriteText(arch, HouYueJieArchJson());
  const CommandResult missing = Cli("inspect " + Q(w));
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_TRUE(Has(OneErrorLine(missing), w + ": weights-only file")) << missing.output;
  EXPECT_TRUE(Has(Cli("inspect --help").output, "--arch-json")) << "inspect offers the option the error asks for";
  const CommandResult ok = Cli("inspect " + Q(w) + " --arch-json " + Q(arch) + " --json");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  const json j = json::parse(ok.output);
  EXPECT_EQ(j["format"], "keras");
  EXPECT_EQ(j["params"], 12537);
  EXPECT_EQ(Cli("inspect " + Q(w) + " --arch-json " + Q(arch)).exit_code, 0);
  const CommandResult unused = Cli("inspect " + Q(MilesWq()) + " --arch-json " + Q(arch));
  EXPECT_EQ(unused.exit_code, 2) << unused.output;
  EXPECT_TRUE(Has(OneErrorLine(unused), MilesWq() + ": --arch-json is only for weights-only Keras HDF5 files"))
      << unused.output;
}

}  // namespace
}  // namespace cae::testing
