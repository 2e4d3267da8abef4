// The float range [min, max] observed (or chosen) for one tensor: what calibration produces and
// the int8 quantizer consumes, indexed by tensor index of the float graph.
#pragma once

#include <vector>

namespace cae::quant {

struct TensorRange {
  float min = 0.0f;
  float max = 0.0f;
  bool valid = false;  // false: no statistics for this tensor
};

using RangeTable = std::vector<TensorRange>;

// Per tensor, the mean of each channel (slice along the last dim); empty when unknown.
using ChannelMeans = std::vector<std::vector<float>>;

}  // namespace cae::quant
