// ThreadPool: persistent workers; the calling thread works too. A job of k chunks (k <= size)
// gives chunk 0 to the caller and chunk i to worker i; the caller takes over any chunk whose
// worker has not started it by the time the caller's own chunk is done (a worker that is asleep
// or descheduled never holds a job up). Dispatch takes no lock:
//  - `state` holds the job's generation (high 32 bits) and chunk count (low 32 bits). The caller
//    writes the job's fields, then stores the new state.
//  - Each worker has its own cache line (Slot) with `claimed` and `done`, the generation of the
//    last job whose chunk it claimed / finished. A chunk is claimed by a compare-exchange that
//    only moves `claimed` forward, by its worker or by the caller, so exactly one runs it; a
//    successful claim also proves that the job is not finished, so the fields read before it are
//    that job's. The caller returns once every chunk it did not run shows done == generation.
//  - Workers and the caller only read each other's lines while waiting: a handoff costs about
//    two one-way cache-line transfers (the worker seeing the job, the caller seeing it done).
//  - A worker that finished a job spins (kSpin; yielding the CPU between checks after the first
//    kPureSpin, found: without it a loaded machine ran the CAE at batch 1 1.7x slower on 2
//    threads, spinners taking the time of the threads they wait for) watching state, then sleeps
//    on a condition variable; the caller notifies only when a worker said it sleeps
//    (`sleepers`, checked after the new state is stored: both sequentially consistent, so either
//    the caller sees the sleeper or the sleeper sees the new job). The caller likewise spins,
//    then sleeps, while it waits.
// Batch-1 inference issues one small job per op back to back, and a futex sleep/wake or a mutex
// round trip per op would cost more than the op.
#include "kernels/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace cae {
namespace {

constexpr auto kSpin = std::chrono::microseconds(100);
constexpr auto kPureSpin = std::chrono::microseconds(5);

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until done() or kSpin has passed; returns done(). After the first kPureSpin it yields
// the CPU between checks: on an idle machine a yield returns at once, on a loaded one it lets the
// thread that is being waited for (maybe on this very CPU) run instead of the spinner.
template <typename Done>
bool SpinUntil(const Done& done) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0;; ++i) {
    if (done()) return true;
    CpuRelax();
    if ((i & 15) != 15) continue;
    const auto spent = std::chrono::steady_clock::now() - start;
    if (spent > kSpin) return done();
    if (spent > kPureSpin) std::this_thread::yield();
  }
}

inline uint32_t Generation(uint64_t s) { return static_cast<uint32_t>(s >> 32); }
inline int64_t ChunkCount(uint64_t s) { return static_cast<int64_t>(s & 0xffffffffu); }
// a is a later generation than b (wrapping).
inline bool Later(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

// The pool whose job the current thread is running (nested ParallelFor calls run inline).
thread_local const void* tls_running_pool = nullptr;

}  // namespace

struct ThreadPool::Impl {
  // One per worker (index 0, the caller's chunk, is unused), on its own cache line.
  struct alignas(64) Slot {
    std::atomic<uint32_t> claimed{0};  // generation of the last job whose chunk was claimed
    std::atomic<uint32_t> done{0};     // generation of the last job whose chunk finished
  };

  int size = 1;
  std::vector<std::thread> workers;
  std::unique_ptr<Slot[]> slots;

  // The job's cache line: state and the job, written by the caller (the job before the state).
  // The job's fields are atomics (relaxed) only so that a late worker's read is not a data race;
  // a worker uses them only after a successful claim.
  alignas(64) std::atomic<uint64_t> state{0};
  std::atomic<const RangeFn*> fn{nullptr};
  std::atomic<int64_t> n{0};
  std::atomic<int64_t> chunk{1};
  // Rarely written.
  alignas(64) std::atomic<int> sleepers{0};   // workers asleep (or about to) on `wake`
  std::atomic<bool> caller_sleeps{false};     // the caller asleep (or about to) on `finished`
  std::atomic<bool> failed{false};            // a chunk threw: chunks not started are skipped

  std::mutex mu;                     // guards stop, error; the condition variables' mutex
  std::condition_variable wake;      // workers wait for a new job
  std::condition_variable finished;  // the caller waits for the last chunk
  bool stop = false;
  std::atomic<bool> stopping{false};  // stop, readable while spinning
  std::exception_ptr error;
  std::mutex job_mu;  // one ParallelFor at a time per pool

  // Claims chunk c (>= 1) of job `generation` for the calling thread; false if it was claimed.
  bool Claim(int64_t c, uint32_t generation) {
    std::atomic<uint32_t>& claimed = slots[c].claimed;
    uint32_t cur = claimed.load(std::memory_order_relaxed);
    while (Later(generation, cur))
      if (claimed.compare_exchange_weak(cur, generation, std::memory_order_acq_rel)) return true;
    return false;
  }

