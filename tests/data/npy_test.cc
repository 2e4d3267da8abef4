#include "data/npy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "data/convert.h"
#include "graph/error.h"
#include "support/fixtures.h"

namespace cae {
namespace {

// A .npy file as NumPy writes it: magic, version, little-endian header length, dict, padding.
std::vector<uint8_t> NumpyBytes(int major, const std::string& dict, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  const size_t len = header.size();
  out.push_back(len & 0xff);
  out.push_back((len >> 8) & 0xff);
  if (major != 1) {
    out.push_back((len >> 16) & 0xff);
    out.push_back((len >> 24) & 0xff);
  }
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::vector<uint8_t> FloatBytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

TEST(Npy, ReadsNumpyV1Float32Header) {
  const auto bytes = NumpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                                FloatBytes({1, 2, 3, 4, 5, 6.5f}));
  ASSERT_EQ(bytes.size() % 64, 24u);  // header 64 + 24 data bytes
  const TensorData t = DecodeNpy(bytes, "a.npy");
  EXPECT_EQ(t.type, DType::kFloat32);
  EXPECT_EQ(t.shape, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(t.as<float>()[5], 6.5f);
}

TEST(Npy, ReadsV2AndV3HeadersAndOneDimTuple) {
  for (int major : {2, 3}) {
    const auto bytes = NumpyBytes(major, "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }", {9, 8, 7, 6});
    const TensorData t = DecodeNpy(bytes, "b.npy");
    EXPECT_EQ(t.type, DType::kUInt8);
    EXPECT_EQ(t.shape, (std::vector<int32_t>{4}));
    EXPECT_EQ(t.bytes[3], 6);
  }
}

TEST(Npy, ReadsScalarAndKeyOrder) {
  const auto bytes = NumpyBytes(1, "{'shape': (), 'fortran_order': False, 'descr': '<i8'}", {5, 0, 0, 0, 0, 0, 0, 0});
  const TensorData t = DecodeNpy(bytes, "s.npy");
  EXPECT_EQ(t.type, DType::kInt64);
  EXPECT_TRUE(t.shape.empty());
  EXPECT_EQ(ToFloat32(t).as<float>()[0], 5.0f);
}

TEST(Npy, ConvertsEveryDtypeToFloat32) {
  // f2: 0x3c00 = 1.0, 0xc000 = -2.0, 0x0001 = smallest subnormal.
  const TensorData h = DecodeNpy(
      NumpyBytes(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", {0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00}), "h");
  const TensorData hf = ToFloat32(h);
  EXPECT_EQ(hf.as<float>()[0], 1.0f);
  EXPECT_EQ(hf.as<float>()[1], -2.0f);
  EXPECT_EQ(hf.as<float>()[2], 5.960464477539063e-08f);
  const TensorData i1 = ToFloat32(DecodeNpy(
      NumpyBytes(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", {0xff, 0x80}), "i"));
  EXPECT_EQ(i1.as<float>()[0], -1.0f);
  EXPECT_EQ(i1.as<float>()[1], -128.0f);
  double d[2] = {0.25, -3.0};
  std::vector<uint8_t> db(16);
  std::memcpy(db.data(), d, 16);
  const TensorData f8 = ToFloat32(DecodeNpy(NumpyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", db), "d"));
  EXPECT_EQ(f8.as<float>()[1], -3.0f);
  const TensorData i4 = ToFloat32(DecodeNpy(
      NumpyBytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", {0xfe, 0xff, 0xff, 0xff}), "i4"));
  EXPECT_EQ(i4.as<float>()[0], -2.0f);
}

TEST(Npy, RoundTripsThroughFile) {
  testing::TempDir dir;
  TensorData t(DType::kInt8, {2, 2, 3});
  for (size_t i = 0; i < t.bytes.size(); ++i) t.bytes[i] = static_cast<uint8_t>(i * 37);
  WriteNpy(dir.File("x.npy"), t);
  const auto bytes = testing::ReadBytes(dir.File("x.npy"));
  EXPECT_EQ((bytes.size() - t.bytes.size()) % 64, 0u);
  const std::string header(bytes.begin() + 10, bytes.begin() + 128);
  EXPECT_EQ(header.substr(0, 62), "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 2, 3), }");
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(bytes[8], 118);  // header length: 128 - 10
  const TensorData r = ReadNpy(dir.File("x.npy"));
  EXPECT_EQ(r.type, t.type);
  EXPECT_EQ(r.shape, t.shape);
  EXPECT_EQ(r.bytes, t.bytes);
  TensorData one(DType::kFloat32, {3});
  WriteNpy(dir.File("y.npy"), one);
  const auto yb = testing::ReadBytes(dir.File("y.npy"));
  EXPECT_NE(std::string(yb.begin(), yb.end()).find("'shape': (3,), }"), std::string::npos);
}

TEST(Npy, RejectsBadFilesWithTheirName) {
  auto expect_error = [](const std::vector<uint8_t>& b, const std::string& what) {
    try {
      DecodeNpy(b, "bad.npy");
      FAIL() << "no error for " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("bad.npy"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_error(NumpyBytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", FloatBytes({1})), "Fortran");
  expect_error(NumpyBytes(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", FloatBytes({1})), "big-endian");
  expect_error(NumpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", FloatBytes({1})), "expected 8");
  expect_error(NumpyBytes(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", FloatBytes({1, 2})), "not supported");
  expect_error(NumpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }", {}), "too large");
  expect_error(NumpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536), }", {}), "too many");
  expect_error(NumpyBytes(1, "{'descr': '<f4', 'fortran_order': False", {}), "expected");
  expect_error({'N', 'O', 'P', 'E', 0, 0, 0, 0, 0, 0, 0}, "magic");
  std::vector<uint8_t> truncated = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xff, 0x00, '{'};
  expect_error(truncated, "truncated");
}

TEST(Npy, MissingFileIsNamed) {
  try {
    ReadNpy("/nonexistent/q.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/q.npy"), std::string::npos);
  }
}

}  // namespace
}  // namespace cae
