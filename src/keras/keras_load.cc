// LoadKerasModel and LooksLikeKerasFile: file formats in, KerasModel out.
#include <zip.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "graph/error.h"
#include "keras/hdf5_reader.h"
#include "keras/keras_config.h"
#include "keras/keras_import.h"
#include "keras/keras_weights.h"

namespace cae {
namespace {

using nlohmann::json;

constexpr int64_t kMaxConfigBytes = int64_t{64} << 20;
constexpr int64_t kMaxWeightsBytes = int64_t{2} << 30;

bool HasZipSignature(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char buf[4];
  return in.read(buf, 4) && std::memcmp(buf, "PK\x03\x04", 4) == 0;
}

// The whole text of a config file given beside a model (at most kMaxConfigBytes, like a .keras
// config.json: a larger file or an endless stream such as /dev/zero is refused, not read).
std::string ReadTextFile(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) Fail(path, ": ", what, " is a folder, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path, ": cannot open ", what, " (missing or unreadable)");
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (static_cast<int64_t>(text.size()) > kMaxConfigBytes)
      Fail(path, ": ", what, " is larger than ", kMaxConfigBytes >> 20, " MiB (the limit for a model config)");
  }
  return text;
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

ZipPtr OpenZip(const std::string& path) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (z == nullptr) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    const std::string why = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    Fail(path, ": cannot open as a zip archive (", why, ")");
  }
  return ZipPtr(z);
}

std::optional<std::vector<uint8_t>> ReadZipEntry(zip_t* z, const std::string& path,
                                                 const char* entry, int64_t max_bytes) {
  zip_int64_t index = zip_name_locate(z, entry, 0);
  if (index < 0) return std::nullopt;
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(z, static_cast<zip_uint64_t>(index), 0, &st) != 0 ||
      !(st.valid & ZIP_STAT_SIZE)) {
    Fail(path, ": cannot read zip entry ", entry);
  }
  if (st.size > static_cast<zip_uint64_t>(max_bytes)) {
    Fail(path, ": zip entry ", entry, " too large (", st.size, " bytes)");
  }
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> f(
      zip_fopen_index(z, static_cast<zip_uint64_t>(index), 0), zip_fclose);
  if (!f) Fail(path, ": cannot open zip entry ", entry);
  std::vector<uint8_t> bytes(st.size);
  zip_int64_t got = bytes.empty() ? 0 : zip_fread(f.get(), bytes.data(), bytes.size());
  if (got < 0 || static_cast<zip_uint64_t>(got) != st.size) {
    Fail(path, ": zip entry ", entry, " is truncated or corrupt");
  }
  return bytes;
}

std::string ModelClass(const json& model) {
  return model.is_object() && model.contains("class_name") && model["class_name"].is_string()
             ? model["class_name"].get<std::string>()
             : std::string();
}

KerasModel LoadKerasZip(const std::string& path) {
  ZipPtr zip = OpenZip(path);
  auto config = ReadZipEntry(zip.get(), path, "config.json", kMaxConfigBytes);
  if (!config) Fail(path, ": zip archive has no config.json (not a Keras 3 .keras file)");
  json model = ParseJsonText(std::string(config->begin(), config->end()), path, "config.json");
  KerasModel km = ParseKerasModelConfig(model, path);
  if (auto meta = ReadZipEntry(zip.get(), path, "metadata.json", kMaxConfigBytes)) {
    json m = ParseJsonText(std::string(meta->begin(), meta->end()), path, "metadata.json");
    if (m.is_object() && m.contains("keras_version") && m["keras_version"].is_string()) {
      km.keras_version = m["keras_version"].get<std::string>();
    }
  }
  auto weights = ReadZipEntry(zip.get(), path, "model.weights.h5", kMaxWeightsBytes);
  if (!weights) Fail(path, ": .keras archive has no model.weights.h5");
  h5::File file = h5::File::OpenImage(*weights, path + ":model.weights.h5");
  LoadKeras3Weights(file, km, ModelClass(model) == "Sequential");
  return km;
}

