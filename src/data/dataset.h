// LoadData: one entry point from a path to a TensorData batch, whatever the file format.
//
// Dispatch (by content first, extension second):
//   folder                 every image file in it (IsImageExtension), sorted by file name,
//                          stacked to [N,H,W,C]; all must have the same size unless resized.
//   .npy (\x93NUMPY magic) the array; converted to float32 unless keep_type. uint8 arrays are
//                          pixels like IDX and images: / 255 (unless keep_uint8_values). Not
//                          resized: height/width set is an error naming the file.
//   IDX (gzipped or not)   idx3 images -> float32 [N,H,W,1] (or the file's type when keep_type);
//                          idx1 labels -> float32 [N] (file's type when keep_type). uint8 values
//                          are / 255 except for rank-1 labels (and keep_uint8_values); other
//                          types keep their values. uint8 images are resized and given 3
//                          channels (gray replicated) as image files are, at 8 bits; other IDX
//                          data asked to be is an error naming the file.
//   PNG / JPEG / BMP / ... one image -> [1,H,W,C], / 255 (16-bit PNG: / 65535; neither with
//                          keep_uint8_values, which also reads a palette PNG's indices, not its
//                          colours); uint8 when keep_type (16-bit PNG samples rounded to 8 bits).
// Then `limit` keeps the first images along dim 0. std::bad_alloc becomes cae::Error naming the
// file ("<path>: out of memory while loading the data; ...").
//
// The rule: whatever is loaded as model input, 8-bit pixels become v / 255 whether they come from
// an image, an IDX file or a uint8 .npy; everything else keeps its values.
#pragma once

#include <cstdint>
#include <string>

#include "graph/tensor_data.h"

namespace cae {

struct LoadOptions {
  int channels = 0;      // images: 1 or 3 (0 = as stored, or from the first image of a folder);
                         // IDX images: 3 replicates their gray value
  int height = 0;        // images: resize to height x width (bilinear) when both > 0
  int width = 0;
  int64_t limit = 0;     // keep the first `limit` items along dim 0 (0 = all)
  bool keep_type = false;  // keep .npy's type / uint8 pixels instead of float32
  // Integer samples as they are instead of pixels / 255: uint8 .npy and IDX and 8-bit images give
  // 0..255 as float32, 16-bit PNGs 0..65535. For data that is not model input, such as
  // segmentation targets given as class maps or masks (data/segmentation_targets.h).
  bool keep_uint8_values = false;
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
