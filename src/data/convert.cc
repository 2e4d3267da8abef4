#include "data/convert.h"

#include <cmath>
#include <cstring>

#include "graph/error.h"

namespace cae {

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h >> 15) << 31;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: normalize
    exp = 113;
    while ((mant & 0x400) == 0) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

namespace {
template <typename T>
void Convert(const TensorData& in, float* out) {
  const int64_t n = in.num_elements();
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, in.bytes.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}
}  // namespace

int64_t FirstNonFinite(const TensorData& t) {
  const int64_t n = t.num_elements();
  switch (t.type) {
    case DType::kFloat32:
      for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(t.as<float>()[i])) return i;
      return -1;
    case DType::kFloat64:
      for (int64_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, t.bytes.data() + 8 * i, 8);
        if (!std::isfinite(v)) return i;
      }
      return -1;
    case DType::kFloat16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.bytes.data() + 2 * i, 2);
        if ((h & 0x7c00) == 0x7c00) return i;
      }
      return -1;
    default: return -1;
  }
}

TensorData ToFloat32(const TensorData& t) {
  if (t.type == DType::kFloat32) return t;
  TensorData out(DType::kFloat32, t.shape);
  float* o = out.as<float>();
  switch (t.type) {
    case DType::kFloat16: {
      const int64_t n = t.num_elements();
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.bytes.data() + 2 * i, 2);
        o[i] = HalfToFloat(h);
      }
      break;
    }
    case DType::kFloat64: Convert<double>(t, o); break;
    case DType::kInt8: Convert<int8_t>(t, o); break;
    case DType::kUInt8: Convert<uint8_t>(t, o); break;
    case DType::kBool: Convert<uint8_t>(t, o); break;
    case DType::kInt16: Convert<int16_t>(t, o); break;
    case DType::kInt32: Convert<int32_t>(t, o); break;
    case DType::kInt64: Convert<int64_t>(t, o); break;
    default: Fail("cannot convert ", DTypeName(t.type), " data to float32");
  }
  return out;
}

}  // namespace cae
