#include "runtime/interpreter.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <new>

#include "graph/error.h"
#include "graph/shape.h"
#include "graph/shape_inference.h"
#include "graph/validate.h"
#include "kernels/parallel.h"
#include "runtime/memory_planner.h"

namespace cae {

namespace {

bool IsControlFlow(OpType t) {
  return t == OpType::WHILE || t == OpType::IF || t == OpType::CALL || t == OpType::CALL_ONCE;
}

// "[N,28,28,1]": a stored input shape with its batch dim shown as N.
std::string BatchShapeString(const std::vector<int32_t>& shape) {
  if (shape.empty()) return "[]";
  std::string s = "[N";
  for (size_t i = 1; i < shape.size(); ++i) s += "," + std::to_string(shape[i]);
  return s + "]";
}

int64_t OpMacs(const Graph& g, const Op& op) {
  auto shape = [&](size_t i) -> const std::vector<int32_t>& {
    static const std::vector<int32_t> kEmpty;
    if (i >= op.inputs.size() || op.inputs[i] < 0) return kEmpty;
    return g.tensors[op.inputs[i]].shape;
  };
  auto out_elems = [&]() -> int64_t {
    return op.outputs.empty() ? 0 : NumElements(g.tensors[op.outputs[0]].shape);
  };
  switch (op.type) {
    case OpType::CONV_2D: {
      const auto& w = shape(1);
      return w.size() == 4 ? out_elems() * w[1] * w[2] * w[3] : 0;
    }
    case OpType::DEPTHWISE_CONV_2D: {
      const auto& w = shape(1);
      return w.size() == 4 ? out_elems() * w[1] * w[2] : 0;
    }
    case OpType::TRANSPOSE_CONV: {
      const auto& w = shape(1);
      return w.size() == 4 ? NumElements(shape(2)) * w[0] * w[1] * w[2] : 0;
    }
    case OpType::FULLY_CONNECTED: {
      const auto& w = shape(1);
      return w.size() == 2 ? out_elems() * w[1] : 0;
    }
    default: return 0;
  }
}

// Output pixels (elements / channels) of a 4-D output, else 0.
int64_t OutputPixels(const Graph& g, const Op& op) {
  if (op.outputs.empty() || op.outputs[0] < 0) return 0;
  const std::vector<int32_t>& s = g.tensors[op.outputs[0]].shape;
  return s.size() == 4 && s[3] > 0 ? NumElements(s) / s[3] : 0;
}

// Rough single-thread time of an op in nanoseconds, from its MACs, weights and outputs, at
// speeds the fast kernels reach on one AVX-512 core (quantized conv ~130 GMAC/s, uint8 plus ~10
// ns per output pixel for its window sums, float ~40 GMAC/s, quantized depthwise ~16). Only
// decides which ops go to the pool.
int64_t EstimatedNanos(const Graph& g, const Op& op) {
  int64_t out_elems = 0;
  for (int t : op.outputs) out_elems += t >= 0 ? NumElements(g.tensors[t].shape) : 0;
  const DType in_type = !op.inputs.empty() && op.inputs[0] >= 0 ? g.tensors[op.inputs[0]].type
                                                                 : DType::kFloat32;
  const bool uint8 = in_type == DType::kUInt8;
  const bool quantized = uint8 || in_type == DType::kInt8;
  const int64_t macs = OpMacs(g, op);
  // Weights are streamed once per invoke (~32 per ns): what a 1x1-output layer with many
  // channels costs, whatever its MACs.
  const int64_t weights =
      op.inputs.size() > 1 && op.inputs[1] >= 0 ? NumElements(g.tensors[op.inputs[1]].shape) : 0;
  switch (op.type) {
    case OpType::CONV_2D:
    case OpType::FULLY_CONNECTED:
    case OpType::TRANSPOSE_CONV:
      return (quantized ? macs / 128 + out_elems / 4 + (uint8 ? OutputPixels(g, op) * 10 : 0)
                        : macs / 40 + out_elems / 8) +
             weights / 32;
    case OpType::DEPTHWISE_CONV_2D:
      return quantized ? macs / 16 + out_elems / 4 : macs / 4;
    default:  // data movement: pays on two cores only when big (~1M elements)
      return out_elems / 256;
  }
}

int64_t TensorBytes(const Graph& g, int t) {
  return NumBytes(g.tensors[t].shape, DTypeSize(g.tensors[t].type));
}

}  // namespace

struct Interpreter::Impl {
  Model model;  // own copy: constant views point into its tensors' data
  InterpreterOptions options;
  std::unique_ptr<ThreadPool> pool;
  Graph graph;  // the main graph with shapes for the current batch
  std::vector<TensorView> views;
  std::vector<KernelContext> contexts;
  std::vector<std::unique_ptr<OpKernel>> kernels;
  std::vector<std::string> kernel_names;
  bool batched = false;  // some graph input has a leading batch dim

