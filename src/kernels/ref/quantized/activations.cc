// Element-wise activations on int8/uint8 as TFLite's builtin kernels compute them:
//  - RELU, RELU6, RELU_N1_TO_1: rescale by in_scale/out_scale, clamp to the quantized bounds.
//  - LEAKY_RELU: separate multipliers for the identity and the alpha branch.
//  - PRELU: broadcast quantized alpha; multipliers in/out and in*alpha/out.
//  - HARD_SWISH: TFLite's int16 fixed-point evaluation (see QuantizedHardSwish).
//  - LOGISTIC, TANH: a 256-entry table built in float (dequantize, transform, round, clamp).
#include <climits>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

class QuantizedReluX : public OpKernel {
 public:
  QuantizedReluX(float lo, float hi) : lo_(lo), hi_(hi) {}
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    CheckSameShape(ctx, in, out);
    const float so = Scale(ctx, out);
    in_zp_ = ZeroPoint(ctx, in);
    out_zp_ = ZeroPoint(ctx, out);
    m_ = QuantizeMultiplier(static_cast<double>(Scale(ctx, in) / so));
    min_ = std::max(QuantMin(out.type), out_zp_ + static_cast<int32_t>(std::round(lo_ / so)));
    max_ = std::isinf(hi_)
               ? QuantMax(out.type)
               : std::min(QuantMax(out.type), out_zp_ + static_cast<int32_t>(std::round(hi_ / so)));
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const int64_t n = in.num_elements();
    for (int64_t i = 0; i < n; ++i) {
      const int32_t v = out_zp_ + MultiplyByQuantizedMultiplier(Load8(in, i) - in_zp_, m_);
      Store8(out, i, std::clamp(v, min_, max_));
    }
  }

 private:
  float lo_, hi_;
  int32_t in_zp_ = 0, out_zp_ = 0, min_ = 0, max_ = 0;
  QuantizedMultiplier m_;
};

class QuantizedLeakyRelu : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    CheckSameShape(ctx, in, out);
    const float si = Scale(ctx, in), so = Scale(ctx, out);
    in_zp_ = ZeroPoint(ctx, in);
    out_zp_ = ZeroPoint(ctx, out);
    const float alpha = ctx.op->options.alpha;
    Check(std::isfinite(alpha) && alpha >= 0, ctx, ": alpha ", alpha,
          " must be finite and non-negative on quantized tensors");
    m_alpha_ = QuantizeMultiplier(static_cast<double>(si * alpha / so));
    m_identity_ = QuantizeMultiplier(static_cast<double>(si / so));
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const int32_t lo = QuantMin(out.type), hi = QuantMax(out.type);
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      const int32_t v = Load8(in, i) - in_zp_;
      const int32_t r =
          out_zp_ + MultiplyByQuantizedMultiplier(v, v >= 0 ? m_identity_ : m_alpha_);
      Store8(out, i, std::clamp(r, lo, hi));
    }
  }

 private:
  int32_t in_zp_ = 0, out_zp_ = 0;
  QuantizedMultiplier m_alpha_, m_identity_;
};

class QuantizedPrelu : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& alpha = In(ctx, 1);
    TensorView& out = Out(ctx, 0);
    strides_in_ = BroadcastStrides(ctx, in.shape, out.shape);
    strides_alpha_ = BroadcastStrides(ctx, alpha.shape, out.shape);
    const float si = Scale(ctx, in), sa = Scale(ctx, alpha), so = Scale(ctx, out);
    in_off_ = -ZeroPoint(ctx, in);
    alpha_off_ = -ZeroPoint(ctx, alpha);
    out_zp_ = ZeroPoint(ctx, out);
    m1_ = QuantizeMultiplier(static_cast<double>(si / so));
    m2_ = QuantizeMultiplier(static_cast<double>(si * sa / so));
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& alpha = In(ctx, 1);
    TensorView& out = Out(ctx, 0);
    const int rank = out.rank();
    std::vector<int32_t> idx(static_cast<size_t>(rank), 0);
    const int32_t lo = QuantMin(out.type), hi = QuantMax(out.type);
    int64_t ii = 0, ia = 0;
    for (int64_t i = 0; i < out.num_elements(); ++i) {
      const int32_t v = in_off_ + Load8(in, ii);
      const int32_t r = v >= 0 ? MultiplyByQuantizedMultiplier(v, m1_)
                               : MultiplyByQuantizedMultiplier(v * (alpha_off_ + Load8(alpha, ia)), m2_);
      Store8(out, i, std::clamp(r + out_zp_, lo, hi));
      for (int d = rank - 1; d >= 0; --d) {
        ii += strides_in_[d];
        ia += strides_alpha_[d];
        if (++idx[d] < out.dim(d)) break;
        ii -= strides_in_[d] * idx[d];
        ia -= strides_alpha_[d] * idx[d];
        idx[d] = 0;
      }
    }
  }

 private:
  std::vector<int64_t> strides_in_, strides_alpha_;
  int32_t in_off_ = 0, alpha_off_ = 0, out_zp_ = 0;
  QuantizedMultiplier m1_, m2_;
};

