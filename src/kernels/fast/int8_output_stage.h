// The int8 convolution output stage TFLite's int8 CONV_2D uses (ruy: one rounding): per output
// channel multiplier, output zero point, activation clamp. Shared by the fast int8 kernels.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/quant_math.h"

namespace cae::fast {

struct Int8OutputStage {
  const QuantizedMultiplier* mult = nullptr;  // per output channel
  int32_t output_offset = 0, act_min = 0, act_max = 0;
  int8_t Apply(int32_t acc, int oc) const {
    const int32_t v = MultiplyByQuantizedMultiplierSingleRounding(acc, mult[oc]) + output_offset;
    return static_cast<int8_t>(std::clamp(v, act_min, act_max));
  }
};

}  // namespace cae::fast
