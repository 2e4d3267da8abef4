#include "report/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "data/convert.h"
#include "graph/error.h"
#include "graph/graph.h"

namespace cae {
namespace {

void CheckSameShape(const TensorData& a, const TensorData& b, const char* what) {
  Check(a.shape == b.shape, what, ": shapes differ: ", ShapeToString(a.shape), " vs ", ShapeToString(b.shape));
}

// Applies fn(x, y) to every element pair (as float32).
template <typename Fn>
void ForEachPair(const TensorData& a, const TensorData& b, const char* what, Fn fn) {
  CheckSameShape(a, b, what);
  const TensorData fa = ToFloat32(a), fb = ToFloat32(b);
  const float* x = fa.as<float>();
  const float* y = fb.as<float>();
  const int64_t n = fa.num_elements();
  for (int64_t i = 0; i < n; ++i) fn(x[i], y[i]);
}

std::vector<double> GaussianWindow() {
  std::vector<double> w(11);
  double sum = 0;
  for (int i = 0; i < 11; ++i) {
    const double d = i - 5;
    w[i] = std::exp(-d * d / (2 * 1.5 * 1.5));
    sum += w[i];
  }
  for (double& v : w) v /= sum;
  return w;
}

// Valid separable filtering of one HxW plane (stride `stride` between pixels) with w.
void FilterValid(const std::vector<double>& in, int h, int wd, const std::vector<double>& w, std::vector<double>* out) {
  const int k = static_cast<int>(w.size());
  const int oh = h - k + 1, ow = wd - k + 1;
  std::vector<double> tmp(static_cast<size_t>(h) * ow);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < ow; ++x) {
      double s = 0;
      for (int i = 0; i < k; ++i) s += w[i] * in[static_cast<size_t>(y) * wd + x + i];
      tmp[static_cast<size_t>(y) * ow + x] = s;
    }
  out->assign(static_cast<size_t>(oh) * ow, 0.0);
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      double s = 0;
      for (int i = 0; i < k; ++i) s += w[i] * tmp[static_cast<size_t>(y + i) * ow + x];
      (*out)[static_cast<size_t>(y) * ow + x] = s;
    }
}

}  // namespace

double MeanAbsError(const TensorData& a, const TensorData& b) {
  double sum = 0;
  int64_t n = 0;
  ForEachPair(a, b, "MAE", [&](float x, float y) { sum += std::fabs(static_cast<double>(x) - y); ++n; });
  return n ? sum / n : 0.0;
}

double MeanSquaredError(const TensorData& a, const TensorData& b) {
  double sum = 0;
  int64_t n = 0;
  ForEachPair(a, b, "MSE", [&](float x, float y) {
    const double d = static_cast<double>(x) - y;
    sum += d * d;
    ++n;
  });
  return n ? sum / n : 0.0;
}

double MaxAbsDiff(const TensorData& a, const TensorData& b) {
  double m = 0;
  ForEachPair(a, b, "max abs diff", [&](float x, float y) { m = std::max(m, std::fabs(static_cast<double>(x) - y)); });
  return m;
}

double PsnrFromMse(double mse) {
  if (mse <= 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(1.0 / mse);
}

std::optional<double> MeanSsim(const TensorData& a, const TensorData& b) {
  CheckSameShape(a, b, "SSIM");
  if (a.shape.size() != 4 || a.shape[1] < 11 || a.shape[2] < 11 || a.shape[0] < 1 || a.shape[3] < 1) return std::nullopt;
  const TensorData fa = ToFloat32(a), fb = ToFloat32(b);
  const int n = a.shape[0], h = a.shape[1], w = a.shape[2], c = a.shape[3];
  const std::vector<double> win = GaussianWindow();
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  const size_t plane = static_cast<size_t>(h) * w;
  std::vector<double> x(plane), y(plane), xx(plane), yy(plane), xy(plane);
  std::vector<double> mx, my, sxx, syy, sxy;
  double total = 0;
  for (int img = 0; img < n; ++img) {
    for (int ch = 0; ch < c; ++ch) {
      const float* pa = fa.as<float>() + static_cast<size_t>(img) * plane * c;
      const float* pb = fb.as<float>() + static_cast<size_t>(img) * plane * c;
      for (size_t p = 0; p < plane; ++p) {
        x[p] = pa[p * c + ch];
        y[p] = pb[p * c + ch];
        xx[p] = x[p] * x[p];
        yy[p] = y[p] * y[p];
        xy[p] = x[p] * y[p];
      }
      FilterValid(x, h, w, win, &mx);
      FilterValid(y, h, w, win, &my);
      FilterValid(xx, h, w, win, &sxx);
      FilterValid(yy, h, w, win, &syy);
      FilterValid(xy, h, w, win, &sxy);
      double sum = 0;
      for (size_t p = 0; p < mx.size(); ++p) {
        const double vx = sxx[p] - mx[p] * mx[p];
        const double vy = syy[p] - my[p] * my[p];
        const double cov = sxy[p] - mx[p] * my[p];
        sum += ((2 * mx[p] * my[p] + c1) * (2 * cov + c2)) /
               ((mx[p] * mx[p] + my[p] * my[p] + c1) * (vx + vy + c2));
      }
      total += sum / static_cast<double>(mx.size());
    }
  }
  return total / (static_cast<double>(n) * c);
}

ReconstructionMetrics CompareReconstruction(const TensorData& reconstruction, const TensorData& original) {
  ReconstructionMetrics m;
  m.mae = MeanAbsError(reconstruction, original);
  m.mse = MeanSquaredError(reconstruction, original);
  m.psnr = PsnrFromMse(m.mse);
  m.ssim = MeanSsim(reconstruction, original);
  return m;
}

}  // namespace cae