  // Arena: allocated without zero-filling, over-allocated by kAlign for alignment. The plan
  // (offsets and the bytes each slot was planned for) is kept while every tensor still fits.
  std::unique_ptr<uint8_t[]> arena;
  int64_t arena_capacity = 0;
  int64_t arena_allocations = 0;
  uint8_t* arena_base = nullptr;
  std::vector<int64_t> plan_offsets;
  std::vector<int64_t> slot_bytes;
  std::vector<int> alias_of;  // tensor whose bytes this one shares (a copy op's input), or -1
  int64_t arena_bytes = 0;
  int64_t unshared_bytes = 0;
  int32_t batch = -1;  // batch of the current configuration; -1 = none yet

  // Chunking of the last batch size run (cached so repeated calls do no work).
  int32_t auto_chunk = 1;
  int32_t run_n = -1;
  int32_t run_chunk = 1;
  std::vector<std::vector<int32_t>> run_out_shapes;
  std::vector<int64_t> out_rows_per_item;  // output dim-0 rows per input item (chunked runs)
  std::vector<int64_t> out_row_bytes;
  std::vector<int64_t> in_item_bytes;      // 0 for scalar inputs

  std::vector<double> op_seconds;
  // Ops run once at construction (FoldConstantDequantize); Invoke skips them.
  std::vector<bool> folded;

  static constexpr int64_t kAlign = 64;

  std::string Where() const { return model.source.empty() ? std::string("model") : model.source; }

  void ResolveKernels();
  void FoldConstantDequantize();
  void Configure(int32_t n);
  bool OutputsScale(int32_t chunk) const;
  void PrepareBatch(int32_t n);
  void Invoke(const OpObserver* observer);
  void RunChunks(int32_t n, const void* const* inputs, void* const* outputs, const OpObserver* observer);
};

void Interpreter::Impl::ResolveKernels() {
  const Graph& g = model.main();
  views.assign(g.tensors.size(), TensorView{});
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const Tensor& tensor = g.tensors[t];
    TensorView& v = views[t];
    v.type = tensor.type;
    v.shape = tensor.shape;
    v.quant = &tensor.quant;
    v.is_constant = tensor.is_constant();
    v.tensor_index = static_cast<int>(t);
    if (v.is_constant) v.data = const_cast<uint8_t*>(tensor.data.data());
  }
  const KernelRegistry& registry = DefaultKernelRegistry();
  const int max_priority = options.reference_kernels ? kRefPriority : INT_MAX;
  contexts.resize(g.ops.size());
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    KernelContext& ctx = contexts[i];
    ctx.graph = &graph;
    ctx.op_index = static_cast<int>(i);
    ctx.op = &graph.ops[i];
    ctx.pool = pool.get();
    for (int t : op.inputs) ctx.inputs.push_back(t < 0 ? nullptr : &views[t]);
    for (int t : op.outputs) ctx.outputs.push_back(&views[t]);
    if (IsControlFlow(op.type))
      Fail(Where(), ": ", DescribeOp(g, static_cast<int>(i)),
           ": control flow ops (subgraphs) are not supported by the interpreter");
    try {
      kernel_names.push_back(registry.Choose(ctx, max_priority));
      kernels.push_back(registry.Create(ctx, max_priority));
    } catch (const Error& e) {
      Fail(Where(), ": ", e.what());
    }
  }
}

