// Fast QUANTIZE (float32 -> int8/uint8 and int8/uint8 -> int8/uint8, per-tensor) and DEQUANTIZE
// (int8/uint8 -> float32, per-tensor), one Highway vector at a time (dynamic dispatch: AVX-512,
// AVX2, SSE4, NEON, the portable EMU128 fallback...), elements spread over the ThreadPool.
// Identical to kernels/ref/quantized/quantize.cc:
//  - QUANTIZE: round half away from zero of the float quotient x / scale (the same IEEE
//    division), NaN -> 0, clamped in float to [qmin - zp, qmax - zp], then + zp;
//  - requantizing QUANTIZE: MultiplyByQuantizedMultiplier(q - in_zp, in_scale / out_scale) + zp,
//    clamped (requantize_hwy-inl.h);
//  - DEQUANTIZE: float(double(scale) * (q - zp)), the product in double as the reference does.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/quant_quantize.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "kernels/fast/fast_kernels.h"
#include "kernels/fast/requantize_hwy-inl.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"
#include "kernels/ref/quantized/qutil.h"

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Runs body(i, src, dst) for every full vector of `lanes` elements of [0, n) and once more on a
// zero-padded copy of the tail, whose results are copied back.
template <typename S, typename T, class Body>
HWY_INLINE void ForEachVector(const S* src, int64_t n, size_t lanes, T* dst, const Body& body) {
  int64_t i = 0;
  for (; i + static_cast<int64_t>(lanes) <= n; i += static_cast<int64_t>(lanes))
    body(src + i, dst + i);
  if (i >= n) return;
  HWY_ALIGN S in_tail[64] = {};
  HWY_ALIGN T out_tail[64];
  const auto rest = static_cast<size_t>(n - i);
  std::memcpy(in_tail, src + i, rest * sizeof(S));
  body(in_tail, out_tail);
  std::memcpy(dst + i, out_tail, rest * sizeof(T));
}

// n floats -> 8-bit values of type T; lo/hi are qmin - zp and qmax - zp.
template <typename T>
void QuantizeSpanT(const float* src, int64_t n, float scale, float lo, float hi, int32_t zp,
                   T* dst) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<T, decltype(df)> dq;
  // Lambdas see only scalars (no vector captures, which SVE forbids); Set is hoisted.
  ForEachVector(src, n, hn::Lanes(df), dst, [&](const float* s, T* d) {
    const auto vs = hn::Set(df, scale), vlo = hn::Set(df, lo), vhi = hn::Set(df, hi);
    const auto half = hn::Set(df, 0.5f), one = hn::Set(df, 1.0f);
    const auto vzp = hn::Set(di, zp);
    const auto v = hn::Div(hn::LoadU(df, s), vs);
    // Half away from zero: truncate, then step away from zero when the dropped part is >= 0.5.
    const auto t = hn::Trunc(v);
    const auto frac = hn::Abs(hn::Sub(v, t));
    auto r = hn::IfThenElse(hn::Ge(frac, half), hn::Add(t, hn::CopySign(one, v)), t);
    r = hn::IfThenZeroElse(hn::IsNaN(v), r);
    r = hn::Min(hn::Max(r, vlo), vhi);
    const auto q = hn::Add(hn::ConvertTo(di, r), vzp);
    hn::StoreU(rq::NarrowClamped<T>(di, q), dq, d);
  });
}

void QuantizeSpanI8(const float* src, int64_t n, float scale, float lo, float hi, int32_t zp,
                    int8_t* dst) {
  QuantizeSpanT(src, n, scale, lo, hi, zp, dst);
}
void QuantizeSpanU8(const float* src, int64_t n, float scale, float lo, float hi, int32_t zp,
                    uint8_t* dst) {
  QuantizeSpanT(src, n, scale, lo, hi, zp, dst);
}

