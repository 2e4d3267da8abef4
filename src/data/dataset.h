// LoadData: one entry point from a path to a TensorData batch, whatever the file format.
//
// Dispatch (by content first, extension second):
//   folder                 every image file in it (IsImageExtension), sorted by file name,
//                          stacked to [N,H,W,C]; all must have the same size unless resized.
//   .npy (\x93NUMPY magic) the array; converted to float32 unless keep_type.
//   IDX (gzipped or not)   uint8 idx3 images -> float32 [N,H,W,1] / 255 (or uint8 [N,H,W,1] when
//                          keep_type); idx1 labels -> float32 [N] (uint8 when keep_type).
//   PNG / JPEG / BMP / ... one image -> [1,H,W,C], / 255 (uint8 when keep_type).
// Then `limit` keeps the first images along dim 0.
#pragma once

#include <cstdint>
#include <string>

#include "graph/tensor_data.h"

namespace cae {

struct LoadOptions {
  int channels = 0;      // images: 1 or 3 (0 = as stored, or from the first image of a folder)
  int height = 0;        // images: resize to height x width (bilinear) when both > 0
  int width = 0;
  int64_t limit = 0;     // keep the first `limit` items along dim 0 (0 = all)
  bool keep_type = false;  // keep .npy's type / uint8 pixels instead of float32
};

TensorData LoadData(const std::string& path, const LoadOptions& options = {});

// The first n items along dim 0 of t (all of t when n <= 0 or n >= t.shape[0]).
TensorData TakeFirst(const TensorData& t, int64_t n);

// Fashion-MNIST as packaged by Debian (dataset-fashion-mnist).
inline constexpr const char* kFashionMnistTrainImages = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
inline constexpr const char* kFashionMnistTrainLabels = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
inline constexpr const char* kFashionMnistTestImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
inline constexpr const char* kFashionMnistTestLabels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

}  // namespace cae
