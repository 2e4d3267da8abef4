// JSON forms of report values (nlohmann::json), with non-finite numbers made explicit:
// +inf becomes the string "inf", NaN becomes null (JSON has neither).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "report/metrics.h"

namespace cae {

nlohmann::json JsonNumber(double v);
nlohmann::json JsonNumber(const std::optional<double>& v);
// {"mae":..., "mse":..., "psnr":..., "ssim":...}
nlohmann::json ToJson(const ReconstructionMetrics& m);

}  // namespace cae
