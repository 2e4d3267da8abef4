#include "keras/hdf5_reader.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "graph/error.h"
#include "graph/shape.h"

namespace cae::h5 {
namespace {

constexpr int64_t kMaxDatasetElements = int64_t{1} << 28;
constexpr int64_t kMaxAttributeBytes = int64_t{256} << 20;

// HDF5 prints its error stack to stderr by default; our messages replace it.
void SilenceHdf5Errors() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

Handle OpenObject(hid_t file, const std::string& path, const std::string& where) {
  hid_t id = H5Oopen(file, path.c_str(), H5P_DEFAULT);
  if (id < 0) Fail(where, ": no such group or dataset");
  return Handle(id, H5Oclose);
}

// Variable-length strings live in the file's global heap, and libhdf5 1.10 trusts the heap's
// sizes: a corrupt heap makes H5Aread crash (H5HG_read) or loop forever. So the read runs in a
// forked child that sends the strings back through a pipe; a child that crashes, fails or runs
// past kVlenReadTimeout becomes a cae::Error naming `where`. read(strings) returns false when
// HDF5 reports an error.
constexpr auto kVlenReadTimeout = std::chrono::seconds(10);

template <typename ReadFn>
std::vector<std::string> ReadVariableStringsIsolated(const std::string& where, ReadFn read) {
  int fds[2];
  if (pipe(fds) != 0) Fail(where, ": cannot create a pipe (", std::strerror(errno), ")");
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    Fail(where, ": cannot fork (", std::strerror(errno), ")");
  }
  if (pid == 0) {  // child: read, write "<count>\n" then "<size>\n<bytes>" per string, exit
    close(fds[0]);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) signal(sig, SIG_DFL);
    std::vector<std::string> strings;
    if (!read(&strings)) _exit(3);
    std::string msg = std::to_string(strings.size()) + "\n";
    for (const std::string& s : strings) msg += std::to_string(s.size()) + "\n" + s;
    size_t done = 0;
    while (done < msg.size()) {
      const ssize_t n = write(fds[1], msg.data() + done, msg.size() - done);
      if (n <= 0) _exit(4);
      done += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string msg;
  bool timed_out = false, too_large = false;
  const auto deadline = std::chrono::steady_clock::now() + kVlenReadTimeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // timeout is checked at the top
    char buf[65536];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child is done (or died)
    msg.append(buf, static_cast<size_t>(n));
    if (msg.size() > static_cast<size_t>(kMaxAttributeBytes) + (size_t{1} << 20)) {
      too_large = true;
      kill(pid, SIGKILL);
      break;
    }
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) Fail(where, ": corrupt file (reading this string did not finish within 10 s)");
  if (too_large) Fail(where, ": string too large");
  if (WIFSIGNALED(status))
    Fail(where, ": corrupt variable-length string (the HDF5 library crashed reading it, signal ",
         WTERMSIG(status), ")");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Fail(where, ": cannot read");
  // Parse "<count>\n" then "<size>\n<bytes>"...
  std::vector<std::string> out;
  size_t pos = 0;
  auto number = [&]() -> size_t {
    const size_t nl = msg.find('\n', pos);
    Check(nl != std::string::npos && nl > pos && nl - pos <= 20, where, ": cannot read");
    const size_t v = std::stoull(msg.substr(pos, nl - pos));
    pos = nl + 1;
    return v;
  };
  const size_t count = number();
  for (size_t i = 0; i < count; ++i) {
    const size_t size = number();
    Check(size <= msg.size() - pos, where, ": cannot read");
    out.emplace_back(msg, pos, size);
    pos += size;
  }
  return out;
}

}  // namespace

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    closer_ = o.closer_;
    o.id_ = -1;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && closer_ != nullptr) closer_(id_);
  id_ = -1;
}

bool HasHdf5Signature(const std::string& path) {
  static const unsigned char kSig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  // The superblock may follow a user block of 512 * 2^k bytes.
  for (std::streamoff offset = 0; offset <= (std::streamoff{1} << 20);
       offset = offset == 0 ? 512 : offset * 2) {
    in.clear();
    in.seekg(offset);
    unsigned char buf[8];
    if (!in.read(reinterpret_cast<char*>(buf), 8)) return false;
    if (std::memcmp(buf, kSig, 8) == 0) return true;
  }
  return false;
}

File File::Open(const std::string& path) {
  SilenceHdf5Errors();
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) Fail(path, ": cannot open file (missing or unreadable)");
  }
  if (!HasHdf5Signature(path)) Fail(path, ": not an HDF5 file (no HDF5 signature)");
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) Fail(path, ": cannot open as HDF5 (truncated or corrupt file)");
  return File(Handle(id, H5Fclose), path);
}

File File::OpenImage(const std::vector<uint8_t>& image, const std::string& label) {
  SilenceHdf5Errors();
  static const unsigned char kSig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (image.size() < 8 || std::memcmp(image.data(), kSig, 8) != 0) {
    Fail(label, ": not an HDF5 file (no HDF5 signature)");
  }
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), 1 << 16, 0) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<uint8_t*>(image.data()), image.size()) < 0) {
    Fail(label, ": cannot set up an in-memory HDF5 image");
  }
  hid_t id = H5Fopen(label.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (id < 0) Fail(label, ": cannot open as HDF5 (truncated or corrupt file)");
  return File(Handle(id, H5Fclose), label);
}

