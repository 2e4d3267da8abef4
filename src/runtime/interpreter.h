// Runs a Model: float32, float16-weight, hybrid and int8/uint8 graphs, on any batch size.
//
// Contract:
//  - The constructor validates the graph (indices, shapes, types) and resolves a kernel for every
//    op of the main subgraph; an op without a kernel throws cae::Error naming the op, its index
//    and its input types, before anything runs.
//  - Run() takes one TensorData per model input, in the input tensors' own types, whose shape
//    equals the stored input shape except for the leading (batch) dimension, which may be any
//    N >= 1 when every op allows it. The batch is processed in chunks of options.batch_chunk
//    (0 = all at once) so memory stays bounded, and outputs are concatenated along dim 0.
//  - Results are deterministic and independent of the thread count.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor_data.h"
#include "kernels/kernel.h"

namespace cae {

struct InterpreterOptions {
  int threads = 0;               // 0 = hardware concurrency
  int batch_chunk = 0;           // images per internal invoke; 0 = the whole batch
  bool reference_kernels = false;  // use only kernels/ref (priority kRefPriority)
};

// Called after every op during Run with the op index and its outputs (used by calibration and
// debugging). Views are valid only during the call.
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
  // Bytes of the activation arena as planned for the current batch, and the bytes the same
  // activations would need without sharing (for reports and tests of the memory planner).
  int64_t arena_bytes() const;
  int64_t unshared_activation_bytes() const;

  std::vector<TensorData> Run(const std::vector<TensorData>& inputs);
  // As Run, calling observer after every op of every chunk.
  std::vector<TensorData> Run(const std::vector<TensorData>& inputs, const OpObserver& observer);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cae
