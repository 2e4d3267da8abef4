// LoadData's value rules: 8-bit pixels become v / 255 from every source (image, IDX, uint8 .npy),
// 16-bit PNGs v / 65535 with no gamma, IDX files of every element type are read.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>

#include "data/dataset.h"
#include "data/idx.h"
#include "data/image.h"
#include "data/npy.h"
#include "graph/error.h"
#include "support/fixtures.h"

namespace cae {
namespace {

std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 37 + 11) % 256);
  return v;
}

std::vector<uint8_t> IdxBytes(uint8_t type, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> f = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) f.push_back(static_cast<uint8_t>(d >> s));
  }
  f.insert(f.end(), data.begin(), data.end());
  return f;
}

TEST(LoadDataRules, Uint8NpyIsScaledLikeIdxAndPng) {
  testing::TempDir dir;
  const std::vector<uint8_t> bytes = Pattern(2 * 4 * 3);
  // The same bytes as IDX [2,4,3], as a uint8 .npy [2,4,3,1] and (image 0) as a gray PNG.
  testing::WriteBytes(dir.File("x.idx"), IdxBytes(0x08, {2, 4, 3}, bytes));
  TensorData u8(DType::kUInt8, {2, 4, 3, 1});
  std::memcpy(u8.bytes.data(), bytes.data(), bytes.size());
  WriteNpy(dir.File("x.npy"), u8);
  Image img;
  img.width = 3;
  img.height = 4;
  img.channels = 1;
  img.pixels.assign(bytes.begin(), bytes.begin() + 12);
  WritePng(dir.File("x.png"), img);

  const TensorData from_idx = LoadData(dir.File("x.idx"));
  const TensorData from_npy = LoadData(dir.File("x.npy"));
  const TensorData from_png = LoadData(dir.File("x.png"));
  ASSERT_EQ(from_npy.type, DType::kFloat32);
  ASSERT_EQ(from_npy.shape, from_idx.shape);
  EXPECT_EQ(from_npy.bytes, from_idx.bytes);
  for (size_t i = 0; i < bytes.size(); ++i) EXPECT_FLOAT_EQ(from_npy.as<float>()[i], bytes[i] / 255.0f) << i;
  ASSERT_EQ(from_png.num_elements(), 12);
  EXPECT_EQ(0, std::memcmp(from_png.bytes.data(), from_npy.bytes.data(), 12 * sizeof(float)));

  // Targets (class maps, masks) keep their values; --raw (keep_type) keeps the uint8 bytes.
  LoadOptions values;
  values.keep_uint8_values = true;
  const TensorData kept = LoadData(dir.File("x.npy"), values);
  ASSERT_EQ(kept.type, DType::kFloat32);
  for (size_t i = 0; i < bytes.size(); ++i) EXPECT_EQ(kept.as<float>()[i], static_cast<float>(bytes[i])) << i;
  const TensorData kept_png = LoadData(dir.File("x.png"), values);  // mask images too
  ASSERT_EQ(kept_png.num_elements(), 12);
  EXPECT_EQ(0, std::memcmp(kept_png.bytes.data(), kept.bytes.data(), 12 * sizeof(float)));
  LoadOptions raw;
  raw.keep_type = true;
  const TensorData typed = LoadData(dir.File("x.npy"), raw);
  EXPECT_EQ(typed.type, DType::kUInt8);
  EXPECT_EQ(typed.bytes, bytes);

  // Other integer types are not pixels: int8 keeps its values.
  TensorData i8(DType::kInt8, {1, 3});
  i8.bytes = {0x80, 0x00, 0x7f};
  WriteNpy(dir.File("i8.npy"), i8);
  const TensorData f = LoadData(dir.File("i8.npy"));
  EXPECT_EQ(f.as<float>()[0], -128.0f);
  EXPECT_EQ(f.as<float>()[2], 127.0f);
}

// ---- IDX element types ----

template <typename T>
std::vector<uint8_t> BigEndian(const std::vector<T>& values) {
  std::vector<uint8_t> out;
  for (T v : values) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    for (size_t k = sizeof(T); k-- > 0;) out.push_back(b[k]);
  }
  return out;
}

