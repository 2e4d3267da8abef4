// Value histograms of one tensor over many calibration samples, and the clipping ranges chosen
// from them: percentile (trim the tails) and MSE (minimize the expected int8 quantization error).
#pragma once

#include <cstdint>
#include <vector>

#include "quant/tensor_range.h"

namespace cae::quant {

// Fixed-width bins over [lo, hi] (hi > lo, or one bin when they are equal). Values outside fall
// into the end bins; NaN is ignored.
class Histogram {
 public:
  Histogram(float lo, float hi, int bins);
  void Add(const float* values, int64_t n);

  float lo() const { return lo_; }
  float hi() const { return hi_; }
  int bins() const { return static_cast<int>(counts_.size()); }
  const std::vector<double>& counts() const { return counts_; }
  double total() const { return total_; }
  // Values exactly 0.0 (counted in their bin too): quantization represents them exactly.
  double zeros() const { return zeros_; }
  // The bin 0.0 falls into, or -1 if 0 is outside [lo, hi].
  int ZeroBin() const;
  float BinCenter(int i) const;
  float BinLower(int i) const;
  float BinUpper(int i) const;

 private:
  float lo_, hi_;
  double width_;
  std::vector<double> counts_;
  double total_ = 0;
  double zeros_ = 0;
};

// [q(1 - p), q(p)] for p = percentile / 100 (e.g. 99.99), where q is the histogram's quantile
// (upper edge of the bin reaching the fraction); a bound whose side of the histogram starts at
// or beyond 0 (e.g. ReLU outputs) keeps the observed extreme. Always within [lo, hi].
TensorRange PercentileRange(const Histogram& h, double percentile);

// The range [a, b] within [lo, hi] (0 kept inside) minimizing the expected squared error of
// 8-bit asymmetric quantization of the histogrammed values: clipping error (x - clip)^2 for
// values outside, scale^2 / 12 rounding noise for values inside (none for exact zeros). Searched over candidates that
// shrink the upper and lower ends.
TensorRange MseRange(const Histogram& h);

// Expected squared quantization error of the histogram for range [a, b] (exposed for tests).
double QuantizationMse(const Histogram& h, float a, float b);

}  // namespace cae::quant
