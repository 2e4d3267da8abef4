// Broadcasting binary ops on int8/uint8: ADD and SUB (TFLite's scheme: inputs shifted left by 20,
// rescaled to twice the larger input scale, summed, rescaled to the output), MUL (one multiplier
// of in1_scale * in2_scale / out_scale), MAXIMUM and MINIMUM (on raw values; TFLite requires
// equal quantization of inputs and output).
#include <vector>

#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

enum class BinOp { kAdd, kSub, kMul, kMax, kMin };

class QuantizedBinary : public OpKernel {
 public:
  explicit QuantizedBinary(BinOp op) : op_(op) {}

  void Prepare(const KernelContext& ctx) override {
    const TensorView& a = In(ctx, 0);
    const TensorView& b = In(ctx, 1);
    TensorView& out = Out(ctx, 0);
    strides_a_ = BroadcastStrides(ctx, a.shape, out.shape);
    strides_b_ = BroadcastStrides(ctx, b.shape, out.shape);
    off_a_ = -ZeroPoint(ctx, a);
    off_b_ = -ZeroPoint(ctx, b);
    out_zp_ = ZeroPoint(ctx, out);
    const float sa = Scale(ctx, a), sb = Scale(ctx, b), so = Scale(ctx, out);
    if (op_ == BinOp::kAdd || op_ == BinOp::kSub) {
      // Types as in TFLite's Prepare: the max and the product with the shift are float.
      const double twice_max = static_cast<double>(2 * std::max(sa, sb));
      ma_ = QuantizeMultiplierSmallerThanOneExp(static_cast<double>(sa) / twice_max);
      mb_ = QuantizeMultiplierSmallerThanOneExp(static_cast<double>(sb) / twice_max);
      mo_ = QuantizeMultiplier(twice_max / static_cast<double>(static_cast<float>(1 << kShift) * so));
    } else if (op_ == BinOp::kMul) {
      mo_ = QuantizeMultiplier(static_cast<double>(sa * sb / so));
    }
    const Activation act = (op_ == BinOp::kMax || op_ == BinOp::kMin)
                               ? Activation::kNone
                               : ctx.op->options.activation;
    CalculateActivationRangeQuantized(act, out.type, so, out_zp_, &act_min_, &act_max_);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& a = In(ctx, 0);
    const TensorView& b = In(ctx, 1);
    TensorView& out = Out(ctx, 0);
    const int rank = out.rank();
    std::vector<int32_t> idx(static_cast<size_t>(rank), 0);
    const int64_t n = out.num_elements();
    int64_t ia = 0, ib = 0;
    for (int64_t i = 0; i < n; ++i) {
      Store8(out, i, Compute(Load8(a, ia), Load8(b, ib)));
      for (int d = rank - 1; d >= 0; --d) {
        ia += strides_a_[d];
        ib += strides_b_[d];
        if (++idx[d] < out.dim(d)) break;
        ia -= strides_a_[d] * idx[d];
        ib -= strides_b_[d] * idx[d];
        idx[d] = 0;
      }
    }
  }

 private:
  static constexpr int kShift = 20;

  int32_t Compute(int32_t qa, int32_t qb) const {
    int32_t r = 0;
    switch (op_) {
      case BinOp::kAdd:
      case BinOp::kSub: {
        const int32_t xa = MultiplyByQuantizedMultiplierSmallerThanOneExp(
            (qa + off_a_) * (1 << kShift), ma_.multiplier, ma_.shift);
        const int32_t xb = MultiplyByQuantizedMultiplierSmallerThanOneExp(
            (qb + off_b_) * (1 << kShift), mb_.multiplier, mb_.shift);
        const int32_t raw = op_ == BinOp::kAdd ? xa + xb : xa - xb;
        r = MultiplyByQuantizedMultiplierSmallerThanOneExp(raw, mo_.multiplier, mo_.shift) +
            out_zp_;
        break;
      }
      case BinOp::kMul:
        r = MultiplyByQuantizedMultiplier((qa + off_a_) * (qb + off_b_), mo_) + out_zp_;
        break;
      case BinOp::kMax: r = std::max(qa, qb); break;
      case BinOp::kMin: r = std::min(qa, qb); break;
    }
    return std::clamp(r, act_min_, act_max_);
  }

  BinOp op_;
  std::vector<int64_t> strides_a_, strides_b_;
  int32_t off_a_ = 0, off_b_ = 0, out_zp_ = 0, act_min_ = 0, act_max_ = 0;
  QuantizedMultiplier ma_, mb_, mo_;
};

template <BinOp kOp>
std::unique_ptr<OpKernel> Factory(const KernelContext& ctx) {
  const DType t = InType(ctx, 0);
  if (!IsQ8(t) || InType(ctx, 1) != t || OutType(ctx, 0) != t) return nullptr;
  return std::make_unique<QuantizedBinary>(kOp);
}

}  // namespace

void RegisterBinary(KernelRegistry& r) {
  r.Register(OpType::ADD, "ref/quantized/add", kRefPriority, Factory<BinOp::kAdd>);
  r.Register(OpType::SUB, "ref/quantized/sub", kRefPriority, Factory<BinOp::kSub>);
  r.Register(OpType::MUL, "ref/quantized/mul", kRefPriority, Factory<BinOp::kMul>);
  r.Register(OpType::MAXIMUM, "ref/quantized/maximum", kRefPriority, Factory<BinOp::kMax>);
  r.Register(OpType::MINIMUM, "ref/quantized/minimum", kRefPriority, Factory<BinOp::kMin>);
}

}  // namespace cae::qref
