// A Markdown report of evaluations, for people: `compare --report FILE.md` and the demo's
// report.md. Sections, in order: the title and facts (what was measured against what), the
// sections given before the results (e.g. training), the side-by-side results table, what each
// model costs against the reference (size, time, error), per-class IoU for segmentation, the image
// grid, and the sections given after (e.g. the Edge TPU plan). Deterministic: no dates or hosts.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cli/evaluation.h"

namespace cae::cli {

struct MarkdownReport {
  std::string title;
  std::vector<std::string> facts;  // one bullet each
  std::vector<std::pair<std::string, std::string>> before, after;  // (heading, Markdown body)
  std::vector<Evaluation> evals;   // evals[0] is the reference
  std::vector<std::string> class_names;
  std::string grid;  // the grid image's path, or empty
};

std::string RenderMarkdownReport(const MarkdownReport& r, const std::string& report_path);

// Renders and writes path atomically (a failed write leaves no partial file); cae::Error naming
// path when it cannot be written. The grid is linked by its path relative to the report's folder.
void WriteMarkdownReport(const std::string& path, const MarkdownReport& r);

}  // namespace cae::cli