// A DEQUANTIZE of a constant tensor (float16 or int8 weights) runs once here and its output
// becomes a constant held in the model copy, as TFLite's DEQUANTIZE does for a constant input:
// Invoke skips the op (same values, no per-invoke conversion) and the ops reading the output see
// constant weights, which the fast kernels pack once. Outputs that are graph outputs or variables
// keep running every invoke.
void Interpreter::Impl::FoldConstantDequantize() {
  Graph& g = model.main();
  folded.assign(g.ops.size(), false);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    if (op.type != OpType::DEQUANTIZE || op.inputs.size() != 1 || op.outputs.size() != 1) continue;
    const int in = op.inputs[0], out = op.outputs[0];
    if (in < 0 || out < 0 || !views[in].is_constant || views[out].is_constant) continue;
    Tensor& t = g.tensors[out];
    if (t.is_variable || std::find(g.outputs.begin(), g.outputs.end(), out) != g.outputs.end())
      continue;
    if (std::any_of(t.shape.begin(), t.shape.end(), [](int32_t d) { return d < 0; })) continue;
    const int64_t bytes = NumBytes(t.shape, DTypeSize(t.type));
    if (bytes <= 0) continue;
    t.data.assign(static_cast<size_t>(bytes), 0);
    TensorView& v = views[out];
    v.shape = t.shape;
    v.data = t.data.data();
    v.is_constant = true;
    try {
      kernels[i]->Prepare(contexts[i]);
      kernels[i]->Eval(contexts[i]);
    } catch (const Error& e) {
      Fail(Where(), ": ", e.what());
    }
    folded[i] = true;
  }
}

