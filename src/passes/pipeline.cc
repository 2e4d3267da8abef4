#include "passes/pipeline.h"

#include "graph/shape_inference.h"

#include "passes/fold_batchnorm.h"
#include "passes/remove_dead.h"
#include "passes/remove_identity.h"
#include "passes/set_batch.h"

namespace cae::passes {

std::vector<PassResult> RunStandardPasses(Graph& g, const PipelineOptions& options) {
  std::vector<PassResult> results;
  results.push_back({"remove-identity", RemoveIdentityOps(g)});
  results.push_back({"fold-batchnorm", FoldBatchNorm(g)});
  results.push_back({"fuse-activation", FuseActivations(g, options.fuse)});
  const DeadRemoval dead = RemoveDeadOps(g);
  results.push_back({"remove-dead", dead.ops + dead.tensors});
  if (options.batch > 0) {
    results.push_back({"set-batch", SetBatch(g, options.batch)});
    InferShapes(g);  // re-derives every shape from the new batch; throws if anything disagrees
  }
  return results;
}

}  // namespace cae::passes
