// Images: decoding (PNG through libpng, 8- and 16-bit; JPEG, BMP, GIF, TGA through stb_image),
// bilinear resizing, PNG encoding, and conversion to float32 NHWC tensors scaled by 1/255 (1/65535
// for 16-bit PNGs). Sample values are taken as stored: no gamma or colour-space conversion.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graph/tensor_data.h"

namespace cae {

// Interleaved pixels, row-major, channels 1 (gray) or 3 (RGB).
struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;  // height * width * channels, 8-bit
  // 16-bit PNGs: the full samples (same layout); pixels then holds them rounded to 8 bits
  // (round(v / 257)). Empty for 8-bit images.
  std::vector<uint16_t> samples16;
};

// Largest accepted width or height; larger files are rejected before decoding.
constexpr int kMaxImageSide = 16384;

// Decodes an image file to `channels` channels: 1 (RGB converted to gray), 3 (gray replicated),
// or 0 = as stored (gray stays 1 channel, anything with colour becomes 3; transparent pixels are
// composed onto black). 16-bit PNGs keep their samples unchanged in samples16 (gAMA/sRGB chunks
// are ignored; RGB -> gray is 0.2126 R + 0.7152 G + 0.0722 B).
// Throws cae::Error naming the file for unreadable, corrupt or oversized images.
Image DecodeImageFile(const std::string& path, int channels = 0);

// A colour-mapped (palette) PNG's palette index per pixel, as a 1-channel image: class-map masks
// such as Pascal VOC's store the class as the index and show it as a colour. nullopt when path is
// not a palette PNG; cae::Error naming the file when it is a corrupt one.
std::optional<Image> DecodePngPaletteIndices(const std::string& path);

// Bilinear resize with half-pixel centres (TF2 tf.image.resize "bilinear" without antialias):
// source coordinate = (dst + 0.5) * src_size / dst_size - 0.5, clamped to the image. 16-bit
// images are resized at 16 bits.
Image ResizeBilinear(const Image& img, int width, int height);

// PNG bytes of img (8-bit gray or RGB).
std::vector<uint8_t> EncodePng(const Image& img);
// Writes img as PNG atomically.
void WritePng(const std::string& path, const Image& img);

// One image as float32 [1,H,W,C], values / 255 (16-bit: samples16 / 65535).
TensorData ImageToTensor(const Image& img);

// Image i of a float32 NHWC tensor with 1 or 3 channels, values in [0,1] clamped, rounded to
// nearest 8-bit.
Image TensorToImage(const TensorData& t, int64_t index);

// True for extensions DecodeImageFile reads (.png .jpg .jpeg .bmp .gif .tga), any case.
bool IsImageExtension(const std::string& path);

}  // namespace cae
