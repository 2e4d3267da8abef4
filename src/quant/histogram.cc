#include "quant/histogram.h"

#include <algorithm>
#include <cmath>

#include "graph/error.h"

namespace cae::quant {

Histogram::Histogram(float lo, float hi, int bins) : lo_(lo), hi_(hi) {
  Check(std::isfinite(lo) && std::isfinite(hi) && lo <= hi, "histogram range [", lo, ", ", hi,
        "] is invalid");
  Check(bins >= 1 && bins <= 1 << 20, "histogram bin count ", bins, " out of range");
  if (hi == lo) bins = 1;
  counts_.assign(static_cast<size_t>(bins), 0.0);
  width_ = hi == lo ? 1.0 : (static_cast<double>(hi) - lo) / bins;
}

void Histogram::Add(const float* values, int64_t n) {
  const int last = bins() - 1;
  for (int64_t i = 0; i < n; ++i) {
    const float v = values[i];
    if (std::isnan(v)) continue;
    if (v == 0.0f) zeros_ += 1;
    const double pos = (static_cast<double>(v) - lo_) / width_;
    const int b = pos <= 0 ? 0 : pos >= last ? last : static_cast<int>(pos);
    counts_[static_cast<size_t>(b)] += 1;
    total_ += 1;
  }
}

int Histogram::ZeroBin() const {
  if (lo_ > 0 || hi_ < 0) return -1;
  const double pos = -static_cast<double>(lo_) / width_;
  return std::min(static_cast<int>(pos), bins() - 1);
}

float Histogram::BinLower(int i) const { return static_cast<float>(lo_ + width_ * i); }
float Histogram::BinUpper(int i) const { return i == bins() - 1 ? hi_ : static_cast<float>(lo_ + width_ * (i + 1)); }
float Histogram::BinCenter(int i) const { return static_cast<float>(lo_ + width_ * (i + 0.5)); }

TensorRange PercentileRange(const Histogram& h, double percentile) {
  Check(percentile > 50 && percentile <= 100, "percentile ", percentile, " out of range (50, 100]");
  TensorRange r{h.lo(), h.hi(), true};
  if (h.total() <= 0 || percentile >= 100) return r;
  const double tail = h.total() * (1.0 - percentile / 100.0);
  const auto& c = h.counts();
  if (h.hi() > 0) {
    double acc = 0;
    for (int i = h.bins() - 1; i >= 0; --i) {
      acc += c[static_cast<size_t>(i)];
      if (acc > tail) {
        r.max = std::max(h.BinUpper(i), 0.0f);
        break;
      }
    }
  }
  if (h.lo() < 0) {
    double acc = 0;
    for (int i = 0; i < h.bins(); ++i) {
      acc += c[static_cast<size_t>(i)];
      if (acc > tail) {
        r.min = std::min(h.BinLower(i), 0.0f);
        break;
      }
    }
  }
  return r;
}

double QuantizationMse(const Histogram& h, float a, float b) {
  a = std::min(a, 0.0f);
  b = std::max(b, 0.0f);
  const double scale = b > a ? (static_cast<double>(b) - a) / 255.0 : 1.0;
  const double noise = scale * scale / 12.0;
  double err = 0;
  const auto& c = h.counts();
  const int zero_bin = h.ZeroBin();
  for (int i = 0; i < h.bins(); ++i) {
    const double n = c[static_cast<size_t>(i)] - (i == zero_bin ? h.zeros() : 0.0);
    if (n == 0) continue;
    const double x = h.BinCenter(i);
    if (x > b) {
      err += n * (x - b) * (x - b);
    } else if (x < a) {
      err += n * (x - a) * (x - a);
    } else {
      err += n * noise;
    }
  }
  return h.total() > 0 ? err / h.total() : 0.0;
}

TensorRange MseRange(const Histogram& h) {
  float best_a = std::min(h.lo(), 0.0f), best_b = std::max(h.hi(), 0.0f);
  double best = QuantizationMse(h, best_a, best_b);
  constexpr int kSteps = 256;
  // Shrink the upper end, then the lower end with the best upper end (coordinate search, twice).
  for (int round = 0; round < 2; ++round) {
    const float full_b = std::max(h.hi(), 0.0f);
    for (int k = 1; k <= kSteps; ++k) {
      const float b = full_b * static_cast<float>(k) / kSteps;
      const double e = QuantizationMse(h, best_a, b);
      if (e < best) {
        best = e;
        best_b = b;
      }
    }
    const float full_a = std::min(h.lo(), 0.0f);
    for (int k = 1; k <= kSteps; ++k) {
      const float a = full_a * static_cast<float>(k) / kSteps;
      const double e = QuantizationMse(h, a, best_b);
      if (e < best) {
        best = e;
        best_a = a;
      }
    }
  }
  return {best_a, best_b, true};
}

}  // namespace cae::quant
