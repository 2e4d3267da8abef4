#include "runtime/memory_planner.h"

#include <algorithm>
#include <numeric>

namespace cae {

MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests, int64_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), -1);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by earlier first use, then index, so the plan is deterministic.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    if (requests[a].first_use != requests[b].first_use)
      return requests[a].first_use < requests[b].first_use;
    return a < b;
  });
  auto align = [&](int64_t v) { return (v + alignment - 1) & ~(alignment - 1); };
  std::vector<size_t> placed;
  for (size_t i : order) {
    const BufferRequest& r = requests[i];
    if (r.bytes <= 0) continue;
    // Blocks already placed whose lifetimes overlap this one, by offset.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (size_t j : placed) {
      const BufferRequest& q = requests[j];
      if (q.last_use < r.first_use || r.last_use < q.first_use) continue;
      busy.emplace_back(plan.offsets[j], plan.offsets[j] + q.bytes);
    }
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (const auto& [begin, end] : busy) {
      if (offset + r.bytes <= begin) break;
      offset = std::max(offset, align(end));
    }
    plan.offsets[i] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + r.bytes);
    placed.push_back(i);
  }
  plan.arena_bytes = align(plan.arena_bytes);
  return plan;
}

}  // namespace cae
