// Whole-file reads with a size bound, and writes that never leave a partial file behind and never
// destroy what an output path names: bytes go to a temporary name in the destination's folder,
// which is renamed over the destination only once everything was written and flushed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cae {

// The status of an input path that must exist. Throws cae::Error "<path>: <missing>" when
// nothing is there, and names the reason when the path cannot be resolved (a symbolic link loop,
// a folder on the way that cannot be searched).
std::filesystem::file_status ExistingPathStatus(const std::string& path,
                                                const char* missing = "no such file");

// Reads a whole regular file. Throws cae::Error naming the file when it is missing, not a regular
// file, unreadable, or larger than max_bytes.
std::vector<uint8_t> ReadFileBytes(const std::string& path, uint64_t max_bytes = uint64_t{1} << 34);

// A run of bytes to write (not owned).
struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// Every output file of the tool is written through this: write(tmp) fills a new, empty temporary
// file, which then replaces the destination in one rename (permissions 0666 minus umask). A
// symbolic link is followed (its target is replaced; the link stays). An existing device or FIFO
// (such as /dev/null) is written in place, from a temporary file in the system temp folder. A
// folder, a missing parent folder or a failed write throws cae::Error naming path; the temporary
// file is removed then, and the destination is left as it was (a device may have received part).
void WriteOutputFile(const std::string& path, const std::function<void(const std::string& tmp)>& write);

// Writes the parts, one after another, to path through WriteOutputFile, without joining them in
// memory.
void WriteFileAtomic(const std::string& path, const std::vector<ByteSpan>& parts);
inline void WriteFileAtomic(const std::string& path, const uint8_t* data, size_t size) {
  WriteFileAtomic(path, std::vector<ByteSpan>{{data, size}});
}
inline void WriteFileAtomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  WriteFileAtomic(path, bytes.data(), bytes.size());
}

// Lower-case extension with the dot (".npy"), or "" when there is none.
std::string LowerExtension(const std::string& path);

}  // namespace cae
