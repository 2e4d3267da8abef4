#include "report/image_grid.h"

#include <algorithm>
#include <cstring>

#include "graph/error.h"
#include "graph/graph.h"

namespace cae {

Image MakeComparisonGrid(const std::vector<const TensorData*>& rows, int count, int columns) {
  Check(!rows.empty(), "image grid: no images");
  const TensorData& first = *rows.front();
  Check(first.type == DType::kFloat32 && first.shape.size() == 4, "image grid: expected float32 NHWC images, found ",
        DTypeName(first.type), " ", ShapeToString(first.shape));
  for (const TensorData* t : rows) {
    Check(t->type == DType::kFloat32 && t->shape.size() == 4 && std::equal(t->shape.begin() + 1, t->shape.end(), first.shape.begin() + 1),
          "image grid: images of shape ", ShapeToString(t->shape), " do not match ", ShapeToString(first.shape));
    count = std::min(count, t->shape[0]);
  }
  Check(count >= 1 && columns >= 1, "image grid: nothing to draw");
  columns = std::min(columns, count);
  const int h = first.shape[1], w = first.shape[2], c = first.shape[3];
  Check(c == 1 || c == 3, "image grid: ", c, " channels (1 or 3)");
  constexpr int kGap = 2, kGroupGap = 6;
  const int groups = (count + columns - 1) / columns;
  const int nrows = static_cast<int>(rows.size());
  Image grid;
  grid.channels = c;
  grid.width = columns * w + (columns + 1) * kGap;
  grid.height = groups * (nrows * h + (nrows - 1) * kGap) + (groups - 1) * kGroupGap + 2 * kGap;
  Check(grid.width <= kMaxImageSide && grid.height <= kMaxImageSide, "image grid: too large (", grid.width, "x",
        grid.height, ")");
  grid.pixels.assign(static_cast<size_t>(grid.width) * grid.height * c, 128);
  for (int i = 0; i < count; ++i) {
    const int g = i / columns, col = i % columns;
    for (int r = 0; r < nrows; ++r) {
      const Image tile = TensorToImage(*rows[r], i);
      const int y0 = kGap + g * (nrows * h + (nrows - 1) * kGap + kGroupGap) + r * (h + kGap);
      const int x0 = kGap + col * (w + kGap);
      for (int y = 0; y < h; ++y)
        std::memcpy(&grid.pixels[(static_cast<size_t>(y0 + y) * grid.width + x0) * c],
                    &tile.pixels[static_cast<size_t>(y) * w * c], static_cast<size_t>(w) * c);
    }
  }
  return grid;
}

void WriteComparisonGrid(const std::string& path, const std::vector<const TensorData*>& rows, int count, int columns) {
  WritePng(path, MakeComparisonGrid(rows, count, columns));
}

}  // namespace cae
