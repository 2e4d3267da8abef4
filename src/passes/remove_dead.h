// Pass: remove dead ops and unreferenced tensors.
//
// Contract: an op is dead when none of its outputs is a graph output or read by a live op; dead
// ops are deleted. Then every tensor referenced by no op and not a graph input/output is deleted
// and the remaining tensor indices are renumbered (order kept; op intermediates count as
// references). Graph inputs stay even if unused.
#pragma once

#include "graph/graph.h"

namespace cae::passes {

struct DeadRemoval {
  int ops = 0;
  int tensors = 0;
};

DeadRemoval RemoveDeadOps(Graph& g);

}  // namespace cae::passes
