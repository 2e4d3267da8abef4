#include "data/idx.h"

#include <zlib.h>

#include <filesystem>
#include <memory>

#include "graph/error.h"

namespace cae {
namespace {

constexpr int64_t kMaxIdxBytes = int64_t{1} << 31;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzPtr = std::unique_ptr<gzFile_s, GzCloser>;

GzPtr Open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) Fail(path, ": no such file");
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

}  // namespace

bool LooksLikeIdx(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  GzPtr f(gzopen(path.c_str(), "rb"));
  if (!f) return false;
  uint8_t head[4];
  if (gzread(f.get(), head, 4) != 4) return false;
  return head[0] == 0 && head[1] == 0 && head[2] == 0x08 && head[3] >= 1 && head[3] <= 4;
}

TensorData ReadIdx(const std::string& path) {
  GzPtr f = Open(path);
  uint8_t head[4];
  ReadExact(f.get(), head, 4, path, "the header");
  if (head[0] != 0 || head[1] != 0) Fail(path, ": not an IDX file (bad magic)");
  if (head[2] != 0x08) Fail(path, ": IDX element type 0x", std::hex, int{head[2]}, " is not supported (only 0x08, uint8)");
  const int rank = head[3];
  if (rank < 1 || rank > 4) Fail(path, ": IDX rank ", rank, " is not supported (1..4)");
  std::vector<int32_t> shape(rank);
  int64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    uint8_t d[4];
    ReadExact(f.get(), d, 4, path, "the dimensions");
    const uint64_t v = (uint64_t{d[0]} << 24) | (uint64_t{d[1]} << 16) | (uint64_t{d[2]} << 8) | d[3];
    if (v > static_cast<uint64_t>(kMaxIdxBytes)) Fail(path, ": IDX dimension ", i, " = ", v, " is too large");
    shape[i] = static_cast<int32_t>(v);
    total *= static_cast<int64_t>(v);
    if (total > kMaxIdxBytes) Fail(path, ": IDX data larger than 2 GiB");
  }
  TensorData t(DType::kUInt8, shape);
  ReadExact(f.get(), t.bytes.data(), total, path, "the data");
  uint8_t extra;
  if (gzread(f.get(), &extra, 1) != 0) Fail(path, ": IDX file has bytes after the ", total, " values its header declares");
  return t;
}

TensorData ReadIdxImages(const std::string& path) {
  TensorData raw = ReadIdx(path);
  if (raw.shape.size() != 3) Fail(path, ": expected an idx3 image file [N,H,W], found rank ", raw.shape.size());
  TensorData out(DType::kFloat32, {raw.shape[0], raw.shape[1], raw.shape[2], 1});
  float* o = out.as<float>();
  const int64_t n = raw.num_elements();
  for (int64_t i = 0; i < n; ++i) o[i] = raw.bytes[i] / 255.0f;
  return out;
}

}  // namespace cae