// A Keras 3 weights file (model.save_weights("x.weights.h5")): layers/<name>/vars/<i>.
bool IsKeras3WeightsFile(const h5::File& file) {
  return file.IsGroup("/layers") || file.IsGroup("/_layer_checkpoint_dependencies");
}

std::string JsonString(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                : std::string();
}

KerasModel LoadKerasHdf5(const std::string& path, const std::string& arch_json_path) {
  h5::File file = h5::File::Open(path);
  json model;
  const bool weights_only = !file.HasAttribute("/", "model_config");
  if (!weights_only) {
    model = ParseJsonText(file.ReadStringAttribute("/", "model_config"), path, "model_config");
  } else if (!arch_json_path.empty()) {
    model = ParseJsonText(ReadTextFile(arch_json_path, "architecture JSON"), arch_json_path,
                          "architecture file");
  } else if (file.HasAttribute("/", "layer_names") || IsKeras3WeightsFile(file)) {
    Fail(path,
         ": weights-only file (saved with save_weights, no model_config): "
         "give the architecture JSON (model.to_json()) as well");
  } else {
    Fail(path, ": HDF5 file without model_config: not a Keras model file");
  }
  KerasModel km = ParseKerasModelConfig(model, path);
  km.source = path;
  const std::string root = file.IsGroup("/model_weights") ? "/model_weights" : "/";
  for (const std::string& where : {std::string("/"), root}) {
    if (km.keras_version.empty()) {
      km.keras_version = file.ReadOptionalStringAttribute(where, "keras_version").value_or("");
    }
    if (km.backend.empty()) {
      km.backend = file.ReadOptionalStringAttribute(where, "backend").value_or("");
    }
  }
  // Quantization-aware training ranges written by `train --qat` (train/qat.h); Keras ignores them.
  if (const auto qat = file.ReadOptionalStringAttribute("/", "cae2tpu_qat")) {
    km.qat = ParseJsonText(*qat, path, "cae2tpu_qat attribute");
    Check(km.qat.is_object() && km.qat.value("format", "") == "cae2tpu-qat" &&
              km.qat.contains("ranges") && km.qat["ranges"].is_object(),
          path, ": attribute cae2tpu_qat is not cae2tpu's QAT ranges");
  }
  // model.to_json() records the versions too.
  if (km.keras_version.empty()) km.keras_version = JsonString(model, "keras_version");
  if (km.backend.empty()) km.backend = JsonString(model, "backend");
  if (weights_only && root == "/" && !file.HasAttribute("/", "layer_names") &&
      IsKeras3WeightsFile(file)) {
    LoadKeras3Weights(file, km, ModelClass(model) == "Sequential");
    return km;
  }
  if (root == "/" && !file.HasAttribute("/", "layer_names")) {
    Fail(path, ": no model_weights group and no layer_names: the file holds no Keras weights");
  }
  LoadLegacyWeights(file, root, km);
  return km;
}

KerasModel LoadKerasFile(const std::string& path, const std::string& arch_json_path) {
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) Fail(path, ": cannot open file (missing or unreadable)");
  }
  KerasModel km;
  if (HasZipSignature(path)) {
    km = LoadKerasZip(path);
  } else if (h5::HasHdf5Signature(path)) {
    km = LoadKerasHdf5(path, arch_json_path);
  } else {
    Fail(path, ": not a Keras file (neither HDF5 nor a .keras zip archive)");
  }
  km.source = path;
  return km;
}

}  // namespace

KerasModel LoadKerasModel(const std::string& path, const std::string& arch_json_path) {
  try {
    return LoadKerasFile(path, arch_json_path);
  } catch (const nlohmann::json::exception& e) {
    // A config value of an unexpected JSON type that no explicit check caught.
    Fail(path, ": malformed Keras config (", e.what(), ")");
  }
}

bool LooksLikeKerasFile(const std::string& path) {
  if (h5::HasHdf5Signature(path)) return true;
  if (!HasZipSignature(path)) return false;
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (z == nullptr) return false;
  const bool has_config = zip_name_locate(z, "config.json", 0) >= 0;
  zip_discard(z);
  return has_config;
}

}  // namespace cae
