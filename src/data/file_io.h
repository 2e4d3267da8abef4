// Whole-file reads with a size bound, and writes that never leave a partial file behind: bytes go
// to a temporary name in the destination's folder, which is renamed over the destination only
// once everything was written and flushed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cae {

// Reads a whole regular file. Throws cae::Error naming the file when it is missing, not a regular
// file, unreadable, or larger than max_bytes.
std::vector<uint8_t> ReadFileBytes(const std::string& path, uint64_t max_bytes = uint64_t{1} << 34);

// A run of bytes to write (not owned).
struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// Writes the parts, one after another, to path atomically (temp file in the same folder +
// rename), without joining them in memory. Throws cae::Error naming path when the folder does not
// exist or is not writable; no file is left behind then.
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
