// The standard cleanup pipeline run before conversion: identity removal, BatchNorm folding,
// activation fusion, dead-code removal, static batch. Each step's effect is reported so callers
// can print what was done.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/fuse_activation.h"

namespace cae::passes {

struct PipelineOptions {
  int batch = 1;  // 0 = leave shapes alone
  FuseActivationOptions fuse;
};

struct PassResult {
  std::string name;  // "remove-identity", "fold-batchnorm", ...
  int changes = 0;   // ops removed / folded / fused, tensors reshaped
};

// Runs the passes in order on g (the main graph) and returns one entry per pass. After set-batch,
// shapes are re-inferred (graph/shape_inference.h) so they are consistent.
std::vector<PassResult> RunStandardPasses(Graph& g, const PipelineOptions& options);

}  // namespace cae::passes