// n 8-bit values -> n 8-bit values: MultiplyByQuantizedMultiplier(q - in_zp, m) + out_zp, clamped.
template <typename TIn, typename TOut>
void RequantizeSpanT(const TIn* src, int64_t n, int32_t in_zp, QuantizedMultiplier m,
                     int32_t out_zp, int32_t lo, int32_t hi, TOut* dst) {
  using D = hn::ScalableTag<int32_t>;
  const D d;
  const hn::Rebind<TIn, D> din;
  const hn::Rebind<TOut, D> dout;
  const rq::UniformStage stage = rq::MakeUniformStage(m, out_zp, lo, hi);
  ForEachVector(src, n, hn::Lanes(d), dst, [&](const TIn* s, TOut* o) {
    const auto q = hn::Sub(hn::PromoteTo(d, hn::LoadU(din, s)), hn::Set(d, in_zp));
    hn::StoreU(rq::NarrowClamped<TOut>(d, rq::ApplyUniformStage(d, q, stage)), dout, o);
  });
}

// in/out signedness as the two template bits: 0 = uint8, 1 = int8.
void RequantizeSpan(bool in_signed, bool out_signed, const void* src, int64_t n, int32_t in_zp,
                    QuantizedMultiplier m, int32_t out_zp, int32_t lo, int32_t hi, void* dst) {
  const auto* su = static_cast<const uint8_t*>(src);
  const auto* ss = static_cast<const int8_t*>(src);
  auto* du = static_cast<uint8_t*>(dst);
  auto* ds = static_cast<int8_t*>(dst);
  if (in_signed && out_signed) RequantizeSpanT(ss, n, in_zp, m, out_zp, lo, hi, ds);
  if (in_signed && !out_signed) RequantizeSpanT(ss, n, in_zp, m, out_zp, lo, hi, du);
  if (!in_signed && out_signed) RequantizeSpanT(su, n, in_zp, m, out_zp, lo, hi, ds);
  if (!in_signed && !out_signed) RequantizeSpanT(su, n, in_zp, m, out_zp, lo, hi, du);
}

// n 8-bit values -> floats, float(double(scale) * (q - zp)).
template <typename T>
void DequantizeSpanT(const T* src, int64_t n, double scale, int32_t zp, float* dst) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<int32_t, decltype(dd)> di;
  const hn::Rebind<T, decltype(dd)> dq;
  const hn::Rebind<float, decltype(dd)> df;
  ForEachVector(src, n, hn::Lanes(dd), dst, [&](const T* s, float* o) {
    const auto q = hn::Sub(hn::PromoteTo(di, hn::LoadU(dq, s)), hn::Set(di, zp));
    hn::StoreU(hn::DemoteTo(df, hn::Mul(hn::PromoteTo(dd, q), hn::Set(dd, scale))), df, o);
  });
}

void DequantizeSpan(bool is_signed, const void* src, int64_t n, double scale, int32_t zp,
                    float* dst) {
  if (is_signed) {
    DequantizeSpanT(static_cast<const int8_t*>(src), n, scale, zp, dst);
  } else {
    DequantizeSpanT(static_cast<const uint8_t*>(src), n, scale, zp, dst);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(QuantizeSpanI8);
HWY_EXPORT(QuantizeSpanU8);
HWY_EXPORT(RequantizeSpan);
HWY_EXPORT(DequantizeSpan);

namespace {

using qref::In;
using qref::Out;

constexpr int64_t kMinChunk = 1 << 14;

class FastQuantize : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    qref::CheckSameShape(ctx, In(ctx, 0), Out(ctx, 0));
    const TensorView& out = Out(ctx, 0);
    scale_ = qref::Scale(ctx, out);
    zp_ = qref::ZeroPoint(ctx, out);
    lo_ = static_cast<float>(QuantMin(out.type) - zp_);
    hi_ = static_cast<float>(QuantMax(out.type) - zp_);
    signed_ = out.type == DType::kInt8;
  }
  void Eval(const KernelContext& ctx) override {
    const float* src = In(ctx, 0).as<float>();
    void* dst = Out(ctx, 0).data;
    ParallelFor(ctx.pool, In(ctx, 0).num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      if (signed_) {
        HWY_DYNAMIC_DISPATCH(QuantizeSpanI8)(src + b, e - b, scale_, lo_, hi_, zp_,
                                             static_cast<int8_t*>(dst) + b);
      } else {
        HWY_DYNAMIC_DISPATCH(QuantizeSpanU8)(src + b, e - b, scale_, lo_, hi_, zp_,
                                             static_cast<uint8_t*>(dst) + b);
      }
    });
  }

 private:
  float scale_ = 1, lo_ = 0, hi_ = 0;
  int32_t zp_ = 0;
  bool signed_ = false;
};