void Interpreter::Impl::Configure(int32_t n) {
  if (n == batch) return;
  const Graph& stored = model.main();
  for (size_t t = 0; t < graph.tensors.size(); ++t) graph.tensors[t].shape = stored.tensors[t].shape;
  bool batch_changed = false;
  for (int t : graph.inputs) {
    const std::vector<int32_t>& s = graph.tensors[t].shape;
    if (!s.empty() && s[0] != n) batch_changed = true;
  }
  try {
    InferShapesForBatch(graph, n);
  } catch (const Error& e) {
    if (batch_changed) Fail(Where(), ": ", e.what());
    // At the stored batch the stored shapes stand; the kernels check them in Prepare.
    for (size_t t = 0; t < graph.tensors.size(); ++t) graph.tensors[t].shape = stored.tensors[t].shape;
  }
  for (size_t t = 0; t < views.size(); ++t) views[t].shape = graph.tensors[t].shape;

  // Lifetimes: graph inputs from before the first op; graph outputs and variables to the end.
  const int num_ops = static_cast<int>(graph.ops.size());
  std::vector<BufferRequest> requests(graph.tensors.size());
  std::vector<bool> used(graph.tensors.size(), false);
  auto touch = [&](int t, int at) {
    BufferRequest& r = requests[t];
    if (!used[t]) {
      used[t] = true;
      r.first_use = at;
      r.last_use = at;
    }
    r.first_use = std::min(r.first_use, at);
    r.last_use = std::max(r.last_use, at);
  };
  for (int t : graph.inputs) touch(t, -1);
  for (int i = 0; i < num_ops; ++i) {
    for (int t : graph.ops[i].inputs) if (t >= 0) touch(t, i);
    for (int t : graph.ops[i].outputs) touch(t, i);
  }
  for (int t : graph.outputs) touch(t, num_ops);
  unshared_bytes = 0;
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    const Tensor& tensor = graph.tensors[t];
    if (tensor.is_variable) {
      touch(static_cast<int>(t), -1);
      touch(static_cast<int>(t), num_ops);
    }
    if (!used[t] || views[t].is_constant) continue;  // constants, folded ones included
    requests[t].bytes = NumBytes(tensor.shape, DTypeSize(tensor.type));
    unshared_bytes += requests[t].bytes;
  }
  // RESHAPE / SQUEEZE / EXPAND_DIMS run by the reference byte-copy kernels (which skip the copy
  // when output and input share memory) store their output in their input's bytes: one buffer
  // whose lifetime covers both, and no pass over memory.
  alias_of.assign(graph.tensors.size(), -1);
  for (int i = 0; i < num_ops; ++i) {
    const Op& op = graph.ops[i];
    if (op.type != OpType::RESHAPE && op.type != OpType::SQUEEZE && op.type != OpType::EXPAND_DIMS) continue;
    if (kernel_names[i].rfind("ref/", 0) != 0 || op.inputs.empty() || op.outputs.size() != 1) continue;
    const int in = op.inputs[0], out = op.outputs[0];
    if (in < 0 || out < 0 || in == out || views[in].is_constant || graph.tensors[in].is_variable ||
        graph.tensors[out].is_variable || graph.tensors[in].type != graph.tensors[out].type ||
        requests[in].bytes != requests[out].bytes ||
        std::find(graph.inputs.begin(), graph.inputs.end(), out) != graph.inputs.end())
      continue;
    const int root = alias_of[in] >= 0 ? alias_of[in] : in;
    alias_of[out] = root;
    requests[root].first_use = std::min(requests[root].first_use, requests[out].first_use);
    requests[root].last_use = std::max(requests[root].last_use, requests[out].last_use);
    requests[out].bytes = 0;
  }
  // Keep the plan while every tensor fits its slot (a smaller chunk after a larger one).
  bool fits = plan_offsets.size() == requests.size();
  for (size_t t = 0; fits && t < requests.size(); ++t)
    fits = requests[t].bytes <= 0 || (plan_offsets[t] >= 0 && requests[t].bytes <= slot_bytes[t]);
  if (!fits) {
    const MemoryPlan plan = PlanMemory(requests, kAlign);
    plan_offsets = plan.offsets;
    slot_bytes.resize(requests.size());
    for (size_t t = 0; t < requests.size(); ++t) slot_bytes[t] = requests[t].bytes;
    arena_bytes = plan.arena_bytes;
    if (arena_bytes + kAlign > arena_capacity) {
      arena.reset();  // release before allocating the larger one
      arena_capacity = arena_bytes + kAlign;
      try {
        arena.reset(new uint8_t[static_cast<size_t>(arena_capacity)]);  // not zero-filled
      } catch (const std::bad_alloc&) {
        arena_capacity = 0;
        plan_offsets.clear();  // the next Configure plans and allocates again
        size_t largest = 0;
        for (size_t t = 1; t < requests.size(); ++t)
          if (requests[t].bytes > requests[largest].bytes) largest = t;
        Fail(Where(), ": out of memory allocating the activation arena (", arena_bytes, " bytes for a chunk of ", n,
             " item(s); largest tensor ", largest, " '", graph.tensors[largest].name, "' ", requests[largest].bytes,
             " bytes)");
      }
      ++arena_allocations;
      const uintptr_t raw = reinterpret_cast<uintptr_t>(arena.get());
      arena_base = arena.get() + ((kAlign - raw % kAlign) % kAlign);
    }
  }
  for (size_t t = 0; t < views.size(); ++t) {
    if (views[t].is_constant) continue;
    views[t].data = plan_offsets[t] >= 0 && requests[t].bytes > 0 ? arena_base + plan_offsets[t] : arena_base;
    if (graph.tensors[t].is_variable && requests[t].bytes > 0)
      std::memset(views[t].data, 0, static_cast<size_t>(requests[t].bytes));
  }
  for (size_t t = 0; t < views.size(); ++t)
    if (alias_of[t] >= 0) views[t].data = views[alias_of[t]].data;
  // Ops too small to gain from threads run on the calling thread (kAutoMinParallelNanos). With
  // fewer images than 2 per thread the kernels split rows of one image (chunk 0, the first rows,
  // always on the calling thread), so where each part of an activation lives depends on where
  // the op that made it ran. Automatic mode weighs, per op in graph order, with T threads:
  //   on the calling thread: E + f * (bytes of inputs made on the pool) / kCrossCoreBytesPerNano
  //   on the pool:           E / T + kAutoMinParallelNanos / 2
  //                          + f * (bytes of inputs made on the calling thread, graph inputs
  //                                 and graph outputs) / kCrossCoreBytesPerNano
  // (E: estimated single-thread nanoseconds; f = (T - 1) / T, the part of such an activation
  // that crosses between the cores' caches). Found: charging every output as if its reader ran on the calling thread kept
  // the CAE's big first and last convs off the pool and cost 15-20% at batch 1 on 2 threads.
  // Kernels compute the same values either way.
  const bool automatic = options.min_parallel_nanos < 0;
  const int64_t min_nanos = automatic ? kAutoMinParallelNanos : options.min_parallel_nanos;
  const bool rows_split = automatic && pool && n < 2 * pool->size();
  constexpr double kCrossCoreBytesPerNano = 5;
  std::vector<bool> made_on_pool(graph.tensors.size(), false);
  for (size_t i = 0; i < contexts.size(); ++i) {
    const Op& op = graph.ops[i];
    const int64_t estimate = EstimatedNanos(graph, op);
    bool on_pool = pool && estimate >= min_nanos;
    if (pool && rows_split) {
      const double threads = pool->size(), f = (threads - 1) / threads;
      double to_pool = 0, to_caller = 0;  // bytes that would cross
      for (int t : op.inputs)
        if (t >= 0 && !views[t].is_constant)
          (made_on_pool[t] ? to_caller : to_pool) += f * static_cast<double>(TensorBytes(graph, t));
      for (int t : op.outputs)
        if (t >= 0 && std::find(graph.outputs.begin(), graph.outputs.end(), t) != graph.outputs.end())
          to_pool += f * static_cast<double>(TensorBytes(graph, t));
      const double e = static_cast<double>(estimate);
      on_pool = e / threads + min_nanos / 2.0 + to_pool / kCrossCoreBytesPerNano <
                e + to_caller / kCrossCoreBytesPerNano;
    }
    contexts[i].pool = on_pool ? pool.get() : nullptr;
    for (int t : op.outputs)
      if (t >= 0) made_on_pool[t] = on_pool;
  }
  batch = -1;  // until every kernel accepted the new shapes
  for (size_t i = 0; i < kernels.size(); ++i) {
    try {
      kernels[i]->Prepare(contexts[i]);
    } catch (const Error& e) {
      Fail(Where(), ": ", e.what());
    }
  }
  batch = n;
}

