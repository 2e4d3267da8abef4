#include "edgetpu/planner.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "edgetpu/payload.h"
#include "graph/error.h"
#include "graph/validate.h"

namespace cae::edgetpu {
namespace {

bool ValidTensor(const Graph& g, int t) {
  return t >= 0 && t < static_cast<int>(g.tensors.size());
}

std::string OpName(const Op& op) {
  return op.type == OpType::CUSTOM ? op.custom_code : OpTypeName(op.type);
}

// The one line of advice for the op that stops mapping (first CPU op with a known fix).
std::string AdviceFor(const Graph& g, const Op& op, const OpPlan& p) {
  const bool reads_graph_input =
      std::any_of(op.inputs.begin(), op.inputs.end(), [&](int t) {
        return std::find(g.inputs.begin(), g.inputs.end(), t) != g.inputs.end();
      });
  const bool writes_graph_output =
      std::any_of(op.outputs.begin(), op.outputs.end(), [&](int t) {
        return std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end();
      });
  switch (p.status) {
    case Status::kUnsupportedDataType:
      if ((op.type == OpType::QUANTIZE && reads_graph_input) ||
          (op.type == OpType::DEQUANTIZE && writes_graph_output)) {
        return "give the model 8-bit inputs/outputs: `cae2tpu convert --io uint8` drops the float "
               "conversion ops";
      }
      return "quantize the whole model to int8 (weights and activations): `cae2tpu convert` with "
             "int8 quantization and a calibration set";
    case Status::kNotSupported:
      if (op.type == OpType::DEQUANTIZE && writes_graph_output) {
        return "give the model 8-bit outputs: `cae2tpu convert --io uint8` drops the DEQUANTIZE";
      }
      if (op.type == OpType::CAST || op.type == OpType::DEQUANTIZE) {
        return "re-export with 8-bit inputs/outputs (`cae2tpu convert --io uint8`) so no type "
               "conversion op is needed";
      }
      return StrCat("replace ", p.op, " with ops on the Edge TPU list, or move it to the end of "
                    "the model so only it runs on the CPU");
    case Status::kUnsupportedBatch:
      return "convert with batch size 1 (fixed input shape [1, H, W, C])";
    case Status::kDynamicShape:
      return "fix every input shape at conversion (batch 1, known H and W)";
    case Status::kVersionNotSupported:
      return "convert with an older TFLite op set (the compiler knows TF 2.5-era op versions)";
    case Status::kUnspecifiedLimitation:
      if (op.type == OpType::RESIZE_BILINEAR) {
        return "replace the large bilinear resize with a x2 RESIZE_NEAREST_NEIGHBOR "
               "(UpSampling2D nearest) or a TRANSPOSE_CONV, or resize on the CPU after the model";
      }
      if (op.type == OpType::RESIZE_NEAREST_NEIGHBOR) {
        return "upsample in x2 steps (repeat UpSampling2D(2)) instead of one large factor";
      }
      return {};
    default:
      return {};
  }
}

// Constant bytes read by the mapped ops, each constant tensor counted once.
int64_t RawParameterBytes(const Graph& g, const std::vector<OpPlan>& ops) {
  std::set<int> seen;
  int64_t total = 0;
  for (const OpPlan& p : ops) {
    if (!p.on_tpu) continue;
    for (int t : g.ops[p.index].inputs) {
      if (!ValidTensor(g, t) || !g.tensors[t].is_constant()) continue;
      if (seen.insert(t).second) total += static_cast<int64_t>(g.tensors[t].data.size());
    }
  }
  return total;
}

}  // namespace

ModelPlan PlanModel(const Model& model) {
  ModelPlan plan;
  plan.source = model.source;
  Check(!model.subgraphs.empty(), model.source, ": model has no subgraph");
  RejectCompiledModel(model, "the Edge TPU plan");
  ValidateGraph(model);  // a hostile file gets one error, not a plan of a broken graph
  const Graph& g = model.main();

  // Per tensor: does a mapped op lie upstream; is it downstream of a TPU->CPU transition.
  std::vector<char> tpu_upstream(g.tensors.size(), 0);
  std::vector<char> past_cut(g.tensors.size(), 0);

  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    const Op& op = g.ops[i];
    OpPlan p;
    p.index = i;
    p.op = OpName(op);
    for (int t : op.outputs) p.outputs.push_back(ValidTensor(g, t) ? g.tensors[t].name : "");

    bool any_tpu_upstream = false, any_past_cut = false;
    for (int t : op.inputs) {
      if (!ValidTensor(g, t)) continue;
      any_tpu_upstream |= tpu_upstream[t] != 0;
      any_past_cut |= past_cut[t] != 0;
    }
    const OpVerdict v = CheckOp(g, i);
    if (v.mappable() && !any_past_cut) {
      p.on_tpu = true;
      p.status = Status::kMapped;
    } else if (v.mappable()) {
      p.status = Status::kMoreThanOneSubgraph;
      p.detail = "downstream of an op that runs on the CPU";
    } else {
      p.status = v.status;
      p.detail = v.detail;
    }
    p.reason = StatusText(p.status);
    for (int t : op.outputs) {
      if (!ValidTensor(g, t)) continue;
      if (p.on_tpu) {
        tpu_upstream[t] = 1;
      } else {
        tpu_upstream[t] = any_tpu_upstream;
        past_cut[t] = any_past_cut || any_tpu_upstream;
      }
    }
    if (!p.on_tpu && plan.advice.empty() && p.status != Status::kMoreThanOneSubgraph) {
      plan.advice = AdviceFor(g, op, p);
    }
    plan.ops.push_back(std::move(p));
  }