  // Runs chunk c of the current job (fields read after a successful claim or by the caller).
  void RunChunk(int64_t c) {
    if (failed.load(std::memory_order_relaxed)) return;
    const int64_t size_of_chunk = chunk.load(std::memory_order_relaxed);
    const int64_t begin = c * size_of_chunk;
    const int64_t end = std::min(n.load(std::memory_order_relaxed), begin + size_of_chunk);
    try {
      (*fn.load(std::memory_order_relaxed))(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  }

  // Marks chunk c of job `generation` finished and wakes the caller if it sleeps.
  void Finish(int64_t c, uint32_t generation) {
    slots[c].done.store(generation, std::memory_order_seq_cst);
    if (caller_sleeps.load(std::memory_order_seq_cst)) {
      { std::lock_guard<std::mutex> lock(mu); }
      finished.notify_one();
    }
  }

  void WorkerLoop(int index) {
    tls_running_pool = this;
    uint32_t seen = 0;  // the generation the pool was built with
    uint64_t s = 0;
    for (;;) {
      auto ready = [&] {
        s = state.load(std::memory_order_seq_cst);
        return stopping.load(std::memory_order_relaxed) || Generation(s) != seen;
      };
      if (!SpinUntil(ready)) {
        std::unique_lock<std::mutex> lock(mu);
        sleepers.fetch_add(1, std::memory_order_seq_cst);
        wake.wait(lock, [&] { return stop || ready(); });
        sleepers.fetch_sub(1, std::memory_order_relaxed);
      }
      if (stopping.load(std::memory_order_relaxed)) return;
      seen = Generation(s);
      if (index < ChunkCount(s) && Claim(index, seen)) {
        RunChunk(index);
        Finish(index, seen);
      }
    }
  }

  // Waits (spinning first) until chunks [1, count) of job `generation` are done.
  void WaitForChunks(int64_t count, uint32_t generation) {
    auto all_done = [&] {
      for (int64_t c = 1; c < count; ++c)
        if (slots[c].done.load(std::memory_order_seq_cst) != generation) return false;
      return true;
    };
    if (SpinUntil(all_done)) return;
    std::unique_lock<std::mutex> lock(mu);
    caller_sleeps.store(true, std::memory_order_seq_cst);
    finished.wait(lock, all_done);
    caller_sleeps.store(false, std::memory_order_relaxed);
  }
};

ThreadPool::ThreadPool(int threads) : impl_(new Impl) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl_->size = threads;
  impl_->slots.reset(new Impl::Slot[static_cast<size_t>(threads)]);
  for (int i = 1; i < threads; ++i)
    impl_->workers.emplace_back([this, i] { impl_->WorkerLoop(i); });
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
  Impl& p = *impl_;
  if (parts <= 1 || tls_running_pool == &p) {  // too little work, or called from inside a job
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> job_lock(p.job_mu);
  const int64_t chunk = (n + parts - 1) / parts;
  const int64_t count = (n + chunk - 1) / chunk;
  p.fn.store(&fn, std::memory_order_relaxed);
  p.n.store(n, std::memory_order_relaxed);
  p.chunk.store(chunk, std::memory_order_relaxed);
  p.failed.store(false, std::memory_order_relaxed);
  const uint32_t generation = Generation(p.state.load(std::memory_order_relaxed)) + 1u;
  p.state.store((uint64_t{generation} << 32) | static_cast<uint64_t>(count),
                std::memory_order_seq_cst);
  if (p.sleepers.load(std::memory_order_seq_cst) > 0) {
    { std::lock_guard<std::mutex> lock(p.mu); }
    p.wake.notify_all();
  }
  const void* outer = tls_running_pool;
  tls_running_pool = &p;
  p.RunChunk(0);
  // Chunks whose worker has not claimed them yet: run them here.
  for (int64_t c = 1; c < count; ++c) {
    if (p.slots[c].claimed.load(std::memory_order_relaxed) == generation) continue;
    if (p.Claim(c, generation)) {
      p.RunChunk(c);
      p.slots[c].done.store(generation, std::memory_order_relaxed);
    }
  }
  p.WaitForChunks(count, generation);
  tls_running_pool = outer;
  if (p.failed.load(std::memory_order_relaxed)) {
    std::exception_ptr error;
    {
      std::lock_guard<std::mutex> lock(p.mu);
      error = p.error;
      p.error = nullptr;
    }
    std::rethrow_exception(error);
  }
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
