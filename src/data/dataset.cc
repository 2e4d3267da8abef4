#include "data/dataset.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "data/convert.h"
#include "data/file_io.h"
#include "data/idx.h"
#include "data/image.h"
#include "data/npy.h"
#include "graph/error.h"

namespace cae {
namespace {

namespace fs = std::filesystem;

std::string Head(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  s.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return s;
}

Image LoadOneImage(const std::string& path, const LoadOptions& o, int channels) {
  Image img = DecodeImageFile(path, channels);
  if (o.height > 0 && o.width > 0) img = ResizeBilinear(img, o.width, o.height);
  return img;
}

TensorData ImagesToTensor(const std::vector<Image>& images, bool keep_type) {
  const Image& first = images.front();
  TensorData t(keep_type ? DType::kUInt8 : DType::kFloat32,
               {static_cast<int32_t>(images.size()), first.height, first.width, first.channels});
  const size_t per = first.pixels.size();
  for (size_t i = 0; i < images.size(); ++i) {
    if (keep_type) {
      std::memcpy(t.bytes.data() + i * per, images[i].pixels.data(), per);
    } else if (!images[i].samples16.empty()) {  // 16-bit PNG: full precision
      float* o = t.as<float>() + i * per;
      for (size_t k = 0; k < per; ++k) o[k] = images[i].samples16[k] / 65535.0f;
    } else {
      float* o = t.as<float>() + i * per;
      for (size_t k = 0; k < per; ++k) o[k] = images[i].pixels[k] / 255.0f;
    }
  }
  return t;
}

TensorData LoadFolder(const std::string& dir, const LoadOptions& o) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && IsImageExtension(e.path().string())) files.push_back(e.path().string());
  }
  if (ec) Fail(dir, ": cannot list folder: ", ec.message());
  if (files.empty()) Fail(dir, ": folder holds no image files (.png .jpg .jpeg .bmp .gif .tga)");
  std::sort(files.begin(), files.end());
  if (o.limit > 0 && static_cast<int64_t>(files.size()) > o.limit) files.resize(static_cast<size_t>(o.limit));
  if (files.size() > static_cast<size_t>(INT32_MAX)) Fail(dir, ": too many images");
  std::vector<Image> images;
  images.reserve(files.size());
  for (const auto& f : files) {
    images.push_back(LoadOneImage(f, o, images.empty() ? o.channels : images.front().channels));
    const Image& a = images.front();
    const Image& b = images.back();
    if (b.width != a.width || b.height != a.height)
      Fail(f, ": image is ", b.width, "x", b.height, " but ", files.front(), " is ", a.width, "x", a.height,
           "; resize them to one size");
  }
  return ImagesToTensor(images, o.keep_type);
}

// uint8 data as float32 pixels: values / 255.
TensorData PixelsToFloat(const TensorData& t) {
  TensorData out(DType::kFloat32, t.shape);
  float* f = out.as<float>();
  for (size_t i = 0; i < t.bytes.size(); ++i) f[i] = t.bytes[i] / 255.0f;
  return out;
}

TensorData IdxTensor(const std::string& path, const LoadOptions& o) {
  TensorData raw = ReadIdx(path);
  if (raw.shape.size() == 3) raw.shape.push_back(1);  // images -> NHWC with one channel
  if (o.height > 0 || o.channels > 1) Fail(path, ": IDX images cannot be resized or given channels here");
  if (o.keep_type) return raw;
  // uint8 images are pixels; labels (rank 1) and the other types keep their values.
  if (raw.type == DType::kUInt8 && raw.shape.size() > 1 && !o.keep_uint8_values) return PixelsToFloat(raw);
  return ToFloat32(raw);
}

TensorData NpyTensor(const std::string& path, const LoadOptions& o) {
  TensorData t = ReadNpy(path);
  if (o.keep_type) return t;
  if (t.type == DType::kUInt8 && !o.keep_uint8_values) return PixelsToFloat(t);
  return ToFloat32(t);
}

}  // namespace

TensorData TakeFirst(const TensorData& t, int64_t n) {
  if (n <= 0 || t.shape.empty() || n >= t.shape[0]) return t;
  std::vector<int32_t> shape = t.shape;
  shape[0] = static_cast<int32_t>(n);
  TensorData out(t.type, shape);
  std::memcpy(out.bytes.data(), t.bytes.data(), out.bytes.size());
  return out;
}

TensorData LoadData(const std::string& path, const LoadOptions& o) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) Fail(path, ": no such file or folder");
  if (fs::is_directory(st)) return LoadFolder(path, o);
  const std::string head = Head(path, 8);
  TensorData t;
  if (head.rfind("\x93NUMPY", 0) == 0) {
    t = NpyTensor(path, o);
  } else if (LooksLikeIdx(path)) {
    t = IdxTensor(path, o);
  } else if (head.rfind("\x89PNG", 0) == 0 || head.rfind("\xff\xd8", 0) == 0 || head.rfind("BM", 0) == 0 ||
             head.rfind("GIF8", 0) == 0 || IsImageExtension(path)) {
    t = ImagesToTensor({LoadOneImage(path, o, o.channels)}, o.keep_type);
  } else if (LowerExtension(path) == ".npy") {
    t = ReadNpy(path);  // throws the precise .npy error
  } else {
    Fail(path, ": unknown data format (expected .npy, IDX (gzipped or not), an image, or a folder of images)");
  }
  return TakeFirst(t, o.limit);
}

}  // namespace cae
