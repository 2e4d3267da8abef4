#include "data/image.h"

#include <png.h>
#include <stb_image.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "data/file_io.h"
#include "graph/error.h"

namespace cae {
namespace {

bool IsPng(const std::vector<uint8_t>& b) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return b.size() >= 8 && std::memcmp(b.data(), sig, 8) == 0;
}

void CheckSize(int w, int h, const std::string& path) {
  if (w <= 0 || h <= 0) Fail(path, ": image has an empty size ", w, "x", h);
  if (w > kMaxImageSide || h > kMaxImageSide)
    Fail(path, ": image of ", w, "x", h, " exceeds the limit of ", kMaxImageSide, " pixels per side");
}

Image DecodePng(const std::vector<uint8_t>& bytes, int channels, const std::string& path) {
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
    Fail(path, ": corrupt PNG: ", png.message);
  const int w = static_cast<int>(png.width), h = static_cast<int>(png.height);
  if (png.width > kMaxImageSide || png.height > kMaxImageSide || w <= 0 || h <= 0) {
    png_image_free(&png);
    CheckSize(static_cast<int>(std::min<png_uint_32>(png.width, 1u << 30)),
              static_cast<int>(std::min<png_uint_32>(png.height, 1u << 30)), path);
  }
  if (channels == 0) channels = (png.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
  png.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  Image img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.pixels.resize(PNG_IMAGE_SIZE(png));
  // Transparent pixels are composed onto black (background = nullptr lets libpng pick black).
  if (!png_image_finish_read(&png, nullptr, img.pixels.data(), 0, nullptr)) {
    const std::string msg = png.message;
    png_image_free(&png);
    Fail(path, ": corrupt PNG: ", msg);
  }
  return img;
}

Image DecodeStb(const std::vector<uint8_t>& bytes, int channels, const std::string& path) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) Fail(path, ": image file too large");
  int w = 0, h = 0, comp = 0;
  const int len = static_cast<int>(bytes.size());
  if (!stbi_info_from_memory(bytes.data(), len, &w, &h, &comp))
    Fail(path, ": not a readable image (", stbi_failure_reason(), ")");
  CheckSize(w, h, path);
  if (channels == 0) channels = (comp >= 3) ? 3 : 1;
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load_from_memory(bytes.data(), len, &w, &h, &comp, channels), stbi_image_free);
  if (!data) Fail(path, ": corrupt image (", stbi_failure_reason(), ")");
  Image img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.pixels.assign(data.get(), data.get() + static_cast<size_t>(w) * h * channels);
  return img;
}

}  // namespace

Image DecodeImageFile(const std::string& path, int channels) {
  if (channels != 0 && channels != 1 && channels != 3)
    Fail(path, ": cannot decode to ", channels, " channels (1 or 3)");
  const std::vector<uint8_t> bytes = ReadFileBytes(path, uint64_t{1} << 30);
  return IsPng(bytes) ? DecodePng(bytes, channels, path) : DecodeStb(bytes, channels, path);
}

Image ResizeBilinear(const Image& img, int width, int height) {
  CheckSize(width, height, "resize target");
  if (width == img.width && height == img.height) return img;
  Image out;
  out.width = width;
  out.height = height;
  out.channels = img.channels;
  out.pixels.resize(static_cast<size_t>(width) * height * img.channels);
  const int c = img.channels;
  auto coord = [](int dst, int src_size, int dst_size, int* i0, int* i1, float* frac) {
    float s = (dst + 0.5f) * static_cast<float>(src_size) / static_cast<float>(dst_size) - 0.5f;
    s = std::clamp(s, 0.0f, static_cast<float>(src_size - 1));
    *i0 = static_cast<int>(std::floor(s));
    *i1 = std::min(*i0 + 1, src_size - 1);
    *frac = s - *i0;
  };
  for (int y = 0; y < height; ++y) {
    int y0, y1;
    float fy;
    coord(y, img.height, height, &y0, &y1, &fy);
    for (int x = 0; x < width; ++x) {
      int x0, x1;
      float fx;
      coord(x, img.width, width, &x0, &x1, &fx);
      for (int k = 0; k < c; ++k) {
        auto at = [&](int yy, int xx) { return static_cast<float>(img.pixels[(static_cast<size_t>(yy) * img.width + xx) * c + k]); };
        const float top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx;
        const float bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx;
        const float v = top + (bottom - top) * fy;
        out.pixels[(static_cast<size_t>(y) * width + x) * c + k] =
            static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  return out;
}

std::vector<uint8_t> EncodePng(const Image& img) {
  Check(img.channels == 1 || img.channels == 3, "EncodePng: ", img.channels, " channels (1 or 3)");
  CheckSize(img.width, img.height, "EncodePng");
  Check(img.pixels.size() == static_cast<size_t>(img.width) * img.height * img.channels,
        "EncodePng: pixel buffer size does not match ", img.width, "x", img.height, "x", img.channels);
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(img.width);
  png.height = static_cast<png_uint_32>(img.height);
  png.format = img.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, img.pixels.data(), 0, nullptr))
    Fail("PNG encoding failed: ", png.message);
  std::vector<uint8_t> out(size);
  if (!png_image_write_to_memory(&png, out.data(), &size, 0, img.pixels.data(), 0, nullptr))
    Fail("PNG encoding failed: ", png.message);
  out.resize(size);
  return out;
}

void WritePng(const std::string& path, const Image& img) { WriteFileAtomic(path, EncodePng(img)); }

TensorData ImageToTensor(const Image& img) {
  TensorData t(DType::kFloat32, {1, img.height, img.width, img.channels});
  float* o = t.as<float>();
  for (size_t i = 0; i < img.pixels.size(); ++i) o[i] = img.pixels[i] / 255.0f;
  return t;
}

Image TensorToImage(const TensorData& t, int64_t index) {
  Check(t.type == DType::kFloat32 && t.shape.size() == 4, "TensorToImage: expected float32 NHWC, found ",
        DTypeName(t.type), " of rank ", t.shape.size());
  Check(index >= 0 && index < t.shape[0], "TensorToImage: image ", index, " of ", t.shape[0]);
  Check(t.shape[3] == 1 || t.shape[3] == 3, "TensorToImage: ", t.shape[3], " channels (1 or 3)");
  Image img;
  img.height = t.shape[1];
  img.width = t.shape[2];
  img.channels = t.shape[3];
  const size_t n = static_cast<size_t>(img.height) * img.width * img.channels;
  img.pixels.resize(n);
  const float* src = t.as<float>() + index * n;
  for (size_t i = 0; i < n; ++i) {
    const float v = std::isnan(src[i]) ? 0.0f : std::clamp(src[i], 0.0f, 1.0f);
    img.pixels[i] = static_cast<uint8_t>(std::lround(v * 255.0f));
  }
  return img;
}

bool IsImageExtension(const std::string& path) {
  const std::string ext = LowerExtension(path);
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".gif" || ext == ".tga";
}

}  // namespace cae
