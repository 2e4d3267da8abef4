// A small fixed-size thread pool for kernels: ParallelFor splits [0, n) into contiguous chunks.
#pragma once

#include <cstdint>
#include <functional>

namespace cae {

class ThreadPool {
 public:
  // threads <= 0 means std::thread::hardware_concurrency(). threads == 1 runs inline.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;
  // Calls fn(begin, end) on disjoint chunks covering [0, n), at most size() at a time, chunks of at
  // least min_chunk items; returns when all are done. Exceptions thrown by fn are rethrown here.
  void ParallelFor(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn);

 private:
  struct Impl;
  Impl* impl_;
};

// Runs fn over [0, n) on pool, or inline when pool is null.
void ParallelFor(ThreadPool* pool, int64_t n, int64_t min_chunk,
                 const std::function<void(int64_t, int64_t)>& fn);

}  // namespace cae
