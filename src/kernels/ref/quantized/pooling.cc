// MAX_POOL_2D and AVERAGE_POOL_2D on int8/uint8 (TFLite reference integer pooling): windows are
// clipped at the borders, the average divides by the number of valid taps rounding half away from
// zero, and the fused activation clamps the result. Input and output share scale and zero point.
#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

template <bool kMax>
class QuantizedPool : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    CheckRank(ctx, in, 4);
    CheckRank(ctx, out, 4);
    const OpOptions& o = ctx.op->options;
    Check(o.stride_h > 0 && o.stride_w > 0 && o.filter_h > 0 && o.filter_w > 0, ctx,
          ": pool strides and filter sizes must be positive");
    const int32_t oh = ConvOutSize(o.padding, in.dim(1), o.filter_h, o.stride_h, 1);
    const int32_t ow = ConvOutSize(o.padding, in.dim(2), o.filter_w, o.stride_w, 1);
    Check(out.dim(0) == in.dim(0) && out.dim(1) == oh && out.dim(2) == ow &&
              out.dim(3) == in.dim(3),
          ctx, ": output shape ", ShapeToString(out.shape), ", expected [", in.dim(0),
          ",", oh, ",", ow, ",", in.dim(3), "]");
    pad_h_ = ConvPadding(o.padding, in.dim(1), o.filter_h, o.stride_h, 1, oh);
    pad_w_ = ConvPadding(o.padding, in.dim(2), o.filter_w, o.stride_w, 1, ow);
    CalculateActivationRangeQuantized(o.activation, out.type, Scale(ctx, out), ZeroPoint(ctx, out),
                                      &act_min_, &act_max_);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const int32_t batches = in.dim(0), ih = in.dim(1), iw = in.dim(2), depth = in.dim(3);
    const int32_t oh = out.dim(1), ow = out.dim(2);
    ParallelFor(ctx.pool, int64_t{batches} * oh, 1, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int32_t b = static_cast<int32_t>(row / oh);
        const int32_t y = static_cast<int32_t>(row % oh);
        for (int32_t x = 0; x < ow; ++x) {
          const int32_t iy0 = y * o.stride_h - pad_h_;
          const int32_t ix0 = x * o.stride_w - pad_w_;
          const int32_t fy0 = std::max(0, -iy0), fy1 = std::min(o.filter_h, ih - iy0);
          const int32_t fx0 = std::max(0, -ix0), fx1 = std::min(o.filter_w, iw - ix0);
          for (int32_t c = 0; c < depth; ++c) {
            int32_t acc = kMax ? QuantMin(in.type) : 0;
            int32_t count = 0;
            for (int32_t fy = fy0; fy < fy1; ++fy) {
              for (int32_t fx = fx0; fx < fx1; ++fx) {
                const int32_t v =
                    Load8(in, ((int64_t{b} * ih + iy0 + fy) * iw + ix0 + fx) * depth + c);
                acc = kMax ? std::max(acc, v) : acc + v;
                ++count;
              }
            }
            if (!kMax) {
              Check(count > 0, ctx, ": average pool window without valid inputs");
              acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
            }
            Store8(out, (row * ow + x) * depth + c, std::clamp(acc, act_min_, act_max_));
          }
        }
      }
    });
  }

 private:
  int32_t pad_h_ = 0, pad_w_ = 0, act_min_ = 0, act_max_ = 0;
};

std::unique_ptr<OpKernel> MaxFactory(const KernelContext& ctx) {
  const DType t = InType(ctx, 0);
  if (!IsQ8(t) || OutType(ctx, 0) != t) return nullptr;
  return Make<QuantizedPool<true>>();
}

std::unique_ptr<OpKernel> AvgFactory(const KernelContext& ctx) {
  const DType t = InType(ctx, 0);
  if (!IsQ8(t) || OutType(ctx, 0) != t) return nullptr;
  return Make<QuantizedPool<false>>();
}

}  // namespace

void RegisterPooling(KernelRegistry& r) {
  r.Register(OpType::MAX_POOL_2D, "ref/quantized/max_pool_2d", kRefPriority, MaxFactory);
  r.Register(OpType::AVERAGE_POOL_2D, "ref/quantized/average_pool_2d", kRefPriority, AvgFactory);
}

}  // namespace cae::qref
