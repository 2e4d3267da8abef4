// FULLY_CONNECTED, float32: weights [O, K], optional bias [O]; the input is read as rows of K
// values. Output [rows, O], or the input's shape with the last dim replaced by O (keep_num_dims).
#include "kernels/parallel.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class FullyConnected : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const OpOptions& o = ctx.op->options;
    const TensorView& in = Input(ctx, 0);
    const TensorView& w = Input(ctx, 1);
    KCheck(ctx, o.weights_format == 0, "shuffled weights format is not supported");
    KCheck(ctx, w.rank() == 2 && w.dim(1) > 0, "weights must be [out, in], got ", ShapeToString(w.shape));
    KCheck(ctx, in.num_elements() % w.dim(1) == 0, "input ", ShapeToString(in.shape),
           " is not a whole number of rows of ", w.dim(1));
    if (HasInput(ctx, 2))
      KCheck(ctx, Input(ctx, 2).num_elements() == w.dim(0), "bias has ",
             Input(ctx, 2).num_elements(), " elements, expected ", w.dim(0));
    CheckActivation(ctx, o.activation);
    const TensorView& out = Output(ctx, 0);
    KCheck(ctx, out.num_elements() == in.num_elements() / w.dim(1) * w.dim(0), "output ",
           ShapeToString(out.shape), " does not fit input ", ShapeToString(in.shape),
           " and weights ", ShapeToString(w.shape));
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const TensorView& w = Input(ctx, 1);
    const float* input = in.as<float>();
    const float* weights = w.as<float>();
    const float* bias = HasInput(ctx, 2) ? Input(ctx, 2).as<float>() : nullptr;
    float* output = Output(ctx, 0).as<float>();
    const int64_t k = w.dim(1), outs = w.dim(0);
    const int64_t rows = in.num_elements() / k;
    const Activation act = ctx.op->options.activation;
    ParallelFor(ctx.pool, rows, 1, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const float* x = input + r * k;
        for (int64_t oc = 0; oc < outs; ++oc) {
          const float* f = weights + oc * k;
          float acc = 0.0f;
          for (int64_t i = 0; i < k; ++i) acc += x[i] * f[i];
          if (bias) acc += bias[oc];
          output[r * outs + oc] = Activate(acc, act);
        }
      }
    });
  }
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!InputIs(ctx, 0, DType::kFloat32) || !InputIs(ctx, 1, DType::kFloat32) ||
      !OutputIs(ctx, 0, DType::kFloat32))
    return nullptr;
  if (HasInput(ctx, 2) && !InputIs(ctx, 2, DType::kFloat32)) return nullptr;
  return std::make_unique<FullyConnected>();
}

}  // namespace

void RegisterFullyConnected(KernelRegistry& r) {
  r.Register(OpType::FULLY_CONNECTED, "ref/float/fully_connected", kRefPriority, Create);
}

}  // namespace cae::ref
