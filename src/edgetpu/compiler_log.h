// Parsing what edgetpu_compiler prints (stdout summary) and writes (NAME_edgetpu.log), and
// comparing it with our plan.
//
// Summary lines recognised (one block per compiled model; co-compilation prints several):
//   "Edge TPU Compiler version V", "Input model: F" / "Input: F", "Output model: F" / "Output: F",
//   "On-chip memory used for caching model parameters: 1.23MiB",
//   "On-chip memory remaining for caching model parameters: ...",
//   "Off-chip memory used for streaming uncached model parameters: ...",
//   "Number of Edge TPU subgraphs: N", "Total number of operations: N",
//   "Number of operations that will run on Edge TPU: N", "... on CPU: N",
//   "Operation log: F", and the per-op table rows "OPERATOR  COUNT  STATUS".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edgetpu/planner.h"

namespace cae::edgetpu {

struct CompilerOpRow {
  std::string op;
  int count = 0;
  std::string status;
  bool mapped() const { return status == "Mapped to Edge TPU"; }
};

// One model's figures; -1 where the text did not say.
struct CompilerModelReport {
  std::string compiler_version;
  std::string input;
  std::string output;
  std::string log_file;
  int64_t cached_bytes = -1;     // the compiler prints 2 decimals of B/KiB/MiB/GiB: approximate
  int64_t remaining_bytes = -1;
  int64_t streamed_bytes = -1;
  int tpu_subgraphs = -1;
  int total_ops = -1;
  int ops_on_tpu = -1;
  int ops_on_cpu = -1;
  std::vector<CompilerOpRow> op_table;
};

// "1.58MiB" -> 1656750; "0.00B" -> 0; -1 when not a size.
int64_t ParseCompilerSize(const std::string& text);

// Parses compiler stdout and/or log text. Blocks start at "Input model:"/"Input:"; lines before the
// first block (the version line) apply to every block. Never throws; unknown lines are ignored.
std::vector<CompilerModelReport> ParseCompilerOutput(const std::string& text);

// Adds what a NAME_edgetpu.log says (its op table, version) to a report from stdout.
void MergeLog(const CompilerModelReport& log, CompilerModelReport* report);

// Every disagreement between our plan and the compiler's report, one line each: totals, mapped
// counts, subgraphs, per-op-type mapped/unmapped counts, and parameter bytes when the estimate is
// off by more than 20%. A report without any of those figures (an output format this parser does
// not know) gives one line saying so: nothing compared is not agreement.
std::vector<std::string> CompareWithPlan(const ModelPlan& plan, const CompilerModelReport& report);

}  // namespace cae::edgetpu
