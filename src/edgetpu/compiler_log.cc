#include "edgetpu/compiler_log.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include "graph/error.h"

namespace cae::edgetpu {
namespace {

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// The text after "prefix" when line starts with it.
bool After(const std::string& line, const std::string& prefix, std::string* rest) {
  if (line.compare(0, prefix.size(), prefix) != 0) return false;
  *rest = Trim(line.substr(prefix.size()));
  return true;
}

int ParseInt(const std::string& s) {
  if (s.empty() || s.size() > 9) return -1;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
  }
  return std::atoi(s.c_str());
}

// A per-op table row: an op name (capitals, digits, '_', or a custom code), then a count, then
// the status words. Header rows ("Operator Count Status") are not rows.
bool ParseOpRow(const std::string& line, CompilerOpRow* row) {
  std::istringstream in(line);
  std::string op, count;
  if (!(in >> op >> count)) return false;
  const int n = ParseInt(count);
  if (n < 0 || op == "Operator") return false;
  std::string status;
  std::getline(in, status);
  status = Trim(status);
  if (status.empty()) return false;
  *row = {op, n, status};
  return true;
}

}  // namespace

int64_t ParseCompilerSize(const std::string& text) {
  const std::string t = Trim(text);
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  if (i == 0 || i > 20) return -1;
  const double value = std::strtod(t.substr(0, i).c_str(), nullptr);
  const std::string unit = Trim(t.substr(i));
  double scale = 0;
  if (unit == "B") scale = 1;
  else if (unit == "KiB") scale = 1024.0;
  else if (unit == "MiB") scale = 1024.0 * 1024.0;
  else if (unit == "GiB") scale = 1024.0 * 1024.0 * 1024.0;
  else return -1;
  return static_cast<int64_t>(std::llround(value * scale));
}

std::vector<CompilerModelReport> ParseCompilerOutput(const std::string& text) {
  std::vector<CompilerModelReport> reports;
  std::string version;
  std::istringstream in(text);
  std::string raw;
  auto current = [&]() -> CompilerModelReport& {
    if (reports.empty()) {
      reports.emplace_back();
      reports.back().compiler_version = version;
    }
    return reports.back();
  };
  while (std::getline(in, raw)) {
    const std::string line = Trim(raw);
    std::string rest;
    if (After(line, "Edge TPU Compiler version", &rest)) {
      version = rest;
      for (CompilerModelReport& r : reports) {
        if (r.compiler_version.empty()) r.compiler_version = version;
      }
    } else if (After(line, "Input model:", &rest) || After(line, "Input:", &rest)) {
      // A new block, unless the current one has no input yet (e.g. a table printed first).
      if (reports.empty() || !reports.back().input.empty()) {
        reports.emplace_back();
        reports.back().compiler_version = version;
      }
      reports.back().input = rest;
    } else if (After(line, "Output model:", &rest) || After(line, "Output:", &rest)) {
      current().output = rest;
    } else if (After(line, "On-chip memory used for caching model parameters:", &rest)) {
      current().cached_bytes = ParseCompilerSize(rest);
    } else if (After(line, "On-chip memory remaining for caching model parameters:", &rest)) {
      current().remaining_bytes = ParseCompilerSize(rest);
    } else if (After(line, "Off-chip memory used for streaming uncached model parameters:",
                     &rest)) {
      current().streamed_bytes = ParseCompilerSize(rest);
    } else if (After(line, "Number of Edge TPU subgraphs:", &rest)) {
      current().tpu_subgraphs = ParseInt(rest);
    } else if (After(line, "Total number of operations:", &rest)) {
      current().total_ops = ParseInt(rest);
    } else if (After(line, "Number of operations that will run on Edge TPU:", &rest)) {
      current().ops_on_tpu = ParseInt(rest);
    } else if (After(line, "Number of operations that will run on CPU:", &rest)) {
      current().ops_on_cpu = ParseInt(rest);
    } else if (After(line, "Operation log:", &rest)) {
      current().log_file = rest;
    } else {
      CompilerOpRow row;
      if (ParseOpRow(line, &row)) current().op_table.push_back(row);
    }
  }
  // A log of a fully mapped model has no summary counts: derive them from its table.
  for (CompilerModelReport& r : reports) {
    if (r.op_table.empty()) continue;
    int total = 0, mapped = 0;
    for (const CompilerOpRow& row : r.op_table) {
      total += row.count;
      if (row.mapped()) mapped += row.count;
    }
    if (r.total_ops < 0) r.total_ops = total;
    if (r.ops_on_tpu < 0) r.ops_on_tpu = mapped;
    if (r.ops_on_cpu < 0) r.ops_on_cpu = total - mapped;
  }
  return reports;
}