TEST(LoadDataRules, ReadsIdxOfEveryElementType) {
  testing::TempDir dir;
  const std::vector<float> f32 = {0.5f, -1.25f, 3e5f, 7.0f, -0.0f, 1.0f};
  testing::WriteBytes(dir.File("f32.idx"), IdxBytes(0x0D, {1, 2, 3}, BigEndian(f32)));
  const TensorData raw = ReadIdx(dir.File("f32.idx"));
  EXPECT_EQ(raw.type, DType::kFloat32);
  EXPECT_EQ(raw.shape, (std::vector<int32_t>{1, 2, 3}));
  const TensorData t = LoadData(dir.File("f32.idx"));
  ASSERT_EQ(t.shape, (std::vector<int32_t>{1, 2, 3, 1}));
  for (size_t i = 0; i < f32.size(); ++i) EXPECT_EQ(t.as<float>()[i], f32[i]) << i;  // not scaled

  const std::vector<double> f64 = {0.25, -2.5, 1e10};
  testing::WriteBytes(dir.File("f64.idx"), IdxBytes(0x0E, {3}, BigEndian(f64)));
  const TensorData d = LoadData(dir.File("f64.idx"));
  ASSERT_EQ(d.shape, (std::vector<int32_t>{3}));
  EXPECT_EQ(d.as<float>()[1], -2.5f);
  EXPECT_EQ(d.as<float>()[2], 1e10f);

  const std::vector<int16_t> i16 = {-300, 0, 1000, 32767};
  testing::WriteBytes(dir.File("i16.idx"), IdxBytes(0x0B, {1, 2, 2}, BigEndian(i16)));
  const TensorData s = LoadData(dir.File("i16.idx"));
  EXPECT_EQ(s.as<float>()[0], -300.0f);
  EXPECT_EQ(s.as<float>()[3], 32767.0f);
  LoadOptions keep;
  keep.keep_type = true;
  EXPECT_EQ(LoadData(dir.File("i16.idx"), keep).type, DType::kInt16);

  const std::vector<int32_t> i32 = {-70000, 5};
  testing::WriteBytes(dir.File("i32.idx"), IdxBytes(0x0C, {2}, BigEndian(i32)));
  EXPECT_EQ(LoadData(dir.File("i32.idx")).as<float>()[0], -70000.0f);

  testing::WriteBytes(dir.File("i8.idx"), IdxBytes(0x09, {1, 1, 2}, {0xff, 0x05}));
  const TensorData b = LoadData(dir.File("i8.idx"));
  EXPECT_EQ(b.as<float>()[0], -1.0f);
  EXPECT_EQ(b.as<float>()[1], 5.0f);

  // Float IDX images through ReadIdxImages keep their values too.
  const TensorData img = ReadIdxImages(dir.File("f32.idx"));
  EXPECT_EQ(img.as<float>()[1], -1.25f);

  // An unknown type byte is still one clear error naming the file and the supported types.
  testing::WriteBytes(dir.File("bad.idx"), IdxBytes(0x0A, {2}, {1, 2}));
  try {
    ReadIdx(dir.File("bad.idx"));
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("bad.idx"), std::string::npos) << msg;
    EXPECT_NE(msg.find("0x0D float32"), std::string::npos) << msg;
  }
  // A truncated float file names the file.
  std::vector<uint8_t> shortf = IdxBytes(0x0D, {1, 2, 3}, BigEndian(f32));
  shortf.pop_back();
  testing::WriteBytes(dir.File("short.idx"), shortf);
  EXPECT_THROW(ReadIdx(dir.File("short.idx")), Error);
}

// ---- 16-bit PNGs ----

void Chunk(std::vector<uint8_t>& png, const char* type, const std::vector<uint8_t>& data) {
  const uint32_t n = static_cast<uint32_t>(data.size());
  for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<uint8_t>(n >> s));
  std::vector<uint8_t> body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  png.insert(png.end(), body.begin(), body.end());
  const uint32_t crc = static_cast<uint32_t>(crc32(0, body.data(), static_cast<uInt>(body.size())));
  for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<uint8_t>(crc >> s));
}

