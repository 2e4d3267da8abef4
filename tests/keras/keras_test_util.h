// Helpers shared by the Keras importer tests.
#pragma once

#include <map>
#include <string>

#include "graph/graph.h"
#include "graph/op_type.h"
#include "support/fixtures.h"

namespace cae::testing {

// Number of ops of each type in the main graph: {"CONV_2D": 7, ...}.
inline std::map<std::string, int> CountOps(const Model& m) {
  std::map<std::string, int> counts;
  for (const Op& op : m.main().ops) ++counts[OpTypeName(op.type)];
  return counts;
}

inline std::string KerasFixture(const std::string& name) {
  return SharedPath("fixtures/keras/" + name);
}

}  // namespace cae::testing
