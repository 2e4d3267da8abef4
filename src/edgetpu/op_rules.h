// Which single ops the Edge TPU compiler (v16) maps, judged op by op, before partitioning.
// The rules are the documented op list and limits (shared/reference/EDGETPU.md) plus what was
// read off real compiled models. Where the compiler's behaviour depends on things we cannot see
// (resize sizes, op versions), the rule is conservative and its reason says so.
#pragma once

#include <string>

#include "graph/graph.h"

namespace cae::edgetpu {

// The compiler's per-op status words, and our own specific reasons where it has none.
enum class Status {
  kMapped,                  // "Mapped to Edge TPU"
  kNotSupported,            // "Operation not supported"
  kUnsupportedDataType,     // "Operation is working on an unsupported data type"
  kVersionNotSupported,     // "Operation version not supported"
  kUnspecifiedLimitation,   // "Operation is otherwise supported, but not mapped due to some
                            //  unspecified limitation"
  kMoreThanOneSubgraph,     // "More than one subgraph is not supported"
  kUnsupportedRank,         // a tensor has more than 3 dimensions larger than 1
  kUnsupportedBatch,        // batch (dim 0 of a 4-D tensor, or a leading dim) larger than 1
  kDynamicShape,            // a dimension is unknown at compile time
};

// The status as the compiler's log writes it (or our phrase for our own statuses).
const char* StatusText(Status s);

struct OpVerdict {
  Status status = Status::kMapped;
  // Specifics for people: which tensor, which limit, and "conservative" when it is our guess.
  std::string detail;
  bool mappable() const { return status == Status::kMapped; }
};

// Judges op_index of g alone (ignoring its neighbours). Never throws on malformed graphs: an
// out-of-range tensor index makes the op unmappable with a detail naming it.
OpVerdict CheckOp(const Graph& g, int op_index);

// Highest op version this planner believes the compiler knows for a mappable builtin op, or 0
// when the op is not on the supported list.
int MaxKnownVersion(OpType type);

}  // namespace cae::edgetpu
