// Bad input: each case is one clear cae::Error naming the file, never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "graph/error.h"
#include "h5_test_writer.h"
#include "keras/keras_import.h"
#include "keras_test_util.h"
#include "support/fixtures.h"

namespace cae::testing {
namespace {

// Runs fn, expecting a cae::Error whose message contains every one of parts.
template <typename Fn>
void ExpectError(Fn fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "expected cae::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const std::string& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg;
  }
}

// A one-layer Keras 2 functional model: input 6x6x1 -> layer (class, config).
std::string OneLayerConfig(const std::string& cls, const std::string& config) {
  return R"({"class_name": "Model", "config": {"name": "m", "layers": [
    {"name": "input_1", "class_name": "InputLayer",
     "config": {"batch_input_shape": [null, 6, 6, 1], "dtype": "float32", "name": "input_1"},
     "inbound_nodes": []},
    {"name": "l1", "class_name": ")" +
         cls + R"(", "config": )" + config + R"(,
     "inbound_nodes": [[["input_1", 0, 0, {}]]]}],
    "input_layers": [["input_1", 0, 0]], "output_layers": [["l1", 0, 0]]}})";
}

void WriteModelFile(const std::string& path, const std::string& config,
                    const std::vector<hsize_t>& kernel_dims, int bias) {
  H5TestWriter w(path);
  w.StringAttr("/", "model_config", config);
  w.StringAttr("/", "keras_version", "2.4.0");
  w.Group("/model_weights");
  w.StringListAttr("/model_weights", "layer_names", {"input_1", "l1"});
  w.Group("/model_weights/input_1");
  w.StringListAttr("/model_weights/input_1", "weight_names", {});
  w.Group("/model_weights/l1");
  if (kernel_dims.empty()) {
    w.StringListAttr("/model_weights/l1", "weight_names", {});
    return;
  }
  w.StringListAttr("/model_weights/l1", "weight_names", {"l1/kernel:0", "l1/bias:0"});
  size_t n = 1;
  for (hsize_t d : kernel_dims) n *= d;
  w.FloatDataset("/model_weights/l1/l1/kernel:0", kernel_dims, std::vector<float>(n, 0.5f));
  w.FloatDataset("/model_weights/l1/l1/bias:0", {static_cast<hsize_t>(bias)},
                 std::vector<float>(static_cast<size_t>(bias), 0.0f));
}

TEST(KerasErrors, MissingFile) {
  TempDir dir;
  const std::string path = dir.File("nope.h5");
  ExpectError([&] { LoadKerasModel(path); }, {path, "cannot open"});
  EXPECT_FALSE(LooksLikeKerasFile(path));
}

TEST(KerasErrors, NotAnHdf5File) {
  TempDir dir;
  const std::string path = dir.File("text.h5");
  WriteText(path, "this is not a model\n");
  ExpectError([&] { LoadKerasModel(path); }, {path, "not a Keras file"});
  EXPECT_FALSE(LooksLikeKerasFile(path));
}

TEST(KerasErrors, ZipWithoutConfig) {
  TempDir dir;
  const std::string path = dir.File("x.keras");
  // A valid empty zip archive (end-of-central-directory record only) has no local header, so
  // write a one-entry stored zip by hand: not a Keras archive.
  WriteText(path, std::string("PK\x03\x04", 4) + std::string(40, '\0'));
  ExpectError([&] { LoadKerasModel(path); }, {path});
  EXPECT_FALSE(LooksLikeKerasFile(path));
}

TEST(KerasErrors, BrokenZipSaysWhyInWords) {
  TempDir dir;
  const std::string path = dir.File("broken.keras");
  // A zip's local-header signature and then nothing a zip reader can use.
  WriteText(path, std::string("PK\x03\x04", 4) + std::string(40, '\0'));
  try {
    LoadKerasModel(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot open as a zip archive (Not a zip archive)");
  }
}

TEST(KerasErrors, TruncatedHdf5) {
  const std::string src = KerasFixture("MilesWQ__conv_autoencoder.h5");
  CAE_REQUIRE_FILE(src);
  TempDir dir;
  std::vector<uint8_t> bytes = ReadBytes(src);
  for (size_t keep : {size_t{8}, size_t{600}, size_t{4096}, bytes.size() / 2, bytes.size() - 100}) {
    const std::string path = dir.File("truncated_" + std::to_string(keep) + ".h5");
    WriteBytes(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(keep)));
    ExpectError([&] { LowerKerasModel(LoadKerasModel(path)); }, {path});
  }
}

// The fixture with its global heap (where variable-length strings such as model_config live)
// patched at `offset` bytes after the "GCOL" signature with the 8-byte little-endian `value`.
std::string CorruptGlobalHeap(const TempDir& dir, const std::string& name, size_t offset, uint64_t value) {
  const std::vector<uint8_t> bytes = ReadBytes(KerasFixture("MilesWQ__conv_autoencoder.h5"));
  const std::string sig = "GCOL";
  const auto at = std::search(bytes.begin(), bytes.end(), sig.begin(), sig.end());
  EXPECT_NE(at, bytes.end()) << "no global heap in the fixture";
  std::vector<uint8_t> out = bytes;
  const size_t pos = static_cast<size_t>(at - bytes.begin()) + offset;
  for (int i = 0; i < 8; ++i) out.at(pos + i) = static_cast<uint8_t>(value >> (8 * i));
  const std::string path = dir.File(name);
  WriteBytes(path, out);
  return path;
}

