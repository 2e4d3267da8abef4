#include "data/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "graph/error.h"

namespace cae {

namespace fs = std::filesystem;

std::vector<uint8_t> ReadFileBytes(const std::string& path, uint64_t max_bytes) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) Fail(path, ": no such file");
  if (fs::is_directory(status)) Fail(path, ": is a folder, expected a file");
  if (!fs::is_regular_file(status)) Fail(path, ": not a regular file");
  const uint64_t size = fs::file_size(path, ec);
  if (ec) Fail(path, ": cannot read its size: ", ec.message());
  if (size > max_bytes) Fail(path, ": file of ", size, " bytes exceeds the limit of ", max_bytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path, ": cannot open for reading: ", std::strerror(errno));
  std::vector<uint8_t> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) != size) Fail(path, ": short read");
  return bytes;
}

void WriteFileAtomic(const std::string& path, const std::vector<ByteSpan>& parts) {
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) Fail(path, ": cannot write: folder '", dir.string(), "' does not exist");
  if (fs::is_directory(target, ec)) Fail(path, ": cannot write: it is a folder");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmpXXXXXX")).string();
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) Fail(path, ": cannot write: ", std::strerror(errno));
  for (const ByteSpan& part : parts) {
    size_t done = 0;
    while (done < part.size) {
      const ssize_t n = ::write(fd, part.data + done, part.size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmpl.c_str());
        Fail(path, ": write failed: ", std::strerror(err));
      }
      done += static_cast<size_t>(n);
    }
  }
  // mkstemp creates 0600; give the file the usual permissions (0666 minus umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    Fail(path, ": write failed: ", std::strerror(err));
  }
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    Fail(path, ": cannot write: ", std::strerror(err));
  }
}

std::string LowerExtension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

}  // namespace cae
