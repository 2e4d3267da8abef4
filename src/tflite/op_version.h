// TFLite operator versions and the minimum runtime version of a model, following the rules of
// TFLite's converter (tensorflow/lite/tools/versioning): the version of an op depends on how it
// is used (tensor types, per-channel weights, fused activation, dilation, optional bias, ...).
#pragma once

#include <string>

#include "graph/graph.h"

namespace cae {

// The version TFLite's rules give op op_index of g. Ops without a rule (custom ops, ops this
// project never writes) get 1.
int TfliteOpVersion(const Graph& g, int op_index);

// Sets Op::version of every builtin op of every subgraph to TfliteOpVersion; custom ops keep
// their version.
void AssignOpVersions(Model& model);

// The oldest TFLite runtime that has every (op, version) of the model, e.g. "1.14.0": the
// "min_runtime_version" metadata TFLite writes. Empty if no op of the model is in the table.
std::string MinRuntimeVersion(const Model& model);

}  // namespace cae