// libhdf5 1.10 crashes (SIGSEGV in H5HG_read) on a global heap collection that claims to be
// smaller than its header: we must report it, not crash.
TEST(KerasErrors, CorruptGlobalHeapCrashIsReported) {
  CAE_REQUIRE_FILE(KerasFixture("MilesWQ__conv_autoencoder.h5"));
  TempDir dir;
  const std::string path = CorruptGlobalHeap(dir, "heap_small.h5", 8, 16);
  ExpectError([&] { LoadKerasModel(path); }, {path, "model_config"});
}

// A heap object size near 2^64 makes libhdf5 1.10 loop forever: we stop it after 10 s.
TEST(KerasErrors, CorruptGlobalHeapHangIsStoppedHeavy) {
  CAE_REQUIRE_FILE(KerasFixture("MilesWQ__conv_autoencoder.h5"));
  TempDir dir;
  const std::string path = CorruptGlobalHeap(dir, "heap_loop.h5", 24, 0xffffffffffff0000ull);
  ExpectError([&] { LoadKerasModel(path); }, {path, "model_config"});
}

TEST(KerasErrors, Hdf5WithoutModelConfig) {
  TempDir dir;
  const std::string path = dir.File("plain.h5");
  {
    H5TestWriter w(path);
    w.Group("/data");
    w.FloatDataset("/data/x", {3}, {1, 2, 3});
  }
  EXPECT_TRUE(LooksLikeKerasFile(path));  // by magic bytes
  ExpectError([&] { LoadKerasModel(path); }, {path, "model_config"});
}

TEST(KerasErrors, MalformedModelConfig) {
  TempDir dir;
  const std::string path = dir.File("badjson.h5");
  {
    H5TestWriter w(path);
    w.StringAttr("/", "model_config", "{\"class_name\": \"Model\", \"config\": {");
  }
  ExpectError([&] { LoadKerasModel(path); }, {path, "model_config is not valid JSON"});
}

TEST(KerasErrors, UnknownLayerClass) {
  TempDir dir;
  const std::string path = dir.File("unknown.h5");
  WriteModelFile(path, OneLayerConfig("FancyLayer", R"({"name": "l1"})"), {}, 0);
  KerasModel km = LoadKerasModel(path);
  ExpectError([&] { LowerKerasModel(km); },
              {path, "layer 'l1' (FancyLayer): unsupported layer class"});
}

TEST(KerasErrors, WeightShapeMismatch) {
  TempDir dir;
  const std::string path = dir.File("mismatch.h5");
  WriteModelFile(path,
                 OneLayerConfig("Conv2D", R"({"name": "l1", "filters": 4, "kernel_size": [3, 3],
                   "strides": [1, 1], "padding": "same", "activation": "relu", "use_bias": true})"),
                 {3, 3, 1, 5}, 4);
  KerasModel km = LoadKerasModel(path);
  ExpectError([&] { LowerKerasModel(km); },
              {path, "layer 'l1' (Conv2D)", "weight 'kernel'", "[3,3,1,5]", "[3,3,1,4]"});
}

TEST(KerasErrors, MissingWeightsGroup) {
  TempDir dir;
  const std::string path = dir.File("noweights.h5");
  {
    H5TestWriter w(path);
    w.StringAttr("/", "model_config",
                 OneLayerConfig("Dense", R"({"name": "l1", "units": 3, "activation": "linear"})"));
    w.Group("/model_weights");
  }
  ExpectError([&] { LoadKerasModel(path); }, {path, "layer 'l1' (Dense)", "no weights group"});
}

TEST(KerasErrors, Conv2DTransposeDilationIsRejected) {
  TempDir dir;
  const std::string path = dir.File("dilated.h5");
  WriteModelFile(path, OneLayerConfig("Conv2DTranspose", R"({"name": "l1", "filters": 2,
                   "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                   "dilation_rate": [2, 2], "activation": "linear", "use_bias": true})"),
                 {3, 3, 2, 1}, 2);
  KerasModel km = LoadKerasModel(path);
  ExpectError([&] { LowerKerasModel(km); }, {path, "layer 'l1' (Conv2DTranspose)", "dilation"});
}

TEST(KerasErrors, GroupedConvIsRejected) {
  TempDir dir;
  const std::string path = dir.File("groups.h5");
  WriteModelFile(path,
                 OneLayerConfig("Conv2D", R"({"name": "l1", "filters": 2, "kernel_size": [3, 3],
                   "padding": "same", "groups": 2, "activation": "linear", "use_bias": true})"),
                 {3, 3, 1, 2}, 2);
  KerasModel km = LoadKerasModel(path);
  ExpectError([&] { LowerKerasModel(km); }, {path, "layer 'l1' (Conv2D)", "groups"});
}

