#include "edgetpu/segment.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "edgetpu/payload.h"
#include "graph/error.h"
#include "graph/validate.h"
#include "tflite/writer.h"

namespace cae::edgetpu {
namespace {

std::string Where(const Model& m) { return m.source.empty() ? "<model>" : m.source; }

bool Valid(const Graph& g, int t) { return t >= 0 && t < static_cast<int>(g.tensors.size()); }

// Tensors an op reads at run time (inputs and intermediates excluded: only real inputs).
bool IsRuntimeValue(const Graph& g, int t) {
  return Valid(g, t) && !g.tensors[t].is_constant() && !g.tensors[t].is_variable;
}

// Op index that produces each tensor, -1 for graph inputs, constants and variables.
std::vector<int> Producers(const Graph& g) {
  std::vector<int> producer(g.tensors.size(), -1);
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    for (int t : g.ops[i].outputs) {
      if (Valid(g, t)) producer[t] = i;
    }
  }
  return producer;
}

// Last op index reading each tensor; ops.size() for graph outputs; -1 if never read.
std::vector<int> LastUses(const Graph& g) {
  std::vector<int> last(g.tensors.size(), -1);
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    for (int t : g.ops[i].inputs) {
      if (Valid(g, t)) last[t] = std::max(last[t], i);
    }
  }
  for (int t : g.outputs) {
    if (Valid(g, t)) last[t] = static_cast<int>(g.ops.size());
  }
  return last;
}

}  // namespace

SegmentPlan PlanSegments(const Model& model, int num_segments) {
  Check(!model.subgraphs.empty(), Where(model), ": model has no subgraph");
  RejectCompiledModel(model, "splitting into segments");
  const Graph& g = model.main();
  const int n_ops = static_cast<int>(g.ops.size());
  Check(n_ops > 0, Where(model), ": model has no ops to split into segments");
  Check(num_segments >= 1 && num_segments <= n_ops, Where(model), ": cannot split ", n_ops,
        " ops into ", num_segments, " segments (expected 1..", n_ops, ")");
  ValidateGraph(model);

  // Parameter bytes each op brings (a constant shared by several ops counts at its first use).
  std::vector<int64_t> op_bytes(n_ops, 0);
  std::set<int> seen;
  for (int i = 0; i < n_ops; ++i) {
    for (int t : g.ops[i].inputs) {
      if (Valid(g, t) && g.tensors[t].is_constant() && seen.insert(t).second) {
        op_bytes[i] += static_cast<int64_t>(g.tensors[t].data.size());
      }
    }
  }
  std::vector<int64_t> before(n_ops + 1, 0);  // bytes of ops [0, i)
  for (int i = 0; i < n_ops; ++i) before[i + 1] = before[i] + op_bytes[i];
  const int64_t total = before[n_ops];

  // Live runtime tensors at each cut position c (written before c, read at or after c).
  const std::vector<int> producer = Producers(g);
  const std::vector<int> last = LastUses(g);
  std::vector<int> live(n_ops + 1, 0);
  for (int t = 0; t < static_cast<int>(g.tensors.size()); ++t) {
    if (!IsRuntimeValue(g, t) || last[t] < 0) continue;
    const int from = producer[t] < 0 ? 0 : producer[t] + 1;
    for (int c = from; c <= std::min(last[t], n_ops); ++c) live[c]++;
  }

  SegmentPlan plan;
  int prev = 0;
  for (int k = 1; k < num_segments; ++k) {
    const double target = static_cast<double>(total) * k / num_segments;
    // Leave at least one op for each remaining segment.
    const int lo = prev + 1, hi = n_ops - (num_segments - k);
    int best = lo;
    double best_cost = -1;
    for (int c = lo; c <= hi; ++c) {
      const double miss = std::abs(static_cast<double>(before[c]) - target);
      // Balance first; each extra live tensor at the boundary costs 0.2% of the total.
      const double cost = miss + 0.002 * static_cast<double>(total) * (live[c] - 1);
      if (best_cost < 0 || cost < best_cost) {
        best_cost = cost;
        best = c;
      }
    }
    plan.cuts.push_back(best);
    prev = best;
  }
  int start = 0;
  for (int k = 0; k < num_segments; ++k) {
    const int end = k + 1 < num_segments ? plan.cuts[k] : n_ops;
    plan.parameter_bytes.push_back(before[end] - before[start]);
    start = end;
  }
  return plan;
}

