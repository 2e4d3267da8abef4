#include "data/image.h"

#include <png.h>
#include <stb_image.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

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

// ---- 16-bit PNGs ----
// png_image (the simplified API) treats 16-bit files as linear light and gamma-encodes them for
// 8-bit output (v -> 255 (v / 65535)^(1/2.2)), and it would honour gAMA chunks for 16-bit output.
// The low-level API with no gamma transforms gives the samples as stored.

struct PngSource {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
};

// What ReadPngRaw fills: the caller owns it, so nothing in ReadPngRaw's frame needs destroying
// when libpng longjmps back to it.
struct PngRawRead {
  PngSource source;
  png_uint_32 width = 0, height = 0;
  int channels = 0;            // 16-bit, after tRNS -> alpha: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA;
                               // palette indices: 1
  std::vector<uint8_t> raw;    // big-endian samples (or one index byte per pixel), rows back to back
  std::vector<png_bytep> rows;
  char message[256] = "";
};

void PngReadFromMemory(png_structp png, png_bytep out, png_size_t n) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (n > src->size - src->pos) png_error(png, "file ends early");
  std::memcpy(out, src->data + src->pos, n);
  src->pos += n;
}

void PngErrorFn(png_structp png, png_const_charp msg) {
  auto* r = static_cast<PngRawRead*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof(r->message), "%s", msg);
  png_longjmp(png, 1);
}

void PngWarningFn(png_structp, png_const_charp) {}

// What ReadPngRaw reads: the samples of a 16-bit PNG, or the palette indices of a colour-mapped one.
enum class PngRawKind { kSamples16, kPaletteIndices };

// Reads the rows of a PNG of that kind into r, as stored (no gamma, no colour conversion, no
// palette expansion; indices of 1, 2 or 4 bits become one byte each). False with r->message when
// libpng reports an error or the file is not of that kind.
bool ReadPngRaw(PngRawRead* r, PngRawKind kind) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, PngErrorFn, PngWarningFn);
  if (png == nullptr) {
    std::snprintf(r->message, sizeof(r->message), "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::snprintf(r->message, sizeof(r->message), "out of memory");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, &r->source, PngReadFromMemory);
  png_read_info(png, info);
  const int sample_bytes = kind == PngRawKind::kSamples16 ? 2 : 1;
  if (kind == PngRawKind::kSamples16) {
    if (png_get_bit_depth(png, info) != 16) png_error(png, "expected a 16-bit PNG");
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  } else {
    if (png_get_color_type(png, info) != PNG_COLOR_TYPE_PALETTE) png_error(png, "expected a colour-mapped PNG");
    png_set_packing(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  r->width = png_get_image_width(png, info);
  r->height = png_get_image_height(png, info);
  r->channels = png_get_channels(png, info);
  const size_t row_bytes = png_get_rowbytes(png, info);
  if (r->width == 0 || r->width > kMaxImageSide || r->height == 0 || r->height > kMaxImageSide ||
      r->channels < 1 || r->channels > 4 || row_bytes != size_t{r->width} * r->channels * sample_bytes)
    png_error(png, "unexpected image layout");
  try {
    r->raw.resize(row_bytes * r->height);
    r->rows.resize(r->height);
  } catch (...) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw;
  }
  for (png_uint_32 y = 0; y < r->height; ++y) r->rows[y] = r->raw.data() + row_bytes * y;
  png_read_image(png, r->rows.data());
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

Image DecodePng16(const std::vector<uint8_t>& bytes, int channels, const std::string& path) {
  PngRawRead r;
  r.source = PngSource{bytes.data(), bytes.size(), 0};
  if (!ReadPngRaw(&r, PngRawKind::kSamples16)) Fail(path, ": corrupt PNG: ", r.message);
  const int in_c = r.channels;
  const bool alpha = in_c == 2 || in_c == 4;
  const bool color = in_c >= 3;
  if (channels == 0) channels = color ? 3 : 1;
  Image img;
  img.width = static_cast<int>(r.width);
  img.height = static_cast<int>(r.height);
  img.channels = channels;
  const size_t n = static_cast<size_t>(img.width) * img.height;
  img.samples16.resize(n * channels);
  img.pixels.resize(n * channels);
  auto sample = [&](size_t px, int c) {
    const uint8_t* p = r.raw.data() + (px * in_c + c) * 2;
    return static_cast<uint32_t>((p[0] << 8) | p[1]);
  };
  for (size_t px = 0; px < n; ++px) {
    double v[3];
    for (int c = 0; c < (color ? 3 : 1); ++c) v[c] = sample(px, c);
    if (alpha) {  // composed onto black, as the 8-bit path does
      const double a = sample(px, in_c - 1) / 65535.0;
      for (int c = 0; c < (color ? 3 : 1); ++c) v[c] *= a;
    }
    if (!color) v[1] = v[2] = v[0];
    for (int c = 0; c < channels; ++c) {
      const double x = channels == 1 && color ? 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2] : v[c];
      const uint16_t s16 = static_cast<uint16_t>(std::clamp(std::lround(x), 0L, 65535L));
      img.samples16[px * channels + c] = s16;
      img.pixels[px * channels + c] = static_cast<uint8_t>((s16 + 128) / 257);
    }
  }
  return img;
}

// Bit depth from the IHDR chunk (which a valid PNG has first, right after the signature).
int PngBitDepth(const std::vector<uint8_t>& b) { return b.size() > 24 ? b[24] : 0; }

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
  if (PngBitDepth(bytes) == 16) {
    png_image_free(&png);
    return DecodePng16(bytes, channels, path);
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

using StbPixels = std::unique_ptr<stbi_uc, void (*)(void*)>;

bool IsJpeg(const std::vector<uint8_t>& b) {
  return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

// Bytes appended to a file to see whether its decoder reads past the end (see DecodeStb).
constexpr size_t kTruncationProbeBytes = 4096;
constexpr uint8_t kTruncationProbeValue = 0xA5;

Image DecodeStb(const std::vector<uint8_t>& bytes, int channels, const std::string& path) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX) - kTruncationProbeBytes)
    Fail(path, ": image file too large");
  int w = 0, h = 0, comp = 0;
  const int len = static_cast<int>(bytes.size());
  if (!stbi_info_from_memory(bytes.data(), len, &w, &h, &comp))
    Fail(path, ": not a readable image (", stbi_failure_reason(), ")");
  CheckSize(w, h, path);
  if (channels == 0) channels = (comp >= 3) ? 3 : 1;
  StbPixels data(stbi_load_from_memory(bytes.data(), len, &w, &h, &comp, channels), stbi_image_free);
  if (!data) Fail(path, ": corrupt image (", stbi_failure_reason(), ")");
  const size_t size = static_cast<size_t>(w) * h * channels;
  // stb_image reads zeros past the end of a truncated BMP, GIF, TGA, ... and reports success
  // (its JPEG decoder fails by itself). A complete file never reads past its end, so decoding it
  // again followed by non-zero bytes gives the same pixels; a truncated one does not.
  if (!IsJpeg(bytes)) {
    std::vector<uint8_t> padded(bytes);
    padded.resize(bytes.size() + kTruncationProbeBytes, kTruncationProbeValue);
    int w2 = 0, h2 = 0, comp2 = 0;
    StbPixels again(stbi_load_from_memory(padded.data(), static_cast<int>(padded.size()), &w2, &h2,
                                          &comp2, channels),
                    stbi_image_free);
    if (!again || w2 != w || h2 != h || !std::equal(data.get(), data.get() + size, again.get()))
      Fail(path, ": truncated image: its ", w, "x", h, " pixels need more than the file's ",
           bytes.size(), " bytes");
  }
  Image img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.pixels.assign(data.get(), data.get() + size);
  return img;
}

}  // namespace

