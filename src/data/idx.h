// IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or not (detected by zlib).
// Header: two zero bytes, a type byte, a rank byte (1..4), then rank big-endian uint32 dims; then
// the values, big-endian. Types: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
// 0x0E float64. The data size must match the dims exactly and stay under 2 GiB; otherwise
// cae::Error names the file.
#pragma once

#include <string>

#include "graph/tensor_data.h"

namespace cae {

// The values in the file's own type (uint8, int8, int16, int32, float32, float64; host byte
// order) with the file's shape (e.g. [10000,28,28] or [10000]).
TensorData ReadIdx(const std::string& path);

// An idx3 image file as float32 NHWC [N,H,W,1]: uint8 values / 255, other types as they are.
TensorData ReadIdxImages(const std::string& path);

// True when the (possibly gzipped) file starts like an IDX file.
bool LooksLikeIdx(const std::string& path);

}  // namespace cae
