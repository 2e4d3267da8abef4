// Steady-state invokes allocate nothing: global operator new is counted while RunInto runs a
// batch size it has run before (batch 1 and a multiple of the chunk, 1 and 2 threads).
// Skipped under AddressSanitizer, which owns operator new.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>

#include "graph/shape_inference.h"
#include "runtime/interpreter.h"

#if defined(__SANITIZE_ADDRESS__)
#define CAE_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAE_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef CAE_COUNT_ALLOCATIONS
#define CAE_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

#if CAE_COUNT_ALLOCATIONS
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace cae {
namespace {

// conv(relu) -> max pool -> conv -> nearest upsample -> conv -> logistic: the CAE's op kinds.
Model TinyCae() {
  Model m;
  Graph& g = m.subgraphs.emplace_back();
  m.source = "tiny.tflite";
  auto act = [&](std::vector<int32_t> shape) {
    Tensor t;
    t.name = "t" + std::to_string(g.tensors.size());
    t.shape = std::move(shape);
    return g.AddTensor(t);
  };
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
  auto constf = [&](std::vector<int32_t> shape) {
    Tensor t;
    t.name = "w" + std::to_string(g.tensors.size());
    t.shape = shape;
    std::vector<float> v(static_cast<size_t>(NumElements(shape)));
    for (float& x : v) x = dist(rng);
    t.data.resize(v.size() * 4);
    std::memcpy(t.data.data(), v.data(), t.data.size());
    return g.AddTensor(t);
  };
  auto op = [&](OpType type, std::vector<int> inputs, OpOptions o = {}) {
    const int out = act({});
    Op x;
    x.type = type;
    x.inputs = std::move(inputs);
    x.outputs = {out};
    x.options = o;
    g.AddOp(x);
    return out;
  };
  OpOptions conv;
  conv.padding = Padding::kSame;
  conv.activation = Activation::kRelu;
  OpOptions pool;
  pool.filter_h = pool.filter_w = pool.stride_h = pool.stride_w = 2;
  pool.padding = Padding::kSame;
  const int x = act({1, 12, 12, 1});
  g.inputs = {x};
  int h = op(OpType::CONV_2D, {x, constf({16, 3, 3, 1}), constf({16})}, conv);
  h = op(OpType::MAX_POOL_2D, {h}, pool);
  h = op(OpType::CONV_2D, {h, constf({16, 3, 3, 16}), constf({16})}, conv);
  Tensor size;
  size.name = "size";
  size.type = DType::kInt32;
  size.shape = {2};
  const int32_t hw[2] = {12, 12};
  size.data.resize(8);
  std::memcpy(size.data.data(), hw, 8);
  h = op(OpType::RESIZE_NEAREST_NEIGHBOR, {h, g.AddTensor(size)});
  conv.activation = Activation::kNone;
  h = op(OpType::CONV_2D, {h, constf({1, 3, 3, 16}), constf({1})}, conv);
  g.outputs = {op(OpType::LOGISTIC, {h})};
  InferShapes(g);
  return m;
}

TEST(InterpreterAllocations, SteadyStateInvokesAllocateNothing) {
  if (!CAE_COUNT_ALLOCATIONS) GTEST_SKIP() << "operator new belongs to the sanitizer";
  for (int threads : {1, 2}) {
    InterpreterOptions o;
    o.threads = threads;
    o.batch_chunk = 4;
    Interpreter interp(TinyCae(), o);
    for (int32_t n : {1, 8}) {
      std::vector<float> in(static_cast<size_t>(n) * 144, 0.5f), out(in.size());
      const void* ins[] = {in.data()};
      void* outs[] = {out.data()};
      interp.RunInto(n, ins, outs);  // warm-up: plans, prepares kernels
      const int64_t before = g_allocations.load();
      for (int rep = 0; rep < 20; ++rep) interp.RunInto(n, ins, outs);
      EXPECT_EQ(g_allocations.load() - before, 0) << threads << " threads, batch " << n;
      EXPECT_GT(out[0], 0.0f);
    }
    // The counter works: Run() allocates its results.
    const int64_t before = g_allocations.load();
    TensorData in(DType::kFloat32, {1, 12, 12, 1});
    interp.Run({in});
    EXPECT_GT(g_allocations.load() - before, 0);
  }
}

}  // namespace
}  // namespace cae