// A 256-entry lookup table indexed by the input's byte (BuildActivationTable, qutil.h).
class QuantizedLut : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { BuildActivationTable(ctx, table_); }
  void Eval(const KernelContext& ctx) override {
    const auto* src = static_cast<const uint8_t*>(In(ctx, 0).data);
    auto* dst = static_cast<uint8_t*>(Out(ctx, 0).data);
    const int64_t n = In(ctx, 0).num_elements();
    for (int64_t i = 0; i < n; ++i) dst[i] = table_[src[i]];
  }

 private:
  uint8_t table_[256] = {};
};

// HARD_SWISH x * relu6(x + 3) / 6 in TFLite's int16 fixed point: the input on a "hires" scale
// (in_scale / 128), a reluish factor in [0, 1] from a multiplier of hires_scale / (3 / 32768),
// the product rescaled to the output with a multiplier reduced to 16 bits.
namespace hs {

int16_t SatRoundDoublingHighMul16(int16_t a, int16_t b) {
  if (a == b && a == INT16_MIN) return INT16_MAX;
  const int32_t ab = int32_t{a} * int32_t{b};
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}

int16_t SatDoublingHighMul16(int16_t a, int16_t b) {
  if (a == b && a == INT16_MIN) return INT16_MAX;
  return static_cast<int16_t>((int32_t{a} * int32_t{b}) / (1 << 15));
}

int16_t SatLeftShift16(int16_t v, int amount) {
  const int64_t r = static_cast<int64_t>(v) * (int64_t{1} << amount);
  return static_cast<int16_t>(std::clamp<int64_t>(r, INT16_MIN, INT16_MAX));
}

int16_t RoundingDivideByPOT16(int16_t x, int exponent) {
  const int16_t mask = static_cast<int16_t>((1 << exponent) - 1);
  const int16_t remainder = static_cast<int16_t>(x & mask);
  const int16_t threshold = static_cast<int16_t>((mask >> 1) + (x < 0 ? 1 : 0));
  return static_cast<int16_t>((x >> exponent) + (remainder > threshold ? 1 : 0));
}

// TFLite DownScaleInt32ToInt16Multiplier.
int16_t DownScale(int32_t m) {
  constexpr int32_t kRound = 1 << 15;
  if (m >= INT32_MAX - kRound) return INT16_MAX;
  return static_cast<int16_t>((m + kRound) >> 16);
}

}  // namespace hs

class QuantizedHardSwish : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    CheckSameShape(ctx, in, out);
    in_zp_ = ZeroPoint(ctx, in);
    out_zp_ = ZeroPoint(ctx, out);
    const float hires = (1.0f / 128.0f) * Scale(ctx, in);
    const QuantizedMultiplier om = QuantizeMultiplier(static_cast<double>(hires / Scale(ctx, out)));
    Check(om.shift <= 0, ctx, ": HARD_SWISH output scale is too small for its input");
    out_mult_ = hs::DownScale(om.multiplier);
    out_exp_ = om.shift;
    const QuantizedMultiplier rm = QuantizeMultiplier(static_cast<double>(hires / (3.0f / 32768.0f)));
    relu_mult_ = hs::DownScale(rm.multiplier);
    relu_exp_ = rm.shift;
  }
  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const int32_t lo = QuantMin(out.type), hi = QuantMax(out.type);
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      const int16_t v = static_cast<int16_t>(Load8(in, i) - in_zp_);
      const int16_t hires = static_cast<int16_t>(v * (1 << 7));
      const int16_t preshift = hs::SatRoundDoublingHighMul16(hires, out_mult_);
      int16_t relu = hires;
      if (relu_exp_ > 0) relu = hs::SatLeftShift16(relu, relu_exp_ - 1);
      relu = hs::SatRoundDoublingHighMul16(relu, relu_mult_);
      if (relu_exp_ > 0) relu = hs::SatLeftShift16(relu, 1);
      if (relu_exp_ < 0) relu = hs::RoundingDivideByPOT16(relu, -relu_exp_);
      relu = static_cast<int16_t>((int32_t{relu} + (1 << 15)) >> 1);
      const int16_t pre_out = hs::SatDoublingHighMul16(relu, preshift);
      int32_t o = hs::RoundingDivideByPOT16(pre_out, -out_exp_);
      Store8(out, i, std::clamp(o + out_zp_, lo, hi));
    }
  }

 private:
  int32_t in_zp_ = 0, out_zp_ = 0;
  int16_t out_mult_ = 0, relu_mult_ = 0;
  int out_exp_ = 0, relu_exp_ = 0;
};

