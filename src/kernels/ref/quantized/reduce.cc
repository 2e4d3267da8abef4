// MEAN and SUM on int8/uint8/int16 with TFLite's (builtin, optimized-resolver) semantics:
//  - MEAN, keep_dims, rank 4, axes {1,2} (TFLite's optimized Mean4D): the sum of raw values
//    times the multiplier of float(in_scale / (count * out_scale)), plus
//    out_zp - round(in_zp * in_scale / out_scale) (float), clamped. (Verified against the
//    oracle on tf2_mobilenet_v2: truncating that offset instead is off by one in half the cases.)
//  - MEAN with equal input/output scale and zero point: integer sum / count (truncating).
//  - otherwise (MEAN or rescaling SUM): TFLite 2.12 QuantizedMeanOrSum's float rescale (see
//    Finish), clamped. Identified against the oracle on 1200-output reductions; variants with
//    +0.5 in the bias or integer multipliers differ in up to half of the outputs.
//  - SUM without rescaling: the sum wrapped to the element type.
#include <cmath>
#include <vector>

#include "kernels/ref/quantized/qutil.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae::qref {
namespace {

class QuantizedReduce : public OpKernel {
 public:
  explicit QuantizedReduce(bool mean) : mean_(mean) {}

  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& axis = In(ctx, 1);
    TensorView& out = Out(ctx, 0);
    Check(axis.data != nullptr, ctx, ": the axis input must be constant");
    const int rank = in.rank();
    reduced_.assign(static_cast<size_t>(rank), false);
    for (int64_t a : ReadIndexTensor(ctx, axis)) {
      Check(a >= -rank && a < rank, ctx, ": axis ", a, " is out of range for rank ",
            rank);
      reduced_[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
    }
    count_ = 1;
    int64_t outputs = 1;
    for (int d = 0; d < rank; ++d) {
      if (reduced_[d]) {
        count_ *= in.dim(d);
      } else {
        outputs *= in.dim(d);
      }
    }
    Check(out.num_elements() == outputs, ctx, ": output shape ",
          ShapeToString(out.shape), " does not hold ", outputs, " elements");
    in_scale_ = Scale(ctx, in);
    out_scale_ = Scale(ctx, out);
    in_zp_ = ZeroPoint(ctx, in);
    out_zp_ = ZeroPoint(ctx, out);
    same_params_ = in_scale_ == out_scale_ && in_zp_ == out_zp_;
    spatial_mean_ = mean_ && ctx.op->options.keep_dims && rank == 4 && !reduced_[0] &&
                    reduced_[1] && reduced_[2] && !reduced_[3] && in.type != DType::kInt16;
    if (spatial_mean_) {
      const float n = static_cast<float>(count_);
      mult_ = QuantizeMultiplier(static_cast<double>(in_scale_ / (n * out_scale_)));
      bias_ = out_zp_ - static_cast<int32_t>(
                            std::round(static_cast<float>(in_zp_) * in_scale_ / out_scale_));
    }
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    TensorView& out = Out(ctx, 0);
    const int rank = in.rank();
    // Output strides over the kept dimensions, in input order.
    std::vector<int64_t> out_stride(static_cast<size_t>(rank), 0);
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; --d) {
      if (!reduced_[d]) {
        out_stride[d] = s;
        s *= in.dim(d);
      }
    }
    std::vector<int64_t> sums(static_cast<size_t>(out.num_elements()), 0);
    std::vector<int32_t> idx(static_cast<size_t>(rank), 0);
    const int64_t n = in.num_elements();
    int64_t o = 0;
    for (int64_t i = 0; i < n; ++i) {
      sums[o] += LoadQ(in, i);
      for (int d = rank - 1; d >= 0; --d) {
        o += out_stride[d];
        if (++idx[d] < in.dim(d)) break;
        o -= out_stride[d] * idx[d];
        idx[d] = 0;
      }
    }
    const int32_t qmin = QuantMin(out.type), qmax = QuantMax(out.type);
    for (size_t k = 0; k < sums.size(); ++k) {
      StoreQ(out, static_cast<int64_t>(k), Finish(sums[k], qmin, qmax, out.type));
    }
  }

 private:
  int32_t Finish(int64_t sum, int32_t qmin, int32_t qmax, DType type) const {
    if (count_ == 0) return 0;
    if (spatial_mean_) {
      const int32_t acc =
          MultiplyByQuantizedMultiplier(static_cast<int32_t>(sum), mult_) + bias_;
      return std::clamp(acc, qmin, qmax);
    }
    if (same_params_) {
      if (mean_) return static_cast<int32_t>(sum / count_);
      return Wrap(sum, type);
    }
    // TFLite 2.12 QuantizedMeanOrSum, in float: s = in_scale / out_scale,
    // MEAN round(sum / n * s - in_zp * s) + out_zp, SUM round(sum * s - in_zp * s * n) + out_zp.
    const float scale = in_scale_ / out_scale_;
    const float n = static_cast<float>(count_);
    float r;
    if (mean_) {
      const float mean = static_cast<float>(sum) / n;
      r = std::round(mean * scale + static_cast<float>(-in_zp_) * scale);
    } else {
      r = std::round(static_cast<float>(sum) * scale + static_cast<float>(-in_zp_) * scale * n);
    }
    r = std::clamp(r + static_cast<float>(out_zp_), static_cast<float>(qmin),
                   static_cast<float>(qmax));
    return static_cast<int32_t>(r);
  }

  static int32_t Wrap(int64_t v, DType type) {
    switch (type) {
      case DType::kInt8: return static_cast<int8_t>(v);
      case DType::kUInt8: return static_cast<uint8_t>(v);
      default: return static_cast<int16_t>(v);
    }
  }

  bool mean_;
  std::vector<bool> reduced_;
  int64_t count_ = 1;
  float in_scale_ = 1, out_scale_ = 1;
  int32_t in_zp_ = 0, out_zp_ = 0, bias_ = 0;
  bool same_params_ = false, spatial_mean_ = false;
  QuantizedMultiplier mult_;
};

bool Accepts(const KernelContext& ctx) {
  const DType t = InType(ctx, 0);
  return (IsQ8(t) || t == DType::kInt16) && OutType(ctx, 0) == t && OptIn(ctx, 1) != nullptr;
}

std::unique_ptr<OpKernel> MeanFactory(const KernelContext& ctx) {
  if (!Accepts(ctx)) return nullptr;
  return std::make_unique<QuantizedReduce>(true);
}

std::unique_ptr<OpKernel> SumFactory(const KernelContext& ctx) {
  if (!Accepts(ctx)) return nullptr;
  return std::make_unique<QuantizedReduce>(false);
}

}  // namespace

void RegisterReduce(KernelRegistry& r) {
  r.Register(OpType::MEAN, "ref/quantized/mean", kRefPriority, MeanFactory);
  r.Register(OpType::SUM, "ref/quantized/sum", kRefPriority, SumFactory);
}

}  // namespace cae::qref
