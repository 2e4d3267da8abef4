// NumPy .npy files (format versions 1.0, 2.0, 3.0), little-endian, C order.
//
// Read: dtypes '<f4' '<f2' '<f8' '|i1' '|u1' '<i2' '<i4' '<i8' '|b1' ('=' and '<' are accepted as
// little-endian). Big-endian data, Fortran order, object/structured dtypes, a header longer than
// 1 MiB, or a data section whose size differs from the header's shape throw cae::Error naming the
// file. Write: version 1.0 (2.0 when the header does not fit), header padded with spaces so the
// data starts at a multiple of 64 bytes, as NumPy does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/tensor_data.h"

namespace cae {

// Parses .npy bytes; name is used in messages (a file path).
TensorData DecodeNpy(const std::vector<uint8_t>& bytes, const std::string& name);
std::vector<uint8_t> EncodeNpy(const TensorData& t);
// The header EncodeNpy puts before t's bytes (magic, version, length, padded dict).
std::vector<uint8_t> EncodeNpyHeader(const TensorData& t);

TensorData ReadNpy(const std::string& path);
// Writes atomically (see data/file_io.h), the header then t's bytes (no copy of the data).
void WriteNpy(const std::string& path, const TensorData& t);

// The NumPy descr of a type ('<f4'); throws for types NumPy cannot hold (string).
std::string NpyDescr(DType t);

}  // namespace cae
