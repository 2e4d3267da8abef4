// WriteOutputFile / WriteFileAtomic: output paths that are symbolic links or FIFOs get the bytes
// without being replaced (devices such as /dev/null take the FIFO's path: any existing non-regular
// file is written in place; not tested on a real device, which a regression would destroy);
// failures leave nothing behind.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "data/dataset.h"
#include "data/file_io.h"
#include "graph/error.h"
#include "support/fixtures.h"

namespace cae {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string Text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Write(const std::string& path, const std::string& text) {
  WriteFileAtomic(path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(FileIo, SymbolicLinkIsFollowedNotReplaced) {
  TempDir dir;
  const std::string target = dir.File("real.npy"), link = dir.File("link.npy");
  Write(target, "old");
  fs::create_symlink(target, link);
  Write(link, "new bytes");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link)));
  EXPECT_EQ(Text(target), "new bytes");
  // A dangling link gets its target created.
  const std::string later = dir.File("later.npy"), link2 = dir.File("link2.npy");
  fs::create_symlink(later, link2);
  Write(link2, "x");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link2)));
  EXPECT_EQ(Text(later), "x");
  EXPECT_EQ(Names(dir.path()),
            (std::vector<std::string>{"later.npy", "link.npy", "link2.npy", "real.npy"}));
}

// An input path that cannot be resolved says why (it said "no such file" for a symbolic link
// loop); a missing one says it is missing. Whole-file reads and LoadData both.
TEST(FileIo, InputPathsThatCannotBeResolvedSayWhy) {
  TempDir dir;
  const std::string a = dir.File("a.npy"), b = dir.File("b.npy");
  fs::create_symlink(b, a);
  fs::create_symlink(a, b);
  const std::string loop = std::make_error_code(std::errc::too_many_symbolic_link_levels).message();
  const auto error_of = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of([&] { ReadFileBytes(a); }), a + ": " + loop);
  EXPECT_EQ(error_of([&] { LoadData(a, LoadOptions{}); }), a + ": " + loop);
  EXPECT_EQ(error_of([&] { ReadFileBytes(dir.File("none.npy")); }), dir.File("none.npy") + ": no such file");
  EXPECT_EQ(error_of([&] { LoadData(dir.File("none.npy"), LoadOptions{}); }),
            dir.File("none.npy") + ": no such file or folder");
}

TEST(FileIo, FifoIsWrittenInPlace) {
  TempDir dir;
  const std::string fifo = dir.File("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = Text(fifo); });
  Write(fifo, "through the pipe");
  reader.join();
  EXPECT_EQ(received, "through the pipe");
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced by a regular file";
  EXPECT_EQ(Names(dir.path()), std::vector<std::string>{"pipe"});
}

TEST(FileIo, FailedWriterLeavesNothing) {
  TempDir dir;
  const std::string out = dir.File("out.bin");
  Write(out, "kept");
  EXPECT_THROW(WriteOutputFile(out, [](const std::string&) { Fail("writer failed"); }), Error);
  EXPECT_EQ(Text(out), "kept");
  EXPECT_EQ(Names(dir.path()), std::vector<std::string>{"out.bin"});
  EXPECT_THROW(Write(dir.path(), "x"), Error);                      // a folder
  EXPECT_THROW(Write(dir.File("missing/out.bin"), "x"), Error);     // no such folder
}

}  // namespace
}  // namespace cae
