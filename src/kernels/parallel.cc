// ThreadPool: persistent workers sleeping on a condition variable; ParallelFor hands out
// contiguous chunks through an atomic counter, the calling thread works too.
#include "kernels/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace cae {

struct ThreadPool::Impl {
  int size = 1;
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable wake;      // workers wait for a new job
  std::condition_variable finished;  // the caller waits for workers to leave the job
  bool stop = false;
  uint64_t generation = 0;           // incremented per job

  // The current job (valid while active_workers > 0 or the caller is inside ParallelFor).
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0;
  int64_t chunk = 1;
  int64_t num_chunks = 0;
  std::atomic<int64_t> next{0};
  int active_workers = 0;
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
      {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
        ++active_workers;
      }
      Work();
      {
        std::lock_guard<std::mutex> lock(mu);
        if (--active_workers == 0) finished.notify_all();
      }
    }
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
  }
  impl_->wake.notify_all();
  for (std::thread& t : impl_->workers) t.join();
  delete impl_;
}

int ThreadPool::size() const { return impl_->size; }

void ThreadPool::ParallelFor(int64_t n, int64_t min_chunk,
                             const std::function<void(int64_t, int64_t)>& fn) {
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
    p.finished.wait(lock, [&] { return p.active_workers == 0; });
    p.fn = &fn;
    p.n = n;
    p.chunk = (n + parts - 1) / parts;
    p.num_chunks = (n + p.chunk - 1) / p.chunk;
    p.next.store(0);
    p.error = nullptr;
    ++p.generation;
  }
  p.wake.notify_all();
  p.Work();
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(p.mu);
    // Chunks are all taken once next >= num_chunks; wait until no worker is still inside one.
    p.finished.wait(lock, [&] { return p.active_workers == 0; });
    p.fn = nullptr;
    error = p.error;
    p.error = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

void ParallelFor(ThreadPool* pool, int64_t n, int64_t min_chunk,
                 const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (pool == nullptr) {
    fn(0, n);
    return;
  }
  pool->ParallelFor(n, min_chunk, fn);
}

}  // namespace cae
