#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "data/convert.h"
#include "data/file_io.h"
#include "graph/error.h"

namespace cae {
namespace {

constexpr int64_t kMaxIdxBytes = int64_t{1} << 31;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzPtr = std::unique_ptr<gzFile_s, GzCloser>;

GzPtr Open(const std::string& path) {
  if (!std::filesystem::is_regular_file(ExistingPathStatus(path))) Fail(path, ": not a regular file");
  GzPtr f(gzopen(path.c_str(), "rb"));
  if (!f) Fail(path, ": cannot open for reading");
  return f;
}

// Reads exactly n bytes or throws.
void ReadExact(gzFile f, uint8_t* out, int64_t n, const std::string& path, const char* what) {
  while (n > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n, 1 << 30));
    const int got = gzread(f, out, chunk);
    if (got <= 0) {
      int errnum = 0;
      const char* msg = gzerror(f, &errnum);
      if (errnum != Z_OK && errnum != Z_BUF_ERROR) Fail(path, ": corrupt IDX/gzip data while reading ", what, ": ", msg);
      Fail(path, ": truncated IDX file: ", what, " ends early");
    }
    out += got;
    n -= got;
  }
}

// The element type of an IDX type byte (kString when the byte is not an IDX type).
DType IdxType(uint8_t code) {
  switch (code) {
    case 0x08: return DType::kUInt8;
    case 0x09: return DType::kInt8;
    case 0x0B: return DType::kInt16;
    case 0x0C: return DType::kInt32;
    case 0x0D: return DType::kFloat32;
    case 0x0E: return DType::kFloat64;
    default: return DType::kString;
  }
}

}  // namespace

bool LooksLikeIdx(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  GzPtr f(gzopen(path.c_str(), "rb"));
  if (!f) return false;
  uint8_t head[4];
  if (gzread(f.get(), head, 4) != 4) return false;
  return head[0] == 0 && head[1] == 0 && IdxType(head[2]) != DType::kString && head[3] >= 1 && head[3] <= 4;
}

TensorData ReadIdx(const std::string& path) {
  GzPtr f = Open(path);
  uint8_t head[4];
  ReadExact(f.get(), head, 4, path, "the header");
  if (head[0] != 0 || head[1] != 0) Fail(path, ": not an IDX file (bad magic)");
  const DType type = IdxType(head[2]);
  if (type == DType::kString)
    Fail(path, ": IDX element type 0x", std::hex, int{head[2]},
         " is not supported (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)");
  const int64_t size = static_cast<int64_t>(DTypeSize(type));
  const int rank = head[3];
  if (rank < 1 || rank > 4) Fail(path, ": IDX rank ", rank, " is not supported (1..4)");
  std::vector<int32_t> shape(rank);
  int64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    uint8_t d[4];
    ReadExact(f.get(), d, 4, path, "the dimensions");
    const uint64_t v = (uint64_t{d[0]} << 24) | (uint64_t{d[1]} << 16) | (uint64_t{d[2]} << 8) | d[3];
    if (v > static_cast<uint64_t>(INT32_MAX)) Fail(path, ": IDX dimension ", i, " = ", v, " is too large");
    shape[i] = static_cast<int32_t>(v);
    total *= static_cast<int64_t>(v);
    if (total > kMaxIdxBytes / size) Fail(path, ": IDX data larger than 2 GiB");
  }
  TensorData t(type, shape);
  ReadExact(f.get(), t.bytes.data(), total * size, path, "the data");
  if (size > 1) {  // big-endian -> host order (little-endian)
    for (int64_t i = 0; i < total; ++i) std::reverse(t.bytes.begin() + i * size, t.bytes.begin() + (i + 1) * size);
  }
  uint8_t extra;
  if (gzread(f.get(), &extra, 1) != 0) Fail(path, ": IDX file has bytes after the ", total, " values its header declares");
  return t;
}

TensorData ReadIdxImages(const std::string& path) {
  TensorData raw = ReadIdx(path);
  if (raw.shape.size() != 3) Fail(path, ": expected an idx3 image file [N,H,W], found rank ", raw.shape.size());
  TensorData out = ToFloat32(raw);
  out.shape.push_back(1);
  if (raw.type == DType::kUInt8) {
    float* o = out.as<float>();
    const int64_t n = out.num_elements();
    for (int64_t i = 0; i < n; ++i) o[i] /= 255.0f;
  }
  return out;
}

}  // namespace cae
