// The contract between the interpreter and operator kernels.
//
// The interpreter resolves every op to an OpKernel once (KernelRegistry::Create), calls Prepare
// whenever tensor shapes change (e.g. a new batch size), then Eval on every invoke. Kernels know
// nothing of files; they see TensorViews and the op's options.
#pragma once

#include <climits>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace cae {

class ThreadPool;  // kernels/parallel.h

// A tensor as a kernel sees it at run time.
struct TensorView {
  DType type = DType::kFloat32;
  std::vector<int32_t> shape;      // run-time shape (the batch may differ from the stored one)
  const QuantParams* quant = nullptr;  // never null while a kernel runs (empty when unquantized)
  void* data = nullptr;            // NumBytes(shape, DTypeSize(type)) bytes, suitably aligned
  bool is_constant = false;
  int tensor_index = -1;           // index in the graph, for messages

  int64_t num_elements() const;
  int rank() const { return static_cast<int>(shape.size()); }
  int32_t dim(int i) const { return shape[static_cast<size_t>(i)]; }
  template <typename T>
  T* as() const { return static_cast<T*>(data); }
};

struct KernelContext {
  const Graph* graph = nullptr;
  int op_index = -1;
  const Op* op = nullptr;
  std::vector<TensorView*> inputs;   // nullptr where the op's input index is -1
  std::vector<TensorView*> outputs;
  ThreadPool* pool = nullptr;        // may be null: run on the calling thread

  // "op 12 (CONV_2D, layer 'conv2d_3')" for error messages.
  std::string Describe() const;
};

// Streams ctx.Describe(), so that Check(cond, ctx, ": ...") formats the op's name only when the
// check fails (kernels call such checks on every Eval; Check evaluates its arguments eagerly).
std::ostream& operator<<(std::ostream& out, const KernelContext& ctx);

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  // Called once shapes and types are final (and again after a batch change). Validates types and
  // shapes, precomputes constants (requantization multipliers, lookup tables, packed weights).
  // Throws cae::Error naming ctx.Describe() on anything it cannot run.
  virtual void Prepare(const KernelContext& ctx) { (void)ctx; }
  // Computes the outputs from the inputs. Must not depend on output contents.
  virtual void Eval(const KernelContext& ctx) = 0;
};

// Returns a kernel for ctx's op if this implementation handles its types and options, else null.
using KernelFactory = std::unique_ptr<OpKernel> (*)(const KernelContext& ctx);

// Kernel priorities: reference kernels register kRefPriority, optimized ones kFastPriority.
inline constexpr int kRefPriority = 0;
inline constexpr int kFastPriority = 10;

class KernelRegistry {
 public:
  void Register(OpType type, std::string name, int priority, KernelFactory factory);
  // The highest-priority kernel (priority <= max_priority) whose factory accepts ctx. Throws
  // cae::Error "<op>: no kernel for input types (...)" when none does ("<op>: custom op with no
  // kernel in this interpreter" for CUSTOM ops, with a hint for edgetpu-custom-op).
  std::unique_ptr<OpKernel> Create(const KernelContext& ctx, int max_priority = INT_MAX) const;
  // Name of the kernel Create would choose, or empty. A "ref/float/<op>" kernel chosen for an op
  // without any float32/float16 tensor (a type-generic copy such as an int8 CONCATENATION) is
  // named "ref/generic/<op>".
  std::string Choose(const KernelContext& ctx, int max_priority = INT_MAX) const;

 private:
  struct Entry {
    OpType type;
    std::string name;
    int priority;
    KernelFactory factory;
  };
  std::vector<Entry> entries_;  // kept sorted by descending priority
};

// Registration entry points (explicit: static-library self-registration is dropped by linkers).
void RegisterRefFloatKernels(KernelRegistry& r);      // kernels/ref: float32 (and float16 dequant)
void RegisterRefQuantizedKernels(KernelRegistry& r);  // kernels/ref: int8/uint8/int16/hybrid
void RegisterFastKernels(KernelRegistry& r);          // kernels/fast

// The registry with every kernel of this build (built once, thread-safe).
const KernelRegistry& DefaultKernelRegistry();

}  // namespace cae
