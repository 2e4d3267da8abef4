// Arena planning: given each tensor's byte size and the op interval during which it must hold
// its value, assigns offsets in one arena so that tensors whose intervals overlap never share
// bytes and others may (greedy by size, as TFLite's arena planner).
#pragma once

#include <cstdint>
#include <vector>

namespace cae {

struct BufferRequest {
  int64_t bytes = 0;   // 0: needs no memory
  int first_use = 0;   // op index where the value is written (-1: before the first op)
  int last_use = 0;    // op index of the last read (inclusive)
};

struct MemoryPlan {
  std::vector<int64_t> offsets;  // per request; -1 for requests of 0 bytes
  int64_t arena_bytes = 0;
};

// Offsets are multiples of alignment (a power of two).
MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests, int64_t alignment = 64);

}  // namespace cae