TEST(KerasErrors, DanglingInboundReference) {
  TempDir dir;
  const std::string path = dir.File("dangling.h5");
  std::string cfg = OneLayerConfig("Dense", R"({"name": "l1", "units": 3})");
  const std::string needle = "[[\"input_1\", 0, 0, {}]]";
  cfg.replace(cfg.find(needle), needle.size(), "[[\"ghost\", 0, 0, {}]]");
  {
    H5TestWriter w(path);
    w.StringAttr("/", "model_config", cfg);
  }
  ExpectError([&] { LoadKerasModel(path); }, {path, "unknown layer 'ghost'"});
}

// The HouYueJie file holds weights only. Its architecture (from the layer names and weight
// shapes: Conv2D 32-16-8-2 3x3, Conv2DTranspose 2-8-16-32-1 3x3) as model.to_json() writes it,
// with the strides and padding of the original script: stride-2 'same' everywhere except the
// last transposed conv (stride 1, sigmoid), on 240x320x1 images.
std::string HouYueJieArchitecture() {
  std::string layers = R"({"name": "input_1", "class_name": "InputLayer", "config":
      {"batch_input_shape": [null, 240, 320, 1], "dtype": "float32", "name": "input_1"},
      "inbound_nodes": []})";
  std::string prev = "input_1";
  auto add = [&](const std::string& cls, const std::string& name, int filters, int stride,
                 const std::string& act) {
    layers += R"(, {"name": ")" + name + R"(", "class_name": ")" + cls + R"(", "config":
        {"name": ")" +
              name + R"(", "filters": )" + std::to_string(filters) +
              R"(, "kernel_size": [3, 3], "strides": [)" + std::to_string(stride) + ", " +
              std::to_string(stride) + R"(], "padding": "same", "activation": ")" + act +
              R"(", "use_bias": true}, "inbound_nodes": [[[")" + prev + R"(", 0, 0, {}]]]})";
    prev = name;
  };
  add("Conv2D", "conv2d", 32, 2, "linear");
  add("Conv2D", "conv2d_1", 16, 2, "linear");
  add("Conv2D", "conv2d_2", 8, 2, "linear");
  add("Conv2D", "conv2d_3", 2, 2, "linear");
  add("Conv2DTranspose", "conv2d_transpose", 2, 2, "linear");
  add("Conv2DTranspose", "conv2d_transpose_1", 8, 2, "linear");
  add("Conv2DTranspose", "conv2d_transpose_2", 16, 2, "linear");
  add("Conv2DTranspose", "conv2d_transpose_3", 32, 2, "linear");
  add("Conv2DTranspose", "conv2d_transpose_4", 1, 1, "sigmoid");
  return R"({"class_name": "Model", "config": {"name": "model", "layers": [)" + layers +
         R"(], "input_layers": [["input_1", 0, 0]], "output_layers": [["conv2d_transpose_4", 0,
         0]]}, "keras_version": "2.3.0-tf", "backend": "tensorflow"})";
}

TEST(KerasErrors, WeightsOnlyFileNeedsArchitecture) {
  const std::string path = KerasFixture("HouYueJie_CAE_Keras__autoencoder_weights_only.h5");
  CAE_REQUIRE_FILE(path);
  ExpectError([&] { LoadKerasModel(path); }, {path, "weights-only"});

  TempDir dir;
  const std::string arch = dir.File("arch.json");
  WriteText(arch, HouYueJieArchitecture());
  KerasModel km = LoadKerasModel(path, arch);
  EXPECT_EQ(km.keras_version, "2.3.0-tf");
  // Conv 3x3: 1->32 (320), 32->16 (4624), 16->8 (1160), 8->2 (146); transposed 3x3: 2->2 (38),
  // 2->8 (152), 8->16 (1168), 16->32 (4640), 32->1 (289).
  EXPECT_EQ(km.ParamCount(), 320 + 4624 + 1160 + 146 + 38 + 152 + 1168 + 4640 + 289);
  Model m = LowerKerasModel(km);
  const Graph& g = m.main();
  EXPECT_EQ(g.tensors[g.outputs[0]].shape, (std::vector<int32_t>{1, 240, 320, 1}));
  EXPECT_EQ(CountOps(m)["TRANSPOSE_CONV"], 5);

  const std::string missing_arch = dir.File("missing.json");
  ExpectError([&] { LoadKerasModel(path, missing_arch); }, {missing_arch});
}

// The architecture file is read up to the config limit (64 MiB): an endless stream or a folder is
// refused naming it, instead of being read until memory runs out.
TEST(KerasErrors, ArchitectureFileIsBounded) {
  const std::string path = KerasFixture("HouYueJie_CAE_Keras__autoencoder_weights_only.h5");
  CAE_REQUIRE_FILE(path);
  CAE_REQUIRE_FILE("/dev/zero");
  ExpectError([&] { LoadKerasModel(path, "/dev/zero"); }, {"/dev/zero: architecture JSON is larger than 64 MiB"});
  TempDir dir;
  ExpectError([&] { LoadKerasModel(path, dir.path()); }, {dir.path() + ": architecture JSON is a folder"});
}

}  // namespace
}  // namespace cae::testing
