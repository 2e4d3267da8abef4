// Test helpers of the trainer's suites: random values, the finite-difference gradient check of
// every trainable param, and a chain model builder.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "keras/keras_builders.h"
#include "kernels/parallel.h"
#include "train/layer.h"
#include "train/net.h"

namespace cae::train {

inline std::vector<float> RandomValues(size_t n, uint64_t seed, float lo = -1.0f,
                                       float hi = 1.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * UnitFloat(Mix(seed, i, 7));
  return v;
}

// L = sum(output * r) + the Net's regularization penalties: dL/doutput = r.
inline double Objective(Net& net, const RunContext& ctx, const std::vector<float>& x, int n,
                 const std::vector<float>& r) {
  net.Forward(ctx, x.data(), n);
  double l = net.RegularizationLoss();
  for (size_t i = 0; i < r.size(); ++i) l += static_cast<double>(net.output()[i]) * r[i];
  return l;
}

// Every trainable param element's analytic gradient against central differences, with the
// EXPECTs; returns the number of mismatches.
inline int CheckGradients(const KerasModel& km, int n, bool training, ThreadPool* pool = nullptr,
                   float h = 1e-4f) {
  Net net(km, 42);
  RunContext ctx{pool, training, 1234};
  const std::vector<float> x = RandomValues(static_cast<size_t>(n * net.input_dims().size()), 1);
  net.Forward(ctx, x.data(), n);
  const std::vector<float> r = RandomValues(net.output().size(), 2);
  net.Backward(ctx, r);
  int checked = 0, bad = 0;
  std::string first_bad;
  for (Layer* layer : net.layers()) {
    for (Param& p : layer->params) {
      if (!p.trainable) continue;
      const std::vector<float> analytic = p.grad;
      for (size_t i = 0; i < p.value.size(); ++i) {
        const float saved = p.value[i];
        p.value[i] = saved + h;
        const double up = Objective(net, ctx, x, n, r);
        p.value[i] = saved - h;
        const double down = Objective(net, ctx, x, n, r);
        p.value[i] = saved;
        const double numeric = (up - down) / (2.0 * h);
        const double tol = 2e-2 * std::max(1.0, std::abs(numeric)) + 2e-3;
        ++checked;
        if (std::abs(numeric - analytic[i]) > tol) {
          if (bad++ == 0)
            first_bad = layer->name + "/" + p.keras_name + "[" + std::to_string(i) + "]: numeric " +
                        std::to_string(numeric) + " analytic " + std::to_string(analytic[i]);
        }
      }
    }
  }
  EXPECT_GT(checked, 0);
  // ReLU/max kinks may flip under a perturbation: allow a tiny fraction of mismatches.
  EXPECT_LE(bad, checked / 100) << bad << " of " << checked << " mismatched; first " << first_bad;
  return bad;
}

// input (h, w, c) or (d) -> 1x1 conv / dense (linear) -> layers...
inline KerasModel Chain(std::vector<int> shape,
                        const std::vector<std::pair<std::string, nlohmann::json>>& layers) {
  KerasModelBuilder b("test");
  std::string x = b.Input(shape);
  if (shape.size() == 3)
    x = b.Add("Conv2D", Conv2DConfig(shape[2], 1, "linear"), {x}, "pre");
  else
    x = b.Add("Dense", DenseConfig(shape[0], "linear"), {x}, "pre");
  for (const auto& [cls, cfg] : layers) x = b.Add(cls, cfg, {x});
  return b.Finish(x);
}

}  // namespace cae::train
