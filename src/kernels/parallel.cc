// ThreadPool: persistent workers; ParallelFor hands out contiguous chunks through an atomic
// counter and the calling thread works too. A worker that finished a job spins for a short while
// (kSpin) watching for the next one before sleeping on a condition variable; the caller likewise
// spins before sleeping while it waits for workers to leave the job. Batch-1 inference issues one
// small job per op back to back, and a futex sleep/wake per op would cost more than the op.
#include "kernels/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace cae {
namespace {

constexpr auto kSpin = std::chrono::microseconds(100);

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until done() or kSpin has passed; returns done().
template <typename Done>
bool SpinUntil(const Done& done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    if (done()) return true;
    CpuRelax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) return done();
  }
}

}  // namespace

struct ThreadPool::Impl {
  int size = 1;
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable wake;      // workers wait for a new job
  std::condition_variable finished;  // the caller waits for workers to leave the job
  bool stop = false;                 // guarded by mu
  std::atomic<bool> stopping{false}; // stop, readable while spinning
  std::atomic<uint64_t> generation{0};  // incremented (under mu) per job

  // The current job (valid while active_workers > 0 or the caller is inside ParallelFor).
  const RangeFn* fn = nullptr;
  int64_t n = 0;
  int64_t chunk = 1;
  int64_t num_chunks = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int> active_workers{0};  // modified under mu
  std::exception_ptr error;
  std::mutex job_mu;  // one ParallelFor at a time per pool

  // Runs chunks of the current job until none are left; records the first exception.
  void Work() {
    for (;;) {
      const int64_t c = next.fetch_add(1);
      if (c >= num_chunks) return;
      const int64_t begin = c * chunk;
      const int64_t end = std::min(n, begin + chunk);
      try {
        (*fn)(begin, end);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        next.store(num_chunks);  // skip the remaining chunks
      }
    }
  }

  void WorkerLoop() {
    uint64_t seen = 0;
    for (;;) {
      SpinUntil([&] { return stopping.load(std::memory_order_relaxed) || generation.load() != seen; });
      {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] { return stop || generation.load() != seen; });
        if (stop) return;
        seen = generation.load();
        active_workers.fetch_add(1);
      }
      Work();
      {
        std::lock_guard<std::mutex> lock(mu);
        if (active_workers.fetch_sub(1) == 1) finished.notify_all();
      }
    }
  }

  // Waits (spinning first) until no worker is inside a job.
  void WaitForWorkersToLeave(std::unique_lock<std::mutex>& lock) {
    if (active_workers.load() != 0) {
      lock.unlock();
      SpinUntil([&] { return active_workers.load() == 0; });
      lock.lock();
    }
    finished.wait(lock, [&] { return active_workers.load() == 0; });
  }
};

ThreadPool::ThreadPool(int threads) : impl_(new Impl) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl_->size = threads;
  for (int i = 1; i < threads; ++i) impl_->workers.emplace_back([this] { impl_->WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
    impl_->stopping.store(true);
  }
  impl_->wake.notify_all();
  for (std::thread& t : impl_->workers) t.join();
  delete impl_;
}

int ThreadPool::size() const { return impl_->size; }

void ThreadPool::ParallelFor(int64_t n, int64_t min_chunk, RangeFn fn) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  const int64_t max_parts = std::max<int64_t>(1, n / min_chunk);
  const int64_t parts = std::min<int64_t>(impl_->size, max_parts);
  if (parts <= 1) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> job_lock(impl_->job_mu);
  Impl& p = *impl_;
  {
    std::unique_lock<std::mutex> lock(p.mu);
    // A worker that woke late for the previous job may still be leaving it.
    p.WaitForWorkersToLeave(lock);
    p.fn = &fn;
    p.n = n;
    p.chunk = (n + parts - 1) / parts;
    p.num_chunks = (n + p.chunk - 1) / p.chunk;
    p.next.store(0);
    p.error = nullptr;
    p.generation.fetch_add(1);
  }
  p.wake.notify_all();
  p.Work();
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(p.mu);
    // Chunks are all taken once next >= num_chunks; wait until no worker is still inside one.
    p.WaitForWorkersToLeave(lock);
    p.fn = nullptr;
    error = p.error;
    p.error = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

void ParallelFor(ThreadPool* pool, int64_t n, int64_t min_chunk, RangeFn fn) {
  if (n <= 0) return;
  if (pool == nullptr) {
    fn(0, n);
    return;
  }
  pool->ParallelFor(n, min_chunk, fn);
}

}  // namespace cae
