#include "graph/shape.h"

#include <algorithm>

#include "graph/error.h"
#include "graph/graph.h"

namespace cae {

namespace {
constexpr int64_t kMaxElements = int64_t{1} << 40;
}

// Messages are built only on failure: these run on hot paths.
int64_t NumElements(const std::vector<int32_t>& shape) {
  int64_t n = 1;
  for (int32_t d : shape) {
    if (d < 0) Fail("shape ", ShapeToString(shape), " has a negative dimension");
    if (d != 0 && n > kMaxElements / d) Fail("shape ", ShapeToString(shape), " has too many elements");
    n *= d;
  }
  return n;
}

int64_t NumBytes(const std::vector<int32_t>& shape, size_t element_size) {
  const int64_t n = NumElements(shape);
  if (element_size != 0 && n > kMaxElements / static_cast<int64_t>(element_size))
    Fail("shape ", ShapeToString(shape), " is too large");
  return n * static_cast<int64_t>(element_size);
}

std::string IndexInShape(int64_t flat, const std::vector<int32_t>& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    const int64_t n = std::max<int32_t>(shape[d], 1);
    idx[d] = flat % n;
    flat /= n;
  }
  std::string s = "[";
  for (size_t d = 0; d < idx.size(); ++d) s += (d ? "," : "") + std::to_string(idx[d]);
  return s + "]";
}

}  // namespace cae