class FastRequantize : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& out = Out(ctx, 0);
    qref::CheckSameShape(ctx, in, out);
    in_zp_ = qref::ZeroPoint(ctx, in);
    out_zp_ = qref::ZeroPoint(ctx, out);
    m_ = QuantizeMultiplier(static_cast<double>(qref::Scale(ctx, in)) /
                            static_cast<double>(qref::Scale(ctx, out)));
    lo_ = QuantMin(out.type);
    hi_ = QuantMax(out.type);
    in_signed_ = in.type == DType::kInt8;
    out_signed_ = out.type == DType::kInt8;
  }
  void Eval(const KernelContext& ctx) override {
    const auto* src = static_cast<const uint8_t*>(In(ctx, 0).data);
    auto* dst = static_cast<uint8_t*>(Out(ctx, 0).data);
    ParallelFor(ctx.pool, In(ctx, 0).num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      HWY_DYNAMIC_DISPATCH(RequantizeSpan)(in_signed_, out_signed_, src + b, e - b, in_zp_, m_,
                                           out_zp_, lo_, hi_, dst + b);
    });
  }

 private:
  int32_t in_zp_ = 0, out_zp_ = 0, lo_ = 0, hi_ = 0;
  QuantizedMultiplier m_;
  bool in_signed_ = false, out_signed_ = false;
};

class FastDequantize : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    qref::CheckSameShape(ctx, In(ctx, 0), Out(ctx, 0));
    scale_ = qref::Scale(ctx, In(ctx, 0));
    zp_ = qref::ZeroPoint(ctx, In(ctx, 0));
    signed_ = In(ctx, 0).type == DType::kInt8;
  }
  void Eval(const KernelContext& ctx) override {
    const auto* src = static_cast<const uint8_t*>(In(ctx, 0).data);
    float* dst = Out(ctx, 0).as<float>();
    ParallelFor(ctx.pool, In(ctx, 0).num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      HWY_DYNAMIC_DISPATCH(DequantizeSpan)(signed_, src + b, e - b, scale_, zp_, dst + b);
    });
  }

 private:
  double scale_ = 1;
  int32_t zp_ = 0;
  bool signed_ = false;
};

bool PerTensor(const TensorView* t) {
  return t != nullptr && t->quant != nullptr && t->quant->scale.size() == 1;
}

std::unique_ptr<OpKernel> CreateQuantize(const KernelContext& ctx) {
  if (!qref::IsQ8(qref::OutType(ctx, 0)) || !PerTensor(ctx.outputs[0])) return nullptr;
  if (qref::InType(ctx, 0) == DType::kFloat32) return std::make_unique<FastQuantize>();
  if (!qref::IsQ8(qref::InType(ctx, 0)) || !PerTensor(ctx.inputs[0])) return nullptr;
  // 8-bit -> 8-bit: scales must give a multiplier QuantizeMultiplier accepts (< 2^31).
  const float si = ctx.inputs[0]->quant->scale[0], so = ctx.outputs[0]->quant->scale[0];
  if (!(si > 0) || !(so > 0) || static_cast<double>(si) / static_cast<double>(so) >= 1e9)
    return nullptr;
  return std::make_unique<FastRequantize>();
}

std::unique_ptr<OpKernel> CreateDequantize(const KernelContext& ctx) {
  if (!qref::IsQ8(qref::InType(ctx, 0)) || qref::OutType(ctx, 0) != DType::kFloat32 ||
      !PerTensor(ctx.inputs[0]))
    return nullptr;
  return std::make_unique<FastDequantize>();
}

}  // namespace

void RegisterFastQuantizeQ8(KernelRegistry& r) {
  r.Register(OpType::QUANTIZE, "fast/q8/quantize", kFastPriority, CreateQuantize);
  r.Register(OpType::DEQUANTIZE, "fast/q8/dequantize", kFastPriority, CreateDequantize);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
