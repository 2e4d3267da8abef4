#include "quant/weight_search.h"

#include <algorithm>
#include <cmath>

#include "graph/error.h"
#include "quant/quant_math.h"

namespace cae::quant {

std::vector<int8_t> QuantizeSymmetricSearched(const std::vector<float>& values,
                                              const std::vector<int32_t>& shape, int axis,
                                              QuantParams* params, int steps) {
  Check(steps >= 1 && steps <= 100000, "weight scale search: steps ", steps, " not in [1, 100000]");
  // The plain max|w| quantization validates the input and gives the slice layout and scales.
  std::vector<int8_t> q = QuantizeSymmetric(values, shape, axis, params);
  const size_t channels = params->scale.size();
  int64_t inner = 1;
  if (axis >= 0) {
    for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  }
  std::vector<std::vector<size_t>> members(channels);
  for (size_t i = 0; i < values.size(); ++i) {
    members[axis < 0 ? 0 : static_cast<size_t>((static_cast<int64_t>(i) / inner) % static_cast<int64_t>(channels))]
        .push_back(i);
  }
  const auto error = [&](const std::vector<size_t>& idx, double s) {
    double e = 0;
    for (size_t i : idx) {
      const double r = std::clamp(std::round(values[i] / s), -127.0, 127.0) * s - values[i];
      e += r * r;
    }
    return e;
  };
  for (size_t c = 0; c < channels; ++c) {
    float absmax = 0;
    for (size_t i : members[c]) absmax = std::max(absmax, std::fabs(values[i]));
    if (absmax <= 0) continue;
    double best_s = static_cast<double>(params->scale[c]);
    double best_e = error(members[c], best_s);
    for (int k = 1; k <= steps; ++k) {
      const double s = absmax * (1.0 - 0.5 * k / steps) / 127.0;
      const double e = error(members[c], static_cast<float>(s));
      if (e < best_e) {
        best_e = e;
        best_s = s;
      }
    }
    const float s = static_cast<float>(best_s);
    params->scale[c] = s;
    for (size_t i : members[c]) q[i] = static_cast<int8_t>(std::clamp(std::round(values[i] / s), -127.0f, 127.0f));
  }
  return q;
}

}  // namespace cae::quant
