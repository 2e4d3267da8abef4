#include "data/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "data/dataset.h"
#include "graph/error.h"
#include "support/fixtures.h"

namespace cae {
namespace {

TEST(Idx, ReadsRealMnistTestImages) {
  const std::string path = testing::SharedPath("fixtures/mnist/t10k-images-idx3-ubyte.gz");
  CAE_REQUIRE_FILE(path);
  const TensorData raw = ReadIdx(path);
  ASSERT_EQ(raw.shape, (std::vector<int32_t>{10000, 28, 28}));
  EXPECT_EQ(raw.type, DType::kUInt8);
  // Image 0 (a seven), row 7: 0 0 0 0 0 0 84 185 159 151 60 36 0 ...
  EXPECT_EQ(raw.bytes[0], 0);
  EXPECT_EQ(raw.bytes[7 * 28 + 6], 84);
  EXPECT_EQ(raw.bytes[7 * 28 + 7], 185);
  EXPECT_EQ(raw.bytes[7 * 28 + 11], 36);
  // Last image, row 14 starts 0 0 0 0 0 0 33 217.
  EXPECT_EQ(raw.bytes[9999 * 784 + 14 * 28 + 6], 33);
  EXPECT_EQ(raw.bytes[9999 * 784 + 14 * 28 + 7], 217);

  const TensorData f = ReadIdxImages(path);
  ASSERT_EQ(f.shape, (std::vector<int32_t>{10000, 28, 28, 1}));
  EXPECT_FLOAT_EQ(f.as<float>()[7 * 28 + 7], 185.0f / 255.0f);
}

TEST(Idx, ReadsLabelsAndDispatchesThroughLoadData) {
  const std::string labels = testing::SharedPath("fixtures/mnist/t10k-labels-idx1-ubyte.gz");
  CAE_REQUIRE_FILE(labels);
  const TensorData l = LoadData(labels);
  ASSERT_EQ(l.shape, (std::vector<int32_t>{10000}));
  EXPECT_EQ(l.as<float>()[0], 7.0f);
  EXPECT_EQ(l.as<float>()[1], 2.0f);
  const std::string images = testing::SharedPath("fixtures/mnist/t10k-images-idx3-ubyte.gz");
  LoadOptions o;
  o.limit = 5;
  const TensorData five = LoadData(images, o);
  EXPECT_EQ(five.shape, (std::vector<int32_t>{5, 28, 28, 1}));
}

TEST(Idx, ReadsUncompressedAndRejectsTruncated) {
  testing::TempDir dir;
  std::vector<uint8_t> file = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3};
  for (int i = 0; i < 12; ++i) file.push_back(static_cast<uint8_t>(i * 20));
  testing::WriteBytes(dir.File("ok-idx3-ubyte"), file);
  const TensorData t = ReadIdxImages(dir.File("ok-idx3-ubyte"));
  EXPECT_EQ(t.shape, (std::vector<int32_t>{2, 2, 3, 1}));
  EXPECT_FLOAT_EQ(t.as<float>()[11], 220.0f / 255.0f);

  file.pop_back();
  testing::WriteBytes(dir.File("short-idx3-ubyte"), file);
  EXPECT_THROW(ReadIdx(dir.File("short-idx3-ubyte")), Error);
  std::vector<uint8_t> huge = {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1};
  testing::WriteBytes(dir.File("huge-idx3-ubyte"), huge);
  try {
    ReadIdx(dir.File("huge-idx3-ubyte"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("huge-idx3-ubyte"), std::string::npos);
  }
  testing::WriteBytes(dir.File("bad.gz"), {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad});
  EXPECT_THROW(ReadIdx(dir.File("bad.gz")), Error);
}

TEST(Idx, FashionMnistFromDebian) {
  CAE_REQUIRE_FILE(kFashionMnistTestImages);
  const TensorData t = LoadData(kFashionMnistTestImages);
  EXPECT_EQ(t.shape, (std::vector<int32_t>{10000, 28, 28, 1}));
}

}  // namespace
}  // namespace cae
