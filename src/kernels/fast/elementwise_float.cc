// Fast float32 elementwise ops (Highway vector loops, dynamic dispatch, spread over the pool):
//  - unary: LOGISTIC (1 / (1 + exp(-x)), Highway's Exp within 1 ULP, so within 1e-6 relative of
//    the reference), TANH (Highway's Tanh, 4 ULP), RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1 and
//    LEAKY_RELU (exact: same comparisons and products as the reference);
//  - binary: ADD, SUB, MUL (fused None/Relu/Relu6/ReluN1To1), MAXIMUM, MINIMUM when both inputs
//    have the output's shape, or one of them is a scalar or broadcasts as a trailing block (its
//    shape, leading 1s dropped, ends the output shape: per-channel constants such as a folded
//    BatchNorm). Exact: one IEEE operation and a clamp per element, as the reference. Other
//    broadcasts are left to the reference kernel (the factory returns nullptr).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/elementwise_float.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

#include "graph/shape_inference.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/ref/float/common.h"

#ifndef CAE_FAST_ELEMENTWISE_KINDS
#define CAE_FAST_ELEMENTWISE_KINDS
namespace cae::fast {
// Unary function computed by UnaryF32.
enum class UnaryKind : int { kLogistic, kTanh, kClamp, kLeakyRelu };
// Binary operation computed by BinaryF32.
enum class BinaryKind : int { kAdd, kSub, kMul, kMax, kMin };
}  // namespace cae::fast
#endif

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// y[i] = f(x[i]) for i in [0, n). p0/p1: clamp bounds (kClamp) or alpha (kLeakyRelu, p0).
void UnaryF32(int kind, const float* x, float* y, int64_t n, float p0, float p1) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto one = hn::Set(d, 1.0f);
  // exp(88) is finite; beyond it the logistic is below 1e-38 either way.
  const auto exp_max = hn::Set(d, 88.0f);
  const auto a = hn::Set(d, p0), b = hn::Set(d, p1);
  auto f = [&](hn::Vec<decltype(d)> v) {
    switch (static_cast<UnaryKind>(kind)) {
      case UnaryKind::kLogistic:
        return hn::Div(one, hn::Add(one, hn::Exp(d, hn::Min(exp_max, hn::Neg(v)))));
      case UnaryKind::kTanh: return hn::Tanh(d, v);
      case UnaryKind::kClamp: return hn::Min(hn::Max(v, a), b);
      case UnaryKind::kLeakyRelu:
        return hn::IfThenElse(hn::Gt(v, hn::Zero(d)), v, hn::Mul(v, a));
    }
    return v;
  };
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(f(hn::LoadU(d, x + i)), d, y + i);
  if (i < n) {
    HWY_ALIGN float buf[64] = {};
    std::copy(x + i, x + n, buf);
    hn::Store(f(hn::Load(d, buf)), d, buf);
    std::copy(buf, buf + (n - i), y + i);
  }
}

template <class D, class V>
HWY_INLINE V BinaryOp(D, BinaryKind k, V a, V b) {
  switch (k) {
    case BinaryKind::kAdd: return hn::Add(a, b);
    case BinaryKind::kSub: return hn::Sub(a, b);
    case BinaryKind::kMul: return hn::Mul(a, b);
    case BinaryKind::kMax: return hn::Max(a, b);
    case BinaryKind::kMin: return hn::Min(a, b);
  }
  return a;
}

