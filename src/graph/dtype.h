// Element types of tensors. Numeric values equal TFLite's TensorType enum (schema v3), so the
// TFLite reader/writer convert with a range check and a cast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cae {

enum class DType : int8_t {
  kFloat32 = 0,
  kFloat16 = 1,
  kInt32 = 2,
  kUInt8 = 3,
  kInt64 = 4,
  kString = 5,
  kBool = 6,
  kInt16 = 7,
  kComplex64 = 8,
  kInt8 = 9,
  kFloat64 = 10,
};

// Size in bytes of one element; 0 for kString (variable length).
size_t DTypeSize(DType t);
// Lower-case name as NumPy/TFLite users know it: "float32", "int8", ...
std::string_view DTypeName(DType t);
// True for the 8/16-bit integer types that carry quantization parameters.
bool IsQuantizedType(DType t);

}  // namespace cae