float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
float Tanh(float x) { return std::tanh(x); }

bool SameQ8(const KernelContext& ctx) {
  const DType t = InType(ctx, 0);
  return IsQ8(t) && OutType(ctx, 0) == t;
}

std::unique_ptr<OpKernel> ReluFactory(const KernelContext& ctx) {
  if (!SameQ8(ctx)) return nullptr;
  return std::make_unique<QuantizedReluX>(0.0f, std::numeric_limits<float>::infinity());
}
std::unique_ptr<OpKernel> Relu6Factory(const KernelContext& ctx) {
  if (!SameQ8(ctx)) return nullptr;
  return std::make_unique<QuantizedReluX>(0.0f, 6.0f);
}
std::unique_ptr<OpKernel> ReluN1To1Factory(const KernelContext& ctx) {
  if (!SameQ8(ctx)) return nullptr;
  return std::make_unique<QuantizedReluX>(-1.0f, 1.0f);
}
std::unique_ptr<OpKernel> LeakyReluFactory(const KernelContext& ctx) {
  return SameQ8(ctx) ? Make<QuantizedLeakyRelu>() : nullptr;
}
std::unique_ptr<OpKernel> PreluFactory(const KernelContext& ctx) {
  if (!SameQ8(ctx) || InType(ctx, 1) != InType(ctx, 0)) return nullptr;
  return Make<QuantizedPrelu>();
}
std::unique_ptr<OpKernel> HardSwishFactory(const KernelContext& ctx) {
  return SameQ8(ctx) ? Make<QuantizedHardSwish>() : nullptr;
}
std::unique_ptr<OpKernel> LogisticFactory(const KernelContext& ctx) {
  return SameQ8(ctx) ? Make<QuantizedLut>() : nullptr;
}
std::unique_ptr<OpKernel> TanhFactory(const KernelContext& ctx) {
  return SameQ8(ctx) ? Make<QuantizedLut>() : nullptr;
}

}  // namespace

void BuildActivationTable(const KernelContext& ctx, uint8_t table[256]) {
  const TensorView& in = In(ctx, 0);
  TensorView& out = Out(ctx, 0);
  CheckSameShape(ctx, in, out);
  const auto fn = ctx.op->type == OpType::TANH ? Tanh : Sigmoid;
  const float si = Scale(ctx, in), so = Scale(ctx, out);
  const int32_t zi = ZeroPoint(ctx, in), zo = ZeroPoint(ctx, out);
  const float inv = 1 / so;
  const int32_t lo = QuantMin(in.type), hi = QuantMax(in.type);
  for (int32_t v = lo; v <= hi; ++v) {
    const float x = si * static_cast<float>(v - zi);
    const float r = std::round(fn(x) * inv);
    const int32_t q = std::clamp(static_cast<int32_t>(r + static_cast<float>(zo)), lo, hi);
    table[static_cast<uint8_t>(v)] = static_cast<uint8_t>(q);
  }
}

void RegisterActivations(KernelRegistry& r) {
  r.Register(OpType::RELU, "ref/quantized/relu", kRefPriority, ReluFactory);
  r.Register(OpType::RELU6, "ref/quantized/relu6", kRefPriority, Relu6Factory);
  r.Register(OpType::RELU_N1_TO_1, "ref/quantized/relu_n1_to_1", kRefPriority, ReluN1To1Factory);
  r.Register(OpType::LEAKY_RELU, "ref/quantized/leaky_relu", kRefPriority, LeakyReluFactory);
  r.Register(OpType::PRELU, "ref/quantized/prelu", kRefPriority, PreluFactory);
  r.Register(OpType::HARD_SWISH, "ref/quantized/hard_swish", kRefPriority, HardSwishFactory);
  r.Register(OpType::LOGISTIC, "ref/quantized/logistic", kRefPriority, LogisticFactory);
  r.Register(OpType::TANH, "ref/quantized/tanh", kRefPriority, TanhFactory);
}

}  // namespace cae::qref
