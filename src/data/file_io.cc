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

fs::file_status ExistingPathStatus(const std::string& path, const char* missing) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  // status() reports a missing file as not_found without an error; other failures set ec.
  if (ec && ec != std::errc::no_such_file_or_directory) Fail(path, ": ", ec.message());
  if (!fs::exists(status)) Fail(path, ": ", missing);
  return status;
}

std::vector<uint8_t> ReadFileBytes(const std::string& path, uint64_t max_bytes) {
  std::error_code ec;
  const fs::file_status status = ExistingPathStatus(path);
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

namespace {

// Writes all of data to fd; false (errno set) on failure.
bool WriteAll(int fd, const uint8_t* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// Copies the file at from into the already existing non-regular file to (a device or FIFO).
void CopyInto(const std::string& from, const fs::path& to, const std::string& label) {
  const std::vector<uint8_t> bytes = ReadFileBytes(from);
  const int fd = ::open(to.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) Fail(label, ": cannot write: ", std::strerror(errno));
  const bool ok = WriteAll(fd, bytes.data(), bytes.size());
  const int err = errno;
  if (::close(fd) != 0 && ok) Fail(label, ": write failed: ", std::strerror(errno));
  if (!ok) Fail(label, ": write failed: ", std::strerror(err));
}

}  // namespace

void WriteOutputFile(const std::string& path,
                     const std::function<void(const std::string& tmp)>& write) {
  if (path.empty()) Fail("output path is empty");
  std::error_code ec;
  fs::path target(path);
  for (int hops = 0; fs::is_symlink(fs::symlink_status(target, ec)); ++hops) {  // also dangling
    if (hops == 40) Fail(path, ": cannot write: too many levels of symbolic links");
    const fs::path link = fs::read_symlink(target, ec);
    if (ec) Fail(path, ": cannot follow the symbolic link: ", ec.message());
    target = link.is_absolute() ? link : target.parent_path() / link;
  }
  const fs::file_status status = fs::status(target, ec);
  if (fs::is_directory(status)) Fail(path, ": cannot write: it is a folder");
  const bool in_place = fs::exists(status) && !fs::is_regular_file(status);
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec))
    Fail(path, ": cannot write: folder '", parent.string(), "' does not exist");
  const fs::path dir = in_place ? fs::temp_directory_path(ec) : parent;
  if (ec) Fail(path, ": cannot write: no temporary folder: ", ec.message());
  std::string tmp = (dir / ("." + target.filename().string() + ".tmpXXXXXX")).string();
  const int fd = mkstemp(tmp.data());
  if (fd < 0) Fail(path, ": cannot write: ", std::strerror(errno));
  // mkstemp creates 0600; give the file the usual permissions (0666 minus umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  ::close(fd);
  try {
    write(tmp);
    if (in_place) {
      CopyInto(tmp, target, path);
    } else if (std::rename(tmp.c_str(), target.c_str()) != 0) {
      Fail(path, ": cannot write: ", std::strerror(errno));
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (in_place) ::unlink(tmp.c_str());
}

void WriteFileAtomic(const std::string& path, const std::vector<ByteSpan>& parts) {
  WriteOutputFile(path, [&](const std::string& tmp) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) Fail(path, ": cannot write: ", std::strerror(errno));
    for (const ByteSpan& part : parts) {
      if (!WriteAll(fd, part.data, part.size)) {
        const int err = errno;
        ::close(fd);
        Fail(path, ": write failed: ", std::strerror(err));
      }
    }
    if (::close(fd) != 0) Fail(path, ": write failed: ", std::strerror(errno));
  });
}

std::string LowerExtension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

}  // namespace cae
