// Element-type conversions of TensorData used when data files meet models.
#pragma once

#include "graph/tensor_data.h"

namespace cae {

// Returns t as float32 (values converted exactly where float32 can hold them; float16 decoded per
// IEEE 754 binary16; bool as 0/1). float32 input is returned unchanged. Throws for string/complex.
TensorData ToFloat32(const TensorData& t);

// IEEE 754 binary16 -> binary32 (all cases: subnormals, inf, NaN).
float HalfToFloat(uint16_t h);

// Index (flat, row-major) of the first NaN or infinite value of float32/float16/float64 data;
// -1 when all are finite or t is not floating point.
int64_t FirstNonFinite(const TensorData& t);

}  // namespace cae