// y[i] = clamp(op(a[i % na], b[i % nb]), lo, hi) for i in [0, n), where na and nb are n or a
// divisor of n (the broadcast operand, already repeated to a length that is a multiple of its
// block) and the other operand is full. 'begin' is the first index of this range in the tensor.
void BinaryF32(int kind, const float* a, int64_t na, const float* b, int64_t nb, float* y,
               int64_t begin, int64_t end, float lo, float hi) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto k = static_cast<BinaryKind>(kind);
  const auto vlo = hn::Set(d, lo), vhi = hn::Set(d, hi);
  // Rows of the shorter operand's length; within a row every index is contiguous.
  const int64_t row = std::min(na, nb);
  int64_t i = begin;
  while (i < end) {
    const int64_t ja = i % na, jb = i % nb;
    const int64_t len = std::min(end - i, row - (i % row));
    const float* pa = a + ja;
    const float* pb = b + jb;
    float* py = y + i;
    int64_t j = 0;
    for (; j + N <= len; j += N) {
      const auto v = BinaryOp(d, k, hn::LoadU(d, pa + j), hn::LoadU(d, pb + j));
      hn::StoreU(hn::Min(hn::Max(v, vlo), vhi), d, py + j);
    }
    for (; j < len; ++j) {
      const auto v = BinaryOp(d, k, hn::Set(d, pa[j]), hn::Set(d, pb[j]));
      py[j] = hn::GetLane(hn::Min(hn::Max(v, vlo), vhi));
    }
    i += len;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(UnaryF32);
HWY_EXPORT(BinaryF32);

namespace {

using ref::Input;
using ref::KCheck;
using ref::Output;

// Elements per ParallelFor item.
constexpr int64_t kBlock = 4096;

class FastUnaryF32 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    ref::CheckOutputShape(ctx, 0, Input(ctx, 0).shape);
    const float inf = std::numeric_limits<float>::infinity();
    switch (ctx.op->type) {
      case OpType::LOGISTIC: kind_ = UnaryKind::kLogistic; break;
      case OpType::TANH: kind_ = UnaryKind::kTanh; break;
      case OpType::RELU: kind_ = UnaryKind::kClamp, p0_ = 0.0f, p1_ = inf; break;
      case OpType::RELU6: kind_ = UnaryKind::kClamp, p0_ = 0.0f, p1_ = 6.0f; break;
      case OpType::RELU_N1_TO_1: kind_ = UnaryKind::kClamp, p0_ = -1.0f, p1_ = 1.0f; break;
      case OpType::RELU_0_TO_1: kind_ = UnaryKind::kClamp, p0_ = 0.0f, p1_ = 1.0f; break;
      case OpType::LEAKY_RELU: kind_ = UnaryKind::kLeakyRelu, p0_ = ctx.op->options.alpha; break;
      default: KCheck(ctx, false, "not an elementwise op of this kernel");
    }
  }

  void Eval(const KernelContext& ctx) override {
    const float* x = Input(ctx, 0).as<float>();
    float* y = Output(ctx, 0).as<float>();
    const int64_t n = Input(ctx, 0).num_elements();
    ParallelFor(ctx.pool, (n + kBlock - 1) / kBlock, 4, [&](int64_t begin, int64_t end) {
      const int64_t i0 = begin * kBlock, i1 = std::min(n, end * kBlock);
      HWY_DYNAMIC_DISPATCH(UnaryF32)(static_cast<int>(kind_), x + i0, y + i0, i1 - i0, p0_, p1_);
    });
  }

 private:
  UnaryKind kind_ = UnaryKind::kClamp;
  float p0_ = 0, p1_ = 0;
};

// True if `small`, leading 1s dropped, is a suffix of `out` (so small[i % size] is its value at
// output element i).
bool IsTrailingBlock(const std::vector<int32_t>& small, const std::vector<int32_t>& out) {
  size_t first = 0;
  while (first < small.size() && small[first] == 1) ++first;
  const size_t len = small.size() - first;
  if (len > out.size()) return false;
  return std::equal(small.begin() + static_cast<std::ptrdiff_t>(first), small.end(),
                    out.end() - static_cast<std::ptrdiff_t>(len));
}

