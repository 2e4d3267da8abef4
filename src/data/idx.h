// IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or not (detected by zlib).
// Header: two zero bytes, a type byte (only 0x08 = uint8 is supported), a rank byte (1..4),
// then rank big-endian uint32 dims; then the values. The data size must match the dims exactly
// and stay under 2 GiB; otherwise cae::Error names the file.
#pragma once

#include <string>

#include "graph/tensor_data.h"

namespace cae {

// The raw uint8 values with the file's shape (e.g. [10000,28,28] or [10000]).
TensorData ReadIdx(const std::string& path);

// An idx3 image file as float32 NHWC [N,H,W,1], values / 255.
TensorData ReadIdxImages(const std::string& path);

// True when the (possibly gzipped) file starts like an IDX file.
bool LooksLikeIdx(const std::string& path);

}  // namespace cae
