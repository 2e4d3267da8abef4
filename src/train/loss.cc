#include "train/loss.h"

#include <algorithm>
#include <cmath>

#include "graph/error.h"

namespace cae::train {

Loss ParseLoss(const std::string& name) {
  if (name == "mse" || name == "mean_squared_error") return Loss::kMse;
  if (name == "bce" || name == "binary_crossentropy") return Loss::kBce;
  if (name == "cce" || name == "categorical_crossentropy") return Loss::kCce;
  Fail("unknown loss '", name, "' (mse, bce, cce)");
}

const char* KerasLossName(Loss loss) {
  switch (loss) {
    case Loss::kMse: return "mean_squared_error";
    case Loss::kBce: return "binary_crossentropy";
    case Loss::kCce: return "categorical_crossentropy";
  }
  return "";
}

double LossSum(Loss loss, const float* y, const float* t, const Dims& d, int n,
               std::vector<float>* grad) {
  const int64_t size = d.size(), P = d.pixels(), count = n * size;
  if (grad != nullptr) grad->assign(static_cast<size_t>(count), 0.0f);
  constexpr float kEps = 1e-7f;
  double total = 0.0;
  switch (loss) {
    case Loss::kMse: {
      const float scale = 2.0f / static_cast<float>(count);
      for (int64_t i = 0; i < count; ++i) {
        const float e = y[i] - t[i];
        total += static_cast<double>(e) * e;
        if (grad != nullptr) (*grad)[i] = scale * e;
      }
      return total / static_cast<double>(size);
    }
    case Loss::kBce: {
      const float scale = 1.0f / static_cast<float>(count);
      for (int64_t i = 0; i < count; ++i) {
        const float p = std::clamp(y[i], kEps, 1.0f - kEps);
        total -= t[i] * std::log(static_cast<double>(p)) +
                 (1.0 - t[i]) * std::log(1.0 - static_cast<double>(p));
        if (grad != nullptr && y[i] == p) (*grad)[i] = scale * (p - t[i]) / (p * (1.0f - p));
      }
      return total / static_cast<double>(size);
    }
    case Loss::kCce: {
      const float scale = 1.0f / static_cast<float>(n * P);
      for (int64_t i = 0; i < count; ++i) {
        const float p = std::clamp(y[i], kEps, 1.0f - kEps);
        total -= t[i] * std::log(static_cast<double>(p));
        if (grad != nullptr && y[i] == p) (*grad)[i] = -scale * t[i] / p;
      }
      return total / static_cast<double>(P);
    }
  }
  return total;
}

}  // namespace cae::train
