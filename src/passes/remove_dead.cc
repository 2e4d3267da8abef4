#include "passes/remove_dead.h"

#include "passes/graph_edit.h"

namespace cae::passes {

DeadRemoval RemoveDeadOps(Graph& g) {
  DeadRemoval result;
  const size_t nt = g.tensors.size();
  std::vector<bool> needed(nt, false);
  for (int t : g.outputs) {
    if (ValidTensor(g, t)) needed[t] = true;
  }
  std::vector<bool> erase(g.ops.size(), false);
  // Ops are in execution order, so one backward sweep finds every live op.
  for (size_t k = g.ops.size(); k-- > 0;) {
    const Op& op = g.ops[k];
    bool live = op.outputs.empty();  // ops without outputs act by side effect: kept
    for (int t : op.outputs) live = live || (ValidTensor(g, t) && needed[t]);
    if (!live) {
      erase[k] = true;
      ++result.ops;
      continue;
    }
    for (int t : op.inputs) {
      if (ValidTensor(g, t)) needed[t] = true;
    }
  }
  EraseOps(g, erase);

  std::vector<bool> used(nt, false);
  const auto mark = [&](int t) {
    if (ValidTensor(g, t)) used[t] = true;
  };
  for (const Op& op : g.ops) {
    for (int t : op.inputs) mark(t);
    for (int t : op.outputs) mark(t);
    for (int t : op.intermediates) mark(t);
  }
  for (int t : g.inputs) mark(t);
  for (int t : g.outputs) mark(t);
  std::vector<int> remap(nt, -1);
  std::vector<Tensor> kept;
  for (size_t t = 0; t < nt; ++t) {
    if (!used[t]) {
      ++result.tensors;
      continue;
    }
    remap[t] = static_cast<int>(kept.size());
    kept.push_back(std::move(g.tensors[t]));
  }
  g.tensors = std::move(kept);
  const auto fix = [&](int& t) {
    if (t >= 0 && static_cast<size_t>(t) < nt) t = remap[t];
  };
  for (Op& op : g.ops) {
    for (int& t : op.inputs) fix(t);
    for (int& t : op.outputs) fix(t);
    for (int& t : op.intermediates) fix(t);
  }
  for (int& t : g.inputs) fix(t);
  for (int& t : g.outputs) fix(t);
  return result;
}

}  // namespace cae::passes
