// The Edge TPU partition planner: predicts, op by op, what edgetpu_compiler (v16, without -a)
// maps to the TPU, why the rest stays on the CPU, and how the parameters split between the
// on-chip cache and the off-chip stream.
//
// Partition rule (read off real compiled models): the TPU runs one region. An op that cannot be
// mapped runs on the CPU and so does every op downstream of it in the data flow ("More than one
// subgraph is not supported"), unless the unmapped op has no mapped op upstream of it (e.g. a CAST
// or float QUANTIZE at a graph input): such ops do not stop what follows. Ops after a CPU op in
// execution order that depend only on TPU ops are still mapped. There is never a TPU->CPU->TPU
// path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "edgetpu/op_rules.h"
#include "graph/graph.h"

namespace cae::edgetpu {

// About 8 MiB of SRAM caches parameters (the rest of the chip's memory use is not modelled).
inline constexpr int64_t kOnChipParameterBytes = 8 * 1024 * 1024;
// Parameter stream bytes per raw constant byte of the mapped ops: real compiled models show
// 1.01-1.33 (padding and layout) for models above 100 KB; the estimate uses one factor.
inline constexpr double kParameterStreamFactor = 1.15;

struct OpPlan {
  int index = 0;
  std::string op;  // "CONV_2D", or the custom code of a CUSTOM op
  bool on_tpu = false;
  Status status = Status::kMapped;
  std::string reason;  // StatusText(status)
  std::string detail;  // specifics, may be empty
  std::vector<std::string> outputs;  // output tensor names
};

// One row of the compiler-style table: ops of one type with one status.
struct OpCount {
  std::string op;
  int count = 0;
  std::string status;
};

struct ModelPlan {
  std::string source;
  std::vector<OpPlan> ops;
  int mapped = 0;
  int total = 0;
  int tpu_subgraphs = 0;
  std::vector<OpCount> op_counts;  // in order of first appearance
  int64_t raw_parameter_bytes = 0;  // constant inputs of mapped ops, each tensor once
  int64_t estimated_parameter_bytes = 0;  // raw * kParameterStreamFactor
  int64_t cached_bytes = 0;
  int64_t streamed_bytes = 0;
  std::string advice;  // one line, or empty when no fix is known
};

// Plans the main graph of one model; the whole parameter estimate is assumed cached when it fits.
// A model already compiled (it holds an edgetpu-custom-op) is refused: RejectCompiledModel.
ModelPlan PlanModel(const Model& model);

// Plans several models co-compiled in this order: they share the on-chip cache, the first gets
// priority, each later one gets what is left, and the rest of each is streamed.
std::vector<ModelPlan> PlanModels(const std::vector<const Model*>& models);

// {"source","ops":[{"index","op","on_tpu","reason","detail"}],"mapped","total","tpu_subgraphs",
//  "op_counts":[{"op","count","status"}],"raw_parameter_bytes","cached_bytes","streamed_bytes",
//  "advice"}.
nlohmann::json PlanToJson(const ModelPlan& plan);

// The compiler-style summary and per-op list for people; lines end in '\n'.
std::string FormatPlan(const ModelPlan& plan);

}  // namespace cae::edgetpu