std::vector<Model> SplitModel(const Model& model, const SegmentPlan& plan) {
  const Graph& g = model.main();
  const int n_ops = static_cast<int>(g.ops.size());
  std::vector<int> bounds = {0};
  for (int c : plan.cuts) {
    Check(c > bounds.back() && c < n_ops, Where(model), ": segment cut at op ", c,
          " is out of order or range");
    bounds.push_back(c);
  }
  bounds.push_back(n_ops);
  const std::vector<int> producer = Producers(g);

  // Which segment reads each runtime tensor last.
  std::vector<int> segment_of(n_ops, 0);
  for (size_t k = 0; k + 1 < bounds.size(); ++k) {
    for (int i = bounds[k]; i < bounds[k + 1]; ++i) segment_of[i] = static_cast<int>(k);
  }
  std::vector<int> last_reader(g.tensors.size(), -1);
  for (int i = 0; i < n_ops; ++i) {
    for (int t : g.ops[i].inputs) {
      if (Valid(g, t)) last_reader[t] = std::max(last_reader[t], segment_of[i]);
    }
  }
  const std::set<int> graph_outputs(g.outputs.begin(), g.outputs.end());

  std::vector<Model> segments;
  const int count = static_cast<int>(bounds.size()) - 1;
  for (int k = 0; k < count; ++k) {
    Model seg;
    seg.description = model.description;
    seg.metadata = model.metadata;
    seg.source = StrCat(Where(model), " segment ", k, " of ", count);
    seg.subgraphs = model.subgraphs;  // other subgraphs (CALL/WHILE bodies) stay as they are
    Graph& out = seg.subgraphs[0];
    out = Graph();
    out.name = StrCat("segment_", k);

    std::map<int, int> remap;  // original tensor -> segment tensor
    auto map_tensor = [&](int t) -> int {
      if (t < 0) return t;
      Check(Valid(g, t), Where(model), ": tensor index ", t, " out of range");
      auto it = remap.find(t);
      if (it != remap.end()) return it->second;
      const int n = out.AddTensor(g.tensors[t]);
      remap[t] = n;
      return n;
    };
    std::vector<int> inputs;
    std::set<int> produced_here;
    for (int i = bounds[k]; i < bounds[k + 1]; ++i) {
      const Op& op = g.ops[i];
      for (int t : op.inputs) {
        if (IsRuntimeValue(g, t) && !produced_here.count(t) &&
            std::find(inputs.begin(), inputs.end(), t) == inputs.end()) {
          inputs.push_back(t);
        }
      }
      for (int t : op.outputs) produced_here.insert(t);
    }
    // Inputs: original graph inputs first, in their order, then the rest in order of first use.
    std::vector<int> ordered;
    for (int t : g.inputs) {
      if (std::find(inputs.begin(), inputs.end(), t) != inputs.end()) ordered.push_back(t);
    }
    for (int t : inputs) {
      if (std::find(ordered.begin(), ordered.end(), t) == ordered.end()) ordered.push_back(t);
    }
    for (int t : ordered) out.inputs.push_back(map_tensor(t));
    // Outputs: original graph outputs written here first, then tensors later segments read.
    for (int t : g.outputs) {
      if (produced_here.count(t)) out.outputs.push_back(map_tensor(t));
    }
    for (int i = bounds[k]; i < bounds[k + 1]; ++i) {
      for (int t : g.ops[i].outputs) {
        if (Valid(g, t) && !graph_outputs.count(t) && last_reader[t] > k) {
          out.outputs.push_back(map_tensor(t));
        }
      }
    }
    for (int i = bounds[k]; i < bounds[k + 1]; ++i) {
      Op op = g.ops[i];
      for (int& t : op.inputs) t = map_tensor(t);
      for (int& t : op.outputs) t = map_tensor(t);
      for (int& t : op.intermediates) t = map_tensor(t);
      out.AddOp(std::move(op));
    }
    Check(!out.outputs.empty(), Where(model), ": segment ", k, " has no outputs");
    segments.push_back(std::move(seg));
  }
  return segments;
}

std::vector<std::string> WriteSegments(const Model& model, int num_segments,
                                       const std::string& out_dir) {
  const SegmentPlan plan = PlanSegments(model, num_segments);
  const std::vector<Model> segments = SplitModel(model, plan);
  std::string stem = model.source.empty() ? "model"
                                          : std::filesystem::path(model.source).stem().string();
  if (stem.empty()) stem = "model";
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  std::vector<std::string> paths;
  for (size_t k = 0; k < segments.size(); ++k) {
    paths.push_back((std::filesystem::path(out_dir) /
                     StrCat(stem, "_segment_", k, "_of_", segments.size(), ".tflite"))
                        .string());
    Check(!std::filesystem::is_directory(paths.back(), ec), paths.back(), ": cannot write: it is a folder");
  }
  // All or none: a failed write removes the segments this call wrote, so a folder never holds new
  // segments beside old ones of another split.
  size_t written = 0;
  try {
    for (; written < segments.size(); ++written) WriteTflite(segments[written], paths[written]);
  } catch (...) {
    for (size_t k = 0; k < written; ++k) {  // regular files only: never a device or a link
      if (std::filesystem::is_regular_file(std::filesystem::symlink_status(paths[k], ec)))
        std::filesystem::remove(paths[k], ec);
    }
    throw;
  }
  return paths;
}

}  // namespace cae::edgetpu
