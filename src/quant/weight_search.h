// Per-channel weight scale search for int8 weights (used by the percentile and mse calibration methods).
//
// Contract: same layout, output and parameters as QuantizeSymmetric (quant_math.h): symmetric
// int8 in [-127, 127], zero point 0, one scale per slice along `axis` (or one when axis < 0), an
// all-zero slice gets scale 1. Instead of max|w| / 127, each slice's scale is the candidate
// max|w| * f / 127, f in {1, 1 - 1/steps, ..., 0.5}, minimizing the slice's squared weight
// quantization error sum (clamp(round(w / s), -127, 127) * s - w)^2 (ties keep the larger
// scale, so f = 1 wins when clipping never helps). Throws cae::Error as QuantizeSymmetric does.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace cae::quant {

std::vector<int8_t> QuantizeSymmetricSearched(const std::vector<float>& values,
                                              const std::vector<int32_t>& shape, int axis,
                                              QuantParams* params, int steps = 100);

}  // namespace cae::quant
