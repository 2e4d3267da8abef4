// Runs a Model: float32, float16-weight, hybrid and int8/uint8 graphs, on any batch size.
//
// Contract:
//  - The constructor validates the graph (indices, shapes, types) and resolves a kernel for every
//    op of the main subgraph; an op without a kernel throws cae::Error naming the op, its index
//    and its input types, before anything runs.
//  - Run() takes one TensorData per model input, in the input tensors' own types, whose shape
//    equals the stored input shape except for the leading (batch) dimension, which may be any
//    N >= 1 when every op allows it. RunInto() does the same from and into caller memory.
//  - Memory: all activations live in one arena, planned so that tensors whose lifetimes do not
//    overlap share bytes. A batch is processed in chunks (options.batch_chunk; by default sized so
//    the arena stays within options.arena_budget_bytes, a multiple of the thread count). The
//    arena is planned and allocated for the largest chunk and reused as it is (never zero-filled)
//    for smaller chunks and later calls; each chunk's outputs are written straight into the
//    results. Once a batch size has been run, RunInto with that batch size allocates nothing
//    (when it is a multiple of its chunk size; a smaller last chunk re-prepares the kernels).
//    RESHAPE/SQUEEZE/EXPAND_DIMS outputs share their input's bytes (no copy).
//  - Threads: ops with little work (estimated under ~3 us single-threaded from their MACs and
//    outputs; options.min_parallel_nanos) run on the calling thread; at batches under 2 images
//    per thread an op goes to the pool when half its time plus the handoff and the activations
//    that would cross between the cores' caches beat running it whole on the calling thread.
//    A graph whose outputs do not scale with the batch runs as one chunk under the automatic
//    setting (an explicit batch_chunk then fails with a message).
//  - Results are deterministic and independent of the thread count and of the chunk size (items
//    of a batch are computed independently by every kernel).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor_data.h"
#include "kernels/kernel.h"

namespace cae {

// InterpreterOptions::batch_chunk: size chunks from arena_budget_bytes.
inline constexpr int kAutoBatchChunk = -1;

struct InterpreterOptions {
  int threads = 0;               // 0 = hardware concurrency
  int batch_chunk = kAutoBatchChunk;  // images per internal invoke; 0 = the whole batch
  bool reference_kernels = false;  // use only kernels/ref (priority kRefPriority)
  int64_t arena_budget_bytes = int64_t{2} << 20;  // automatic chunks keep the arena about this size
  bool profile = false;          // time every op (op_seconds())
  // Ops whose estimated single-thread time is under this many nanoseconds run on the calling
  // thread; -1 = automatic (kAutoMinParallelNanos), 0 = every op on the pool (tests).
  int64_t min_parallel_nanos = -1;
};

// The automatic InterpreterOptions::min_parallel_nanos: handing half an op to a worker costs
// about 1 us (cache lines crossing cores), so an op pays from a few microseconds of work.
inline constexpr int64_t kAutoMinParallelNanos = 3000;

// Called after every op during Run with the op index and its outputs (used by calibration and
// debugging). Views are valid only during the call; with chunking they hold one chunk.
using OpObserver = std::function<void(int op_index, const std::vector<TensorView*>& outputs)>;

class Interpreter {
 public:
  explicit Interpreter(const Model& model, InterpreterOptions options = {});
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  const Graph& graph() const;
  // Stored metadata of the main graph's inputs/outputs (shape as in the model).
  const Tensor& input(int i) const;
  const Tensor& output(int i) const;
  int num_inputs() const;
  int num_outputs() const;

  // Name of the kernel chosen for each op of the main graph, e.g. "ref/float/conv_2d".
  const std::vector<std::string>& kernel_names() const;
  // Multiply-accumulates of each op of the main graph for one image (batch 1 shapes); 0 for ops
  // that do no multiply-accumulate (only CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV,
  // FULLY_CONNECTED count).
  std::vector<int64_t> MacsPerImage() const;
  // Bytes of the activation arena as planned (for the largest chunk run so far), and the bytes
  // the same activations would need without sharing, at the current chunk size.
  int64_t arena_bytes() const;
  int64_t unshared_activation_bytes() const;
  // How many times the arena was (re)allocated; stays put once the largest chunk has run.
  int64_t arena_allocations() const;
  // Images per invoke Run would use for a batch of n.
  int32_t ChunkFor(int32_t n);

  std::vector<TensorData> Run(const std::vector<TensorData>& inputs);
  // As Run, calling observer after every op of every chunk.
  std::vector<TensorData> Run(const std::vector<TensorData>& inputs, const OpObserver& observer);

  // Shape of output o for a batch of n (what Run returns).
  std::vector<int32_t> OutputShape(int o, int32_t n);
  // Runs a batch of n items from caller memory: inputs[i] holds n items of input i in its stored
  // type and shape (dim 0 = n); outputs[o] receives NumBytes(OutputShape(o, n)) bytes. Sizes are
  // the caller's responsibility. observer may be null.
  void RunInto(int32_t n, const void* const* inputs, void* const* outputs,
               const OpObserver* observer = nullptr);

  // With options.profile: seconds spent in each op's Eval since construction or ResetProfile.
  const std::vector<double>& op_seconds() const;
  void ResetProfile();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cae