Image DecodeImageFile(const std::string& path, int channels) {
  if (channels != 0 && channels != 1 && channels != 3)
    Fail(path, ": cannot decode to ", channels, " channels (1 or 3)");
  const std::vector<uint8_t> bytes = ReadFileBytes(path, uint64_t{1} << 30);
  return IsPng(bytes) ? DecodePng(bytes, channels, path) : DecodeStb(bytes, channels, path);
}

std::optional<Image> DecodePngPaletteIndices(const std::string& path) {
  const std::vector<uint8_t> bytes = ReadFileBytes(path, uint64_t{1} << 30);
  // IHDR's colour type (byte 25) 3 is a palette.
  if (!IsPng(bytes) || bytes.size() <= 25 || bytes[25] != PNG_COLOR_TYPE_PALETTE) return std::nullopt;
  PngRawRead r;
  r.source = PngSource{bytes.data(), bytes.size(), 0};
  if (!ReadPngRaw(&r, PngRawKind::kPaletteIndices)) Fail(path, ": corrupt PNG: ", r.message);
  Image img;
  img.width = static_cast<int>(r.width);
  img.height = static_cast<int>(r.height);
  img.channels = 1;
  img.pixels = std::move(r.raw);
  return img;
}

Image ResizeBilinear(const Image& img, int width, int height) {
  CheckSize(width, height, "resize target");
  if (width == img.width && height == img.height) return img;
  Image out;
  out.width = width;
  out.height = height;
  out.channels = img.channels;
  out.pixels.resize(static_cast<size_t>(width) * height * img.channels);
  const bool wide = !img.samples16.empty();
  if (wide) out.samples16.resize(out.pixels.size());
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
        auto at = [&](int yy, int xx) {
          const size_t i = (static_cast<size_t>(yy) * img.width + xx) * c + k;
          return static_cast<float>(wide ? img.samples16[i] : img.pixels[i]);
        };
        const float top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx;
        const float bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx;
        const float v = top + (bottom - top) * fy;
        const size_t o = (static_cast<size_t>(y) * width + x) * c + k;
        if (wide) {
          out.samples16[o] = static_cast<uint16_t>(std::clamp(std::lround(v), 0L, 65535L));
          out.pixels[o] = static_cast<uint8_t>((out.samples16[o] + 128) / 257);
        } else {
          out.pixels[o] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
        }
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
  if (!img.samples16.empty()) {
    for (size_t i = 0; i < img.samples16.size(); ++i) o[i] = img.samples16[i] / 65535.0f;
  } else {
    for (size_t i = 0; i < img.pixels.size(); ++i) o[i] = img.pixels[i] / 255.0f;
  }
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
