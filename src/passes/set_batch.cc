#include "passes/set_batch.h"

#include <cstring>

#include "graph/error.h"
#include "passes/graph_edit.h"

namespace cae::passes {
namespace {

// Sets dim 0 of a RESHAPE target to batch, checking it was the old batch (or -1).
void FixTarget(const Graph& g, int op_index, int32_t& dim0, int old_batch, int batch) {
  if (dim0 == -1 || dim0 == batch) return;
  Check(old_batch <= 0 || dim0 == old_batch, DescribeOp(g, op_index), ": target shape dim 0 is ",
        dim0, ", not the batch ", old_batch, "; cannot change the batch of this graph");
  dim0 = batch;
}

}  // namespace

int SetBatch(Graph& g, int batch) {
  Check(batch >= 1 && batch <= 1 << 20, "graph '", g.name, "': batch ", batch, " out of range [1, 2^20]");
  int old_batch = -1;
  for (int t : g.inputs) {
    Check(ValidTensor(g, t), "graph '", g.name, "': input tensor index ", t, " out of range");
    const Tensor& in = g.tensors[t];
    Check(!in.shape.empty(), DescribeTensor(g, t), ": graph input has no shape");
    const int32_t b = in.shape[0];
    if (b <= 0) continue;
    Check(old_batch < 0 || old_batch == b, DescribeTensor(g, t), ": batch ", b,
          " differs from another input's batch ", old_batch);
    old_batch = b;
  }
  const auto consumers = ConsumersOf(g);
  // Sets dim 0 of the constant int32 shape operand `input` of op i (a RESHAPE target, a
  // TRANSPOSE_CONV output shape); a constant shared with other ops is copied first.
  auto fix_shape_operand = [&](size_t i, size_t input) {
    Op& op = g.ops[i];
    if (op.inputs.size() <= input || !ValidTensor(g, op.inputs[input])) return;
    const int s = op.inputs[input];
    const Tensor& st = g.tensors[s];
    if (!st.is_constant() || st.type != DType::kInt32 || st.data.size() < 4) return;
    int32_t d0;
    std::memcpy(&d0, st.data.data(), 4);
    const int32_t before = d0;
    FixTarget(g, static_cast<int>(i), d0, old_batch, batch);
    if (d0 == before) return;
    if (consumers[s].size() > 1) {  // shared shape constant: give this op its own copy
      Tensor copy = st;
      copy.name += "/batch";
      op.inputs[input] = g.AddTensor(std::move(copy));
    }
    std::memcpy(g.tensors[op.inputs[input]].data.data(), &d0, 4);
  };
  for (size_t i = 0; i < g.ops.size(); ++i) {
    Op& op = g.ops[i];
    if (op.type == OpType::RESHAPE) {
      if (!op.options.new_shape.empty())
        FixTarget(g, static_cast<int>(i), op.options.new_shape[0], old_batch, batch);
      fix_shape_operand(i, 1);
    } else if (op.type == OpType::TRANSPOSE_CONV) {
      fix_shape_operand(i, 0);  // output_shape [N, H, W, C]
    }
  }
  int changed = 0;
  for (Tensor& t : g.tensors) {
    if (t.is_constant() || t.shape.empty()) continue;
    const bool differs = t.shape[0] != batch || !t.shape_signature.empty();
    t.shape[0] = batch;
    t.shape_signature.clear();
    changed += differs ? 1 : 0;
  }
  return changed;
}

}  // namespace cae::passes
