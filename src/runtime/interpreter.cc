#include "runtime/interpreter.h"

#include <algorithm>
#include <cstring>

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
  std::vector<uint8_t> arena;  // over-allocated by kAlign for alignment
  uint8_t* arena_base = nullptr;
  int64_t arena_bytes = 0;
  int64_t unshared_bytes = 0;
  int32_t batch = -1;  // batch of the current plan; -1 = none yet

  static constexpr int64_t kAlign = 64;

  std::string Where() const { return model.source.empty() ? std::string("model") : model.source; }

  void ResolveKernels();
  void Configure(int32_t n);
  void Invoke(const OpObserver* observer);
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
    if (!used[t] || tensor.is_constant()) continue;
    requests[t].bytes = NumBytes(tensor.shape, DTypeSize(tensor.type));
    unshared_bytes += requests[t].bytes;
  }
  const MemoryPlan plan = PlanMemory(requests, kAlign);
  if (plan.arena_bytes + kAlign > static_cast<int64_t>(arena.size())) {
    arena.assign(static_cast<size_t>(plan.arena_bytes + kAlign), 0);
  }
  const uintptr_t raw = reinterpret_cast<uintptr_t>(arena.data());
  arena_base = arena.data() + ((kAlign - raw % kAlign) % kAlign);
  arena_bytes = plan.arena_bytes;
  for (size_t t = 0; t < views.size(); ++t) {
    if (views[t].is_constant) continue;
    views[t].data = plan.offsets[t] >= 0 ? arena_base + plan.offsets[t] : arena_base;
    if (graph.tensors[t].is_variable && requests[t].bytes > 0)
      std::memset(views[t].data, 0, static_cast<size_t>(requests[t].bytes));
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
    try {
      kernels[i]->Eval(contexts[i]);
    } catch (const Error& e) {
      Fail(Where(), ": ", e.what());
    }
    if (observer && *observer) (*observer)(static_cast<int>(i), contexts[i].outputs);
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
  // Plan for the stored batch so shape or type problems surface before anything runs.
  const Graph& g = impl_->model.main();
  int32_t stored_batch = 1;
  for (int t : g.inputs) {
    if (!g.tensors[t].shape.empty()) {
      stored_batch = g.tensors[t].shape[0];
      break;
    }
  }
  impl_->Configure(stored_batch);
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
  const bool batched = std::any_of(g.inputs.begin(), g.inputs.end(),
                                   [&](int t) { return !g.tensors[t].shape.empty(); });
  const int32_t chunk = batched && m.options.batch_chunk > 0 ? std::min(m.options.batch_chunk, n) : n;

  std::vector<std::vector<std::vector<uint8_t>>> chunk_outputs(g.outputs.size());
  std::vector<std::vector<int32_t>> out_shapes(g.outputs.size());
  for (int32_t start = 0; start < n; start += chunk) {
    const int32_t count = batched ? std::min(chunk, n - start) : 1;
    m.Configure(batched ? count : m.batch < 0 ? 1 : m.batch);
    for (size_t i = 0; i < inputs.size(); ++i) {
      TensorView& v = m.views[g.inputs[i]];
      const size_t bytes = static_cast<size_t>(v.num_elements()) * DTypeSize(v.type);
      const size_t offset =
          g.tensors[g.inputs[i]].shape.empty() ? 0 : bytes / static_cast<size_t>(count) * static_cast<size_t>(start);
      if (bytes > 0) std::memcpy(v.data, inputs[i].bytes.data() + offset, bytes);
    }
    m.Invoke(&observer);
    for (size_t o = 0; o < g.outputs.size(); ++o) {
      const TensorView& v = m.views[g.outputs[o]];
      const size_t bytes = static_cast<size_t>(v.num_elements()) * DTypeSize(v.type);
      const uint8_t* p = static_cast<const uint8_t*>(v.data);
      chunk_outputs[o].emplace_back(p, p + bytes);
      if (start == 0) {
        out_shapes[o] = v.shape;
      } else {
        const bool same_rest = !v.shape.empty() && v.shape.size() == out_shapes[o].size() &&
                               std::equal(v.shape.begin() + 1, v.shape.end(), out_shapes[o].begin() + 1);
        Check(same_rest, where, ": output ", o, " '", g.tensors[g.outputs[o]].name, "' has shape ",
              ShapeToString(v.shape), " in a later chunk, cannot concatenate with ",
              ShapeToString(out_shapes[o]), " (run with batch_chunk 0)");
        out_shapes[o][0] += v.shape[0];
      }
    }
    if (!batched) break;
  }
  std::vector<TensorData> results;
  for (size_t o = 0; o < g.outputs.size(); ++o) {
    TensorData d;
    d.type = g.tensors[g.outputs[o]].type;
    d.shape = out_shapes[o];
    for (const auto& part : chunk_outputs[o]) d.bytes.insert(d.bytes.end(), part.begin(), part.end());
    Check(static_cast<int64_t>(d.bytes.size()) == NumBytes(d.shape, DTypeSize(d.type)), where,
          ": output ", o, " size mismatch after concatenation");
    results.push_back(std::move(d));
  }
  return results;
}

}  // namespace cae
