// Plain-text tables with aligned columns, and human-readable units.
#pragma once

#include <string>
#include <vector>

namespace cae {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  // Cells beyond the header count are dropped; missing cells are empty.
  void AddRow(std::vector<std::string> cells);
  // Columns whose cells (other than the header) all look numeric are right-aligned; others left.
  // Columns are separated by two spaces; a dashed rule follows the header. Ends with '\n'.
  std::string Render() const;
  // The same table in GitHub-flavoured Markdown: "| a | b |", a "|---|---:|" rule (numeric
  // columns right-aligned as in Render), '|' in cells escaped as "\|". Ends with '\n'.
  std::string RenderMarkdown() const;

 private:
  // Per column: whether every cell below the header looks numeric (and there are rows).
  std::vector<bool> RightAligned() const;
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "12.3 ms", "1.24 s", "850 us", "2 min 5 s".
std::string FormatSeconds(double seconds);
// "512 B", "12.5 KiB", "3.20 MiB".
std::string FormatBytes(double bytes);
// Fixed-point with `digits` decimals; "inf" for infinity, "-" for NaN.
std::string FormatFixed(double v, int digits);
// "1,234,567".
std::string FormatCount(long long n);

}  // namespace cae
