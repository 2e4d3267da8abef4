// Shape arithmetic with overflow checks: shapes come from untrusted files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cae {

// Product of dims. Throws cae::Error if a dim is negative or the product exceeds 2^40 elements.
int64_t NumElements(const std::vector<int32_t>& shape);

// NumElements * element size in bytes, same checks.
int64_t NumBytes(const std::vector<int32_t>& shape, size_t element_size);

}  // namespace cae