void Interpreter::Impl::Invoke(const OpObserver* observer) {
  for (size_t i = 0; i < kernels.size(); ++i) {
    if (folded[i]) {  // its constant output was computed at construction
      if (observer && *observer) (*observer)(static_cast<int>(i), contexts[i].outputs);
      continue;
    }
    const auto start = options.profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    try {
      kernels[i]->Eval(contexts[i]);
    } catch (const Error& e) {
      Fail(Where(), ": ", e.what());
    }
    if (options.profile)
      op_seconds[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (observer && *observer) (*observer)(static_cast<int>(i), contexts[i].outputs);
  }
}

bool Interpreter::Impl::OutputsScale(int32_t chunk) const {
  for (int t : graph.outputs) {
    const std::vector<int32_t>& s = views[t].shape;
    if (s.empty() || s[0] <= 0 || s[0] % chunk != 0) return false;
  }
  return true;
}

// Chooses the chunk size for a batch of n, configures for it and records the output shapes of
// the whole batch. Cached: a repeated n does nothing.
void Interpreter::Impl::PrepareBatch(int32_t n) {
  if (n == run_n) return;
  run_n = -1;
  const Graph& g = model.main();
  int32_t chunk = n;
  if (!batched) {
    chunk = n;
  } else if (options.batch_chunk > 0) {
    chunk = std::min(options.batch_chunk, n);
  } else if (options.batch_chunk < 0) {
    chunk = std::min(auto_chunk, n);
    if (chunk < n) {
      // Automatic chunks only where they cannot change the results' shapes; else one chunk.
      try {
        Configure(chunk);
        if (!OutputsScale(chunk)) chunk = n;
      } catch (const Error&) {
        chunk = n;
      }
    }
  }
  Configure(batched ? chunk : batch < 0 ? 1 : batch);
  const size_t num_out = g.outputs.size();
  run_out_shapes.assign(num_out, {});
  out_rows_per_item.assign(num_out, 0);
  out_row_bytes.assign(num_out, 0);
  for (size_t o = 0; o < num_out; ++o) {
    const TensorView& v = views[g.outputs[o]];
    run_out_shapes[o] = v.shape;
    if (chunk == n) continue;
    Check(OutputsScale(chunk), Where(), ": output ", o, " '", g.tensors[g.outputs[o]].name, "' has shape ",
          ShapeToString(v.shape), " for a chunk of ", chunk,
          " images, cannot concatenate chunks (run with batch_chunk 0)");
    out_rows_per_item[o] = v.shape[0] / chunk;
    out_row_bytes[o] = NumBytes(v.shape, DTypeSize(v.type)) / v.shape[0];
    run_out_shapes[o][0] = static_cast<int32_t>(out_rows_per_item[o] * n);
  }
  in_item_bytes.assign(g.inputs.size(), 0);
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const TensorView& v = views[g.inputs[i]];
    if (!g.tensors[g.inputs[i]].shape.empty())
      in_item_bytes[i] = NumBytes(v.shape, DTypeSize(v.type)) / std::max<int32_t>(1, v.shape[0]);
  }
  run_chunk = chunk;
  run_n = n;
}