  plan.total = static_cast<int>(plan.ops.size());
  for (const OpPlan& p : plan.ops) {
    if (p.on_tpu) ++plan.mapped;
    auto it = std::find_if(plan.op_counts.begin(), plan.op_counts.end(), [&](const OpCount& c) {
      return c.op == p.op && c.status == p.reason;
    });
    if (it == plan.op_counts.end()) {
      plan.op_counts.push_back({p.op, 1, p.reason});
    } else {
      ++it->count;
    }
  }
  plan.tpu_subgraphs = plan.mapped > 0 ? 1 : 0;
  plan.raw_parameter_bytes = RawParameterBytes(g, plan.ops);
  plan.estimated_parameter_bytes =
      static_cast<int64_t>(std::llround(plan.raw_parameter_bytes * kParameterStreamFactor));
  plan.cached_bytes = std::min(plan.estimated_parameter_bytes, kOnChipParameterBytes);
  plan.streamed_bytes = plan.estimated_parameter_bytes - plan.cached_bytes;
  return plan;
}

std::vector<ModelPlan> PlanModels(const std::vector<const Model*>& models) {
  std::vector<ModelPlan> plans;
  int64_t left = kOnChipParameterBytes;
  for (const Model* m : models) {
    ModelPlan p = PlanModel(*m);
    p.cached_bytes = std::min(p.estimated_parameter_bytes, left);
    p.streamed_bytes = p.estimated_parameter_bytes - p.cached_bytes;
    left -= p.cached_bytes;
    plans.push_back(std::move(p));
  }
  return plans;
}

nlohmann::json PlanToJson(const ModelPlan& plan) {
  nlohmann::json ops = nlohmann::json::array();
  for (const OpPlan& p : plan.ops) {
    ops.push_back({{"index", p.index},
                   {"op", p.op},
                   {"on_tpu", p.on_tpu},
                   {"reason", p.reason},
                   {"detail", p.detail},
                   {"outputs", p.outputs}});
  }
  nlohmann::json counts = nlohmann::json::array();
  for (const OpCount& c : plan.op_counts) {
    counts.push_back({{"op", c.op}, {"count", c.count}, {"status", c.status}});
  }
  return {{"source", plan.source},
          {"ops", std::move(ops)},
          {"mapped", plan.mapped},
          {"total", plan.total},
          {"tpu_subgraphs", plan.tpu_subgraphs},
          {"op_counts", std::move(counts)},
          {"raw_parameter_bytes", plan.raw_parameter_bytes},
          {"cached_bytes", plan.cached_bytes},
          {"streamed_bytes", plan.streamed_bytes},
          {"advice", plan.advice}};
}

namespace {

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string HumanBytes(int64_t b) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(2);
  if (b >= 1024 * 1024) {
    out << b / (1024.0 * 1024.0) << "MiB";
  } else if (b >= 1024) {
    out << b / 1024.0 << "KiB";
  } else {
    out << b << "B";
  }
  return out.str();
}

}  // namespace

std::string FormatPlan(const ModelPlan& plan) {
  std::ostringstream out;
  out << "Edge TPU plan for " << (plan.source.empty() ? "<model>" : plan.source) << "\n";
  out << "Estimated on-chip memory used for caching model parameters: "
      << HumanBytes(plan.cached_bytes) << " (" << plan.cached_bytes << " bytes)\n";
  out << "Estimated off-chip memory used for streaming uncached model parameters: "
      << HumanBytes(plan.streamed_bytes) << " (" << plan.streamed_bytes << " bytes)\n";
  out << "Number of Edge TPU subgraphs: " << plan.tpu_subgraphs << "\n";
  out << "Total number of operations: " << plan.total << "\n";
  out << "Number of operations that will run on Edge TPU: " << plan.mapped << "\n";
  out << "Number of operations that will run on CPU: " << plan.total - plan.mapped << "\n\n";
  out << Pad("Operator", 31) << Pad("Count", 11) << "Status\n\n";
  for (const OpCount& c : plan.op_counts) {
    out << Pad(c.op, 31) << Pad(std::to_string(c.count), 11) << c.status << "\n";
  }
  out << "\nPer op:\n";
  for (const OpPlan& p : plan.ops) {
    out << "  " << p.index << " " << p.op << ": " << (p.on_tpu ? "TPU" : "CPU") << " - "
        << p.reason;
    if (!p.detail.empty()) out << " (" << p.detail << ")";
    out << "\n";
  }
  if (!plan.advice.empty()) out << "\nAdvice: " << plan.advice << "\n";
  return out.str();
}

}  // namespace cae::edgetpu
