#include "cli/markdown_report.h"

#include <filesystem>

#include "data/file_io.h"

namespace cae::cli {

namespace fs = std::filesystem;

std::string RenderMarkdownReport(const MarkdownReport& r, const std::string& report_path) {
  std::string md = "# " + r.title + "\n\n";
  for (const std::string& f : r.facts) md += "- " + f + "\n";
  if (!r.facts.empty()) md += "\n";
  for (const auto& [heading, body] : r.before) md += "## " + heading + "\n\n" + body + "\n";
  md += "## Results\n\n" + EvaluationTableOf(r.evals).RenderMarkdown() + "\n";
  if (r.evals.size() > 1) {
    md += "## What each model costs against " + r.evals.front().name + "\n\n" + CostTableOf(r.evals).RenderMarkdown() +
          "\n";
  }
  if (!r.evals.empty() && r.evals.front().segmentation)
    md += "## IoU per class\n\nClasses in neither the truth nor a prediction are left out.\n\n" +
          ClassIouTableOf(r.evals, r.class_names).RenderMarkdown() + "\n";
  if (!r.grid.empty()) {
    std::error_code ec;
    const fs::path base = fs::weakly_canonical(fs::absolute(report_path).parent_path(), ec);
    fs::path rel = fs::weakly_canonical(fs::absolute(r.grid), ec).lexically_relative(base);
    if (rel.empty()) rel = r.grid;
    md += "## Images\n\n![input, truth and outputs](" + rel.generic_string() + ")\n\n";
  }
  for (const auto& [heading, body] : r.after) md += "## " + heading + "\n\n" + body + "\n";
  return md;
}

void WriteMarkdownReport(const std::string& path, const MarkdownReport& r) {
  const std::string md = RenderMarkdownReport(r, path);
  WriteFileAtomic(path, reinterpret_cast<const uint8_t*>(md.data()), md.size());
}

}  // namespace cae::cli
