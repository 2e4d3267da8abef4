// SOFTMAX on int8/uint8 along the last axis, as TFLite's builtin (optimized) kernel computes it:
// table[255 - k] = exp(-in_scale * beta * k) in float; each row sums table entries relative to
// its maximum, and quantizes p / (sum * out_scale) with round-half-away (int8) or x + 0.5
// truncation (uint8), plus the output zero point, clamped to the type.
#include <cmath>

#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

class QuantizedSoftmax : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    CheckSameShape(ctx, in, out);
    Check(in.rank() >= 1, ctx, ": softmax needs rank >= 1");
    const float scale = -Scale(ctx, in) * ctx.op->options.beta;
    for (int32_t v = 0; v <= 255; ++v) table_[255 - v] = std::exp(scale * static_cast<float>(v));
    out_scale_ = Scale(ctx, out);
    out_zp_ = ZeroPoint(ctx, out);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const int32_t depth = in.dim(in.rank() - 1);
    if (depth == 0) return;
    const int64_t rows = in.num_elements() / depth;
    const int32_t lo = QuantMin(out.type), hi = QuantMax(out.type);
    const bool uint8_out = out.type == DType::kUInt8;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t base = r * depth;
      int32_t max_val = QuantMin(in.type);
      for (int32_t j = 0; j < depth; ++j) max_val = std::max(max_val, Load8(in, base + j));
      // exp of (v - max) * in_scale * beta is table_[255 - max + v], an index in [0, 255].
      auto exp_at = [&](int64_t i) { return table_[255 - max_val + Load8(in, i)]; };
      float sum = 0.0f;
      for (int32_t j = 0; j < depth; ++j) sum += exp_at(base + j);
      const float inv = 1.0f / (sum * out_scale_);
      for (int32_t j = 0; j < depth; ++j) {
        const float p = exp_at(base + j) * inv;
        const int32_t q = uint8_out ? static_cast<int32_t>(p + 0.5f)
                                    : static_cast<int32_t>(std::round(p)) + out_zp_;
        Store8(out, base + j, std::clamp(q, lo, hi));
      }
    }
  }

 private:
  float table_[256] = {};
  float out_scale_ = 1;
  int32_t out_zp_ = 0;
};

std::unique_ptr<OpKernel> Factory(const KernelContext& ctx) {
  const DType t = InType(ctx, 0);
  if (!IsQ8(t) || OutType(ctx, 0) != t) return nullptr;
  return Make<QuantizedSoftmax>();
}

}  // namespace

void RegisterSoftmax(KernelRegistry& r) {
  r.Register(OpType::SOFTMAX, "ref/quantized/softmax", kRefPriority, Factory);
}

}  // namespace cae::qref
