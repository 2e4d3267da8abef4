#include "report/table.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace cae {
namespace {

bool LooksNumeric(const std::string& s) {
  if (s.empty() || s == "-") return true;
  const unsigned char c = static_cast<unsigned char>(s[0]);
  if (std::isdigit(c) || s == "inf" || s == "-inf") return true;
  // A sign or a point must be followed by a digit ("-0.5", ".25"), so "../x" stays text.
  const size_t i = (c == '-' || c == '+') ? 1 : 0;
  if (i < s.size() && s[i] == '.') return i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]));
  return i == 1 && s.size() > 1 && std::isdigit(static_cast<unsigned char>(s[1]));
}

}  // namespace

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::vector<bool> Table::RightAligned() const {
  std::vector<bool> right(headers_.size(), !rows_.empty());
  for (size_t c = 0; c < headers_.size(); ++c)
    for (const auto& r : rows_)
      if (!LooksNumeric(r[c])) right[c] = false;
  return right;
}

std::string Table::Render() const {
  const size_t cols = headers_.size();
  std::vector<size_t> width(cols);
  const std::vector<bool> right = RightAligned();
  for (size_t c = 0; c < cols; ++c) {
    width[c] = headers_[c].size();
    for (const auto& r : rows_) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cols; ++c) {
      const std::string pad(width[c] - cells[c].size(), ' ');
      if (c) out += "  ";
      out += right[c] ? pad + cells[c] : cells[c] + (c + 1 < cols ? pad : "");
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers_);
  size_t total = 0;
  for (size_t c = 0; c < cols; ++c) total += width[c] + (c ? 2 : 0);
  out += std::string(total, '-') + "\n";
  for (const auto& r : rows_) out += line(r);
  return out;
}

std::string Table::RenderMarkdown() const {
  auto line = [](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (const std::string& cell : cells) {
      out += ' ';
      for (char ch : cell) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
      out += " |";
    }
    return out + "\n";
  };
  std::string out = line(headers_) + "|";
  for (bool r : RightAligned()) out += r ? "---:|" : "---|";
  out += "\n";
  for (const auto& r : rows_) out += line(r);
  return out;
}

std::string FormatSeconds(double s) {
  char buf[64];
  if (std::isnan(s)) return "-";
  if (s < 1e-3) std::snprintf(buf, sizeof buf, "%.0f us", s * 1e6);
  else if (s < 1) std::snprintf(buf, sizeof buf, "%.3g ms", s * 1e3);
  else if (s < 120) std::snprintf(buf, sizeof buf, "%.3g s", s);
  else std::snprintf(buf, sizeof buf, "%d min %d s", static_cast<int>(s / 60), static_cast<int>(std::fmod(s, 60)));
  return buf;
}

std::string FormatBytes(double b) {
  char buf[64];
  if (b < 1024) std::snprintf(buf, sizeof buf, "%.0f B", b);
  else if (b < 1024.0 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024);
  else if (b < 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1024.0 * 1024));
  else std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  return buf;
}

std::string FormatFixed(double v, int digits) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string FormatCount(long long n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace cae