class FastBinaryF32 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& a = Input(ctx, 0);
    const TensorView& b = Input(ctx, 1);
    std::vector<int32_t> out;
    try {
      out = BroadcastShapes(a.shape, b.shape);
    } catch (const Error& e) {
      Fail(ctx.Describe(), ": ", e.what());
    }
    ref::CheckOutputShape(ctx, 0, out);
    const Activation act = ctx.op->options.activation;
    const bool fused = ctx.op->type == OpType::ADD || ctx.op->type == OpType::SUB ||
                       ctx.op->type == OpType::MUL;
    lo_ = -std::numeric_limits<float>::infinity();
    hi_ = std::numeric_limits<float>::infinity();
    if (fused && act == Activation::kRelu) lo_ = 0.0f;
    if (fused && act == Activation::kRelu6) lo_ = 0.0f, hi_ = 6.0f;
    if (fused && act == Activation::kReluN1To1) lo_ = -1.0f, hi_ = 1.0f;
    // Shapes can change with the batch after the factory accepted them: anything not handled
    // here runs through the reference kernel's broadcasting.
    a_block_ = IsTrailingBlock(a.shape, out) ? a.num_elements() : 0;
    b_block_ = IsTrailingBlock(b.shape, out) ? b.num_elements() : 0;
    const int64_t n = NumElements(out);
    fallback_.reset();
    if (!(a_block_ == n || b_block_ == n) || a_block_ == 0 || b_block_ == 0 || n == 0) {
      fallback_ = DefaultKernelRegistry().Create(ctx, kRefPriority);
      fallback_->Prepare(ctx);
    }
  }

  void Eval(const KernelContext& ctx) override {
    if (fallback_) return fallback_->Eval(ctx);
    const float* a = Input(ctx, 0).as<float>();
    const float* b = Input(ctx, 1).as<float>();
    float* y = Output(ctx, 0).as<float>();
    const int64_t n = Output(ctx, 0).num_elements();
    // A broadcast operand shorter than a vector row is repeated into a longer buffer whose
    // length is a multiple of its own (so x[i % len] is unchanged).
    int64_t na = a_block_, nb = b_block_;
    if (na < n && na < kRepeat) a = Repeat(a, na, &a_rep_, &na, n);
    if (nb < n && nb < kRepeat) b = Repeat(b, nb, &b_rep_, &nb, n);
    const int kind = static_cast<int>(kind_for(ctx.op->type));
    ParallelFor(ctx.pool, (n + kBlock - 1) / kBlock, 4, [&](int64_t begin, int64_t end) {
      HWY_DYNAMIC_DISPATCH(BinaryF32)(kind, a, na, b, nb, y, begin * kBlock,
                                      std::min(n, end * kBlock), lo_, hi_);
    });
  }

 private:
  static constexpr int64_t kRepeat = 256;

  static BinaryKind kind_for(OpType t) {
    switch (t) {
      case OpType::ADD: return BinaryKind::kAdd;
      case OpType::SUB: return BinaryKind::kSub;
      case OpType::MUL: return BinaryKind::kMul;
      case OpType::MAXIMUM: return BinaryKind::kMax;
      default: return BinaryKind::kMin;
    }
  }

  // Fills *buf with x[0..len) repeated to at least kRepeat values (not beyond n, which len
  // divides); returns the buffer and its length.
  static const float* Repeat(const float* x, int64_t len, std::vector<float>* buf,
                             int64_t* out_len, int64_t n) {
    const int64_t total = std::min(n, (kRepeat + len - 1) / len * len);
    buf->resize(static_cast<size_t>(total));
    for (int64_t i = 0; i < total; ++i) (*buf)[static_cast<size_t>(i)] = x[i % len];
    *out_len = total;
    return buf->data();
  }

  int64_t a_block_ = 0, b_block_ = 0;
  float lo_ = 0, hi_ = 0;
  std::vector<float> a_rep_, b_rep_;
  std::unique_ptr<OpKernel> fallback_;
};

std::unique_ptr<OpKernel> CreateUnary(const KernelContext& ctx) {
  if (!ref::InputIs(ctx, 0, DType::kFloat32) || !ref::OutputIs(ctx, 0, DType::kFloat32))
    return nullptr;
  return std::make_unique<FastUnaryF32>();
}

std::unique_ptr<OpKernel> CreateBinary(const KernelContext& ctx) {
  if (!ref::InputIs(ctx, 0, DType::kFloat32) || !ref::InputIs(ctx, 1, DType::kFloat32) ||
      !ref::OutputIs(ctx, 0, DType::kFloat32))
    return nullptr;
  const OpType t = ctx.op->type;
  if (t == OpType::ADD || t == OpType::SUB || t == OpType::MUL) {
    switch (ctx.op->options.activation) {
      case Activation::kNone:
      case Activation::kRelu:
      case Activation::kRelu6:
      case Activation::kReluN1To1: break;
      default: return nullptr;
    }
  }
  const auto& a = ctx.inputs[0]->shape;
  const auto& b = ctx.inputs[1]->shape;
  std::vector<int32_t> out;
  try {
    out = BroadcastShapes(a, b);
  } catch (const Error&) {
    return nullptr;
  }
  const bool a_ok = IsTrailingBlock(a, out), b_ok = IsTrailingBlock(b, out);
  if (!a_ok || !b_ok || (NumElements(a) != NumElements(out) && NumElements(b) != NumElements(out)))
    return nullptr;
  return std::make_unique<FastBinaryF32>();
}

}  // namespace

void RegisterFastElementwiseF32(KernelRegistry& r) {
  for (OpType t : {OpType::LOGISTIC, OpType::TANH, OpType::RELU, OpType::RELU6,
                   OpType::RELU_N1_TO_1, OpType::RELU_0_TO_1, OpType::LEAKY_RELU})
    r.Register(t, "fast/float/unary", kFastPriority, CreateUnary);
  for (OpType t : {OpType::ADD, OpType::SUB, OpType::MUL, OpType::MAXIMUM, OpType::MINIMUM})
    r.Register(t, "fast/float/binary", kFastPriority, CreateBinary);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
