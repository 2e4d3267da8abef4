// QUANTIZE and DEQUANTIZE as TFLite computes them:
//  - float32 -> int8/uint8/int16: round_half_away(x / scale) + zp, clamped (float division).
//  - int8/uint8/int16 -> int8/uint8/int16: (q - in_zp) times the multiplier of
//    in_scale / out_scale (double), plus out_zp, clamped.
//  - int8/uint8/int16 -> float32: float(double(scale) * (q - zp)); per-channel tensors use
//    (q - zp[c]) * scale[c] in float along the quantized dimension.
//  - float16 -> float32: exact widening.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

bool IsQ(DType t) { return IsQ8(t) || t == DType::kInt16; }

class QuantizeFromFloat : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    CheckSameShape(ctx, In(ctx, 0), Out(ctx, 0));
    Check(Out(ctx, 0).quant && Out(ctx, 0).quant->scale.size() == 1, ctx,
          ": QUANTIZE supports per-tensor output quantization only");
    scale_ = Scale(ctx, Out(ctx, 0));
    zp_ = ZeroPoint(ctx, Out(ctx, 0));
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const int32_t lo = QuantMin(out.type), hi = QuantMax(out.type);
    const float* src = in.as<float>();
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      const float r = std::round(src[i] / scale_);
      // Clamped in float first so that out-of-range values never overflow the conversion.
      const float c = std::isnan(r) ? 0.0f
                                    : std::clamp(r, static_cast<float>(lo - zp_),
                                                 static_cast<float>(hi - zp_));
      StoreQ(out, i, static_cast<int32_t>(c) + zp_);
    }
  }

 private:
  float scale_ = 1;
  int32_t zp_ = 0;
};

class Requantize : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    CheckSameShape(ctx, in, out);
    in_zp_ = ZeroPoint(ctx, in);
    out_zp_ = ZeroPoint(ctx, out);
    m_ = QuantizeMultiplier(static_cast<double>(Scale(ctx, in)) /
                            static_cast<double>(Scale(ctx, out)));
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const int32_t lo = QuantMin(out.type), hi = QuantMax(out.type);
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      const int32_t v = MultiplyByQuantizedMultiplier(LoadQ(in, i) - in_zp_, m_) + out_zp_;
      StoreQ(out, i, std::clamp(v, lo, hi));
    }
  }

 private:
  int32_t in_zp_ = 0, out_zp_ = 0;
  QuantizedMultiplier m_;
};

class DequantizeInt : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    CheckSameShape(ctx, in, Out(ctx, 0));
    Check(in.quant != nullptr && !in.quant->scale.empty(), ctx,
          ": DEQUANTIZE input has no quantization");
    const QuantParams& q = *in.quant;
    per_channel_ = q.scale.size() > 1;
    if (per_channel_) {
      const int axis = q.quantized_dimension;
      Check(axis >= 0 && axis < in.rank() && in.dim(axis) == static_cast<int32_t>(q.scale.size()) &&
                (q.zero_point.empty() || q.zero_point.size() == q.scale.size()),
            ctx, ": per-channel quantization of tensor ", in.tensor_index,
            " does not match its shape ", ShapeToString(in.shape));
      inner_ = 1;
      for (int d = axis + 1; d < in.rank(); ++d) inner_ *= in.dim(d);
      channels_ = in.dim(axis);
    } else {
      scale_ = Scale(ctx, in);
      zp_ = ZeroPoint(ctx, in);
    }
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    float* dst = Out(ctx, 0).as<float>();
    const int64_t n = in.num_elements();
    if (!per_channel_) {
      const double s = scale_;
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s * (LoadQ(in, i) - zp_));
      return;
    }
    const QuantParams& q = *in.quant;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = (i / inner_) % channels_;
      const int32_t zp = q.zero_point.empty() ? 0 : static_cast<int32_t>(q.zero_point[c]);
      dst[i] = static_cast<float>(LoadQ(in, i) - zp) * q.scale[c];
    }
  }

 private:
  bool per_channel_ = false;
  int64_t inner_ = 1, channels_ = 1;
  float scale_ = 1;
  int32_t zp_ = 0;
};

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  uint32_t mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalize
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3FF) << 13;
    }
  } else if (exp == 0x1F) {
    bits = sign | 0x7F800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

class DequantizeHalf : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { CheckSameShape(ctx, In(ctx, 0), Out(ctx, 0)); }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const uint16_t* src = in.as<uint16_t>();
    float* dst = Out(ctx, 0).as<float>();
    for (int64_t i = 0; i < in.num_elements(); ++i) dst[i] = HalfToFloat(src[i]);
  }
};

std::unique_ptr<OpKernel> QuantizeFactory(const KernelContext& ctx) {
  const DType in = InType(ctx, 0), out = OutType(ctx, 0);
  if (!IsQ(out)) return nullptr;
  if (in == DType::kFloat32) return Make<QuantizeFromFloat>();
  if (IsQ(in)) return Make<Requantize>();
  return nullptr;
}

std::unique_ptr<OpKernel> DequantizeFactory(const KernelContext& ctx) {
  const DType in = InType(ctx, 0);
  if (OutType(ctx, 0) != DType::kFloat32) return nullptr;
  if (IsQ(in)) return Make<DequantizeInt>();
  if (in == DType::kFloat16) return Make<DequantizeHalf>();
  return nullptr;
}

}  // namespace

void RegisterQuantize(KernelRegistry& r) {
  r.Register(OpType::QUANTIZE, "ref/quantized/quantize", kRefPriority, QuantizeFactory);
  r.Register(OpType::DEQUANTIZE, "ref/quantized/dequantize", kRefPriority, DequantizeFactory);
}

}  // namespace cae::qref