std::string File::Where(const std::string& path) const { return StrCat(label_, ": ", path); }

bool File::Exists(const std::string& path) const {
  if (path.empty() || path == "/") return true;
  std::string prefix;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) {
      prefix += "/" + path.substr(pos, next - pos);
      if (H5Lexists(file_.get(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    pos = next + 1;
  }
  return H5Oexists_by_name(file_.get(), path.c_str(), H5P_DEFAULT) > 0;
}

bool File::IsGroup(const std::string& path) const {
  if (!Exists(path)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name(file_.get(), path.c_str(), &info, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_GROUP;
}

std::vector<std::string> File::Children(const std::string& path) const {
  Handle group(H5Gopen2(file_.get(), path.c_str(), H5P_DEFAULT), H5Gclose);
  if (!group.valid()) Fail(Where(path), ": not a group");
  H5G_info_t info;
  if (H5Gget_info(group.get(), &info) < 0) Fail(Where(path), ": cannot list group");
  Check(info.nlinks <= 1000000, Where(path), ": too many children (", info.nlinks, ")");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    ssize_t n = H5Lget_name_by_idx(group.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0,
                                   H5P_DEFAULT);
    if (n < 0 || n > 65536) Fail(Where(path), ": cannot read child name ", i);
    std::string name(static_cast<size_t>(n) + 1, '\0');
    H5Lget_name_by_idx(group.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<size_t>(n));
    names.push_back(std::move(name));
  }
  return names;
}

bool File::HasAttribute(const std::string& path, const std::string& attr) const {
  if (!Exists(path)) return false;
  return H5Aexists_by_name(file_.get(), path.c_str(), attr.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> File::ReadStringListAttribute(const std::string& path,
                                                       const std::string& attr) const {
  const std::string where = StrCat(Where(path), " attribute '", attr, "'");
  Handle obj = OpenObject(file_.get(), path, Where(path));
  Handle a(H5Aopen(obj.get(), attr.c_str(), H5P_DEFAULT), H5Aclose);
  if (!a.valid()) Fail(where, ": missing");
  Handle type(H5Aget_type(a.get()), H5Tclose);
  Handle space(H5Aget_space(a.get()), H5Sclose);
  if (!type.valid() || !space.valid()) Fail(where, ": unreadable");
  hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0 || count > 1000000) Fail(where, ": bad element count ", count);
  std::vector<std::string> out;
  if (count == 0) return out;
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_STRING) Fail(where, ": expected a string attribute");
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
  if (H5Tis_variable_str(type.get()) > 0) {
    H5Tset_size(mem.get(), H5T_VARIABLE);
    return ReadVariableStringsIsolated(where, [&](std::vector<std::string>* strings) {
      std::vector<char*> buf(static_cast<size_t>(count), nullptr);
      if (H5Aread(a.get(), mem.get(), buf.data()) < 0) return false;
      for (char* s : buf) strings->emplace_back(s ? s : "");
      H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, buf.data());
      return true;
    });
  } else {
    size_t size = H5Tget_size(type.get());
    if (size == 0 || static_cast<int64_t>(size) * count > kMaxAttributeBytes) {
      Fail(where, ": string too large");
    }
    H5Tset_size(mem.get(), size);
    H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
    std::vector<char> buf(size * static_cast<size_t>(count));
    if (H5Aread(a.get(), mem.get(), buf.data()) < 0) Fail(where, ": cannot read");
    for (hssize_t i = 0; i < count; ++i) {
      const char* s = buf.data() + static_cast<size_t>(i) * size;
      out.emplace_back(s, strnlen(s, size));
    }
  }
  return out;
}

std::string File::ReadStringAttribute(const std::string& path, const std::string& attr) const {
  std::vector<std::string> v = ReadStringListAttribute(path, attr);
  if (v.size() != 1) {
    Fail(Where(path), " attribute '", attr, "': expected one string, found ", v.size());
  }
  return v[0];
}

std::optional<std::string> File::ReadOptionalStringAttribute(const std::string& path,
                                                             const std::string& attr) const {
  if (!HasAttribute(path, attr)) return std::nullopt;
  return ReadStringAttribute(path, attr);
}

FloatArray File::ReadFloatDataset(const std::string& path) const {
  const std::string where = Where(path);
  if (!Exists(path)) Fail(where, ": no such dataset");
  Handle ds(H5Dopen2(file_.get(), path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) Fail(where, ": not a dataset");
  Handle type(H5Dget_type(ds.get()), H5Tclose);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  if (!type.valid() || !space.valid()) Fail(where, ": unreadable dataset");
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) Fail(where, ": expected a numeric dataset");
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > 8) Fail(where, ": unsupported rank ", rank);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  FloatArray out;
  for (hsize_t d : dims) {
    if (d > static_cast<hsize_t>(kMaxDatasetElements)) Fail(where, ": dimension too large");
    out.shape.push_back(static_cast<int32_t>(d));
  }
  const int64_t n = NumElements(out.shape);
  if (n > kMaxDatasetElements) Fail(where, ": too many elements (", n, ")");
  out.values.resize(static_cast<size_t>(n));
  if (n > 0 &&
      H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()) < 0) {
    Fail(where, ": cannot read dataset values (truncated or corrupt file)");
  }
  return out;
}

}  // namespace cae::h5
