// FULLY_CONNECTED on int8 (per-tensor or per-channel weights) and uint8 (per-tensor weights with
// a zero point). Weights [units, depth]; the input is any shape whose element count is a multiple
// of depth (keep_num_dims only changes the output shape, which the output view already has).
// Per-tensor multipliers use TFLite's float product of the input and weight scales (per-channel
// ones a double product). Rounding rule, measured against the TFLite runtime (oracle
// --no-xnnpack, tests/kernels/quant_fc_shapes_test.cc): int8 FC rounds ONCE
// (MultiplyByQuantizedMultiplierSingleRounding) for per-tensor and per-channel weights alike and
// for every shape tried (batch 1, 2, 64; depth 7..784; up to 8192 units), i.e. TFLite's
// cpu_backend_gemm runs int8 in ruy and takes no double-rounding GEMV path for batch 1 in this
// build. uint8 FC keeps TFLite's double rounding (gemmlowp).
#include <vector>

#include "kernels/ref/quantized/conv_prepare.h"
#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

class QuantizedFullyConnected : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    TensorView& out = Out(ctx, 0);
    const FullyConnectedShape shape = CheckFullyConnectedShape(ctx);
    units_ = shape.units;
    depth_ = shape.depth;
    batches_ = shape.batches;
    CheckBias(ctx, OptIn(ctx, 2), DType::kInt32, units_);
    input_offset_ = -ZeroPoint(ctx, in);
    filter_offset_ = -ZeroPoint(ctx, filter);
    output_offset_ = ZeroPoint(ctx, out);
    const float si = Scale(ctx, in), so = Scale(ctx, out);
    const std::vector<float> fs = ChannelScales(ctx, filter, units_);
    mult_.resize(static_cast<size_t>(units_));
    const bool per_channel = filter.quant->scale.size() > 1;
    single_rounding_ = in.type == DType::kInt8;
    for (int32_t u = 0; u < units_; ++u) {
      const double real = per_channel
                              ? static_cast<double>(si) * static_cast<double>(fs[u]) /
                                    static_cast<double>(so)
                              : static_cast<double>(si * fs[u]) / static_cast<double>(so);
      mult_[u] = QuantizeMultiplier(real);
    }
    CalculateActivationRangeQuantized(ctx.op->options.activation, out.type, so, output_offset_,
                                      &act_min_, &act_max_);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    TensorView& out = Out(ctx, 0);
    const int32_t* bias_data = bias ? bias->as<int32_t>() : nullptr;
    for (int64_t b = 0; b < batches_; ++b) {
      for (int32_t u = 0; u < units_; ++u) {
        int32_t acc = 0;
        for (int32_t k = 0; k < depth_; ++k) {
          acc += (Load8(filter, int64_t{u} * depth_ + k) + filter_offset_) *
                 (Load8(in, b * depth_ + k) + input_offset_);
        }
        if (bias_data) acc += bias_data[u];
        acc = (single_rounding_ ? MultiplyByQuantizedMultiplierSingleRounding(acc, mult_[u])
                                : MultiplyByQuantizedMultiplier(acc, mult_[u])) +
              output_offset_;
        Store8(out, b * units_ + u, std::clamp(acc, act_min_, act_max_));
      }
    }
  }

 private:
  int32_t units_ = 0, depth_ = 0;
  int64_t batches_ = 0;
  int32_t input_offset_ = 0, filter_offset_ = 0, output_offset_ = 0, act_min_ = 0, act_max_ = 0;
  bool single_rounding_ = false;
  std::vector<QuantizedMultiplier> mult_;
};

std::unique_ptr<OpKernel> Factory(const KernelContext& ctx) {
  const DType t = InType(ctx, 0);
  if (!IsQ8(t) || InType(ctx, 1) != t || OutType(ctx, 0) != t) return nullptr;
  return Make<QuantizedFullyConnected>();
}

}  // namespace

void RegisterFullyConnected(KernelRegistry& r) {
  r.Register(OpType::FULLY_CONNECTED, "ref/quantized/fully_connected", kRefPriority, Factory);
}

}  // namespace cae::qref
