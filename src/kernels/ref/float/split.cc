// SPLIT (inputs: axis, input; equal parts, one per output) and SPLIT_V (inputs: input,
// size_splits with at most one -1, axis), any element type whose quantization is unchanged.
#include <cstring>

#include "graph/shape_inference.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class Split : public OpKernel {
 public:
  explicit Split(bool v) : v_(v) {}

  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, data_index());
    const std::vector<int64_t> axis = ReadInts(ctx, v_ ? 2 : 0, "axis");
    KCheck(ctx, axis.size() == 1 && axis[0] >= -in.rank() && axis[0] < in.rank(),
           "axis must be one value in range for rank ", in.rank());
    axis_ = NormalizeAxis(axis[0], in.rank());
    const int64_t n = static_cast<int64_t>(ctx.outputs.size());
    sizes_.clear();
    if (!v_) {
      KCheck(ctx, in.dim(axis_) % n == 0, "dim ", in.dim(axis_), " does not split into ", n, " parts");
      sizes_.assign(n, in.dim(axis_) / n);
    } else {
      std::vector<int64_t> s = ReadInts(ctx, 1, "size_splits");
      KCheck(ctx, static_cast<int64_t>(s.size()) == n, "size_splits has ", s.size(), " values for ",
             n, " outputs");
      int64_t sum = 0;
      int unknown = -1;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == -1 && unknown < 0) { unknown = static_cast<int>(i); continue; }
        KCheck(ctx, s[i] >= 0, "bad split size ", s[i]);
        sum += s[i];
      }
      if (unknown >= 0) {
        KCheck(ctx, sum <= in.dim(axis_), "split sizes exceed dim ", in.dim(axis_));
        s[unknown] = in.dim(axis_) - sum;
      } else {
        KCheck(ctx, sum == in.dim(axis_), "split sizes sum to ", sum, ", dim is ", in.dim(axis_));
      }
      sizes_ = s;
    }
    for (size_t i = 0; i < sizes_.size(); ++i) {
      std::vector<int32_t> out = in.shape;
      out[axis_] = static_cast<int32_t>(sizes_[i]);
      CheckOutputShape(ctx, i, out);
    }
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, data_index());
    const size_t elem = DTypeSize(in.type);
    int64_t outer = 1, inner = static_cast<int64_t>(elem);
    for (int d = 0; d < axis_; ++d) outer *= in.dim(d);
    for (int d = axis_ + 1; d < in.rank(); ++d) inner *= in.dim(d);
    const int64_t in_row = in.dim(axis_) * inner;
    const uint8_t* x = in.as<uint8_t>();
    int64_t offset = 0;
    for (size_t i = 0; i < sizes_.size(); ++i) {
      const int64_t row = sizes_[i] * inner;
      uint8_t* y = Output(ctx, i).as<uint8_t>();
      for (int64_t o = 0; o < outer; ++o)
        if (row > 0) std::memcpy(y + o * row, x + o * in_row + offset, static_cast<size_t>(row));
      offset += row;
    }
  }

 private:
  size_t data_index() const { return v_ ? 0 : 1; }
  bool v_;
  int axis_ = 0;
  std::vector<int64_t> sizes_;
};

// IsElementCopy looks at input 0; SPLIT's data is input 1.
bool SplitTypesOk(const KernelContext& ctx, size_t data) {
  if (!HasInput(ctx, data) || ctx.outputs.empty()) return false;
  KernelContext view = ctx;
  view.inputs = {ctx.inputs[data]};
  return IsElementCopy(view);
}

std::unique_ptr<OpKernel> CreateSplit(const KernelContext& ctx) {
  if (!SplitTypesOk(ctx, 1)) return nullptr;
  return std::make_unique<Split>(false);
}
std::unique_ptr<OpKernel> CreateSplitV(const KernelContext& ctx) {
  if (!SplitTypesOk(ctx, 0)) return nullptr;
  return std::make_unique<Split>(true);
}

}  // namespace

void RegisterSplit(KernelRegistry& r) {
  r.Register(OpType::SPLIT, "ref/float/split", kRefPriority, CreateSplit);
  r.Register(OpType::SPLIT_V, "ref/float/split_v", kRefPriority, CreateSplitV);
}

}  // namespace cae::ref
