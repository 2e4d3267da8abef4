#include "report/json_util.h"

#include <cmath>

namespace cae {

nlohmann::json JsonNumber(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

nlohmann::json JsonNumber(const std::optional<double>& v) { return v ? JsonNumber(*v) : nlohmann::json(nullptr); }

nlohmann::json ToJson(const ReconstructionMetrics& m) {
  return {{"mae", JsonNumber(m.mae)}, {"mse", JsonNumber(m.mse)}, {"psnr", JsonNumber(m.psnr)}, {"ssim", JsonNumber(m.ssim)}};
}

}  // namespace cae
