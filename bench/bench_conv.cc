// Google Benchmark: CONV_2D reference vs fast kernels on the CAE's layer shapes (float32 and
// int8), one-op models run through the Interpreter at batch 64, 1 thread. Prints; never asserts.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "graph/graph.h"
#include "graph/shape_inference.h"
#include "runtime/interpreter.h"

namespace {

using cae::DType;

struct Shape {
  int h, w, in_c, out_c;
};
// conv2d_1, conv2d_2, conv2d_6, conv2d_7 of cae12785_fmnist (3x3 SAME).
const Shape kShapes[] = {{28, 28, 1, 32}, {14, 14, 32, 16}, {14, 14, 16, 32}, {28, 28, 32, 1}};
constexpr int kBatch = 64;

cae::Model ConvModel(const Shape& s, bool int8) {
  cae::Model m;
  m.source = "bench";
  m.subgraphs.resize(1);
  cae::Graph& g = m.main();
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> q(-100, 100);
  auto tensor = [&](const char* name, DType type, std::vector<int32_t> shape, bool constant) {
    cae::Tensor t;
    t.name = name;
    t.type = type;
    t.shape = shape;
    if (constant) {
      const int64_t n = cae::NumElements(shape);
      t.data.resize(static_cast<size_t>(n) * cae::DTypeSize(type));
      if (type == DType::kFloat32) {
        auto* p = reinterpret_cast<float*>(t.data.data());
        for (int64_t i = 0; i < n; ++i) p[i] = q(rng) / 400.0f;
      } else if (type == DType::kInt8) {
        for (auto& b : t.data) b = static_cast<uint8_t>(static_cast<int8_t>(q(rng)));
      }
    }
    if (int8) {
      t.quant.scale = {type == DType::kInt32 ? 0.0001f : 0.02f};
      t.quant.zero_point = {type == DType::kInt8 && !constant ? 3 : 0};
    }
    return g.AddTensor(t);
  };
  const DType act = int8 ? DType::kInt8 : DType::kFloat32;
  cae::Op op;
  op.type = cae::OpType::CONV_2D;
  op.options.padding = cae::Padding::kSame;
  op.options.activation = cae::Activation::kRelu;
  op.inputs = {tensor("x", act, {kBatch, s.h, s.w, s.in_c}, false),
               tensor("w", act, {s.out_c, 3, 3, s.in_c}, true),
               tensor("b", int8 ? DType::kInt32 : DType::kFloat32, {s.out_c}, true)};
  op.outputs = {tensor("y", act, {}, false)};
  g.inputs = {op.inputs[0]};
  g.outputs = {op.outputs[0]};
  g.AddOp(op);
  cae::InferShapes(g);
  return m;
}

void BM_Conv(benchmark::State& state) {
  const Shape& s = kShapes[state.range(0)];
  const bool int8 = state.range(1) != 0, reference = state.range(2) != 0;
  cae::Interpreter interp(ConvModel(s, int8), {1, 0, reference});
  cae::TensorData x(int8 ? DType::kInt8 : DType::kFloat32, {kBatch, s.h, s.w, s.in_c});
  for (size_t i = 0; i < x.bytes.size(); ++i) x.bytes[i] = static_cast<uint8_t>(i * 7919 % 251);
  if (!int8)
    for (int64_t i = 0; i < x.num_elements(); ++i) x.as<float>()[i] = static_cast<float>(i % 17) / 17;
  for (auto _ : state) benchmark::DoNotOptimize(interp.Run({x}));
  const double macs = double{kBatch} * s.h * s.w * s.out_c * 9 * s.in_c;
  state.counters["GMAC/s"] = benchmark::Counter(macs / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(int8 ? "int8 " : "f32 ") + (reference ? "ref " : "fast ") +
                 std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.in_c) +
                 "->" + std::to_string(s.out_c));
}
BENCHMARK(BM_Conv)
    ->ArgsProduct({{0, 1, 2, 3}, {0, 1}, {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.2);

}  // namespace

BENCHMARK_MAIN();
