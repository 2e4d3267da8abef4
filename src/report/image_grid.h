// Image grids for reports: rows of originals above their reconstructions.
#pragma once

#include <string>
#include <vector>

#include "data/image.h"
#include "graph/tensor_data.h"

namespace cae {

// Lays out the first `count` images of each tensor (float32 NHWC, 1 or 3 channels, equal H, W, C)
// in `columns` columns: for each group of `columns` images, one row from every tensor in order
// (e.g. originals, then reconstructions), with a 2-pixel gap between tiles and a 6-pixel gap
// between groups, on a mid-gray background. Values are clamped to [0,1].
Image MakeComparisonGrid(const std::vector<const TensorData*>& rows, int count, int columns);

// MakeComparisonGrid, written as PNG atomically.
void WriteComparisonGrid(const std::string& path, const std::vector<const TensorData*>& rows, int count, int columns);

}  // namespace cae