void Interpreter::Impl::RunChunks(int32_t n, const void* const* inputs, void* const* outputs,
                                  const OpObserver* observer) {
  PrepareBatch(n);
  const Graph& g = model.main();
  const int32_t chunk = run_chunk;
  for (int32_t start = 0; start < n; start += chunk) {
    const int32_t count = batched ? std::min(chunk, n - start) : 1;
    if (batched) Configure(count);
    if (count != chunk) {
      for (size_t o = 0; o < g.outputs.size(); ++o) {
        const std::vector<int32_t>& s = views[g.outputs[o]].shape;
        const bool same_rest = !s.empty() && s.size() == run_out_shapes[o].size() &&
                               s[0] == out_rows_per_item[o] * count &&
                               std::equal(s.begin() + 1, s.end(), run_out_shapes[o].begin() + 1);
        Check(same_rest, Where(), ": output ", o, " '", g.tensors[g.outputs[o]].name, "' has shape ",
              ShapeToString(s), " in a later chunk, cannot concatenate with ",
              ShapeToString(run_out_shapes[o]), " (run with batch_chunk 0)");
      }
    }
    for (size_t i = 0; i < g.inputs.size(); ++i) {
      TensorView& v = views[g.inputs[i]];
      const size_t bytes = static_cast<size_t>(v.num_elements()) * DTypeSize(v.type);
      const size_t offset = static_cast<size_t>(in_item_bytes[i]) * static_cast<size_t>(start);
      if (bytes > 0) std::memcpy(v.data, static_cast<const uint8_t*>(inputs[i]) + offset, bytes);
    }
    Invoke(observer);
    for (size_t o = 0; o < g.outputs.size(); ++o) {
      const TensorView& v = views[g.outputs[o]];
      const size_t bytes = static_cast<size_t>(v.num_elements()) * DTypeSize(v.type);
      const size_t offset =
          static_cast<size_t>(out_rows_per_item[o] * out_row_bytes[o]) * static_cast<size_t>(start);
      if (bytes > 0) std::memcpy(static_cast<uint8_t*>(outputs[o]) + offset, v.data, bytes);
    }
    if (!batched) break;
  }
}

Interpreter::Interpreter(const Model& model, InterpreterOptions options)
    : impl_(std::make_unique<Impl>()) {
  ValidateGraph(model);
  impl_->model = model;
  impl_->options = options;
  if (options.threads != 1) impl_->pool = std::make_unique<ThreadPool>(options.threads);
  impl_->graph = impl_->model.main();
  impl_->ResolveKernels();
  impl_->FoldConstantDequantize();
  impl_->op_seconds.assign(impl_->kernels.size(), 0.0);
  // Plan for the stored batch so shape or type problems surface before anything runs.
  const Graph& g = impl_->model.main();
  int32_t stored_batch = 1;
  for (int t : g.inputs) {
    if (!g.tensors[t].shape.empty()) {
      stored_batch = g.tensors[t].shape[0];
      impl_->batched = true;
      break;
    }
  }
  impl_->Configure(stored_batch);
  // Automatic chunk: as many images as fit the budget at the stored batch's bytes per image,
  // rounded down to a multiple of the thread count.
  const int64_t per_image = std::max<int64_t>(1, impl_->arena_bytes / std::max<int32_t>(1, stored_batch));
  const int64_t threads = impl_->pool ? impl_->pool->size() : 1;
  int64_t chunk = std::clamp<int64_t>(options.arena_budget_bytes / per_image, 1, INT32_MAX / 2);
  if (chunk >= threads) chunk -= chunk % threads;
  impl_->auto_chunk = static_cast<int32_t>(chunk);
}

Interpreter::~Interpreter() = default;

const Graph& Interpreter::graph() const { return impl_->model.main(); }
int Interpreter::num_inputs() const { return static_cast<int>(graph().inputs.size()); }
int Interpreter::num_outputs() const { return static_cast<int>(graph().outputs.size()); }
const Tensor& Interpreter::input(int i) const { return graph().tensors.at(graph().inputs.at(i)); }
const Tensor& Interpreter::output(int i) const { return graph().tensors.at(graph().outputs.at(i)); }
const std::vector<std::string>& Interpreter::kernel_names() const { return impl_->kernel_names; }
int64_t Interpreter::arena_bytes() const { return impl_->arena_bytes; }
int64_t Interpreter::unshared_activation_bytes() const { return impl_->unshared_bytes; }
int64_t Interpreter::arena_allocations() const { return impl_->arena_allocations; }
const std::vector<double>& Interpreter::op_seconds() const { return impl_->op_seconds; }
void Interpreter::ResetProfile() { std::fill(impl_->op_seconds.begin(), impl_->op_seconds.end(), 0.0); }

