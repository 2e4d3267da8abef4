// SOFTMAX (with beta) and LOG_SOFTMAX over the last axis, float32.
#include <cmath>
#include <limits>

#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

template <bool kLog>
class Softmax : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    KCheck(ctx, in.rank() >= 1, "input must have rank >= 1");
    CheckOutputShape(ctx, 0, in.shape);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const float* x = in.as<float>();
    float* y = Output(ctx, 0).as<float>();
    const int64_t depth = in.dim(in.rank() - 1);
    const int64_t rows = depth > 0 ? in.num_elements() / depth : 0;
    const float beta = ctx.op->options.beta;
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * depth;
      float* yr = y + r * depth;
      float max = std::numeric_limits<float>::lowest();
      for (int64_t i = 0; i < depth; ++i) max = std::max(max, xr[i]);
      float sum = 0.0f;
      if (kLog) {
        for (int64_t i = 0; i < depth; ++i) sum += std::exp(xr[i] - max);
        const float log_sum = std::log(sum);
        for (int64_t i = 0; i < depth; ++i) yr[i] = xr[i] - max - log_sum;
      } else {
        for (int64_t i = 0; i < depth; ++i) sum += std::exp((xr[i] - max) * beta);
        for (int64_t i = 0; i < depth; ++i) yr[i] = std::exp((xr[i] - max) * beta) / sum;
      }
    }
  }
};

template <bool kLog>
std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!InputIs(ctx, 0, DType::kFloat32) || !OutputIs(ctx, 0, DType::kFloat32)) return nullptr;
  return std::make_unique<Softmax<kLog>>();
}

}  // namespace

void RegisterSoftmax(KernelRegistry& r) {
  r.Register(OpType::SOFTMAX, "ref/float/softmax", kRefPriority, Create<false>);
  r.Register(OpType::LOG_SOFTMAX, "ref/float/log_softmax", kRefPriority, Create<true>);
}

}  // namespace cae::ref
