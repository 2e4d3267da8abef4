// Palette (colour-mapped) PNG masks: with values kept they read as their palette indices (class
// maps such as Pascal VOC's), otherwise as the colours they show. The files are written here with
// libpng's low-level API, independently of the product's PNG code.
#include <gtest/gtest.h>
#include <png.h>

#include <cstdio>

#include "data/dataset.h"
#include "data/file_io.h"
#include "data/image.h"
#include "data/segmentation_targets.h"
#include "graph/error.h"
#include "support/fixtures.h"

namespace cae {
namespace {

// Writes a width x height palette PNG of `bit_depth` bits per index with a 16-colour palette
// (colour k = (16k, 255 - 16k, 7k)).
void WritePalettePng(const std::string& path, int width, int height, int bit_depth, const std::vector<uint8_t>& idx) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {  // libpng reports write errors by longjmp
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    FAIL() << "libpng could not write " << path;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, width, height, bit_depth, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_color palette[16];
  for (int k = 0; k < 16; ++k) palette[k] = {static_cast<png_byte>(16 * k), static_cast<png_byte>(255 - 16 * k), static_cast<png_byte>(7 * k)};
  png_set_PLTE(png, info, palette, 16);
  png_write_info(png, info);
  png_set_packing(png);  // rows are given one index per byte
  for (int y = 0; y < height; ++y) png_write_row(png, const_cast<png_bytep>(idx.data() + y * width));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

TEST(PalettePng, ValuesKeptAreTheIndicesOtherwiseTheColours) {
  testing::TempDir dir;
  const int w = 5, h = 3;
  std::vector<uint8_t> idx(w * h);
  for (int i = 0; i < w * h; ++i) idx[i] = static_cast<uint8_t>((i * 7) % 16);
  for (int depth : {4, 8}) {
    SCOPED_TRACE(depth);
    const std::string path = dir.File("mask" + std::to_string(depth) + ".png");
    WritePalettePng(path, w, h, depth, idx);
    LoadOptions values;
    values.keep_uint8_values = true;
    const TensorData kept = LoadData(path, values);
    ASSERT_EQ(kept.shape, (std::vector<int32_t>{1, h, w, 1}));
    for (int i = 0; i < w * h; ++i) EXPECT_EQ(kept.as<float>()[i], idx[i]) << i;
    const TensorData shown = LoadData(path);  // model input: the colours, / 255
    ASSERT_EQ(shown.shape, (std::vector<int32_t>{1, h, w, 3}));
    EXPECT_FLOAT_EQ(shown.as<float>()[3 * 1 + 0], 16 * idx[1] / 255.0f);
    EXPECT_FLOAT_EQ(shown.as<float>()[3 * 1 + 1], (255 - 16 * idx[1]) / 255.0f);
    // Segmentation targets of a 16-class model read the indices.
    const TensorData t = LoadSegmentationTargets(path, 16, 0, TargetForm::kIndices);
    ASSERT_EQ(t.shape, (std::vector<int32_t>{1, h, w}));
    for (int i = 0; i < w * h; ++i) EXPECT_EQ(t.as<float>()[i], idx[i]) << i;
  }
}

TEST(PalettePng, TruncatedFileNamesTheFile) {
  testing::TempDir dir;
  const std::string path = dir.File("mask.png");
  WritePalettePng(path, 64, 64, 8, std::vector<uint8_t>(64 * 64, 3));
  std::vector<uint8_t> bytes = testing::ReadBytes(path);
  bytes.resize(bytes.size() / 2);
  testing::WriteBytes(path, bytes);
  LoadOptions values;
  values.keep_uint8_values = true;
  try {
    LoadData(path, values);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": corrupt PNG: ", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace cae
