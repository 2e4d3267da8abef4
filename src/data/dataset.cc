#include "data/dataset.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <optional>

#include "data/convert.h"
#include "data/file_io.h"
#include "data/idx.h"
#include "data/image.h"
#include "data/npy.h"
#include "graph/error.h"
#include "graph/graph.h"

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
  // Values kept (class-map masks): a palette PNG's values are its palette indices, not colours.
  if (o.keep_uint8_values && channels != 3) {
    if (std::optional<Image> indices = DecodePngPaletteIndices(path)) {
      if (o.height > 0 || o.width > 0) Fail(path, ": a palette PNG's indices are not resized");
      return *indices;
    }
  }
  Image img = DecodeImageFile(path, channels);
  if (o.height > 0 && o.width > 0) img = ResizeBilinear(img, o.width, o.height);
  return img;
}

// Images as one tensor: uint8 when o.keep_type; else float32 of the samples as stored when
// o.keep_uint8_values (0..255, 16-bit PNG 0..65535); else scaled to [0, 1].
TensorData ImagesToTensor(const std::vector<Image>& images, const LoadOptions& o) {
  const Image& first = images.front();
  TensorData t(o.keep_type ? DType::kUInt8 : DType::kFloat32,
               {static_cast<int32_t>(images.size()), first.height, first.width, first.channels});
  const size_t per = first.pixels.size();
  for (size_t i = 0; i < images.size(); ++i) {
    if (o.keep_type) {
      std::memcpy(t.bytes.data() + i * per, images[i].pixels.data(), per);
    } else if (!images[i].samples16.empty()) {  // 16-bit PNG: full precision
      const float divisor = o.keep_uint8_values ? 1.0f : 65535.0f;
      float* out = t.as<float>() + i * per;
      for (size_t k = 0; k < per; ++k) out[k] = images[i].samples16[k] / divisor;
    } else {
      const float divisor = o.keep_uint8_values ? 1.0f : 255.0f;
      float* out = t.as<float>() + i * per;
      for (size_t k = 0; k < per; ++k) out[k] = images[i].pixels[k] / divisor;
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
  return ImagesToTensor(images, o);
}

// uint8 data as float32 pixels: values / 255.
TensorData PixelsToFloat(const TensorData& t) {
  TensorData out(DType::kFloat32, t.shape);
  float* f = out.as<float>();
  for (size_t i = 0; i < t.bytes.size(); ++i) f[i] = t.bytes[i] / 255.0f;
  return out;
}

// Image i of gray uint8 NHWC pixels [N,H,W,1] as an 8-bit Image with `channels` channels (3: the
// gray value replicated, as the image decoders do), resized when o asks for it.
Image IdxItemImage(const TensorData& gray, int64_t i, const LoadOptions& o, int channels) {
  Image img;
  img.height = gray.shape[1];
  img.width = gray.shape[2];
  img.channels = channels;
  const size_t pixels = static_cast<size_t>(img.height) * img.width;
  const uint8_t* src = gray.bytes.data() + static_cast<size_t>(i) * pixels;
  img.pixels.resize(pixels * channels);
  for (size_t p = 0; p < pixels; ++p)
    for (int c = 0; c < channels; ++c) img.pixels[p * channels + c] = src[p];
  if (o.height > 0 && o.width > 0) img = ResizeBilinear(img, o.width, o.height);
  return img;
}

TensorData IdxTensor(const std::string& path, const LoadOptions& o) {
  TensorData raw = ReadIdx(path);
  if (raw.shape.size() == 3) raw.shape.push_back(1);  // images -> NHWC with one channel
  if (o.height > 0 || o.channels > 1) {
    // uint8 images take the image files' path: 8-bit resize, gray replicated to 3 channels.
    if (raw.type != DType::kUInt8 || raw.shape.size() != 4 || raw.shape[3] != 1)
      Fail(path, ": IDX ", DTypeName(raw.type), " data ", ShapeToString(raw.shape),
           " cannot be resized or given 3 channels (only uint8 images [N,H,W] can); save it as .npy in the "
           "model's input shape");
    raw = TakeFirst(raw, o.limit);
    std::vector<Image> images;
    images.reserve(static_cast<size_t>(raw.shape[0]));
    const int channels = o.channels > 1 ? o.channels : 1;
    for (int64_t i = 0; i < raw.shape[0]; ++i) images.push_back(IdxItemImage(raw, i, o, channels));
    if (images.empty()) Fail(path, ": IDX file holds no images");
    return ImagesToTensor(images, o);
  }
  if (o.keep_type) return raw;
  // uint8 images are pixels; labels (rank 1) and the other types keep their values.
  if (raw.type == DType::kUInt8 && raw.shape.size() > 1 && !o.keep_uint8_values) return PixelsToFloat(raw);
  return ToFloat32(raw);
}

TensorData NpyTensor(const std::string& path, const LoadOptions& o) {
  if (o.height > 0 || o.width > 0)
    Fail(path, ": .npy arrays are not resized (only image files and uint8 IDX images are); save the array at "
         "the model's input size");
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

namespace {

TensorData LoadDataOrThrow(const std::string& path, const LoadOptions& o) {
  const fs::file_status st = ExistingPathStatus(path, "no such file or folder");
  if (fs::is_directory(st)) return LoadFolder(path, o);
  const std::string head = Head(path, 8);
  TensorData t;
  if (head.rfind("\x93NUMPY", 0) == 0) {
    t = NpyTensor(path, o);
  } else if (LooksLikeIdx(path)) {
    t = IdxTensor(path, o);
  } else if (head.rfind("\x89PNG", 0) == 0 || head.rfind("\xff\xd8", 0) == 0 || head.rfind("BM", 0) == 0 ||
             head.rfind("GIF8", 0) == 0 || IsImageExtension(path)) {
    t = ImagesToTensor({LoadOneImage(path, o, o.channels)}, o);
  } else if (LowerExtension(path) == ".npy") {
    t = ReadNpy(path);  // throws the precise .npy error
  } else {
    Fail(path, ": unknown data format (expected .npy, IDX (gzipped or not), an image, or a folder of images)");
  }
  return TakeFirst(t, o.limit);
}

}  // namespace

TensorData LoadData(const std::string& path, const LoadOptions& o) {
  try {
    return LoadDataOrThrow(path, o);
  } catch (const std::bad_alloc&) {
    Fail(path, ": out of memory while loading the data; load fewer items");
  }
}

}  // namespace cae
