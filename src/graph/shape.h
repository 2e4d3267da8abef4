// Shape arithmetic with overflow checks: shapes come from untrusted files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cae {

// Product of dims. Throws cae::Error if a dim is negative or the product exceeds 2^40 elements.
int64_t NumElements(const std::vector<int32_t>& shape);

// NumElements * element size in bytes, same checks.
int64_t NumBytes(const std::vector<int32_t>& shape, size_t element_size);

// "[i,j,k]": the multi-index of row-major flat index `flat` in shape (dims below 1 count as 1).
std::string IndexInShape(int64_t flat, const std::vector<int32_t>& shape);

}  // namespace cae
