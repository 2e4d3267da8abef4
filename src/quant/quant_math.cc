#include "quant/quant_math.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "graph/error.h"
#include "graph/shape.h"

namespace cae::quant {

QuantParams ChooseAsymmetric(float min, float max, int qmin, int qmax) {
  Check(std::isfinite(min) && std::isfinite(max), "quantization range [", min, ", ", max,
        "] is not finite");
  Check(min <= max, "quantization range [", min, ", ", max, "] is empty");
  min = std::min(min, 0.0f);
  max = std::max(max, 0.0f);
  double scale = (static_cast<double>(max) - min) / (qmax - qmin);
  if (!(scale > 0) || static_cast<float>(scale) < std::numeric_limits<float>::min()) scale = 1.0;
  const float fscale = static_cast<float>(scale);
  const double zp_from_min = qmin - static_cast<double>(min) / fscale;
  int64_t zp;
  if (zp_from_min <= qmin) {
    zp = qmin;
  } else if (zp_from_min >= qmax) {
    zp = qmax;
  } else {
    zp = static_cast<int64_t>(std::round(zp_from_min));
  }
  QuantParams p;
  p.scale = {fscale};
  p.zero_point = {zp};
  p.min = {min};
  p.max = {max};
  return p;
}

QuantParams ChooseActivationParams(float min, float max, DType type) {
  if (type == DType::kUInt8) return ChooseAsymmetric(min, max, 0, 255);
  Check(type == DType::kInt8, "activation type ", DTypeName(type), " is not int8 or uint8");
  return ChooseAsymmetric(min, max, -128, 127);
}

QuantParams ToUint8Params(const QuantParams& p) {
  QuantParams u = p;
  for (auto& z : u.zero_point) z += 128;
  return u;
}

std::vector<int8_t> QuantizeSymmetric(const std::vector<float>& values,
                                      const std::vector<int32_t>& shape, int axis,
                                      QuantParams* params) {
  Check(static_cast<int64_t>(values.size()) == NumElements(shape), "weights of shape ",
        ShapeToString(shape), " hold ", values.size(), " values");
  Check(axis < static_cast<int>(shape.size()), "quantization axis ", axis, " out of range for shape ",
        ShapeToString(shape));
  const int64_t channels = axis < 0 ? 1 : shape[axis];
  int64_t inner = 1;
  if (axis >= 0) {
    for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  }
  const auto channel_of = [&](size_t i) {
    return axis < 0 ? 0 : static_cast<int64_t>((static_cast<int64_t>(i) / inner) % channels);
  };
  std::vector<float> absmax(static_cast<size_t>(std::max<int64_t>(channels, 1)), 0.0f);
  for (size_t i = 0; i < values.size(); ++i) {
    Check(std::isfinite(values[i]), "weight value ", i, " is not finite");
    float& m = absmax[channel_of(i)];
    m = std::max(m, std::fabs(values[i]));
  }
  params->scale.assign(absmax.size(), 1.0f);
  params->zero_point.assign(absmax.size(), 0);
  params->quantized_dimension = std::max(axis, 0);
  params->min.clear();
  params->max.clear();
  for (size_t c = 0; c < absmax.size(); ++c) {
    if (absmax[c] > 0) params->scale[c] = absmax[c] / 127.0f;
  }
  std::vector<int8_t> q(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const float r = std::round(values[i] / params->scale[channel_of(i)]);
    q[i] = static_cast<int8_t>(std::clamp(r, -127.0f, 127.0f));
  }
  return q;
}

std::vector<int32_t> QuantizeBias(const std::vector<float>& bias, float input_scale,
                                  const std::vector<float>& weight_scales, QuantParams* params) {
  Check(weight_scales.size() == 1 || weight_scales.size() == bias.size(), "bias of ", bias.size(),
        " values with ", weight_scales.size(), " weight scales");
  params->scale.resize(weight_scales.size());
  params->zero_point.assign(weight_scales.size(), 0);
  params->quantized_dimension = 0;
  for (size_t c = 0; c < weight_scales.size(); ++c) params->scale[c] = input_scale * weight_scales[c];
  std::vector<int32_t> q(bias.size());
  for (size_t c = 0; c < bias.size(); ++c) {
    Check(std::isfinite(bias[c]), "bias value ", c, " is not finite");
    const double s = params->scale[weight_scales.size() == 1 ? 0 : c];
    const double r = std::round(static_cast<double>(bias[c]) / s);
    q[c] = static_cast<int32_t>(std::clamp(r, -2147483647.0, 2147483647.0));
  }
  return q;
}

std::vector<int8_t> QuantizeInt8(const std::vector<float>& values, const QuantParams& params) {
  Check(params.scale.size() == 1 && params.zero_point.size() == 1, "per-tensor parameters expected");
  std::vector<int8_t> q(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double r = std::round(static_cast<double>(values[i]) / params.scale[0]) + params.zero_point[0];
    q[i] = static_cast<int8_t>(std::clamp(r, -128.0, 127.0));
  }
  return q;
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t exp = (x >> 23) & 0xffu;
  uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0u));  // inf/NaN
  const int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow
  if (e <= 0) {
    // Subnormal half (or zero): shift the full mantissa, rounding to nearest even.
    if (e < -10) return sign;
    mant |= 0x800000u;
    const int shift = 14 - e;
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // may carry into the exponent: correct
  return static_cast<uint16_t>(sign | h);
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  uint32_t x;
  if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else {
      // Subnormal: value = mant * 2^-24.
      const float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
      std::memcpy(&x, &v, 4);
      x |= sign;
    }
  } else if (exp == 0x1f) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

}  // namespace cae::quant