// A 16-bit PNG written byte by byte (independent of libpng): color_type 0 gray, 2 RGB, 4 gray+alpha;
// samples row-major; with_gamma adds a gAMA chunk of 1/2.2 (which the reader must ignore).
std::vector<uint8_t> Png16(int w, int h, int color_type, const std::vector<uint16_t>& samples, bool with_gamma) {
  const int c = color_type == 2 ? 3 : color_type == 4 ? 2 : 1;
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> ihdr;
  for (uint32_t v : {static_cast<uint32_t>(w), static_cast<uint32_t>(h)})
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(static_cast<uint8_t>(v >> s));
  ihdr.insert(ihdr.end(), {16, static_cast<uint8_t>(color_type), 0, 0, 0});
  Chunk(png, "IHDR", ihdr);
  if (with_gamma) Chunk(png, "gAMA", {0, 0, 0xb1, 0x8f});  // 45455 = 1/2.2
  std::vector<uint8_t> raw;
  for (int y = 0; y < h; ++y) {
    raw.push_back(0);  // filter: none
    for (int k = 0; k < w * c; ++k) {
      const uint16_t v = samples[static_cast<size_t>(y) * w * c + k];
      raw.push_back(static_cast<uint8_t>(v >> 8));
      raw.push_back(static_cast<uint8_t>(v & 0xff));
    }
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<uint8_t> z(size);
  EXPECT_EQ(compress(z.data(), &size, raw.data(), static_cast<uLong>(raw.size())), Z_OK);
  z.resize(size);
  Chunk(png, "IDAT", z);
  Chunk(png, "IEND", {});
  return png;
}

TEST(LoadDataRules, SixteenBitPngIsLinearWithFullPrecision) {
  testing::TempDir dir;
  // Constant 100 * 257 (8-bit 100 widened) and a value that is no multiple of 257.
  const std::vector<uint16_t> gray = {25700, 1000, 65535, 0};
  testing::WriteBytes(dir.File("g16.png"), Png16(2, 2, 0, gray, false));
  testing::WriteBytes(dir.File("g16gamma.png"), Png16(2, 2, 0, gray, true));
  for (const char* name : {"g16.png", "g16gamma.png"}) {
    const TensorData t = LoadData(dir.File(name));
    ASSERT_EQ(t.shape, (std::vector<int32_t>{1, 2, 2, 1})) << name;
    EXPECT_EQ(t.as<float>()[0], 100.0f / 255.0f) << name;  // was 167 / 255 (gamma 1/2.2)
    EXPECT_EQ(t.as<float>()[1], 1000.0f / 65535.0f) << name;  // not rounded to 8 bits (4 / 255)
    EXPECT_EQ(t.as<float>()[2], 1.0f) << name;
    EXPECT_EQ(t.as<float>()[3], 0.0f) << name;
  }
  const Image img = DecodeImageFile(dir.File("g16.png"));
  EXPECT_EQ(img.samples16, gray);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{100, 4, 255, 0}));  // round(v / 257)
  LoadOptions raw;
  raw.keep_type = true;
  EXPECT_EQ(LoadData(dir.File("g16.png"), raw).bytes, (std::vector<uint8_t>{100, 4, 255, 0}));

  // Resizing keeps 16 bits: [0, 1000] -> 4 wide, half-pixel centres: 0, 250, 750, 1000.
  testing::WriteBytes(dir.File("row.png"), Png16(2, 1, 0, {0, 1000}, false));
  LoadOptions resize;
  resize.height = 1;
  resize.width = 4;
  const TensorData r = LoadData(dir.File("row.png"), resize);
  ASSERT_EQ(r.num_elements(), 4);
  EXPECT_EQ(r.as<float>()[1], 250.0f / 65535.0f);
  EXPECT_EQ(r.as<float>()[2], 750.0f / 65535.0f);

  // RGB: as stored, or to gray with Rec. 709 weights; gray to 3 channels replicates.
  testing::WriteBytes(dir.File("rgb16.png"), Png16(1, 1, 2, {10000, 20000, 30000}, false));
  const TensorData rgb = LoadData(dir.File("rgb16.png"));
  ASSERT_EQ(rgb.shape, (std::vector<int32_t>{1, 1, 1, 3}));
  EXPECT_EQ(rgb.as<float>()[1], 20000.0f / 65535.0f);
  LoadOptions one;
  one.channels = 1;
  const TensorData y = LoadData(dir.File("rgb16.png"), one);
  EXPECT_EQ(y.as<float>()[0], static_cast<float>(std::round(0.2126 * 10000 + 0.7152 * 20000 + 0.0722 * 30000)) / 65535.0f);
  LoadOptions three;
  three.channels = 3;
  const TensorData g3 = LoadData(dir.File("g16.png"), three);
  EXPECT_EQ(g3.as<float>()[3], 1000.0f / 65535.0f);
  EXPECT_EQ(g3.as<float>()[5], 1000.0f / 65535.0f);

  // Gray + alpha: composed onto black, as for 8-bit PNGs.
  testing::WriteBytes(dir.File("ga16.png"), Png16(2, 1, 4, {40000, 65535, 40000, 0}, false));
  const TensorData ga = LoadData(dir.File("ga16.png"));
  ASSERT_EQ(ga.shape, (std::vector<int32_t>{1, 1, 2, 1}));
  EXPECT_EQ(ga.as<float>()[0], 40000.0f / 65535.0f);
  EXPECT_EQ(ga.as<float>()[1], 0.0f);

  // A corrupt 16-bit PNG is one error naming the file.
  std::vector<uint8_t> bad = Png16(2, 2, 0, gray, false);
  bad.resize(bad.size() - 20);
  testing::WriteBytes(dir.File("bad16.png"), bad);
  try {
    LoadData(dir.File("bad16.png"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad16.png"), std::string::npos) << e.what();
  }
}

// uint8 IDX images are resized and given 3 channels as image files are (8-bit bilinear, gray
// replicated); the limit applies first; other data asked to be resized is an error naming the file.
TEST(LoadDataRules, IdxImagesResizeLikeImageFilesAndNpyIsNotResized) {
  testing::TempDir dir;
  const std::vector<uint8_t> bytes = Pattern(3 * 4 * 5);
  testing::WriteBytes(dir.File("x.idx"), IdxBytes(0x08, {3, 4, 5}, bytes));
  Image img;
  img.width = 5;
  img.height = 4;
  img.channels = 1;
  img.pixels.assign(bytes.begin() + 20, bytes.begin() + 40);  // image 1
  WritePng(dir.File("x1.png"), img);
  LoadOptions o;
  o.height = 7;
  o.width = 3;
  o.channels = 3;
  o.limit = 2;
  const TensorData idx = LoadData(dir.File("x.idx"), o);
  ASSERT_EQ(idx.shape, (std::vector<int32_t>{2, 7, 3, 3}));
  const TensorData png = LoadData(dir.File("x1.png"), o);
  ASSERT_EQ(png.shape, (std::vector<int32_t>{1, 7, 3, 3}));
  EXPECT_EQ(0, std::memcmp(idx.bytes.data() + png.bytes.size(), png.bytes.data(), png.bytes.size()));
  o.keep_type = true;  // --raw: the resized bytes
  EXPECT_EQ(LoadData(dir.File("x.idx"), o).type, DType::kUInt8);

  auto error = [](const std::string& path, const LoadOptions& options) {
    try {
      LoadData(path, options);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  TensorData f(DType::kFloat32, {1, 4, 5, 1});
  WriteNpy(dir.File("x.npy"), f);
  LoadOptions resize;
  resize.height = 8;
  resize.width = 8;
  EXPECT_EQ(error(dir.File("x.npy"), resize).rfind(dir.File("x.npy") + ": .npy arrays are not resized", 0), 0u);
  testing::WriteBytes(dir.File("f.idx"), IdxBytes(0x0D, {1, 1, 1}, {0, 0, 0, 0}));
  EXPECT_EQ(error(dir.File("f.idx"), resize).rfind(dir.File("f.idx") + ": IDX float32 data [1,1,1,1] cannot be resized", 0), 0u)
      << error(dir.File("f.idx"), resize);
}

}  // namespace
}  // namespace cae