void MergeLog(const CompilerModelReport& log, CompilerModelReport* report) {
  if (report->op_table.empty()) report->op_table = log.op_table;
  if (report->compiler_version.empty()) report->compiler_version = log.compiler_version;
  if (report->total_ops < 0) report->total_ops = log.total_ops;
  if (report->ops_on_tpu < 0) report->ops_on_tpu = log.ops_on_tpu;
  if (report->ops_on_cpu < 0) report->ops_on_cpu = log.ops_on_cpu;
}

std::vector<std::string> CompareWithPlan(const ModelPlan& plan, const CompilerModelReport& report) {
  const bool comparable = report.total_ops >= 0 || report.ops_on_tpu >= 0 || report.tpu_subgraphs >= 0 ||
                          !report.op_table.empty() || (report.cached_bytes >= 0 && report.streamed_bytes >= 0);
  if (!comparable) return {"the compiler's report has none of the figures the plan is compared on"};
  std::vector<std::string> out;
  if (report.total_ops >= 0 && report.total_ops != plan.total) {
    out.push_back(StrCat("total operations: plan ", plan.total, ", compiler ", report.total_ops));
  }
  if (report.ops_on_tpu >= 0 && report.ops_on_tpu != plan.mapped) {
    out.push_back(StrCat("operations on the Edge TPU: plan ", plan.mapped, ", compiler ",
                         report.ops_on_tpu));
  }
  if (report.tpu_subgraphs >= 0 && report.tpu_subgraphs != plan.tpu_subgraphs) {
    out.push_back(StrCat("Edge TPU subgraphs: plan ", plan.tpu_subgraphs, ", compiler ",
                         report.tpu_subgraphs));
  }
  if (!report.op_table.empty()) {
    // Per op type: [mapped, not mapped] counts on both sides.
    std::map<std::string, std::pair<int, int>> ours, theirs;
    for (const OpPlan& p : plan.ops) (p.on_tpu ? ours[p.op].first : ours[p.op].second)++;
    for (const CompilerOpRow& row : report.op_table) {
      (row.mapped() ? theirs[row.op].first : theirs[row.op].second) += row.count;
    }
    std::map<std::string, std::pair<int, int>> all = ours;
    all.insert(theirs.begin(), theirs.end());
    for (const auto& [op, unused] : all) {
      const auto a = ours.count(op) ? ours[op] : std::make_pair(0, 0);
      const auto b = theirs.count(op) ? theirs[op] : std::make_pair(0, 0);
      if (a != b) {
        out.push_back(StrCat(op, ": plan ", a.first, " mapped / ", a.second, " on CPU, compiler ",
                             b.first, " mapped / ", b.second, " on CPU"));
      }
    }
  }
  if (report.cached_bytes >= 0 && report.streamed_bytes >= 0) {
    const double real = static_cast<double>(report.cached_bytes + report.streamed_bytes);
    const double est = static_cast<double>(plan.cached_bytes + plan.streamed_bytes);
    if ((real == 0) != (est == 0) || (real > 0 && std::fabs(est / real - 1.0) > 0.20)) {
      out.push_back(StrCat("parameter bytes: plan ", plan.cached_bytes + plan.streamed_bytes,
                           ", compiler ", report.cached_bytes + report.streamed_bytes,
                           " (more than 20% apart)"));
    }
    if ((report.streamed_bytes > 0) != (plan.streamed_bytes > 0)) {
      out.push_back(StrCat("off-chip streaming: plan ", plan.streamed_bytes, " bytes, compiler ",
                           report.streamed_bytes, " bytes"));
    }
  }
  return out;
}

}  // namespace cae::edgetpu
