// CONCATENATION (int8/uint8/int16) and SPLIT (any fixed-size element type) for quantized graphs.
// Concatenation copies inputs whose scale and zero point equal the output's and requantizes the
// others as TFLite ConcatenationWithScaling does: round(q * s + b) + out_zp in float, with
// s = in_scale * (1 / out_scale) and b = -in_zp * s, clamped to the type.
#include <cmath>
#include <cstring>

#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

int ResolveAxis(const KernelContext& ctx, int64_t axis, int rank) {
  Check(axis >= -rank && axis < rank, ctx, ": axis ", axis,
        " is out of range for rank ", rank);
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

class QuantizedConcat : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    TensorView& out = Out(ctx, 0);
    axis_ = ResolveAxis(ctx, ctx.op->options.axis, out.rank());
    int64_t total = 0;
    for (size_t i = 0; i < ctx.inputs.size(); ++i) {
      const TensorView& in = In(ctx, i);
      Check(in.type == out.type && in.rank() == out.rank(), ctx, ": input ", i,
            " has type ", DTypeName(in.type), " shape ", ShapeToString(in.shape),
            ", expected ", DTypeName(out.type), " of rank ", out.rank());
      for (int d = 0; d < out.rank(); ++d) {
        Check(d == axis_ || in.dim(d) == out.dim(d), ctx, ": input ", i, " shape ",
              ShapeToString(in.shape), " does not match output ", ShapeToString(out.shape));
      }
      total += in.dim(axis_);
    }
    Check(total == out.dim(axis_), ctx, ": inputs add up to ", total,
          " along axis ", axis_, ", output has ", out.dim(axis_));
    out_scale_ = Scale(ctx, out);
    out_zp_ = ZeroPoint(ctx, out);
    CalculateActivationRangeQuantized(ctx.op->options.activation, out.type, out_scale_, out_zp_,
                                      &act_min_, &act_max_);
  }

  void Eval(const KernelContext& ctx) override {
    TensorView& out = Out(ctx, 0);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis_; ++d) outer *= out.dim(d);
    for (int d = axis_ + 1; d < out.rank(); ++d) inner *= out.dim(d);
    const size_t es = DTypeSize(out.type);
    const float inv_out_scale = 1.0f / out_scale_;
    int64_t o = 0;
    for (int64_t k = 0; k < outer; ++k) {
      for (size_t i = 0; i < ctx.inputs.size(); ++i) {
        const TensorView& in = In(ctx, i);
        const int64_t n = in.dim(axis_) * inner;
        const float in_scale = Scale(ctx, in);
        const int32_t in_zp = ZeroPoint(ctx, in);
        const bool clamp = act_min_ > QuantMin(out.type) || act_max_ < QuantMax(out.type);
        if (in_scale == out_scale_ && in_zp == out_zp_ && !clamp) {
          std::memcpy(static_cast<uint8_t*>(out.data) + o * es,
                      static_cast<const uint8_t*>(in.data) + k * n * es, static_cast<size_t>(n) * es);
        } else if (in_scale == out_scale_ && in_zp == out_zp_) {
          for (int64_t j = 0; j < n; ++j) {
            StoreQ(out, o + j, std::clamp(LoadQ(in, k * n + j), act_min_, act_max_));
          }
        } else {
          const float s = in_scale * inv_out_scale;
          const float b = static_cast<float>(-in_zp) * s;
          for (int64_t j = 0; j < n; ++j) {
            const int32_t v =
                static_cast<int32_t>(std::round(static_cast<float>(LoadQ(in, k * n + j)) * s + b)) +
                out_zp_;
            StoreQ(out, o + j, std::clamp(v, act_min_, act_max_));
          }
        }
        o += n;
      }
    }
  }

 private:
  int axis_ = 0;
  float out_scale_ = 1;
  int32_t out_zp_ = 0, act_min_ = 0, act_max_ = 0;
};

// SPLIT: input 0 is the constant axis, input 1 the value; num_splits equal outputs.
class Split : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& axis_t = In(ctx, 0);
    const TensorView& in = In(ctx, 1);
    const std::vector<int64_t> a = ReadIndexTensor(ctx, axis_t);
    Check(a.size() == 1, ctx, ": axis must hold one value");
    axis_ = ResolveAxis(ctx, a[0], in.rank());
    const int64_t n = static_cast<int64_t>(ctx.outputs.size());
    Check(n > 0 && in.dim(axis_) % n == 0, ctx, ": dimension ", in.dim(axis_),
          " is not divisible into ", n, " splits");
    for (size_t i = 0; i < ctx.outputs.size(); ++i) {
      TensorView& out = Out(ctx, i);
      Check(out.type == in.type && out.num_elements() * n == in.num_elements(), ctx,
            ": output ", i, " shape ", ShapeToString(out.shape), " does not fit the split");
    }
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 1);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis_; ++d) outer *= in.dim(d);
    for (int d = axis_ + 1; d < in.rank(); ++d) inner *= in.dim(d);
    const size_t es = DTypeSize(in.type);
    const int64_t n = static_cast<int64_t>(ctx.outputs.size());
    const int64_t chunk = in.dim(axis_) / n * inner * static_cast<int64_t>(es);
    const auto* src = static_cast<const uint8_t*>(in.data);
    for (int64_t k = 0; k < outer; ++k) {
      for (int64_t i = 0; i < n; ++i) {
        std::memcpy(static_cast<uint8_t*>(Out(ctx, static_cast<size_t>(i)).data) + k * chunk,
                    src, static_cast<size_t>(chunk));
        src += chunk;
      }
    }
  }

 private:
  int axis_ = 0;
};

std::unique_ptr<OpKernel> ConcatFactory(const KernelContext& ctx) {
  const DType t = OutType(ctx, 0);
  if (!(IsQ8(t) || t == DType::kInt16) || ctx.inputs.empty()) return nullptr;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    if (InType(ctx, i) != t) return nullptr;
  }
  return Make<QuantizedConcat>();
}

std::unique_ptr<OpKernel> SplitFactory(const KernelContext& ctx) {
  const DType t = InType(ctx, 1);
  if (!(IsQ8(t) || t == DType::kInt16)) return nullptr;
  return Make<Split>();
}

}  // namespace

void RegisterConcatSplit(KernelRegistry& r) {
  r.Register(OpType::CONCATENATION, "ref/quantized/concatenation", kRefPriority, ConcatFactory);
  r.Register(OpType::SPLIT, "ref/quantized/split", kRefPriority, SplitFactory);
}

}  // namespace cae::qref
