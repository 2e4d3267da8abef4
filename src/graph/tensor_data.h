// An owning, typed, shaped block of tensor values: what flows between data files (.npy, IDX,
// images), the interpreter's inputs/outputs, and metrics. Row-major, little-endian.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "graph/dtype.h"
#include "graph/shape.h"

namespace cae {

struct TensorData {
  DType type = DType::kFloat32;
  std::vector<int32_t> shape;
  std::vector<uint8_t> bytes;  // exactly NumElements(shape) * DTypeSize(type)

  TensorData() = default;
  TensorData(DType t, std::vector<int32_t> s)
      : type(t), shape(std::move(s)), bytes(static_cast<size_t>(NumBytes(shape, DTypeSize(t)))) {}

  int64_t num_elements() const { return NumElements(shape); }
  template <typename T>
  T* as() { return reinterpret_cast<T*>(bytes.data()); }
  template <typename T>
  const T* as() const { return reinterpret_cast<const T*>(bytes.data()); }
};

}  // namespace cae