int32_t Interpreter::ChunkFor(int32_t n) {
  impl_->PrepareBatch(n);
  return impl_->run_chunk;
}

std::vector<int32_t> Interpreter::OutputShape(int o, int32_t n) {
  Check(o >= 0 && o < num_outputs(), impl_->Where(), ": no output ", o);
  impl_->PrepareBatch(n);
  return impl_->run_out_shapes[static_cast<size_t>(o)];
}

std::vector<int64_t> Interpreter::MacsPerImage() const {
  const Graph& g = graph();
  int64_t stored_batch = 1;
  if (!g.inputs.empty() && !g.tensors[g.inputs[0]].shape.empty())
    stored_batch = std::max<int64_t>(1, g.tensors[g.inputs[0]].shape[0]);
  std::vector<int64_t> macs;
  for (const Op& op : g.ops) macs.push_back(OpMacs(g, op) / stored_batch);
  return macs;
}

std::vector<TensorData> Interpreter::Run(const std::vector<TensorData>& inputs) {
  return Run(inputs, OpObserver());
}

void Interpreter::RunInto(int32_t n, const void* const* inputs, void* const* outputs,
                          const OpObserver* observer) {
  if (n < 1) Fail(impl_->Where(), ": batch ", n, " must be >= 1");  // no formatting per call
  impl_->RunChunks(n, inputs, outputs, observer);
}

std::vector<TensorData> Interpreter::Run(const std::vector<TensorData>& inputs,
                                         const OpObserver& observer) {
  Impl& m = *impl_;
  const Graph& g = m.model.main();
  const std::string where = m.Where();
  Check(inputs.size() == g.inputs.size(), where, ": expected ", g.inputs.size(), " input(s), got ",
        inputs.size());
  // Every input: stored type, stored shape except a common leading batch dim.
  int32_t n = -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = g.tensors[g.inputs[i]];
    const TensorData& d = inputs[i];
    bool ok = d.type == t.type && d.shape.size() == t.shape.size();
    for (size_t k = 1; ok && k < t.shape.size(); ++k) ok = d.shape[k] == t.shape[k];
    if (ok && !t.shape.empty()) ok = d.shape[0] >= 1 && (n < 0 || d.shape[0] == n);
    if (ok && t.shape.empty()) ok = d.shape.empty();
    ok = ok && static_cast<int64_t>(d.bytes.size()) == NumBytes(d.shape, DTypeSize(d.type));
    if (!ok) {
      const std::string expected = t.shape.empty() ? "[]"
                                   : n < 0         ? BatchShapeString(t.shape)
                                                   : ShapeToString([&] {
                                                       auto s = t.shape;
                                                       s[0] = n;
                                                       return s;
                                                     }());
      Fail(where, ": input ", i, " '", t.name, "': expected ", DTypeName(t.type), " ", expected,
           ", got ", DTypeName(d.type), " ", ShapeToString(d.shape),
           static_cast<int64_t>(d.bytes.size()) == NumBytes(d.shape, DTypeSize(d.type))
               ? ""
               : StrCat(" with ", d.bytes.size(), " bytes"));
    }
    if (!t.shape.empty()) n = d.shape[0];
  }
  if (n < 0) n = 1;  // only scalar inputs (or none): one invoke
  m.PrepareBatch(n);
  std::vector<TensorData> results;
  std::vector<const void*> in_ptrs;
  std::vector<void*> out_ptrs;
  for (const TensorData& d : inputs) in_ptrs.push_back(d.bytes.data());
  for (size_t o = 0; o < g.outputs.size(); ++o)
    results.emplace_back(g.tensors[g.outputs[o]].type, m.run_out_shapes[o]);
  for (TensorData& d : results) out_ptrs.push_back(d.bytes.data());
  m.RunChunks(n, in_ptrs.data(), out_ptrs.data(), &observer);
  return results;
}

}  // namespace cae
