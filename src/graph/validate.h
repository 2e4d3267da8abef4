// Structural validation of a model before anything runs on it: every index in range, every op
// input defined before use, constant sizes matching shapes, op input/output counts.
#pragma once

#include <string>

#include "graph/graph.h"

namespace cae {

// Throws cae::Error naming model.source, the subgraph, and the op or tensor at fault.
void ValidateGraph(const Model& model);

// Throws cae::Error "<where>: <tensor>: weight value K is not finite (v)" for the first NaN/inf
// in g's float32 constants.
void CheckFiniteFloatConstants(const Graph& g, const std::string& where);

}  // namespace cae
