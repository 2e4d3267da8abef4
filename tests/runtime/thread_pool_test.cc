// ThreadPool: full disjoint coverage, exceptions propagate, inline fallback, reuse; many
// back-to-back small jobs (the batch-1 pattern), jobs after the workers fell asleep, fewer items
// than threads, nested calls, several callers sharing one pool.
#include "kernels/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cae {
namespace {

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.ParallelFor(n, 3, [&](int64_t begin, int64_t end) {
        ASSERT_LE(0, begin);
        ASSERT_LE(begin, end);
        ASSERT_LE(end, n);
        for (int64_t i = begin; i < end; ++i) hits[i]++;
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << threads << " threads, n " << n;
    }
  }
}

TEST(ThreadPool, RespectsMinChunk) {
  ThreadPool pool(4);
  std::atomic<int> calls{0};
  pool.ParallelFor(10, 10, [&](int64_t begin, int64_t end) {
    EXPECT_EQ(begin, 0);
    EXPECT_EQ(end, 10);
    calls++;
  });
  EXPECT_EQ(calls.load(), 1);
}

TEST(ThreadPool, ExceptionsPropagateAndPoolStaysUsable) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.ParallelFor(100, 1,
                                [&](int64_t begin, int64_t) {
                                  if (begin > 0) throw std::runtime_error("chunk failed");
                                }),
               std::runtime_error);
  std::atomic<int64_t> sum{0};
  for (int round = 0; round < 200; ++round) {
    pool.ParallelFor(64, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) sum += i;
    });
  }
  EXPECT_EQ(sum.load(), 200 * (63 * 64 / 2));
}

TEST(ThreadPool, NullPoolRunsInline) {
  int64_t seen_begin = -1, seen_end = -1;
  ParallelFor(nullptr, 5, 1, [&](int64_t b, int64_t e) {
    seen_begin = b;
    seen_end = e;
  });
  EXPECT_EQ(seen_begin, 0);
  EXPECT_EQ(seen_end, 5);
}

// Each index of [0, n) is visited once per job, over many jobs with varying n.
TEST(ThreadPool, ManyBackToBackSmallJobs) {
  for (int threads : {2, 3, 8}) {
    ThreadPool pool(threads);
    std::vector<int> hits(64, 0);  // plain ints: the job's return must publish the writes
    for (int round = 0; round < 20000; ++round) {
      const int64_t n = 1 + round % 64;
      pool.ParallelFor(n, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)] += 1;
      });
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(hits[static_cast<size_t>(i)], 1) << threads << " threads, round " << round;
        hits[static_cast<size_t>(i)] = 0;
      }
    }
  }
}

// Work really spreads: with 2 threads and 2 items that each wait for the other, both run at once.
TEST(ThreadPool, TwoItemsRunConcurrently) {
  ThreadPool pool(2);
  for (int round = 0; round < 50; ++round) {
    std::atomic<int> arrived{0};
    std::atomic<bool> timed_out{false};
    pool.ParallelFor(2, 1, [&](int64_t, int64_t) {
      arrived++;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (arrived.load() < 2)
        if (std::chrono::steady_clock::now() > deadline) {
          timed_out = true;
          break;
        }
    });
    ASSERT_FALSE(timed_out.load()) << "round " << round;
    // Now and then let the workers fall asleep.
    if (round % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Jobs after the workers have stopped spinning and sleep (gaps longer than the spin).
TEST(ThreadPool, JobsAfterWorkersSleep) {
  ThreadPool pool(3);
  std::atomic<int64_t> sum{0};
  for (int round = 0; round < 20; ++round) {
    std::this_thread::sleep_for(std::chrono::microseconds(round % 2 ? 50 : 1500));
    pool.ParallelFor(30, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) sum += i;
    });
  }
  EXPECT_EQ(sum.load(), 20 * (29 * 30 / 2));
}

TEST(ThreadPool, FewerItemsThanThreads) {
  ThreadPool pool(8);
  for (int64_t n : {1, 2, 3, 7}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    for (int round = 0; round < 500; ++round)
      pool.ParallelFor(n, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)]++;
      });
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 500) << n;
  }
}

// Every chunk throws, many times in a row; each call rethrows one of them and the next call works.
TEST(ThreadPool, RepeatedExceptionsFromEveryChunk) {
  ThreadPool pool(2);
  for (int round = 0; round < 2000; ++round) {
    EXPECT_THROW(pool.ParallelFor(4, 1, [&](int64_t, int64_t) { throw std::runtime_error("x"); }),
                 std::runtime_error);
    std::atomic<int> calls{0};
    pool.ParallelFor(4, 1,
                     [&](int64_t begin, int64_t end) { calls += static_cast<int>(end - begin); });
    ASSERT_EQ(calls.load(), 4) << "round " << round;
  }
}

// A ParallelFor issued from inside a job of the same pool runs inline (no deadlock).
TEST(ThreadPool, NestedCallsRunInline) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  pool.ParallelFor(8, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      pool.ParallelFor(10, 1, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) sum += j;
      });
  });
  EXPECT_EQ(sum.load(), 8 * 45);
}

// Several threads sharing one pool: their jobs are serialized, each sees its own items.
TEST(ThreadPool, ConcurrentCallersShareThePool) {
  ThreadPool pool(2);
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&, c] {
      for (int round = 0; round < 2000; ++round) {
        const int64_t n = 1 + (round + c) % 17;
        std::atomic<int64_t> sum{0};
        pool.ParallelFor(n, 1, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) sum += i + c;
        });
        if (sum.load() != n * (n - 1) / 2 + n * c) failures++;
      }
    });
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(ThreadPool, DestroyedWhileWorkersSpinOrSleep) {
  for (int round = 0; round < 50; ++round) {
    ThreadPool pool(2 + round % 3);
    std::atomic<int> calls{0};
    pool.ParallelFor(10, 1,
                     [&](int64_t begin, int64_t end) { calls += static_cast<int>(end - begin); });
    EXPECT_EQ(calls.load(), 10);
    if (round % 2) std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
}

}  // namespace
}  // namespace cae
