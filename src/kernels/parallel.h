// A small fixed-size thread pool for kernels: ParallelFor splits [0, n) into contiguous chunks.
//
// Calls allocate nothing and share no lock with the workers: the work is passed as a
// RangeFn (a non-owning reference to any callable, e.g. a lambda), and workers that just finished
// a job spin briefly before sleeping, so the back-to-back small jobs of a batch-1 invoke do not
// pay a futex wake-up per op (a handoff costs about two cache-line transfers between cores).
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>

namespace cae {

// A non-owning reference to a callable void(int64_t begin, int64_t end). The callable must outlive
// the call it is passed to (a lambda written at the call site does).
class RangeFn {
 public:
  template <typename F,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, RangeFn> &&
                                        std::is_invocable_v<const std::remove_reference_t<F>&, int64_t, int64_t>>>
  RangeFn(F&& f)  // NOLINT(google-explicit-constructor): implicit, like std::function
      : object_(static_cast<const void*>(std::addressof(f))),
        call_([](const void* o, int64_t begin, int64_t end) {
          (*static_cast<const std::remove_reference_t<F>*>(o))(begin, end);
        }) {}
  void operator()(int64_t begin, int64_t end) const { call_(object_, begin, end); }

 private:
  const void* object_;
  void (*call_)(const void*, int64_t, int64_t);
};

class ThreadPool {
 public:
  // threads <= 0 means std::thread::hardware_concurrency(). threads == 1 runs inline.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;
  // Calls fn(begin, end) on disjoint chunks covering [0, n), at most size() chunks of equal size
  // (the last may be shorter) of at least min_chunk items, the first on the calling thread;
  // returns when all are done. Exceptions thrown by fn are rethrown here (one of them), and the
  // chunks not started yet are skipped. One job at a time per pool (concurrent callers are
  // serialized); a call made from inside a job of the same pool runs inline.
  void ParallelFor(int64_t n, int64_t min_chunk, RangeFn fn);

 private:
  struct Impl;
  Impl* impl_;
};

// Runs fn over [0, n) on pool, or inline when pool is null.
void ParallelFor(ThreadPool* pool, int64_t n, int64_t min_chunk, RangeFn fn);

}  // namespace cae
