// Fast FULLY_CONNECTED, float32: weights [units, depth] (default format), optional bias [units],
// input read as rows of depth values (keep_num_dims only shapes the output, which already has its
// shape), any fused activation the reference applies. Identical to ref/float: every output is
// summed in the reference's order (depth 0, 1, ..., one rounding per product and per addition,
// no FMA: FMA's single rounding made a Dense autoencoder's sigmoid outputs drift by 1e-4), then
// the bias is added and the activation applied.
// GEMM: weights are packed once (again only when they change) as [depth][units padded] so that
// a vector of consecutive output units is one load; 4 input rows x 2 vectors of units accumulate
// in registers with one broadcast per row and depth step (Highway dynamic dispatch). Work is split
// over the ThreadPool by groups of 4 rows; each group walks the column blocks so a block of packed
// weights stays in cache across the rows of a chunk; a last group of 1-3 rows computes only those.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/fully_connected_float.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "kernels/fast/fast_kernels.h"
#include "kernels/fast/fc_tile_hwy-inl.h"
#include "kernels/parallel.h"
#include "kernels/ref/float/common.h"
#include "kernels/ref/quantized/conv_prepare.h"

// Target-independent parts (this file is compiled once per target by foreach_target).
#ifndef CAE_FAST_FC_FLOAT_SHARED_
#define CAE_FAST_FC_FLOAT_SHARED_
namespace cae::fast {
// What one call of the row kernel works on.
struct FcF32Args {
  const float* x = nullptr;       // [rows][depth]
  int64_t rows = 0;
  int depth = 0, units = 0, units_padded = 0;
  const float* packed = nullptr;  // [depth][units_padded]
  const float* bias = nullptr;    // [units_padded], zeros past units (and all zeros without bias)
  float lo = 0, hi = 0;           // activation clamp
  float* out = nullptr;           // [rows][units]
};
}  // namespace cae::fast
#endif  // CAE_FAST_FC_FLOAT_SHARED_

// GCC contracts a vector multiply and add into FMA in C++ by default; the reference's order and
// roundings are kept only without contraction.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Units per column block: two vectors.
int FcBlockF32() { return 2 * static_cast<int>(hn::Lanes(hn::ScalableTag<float>())); }

// R (1..4) rows from r0 times units [o0, o0 + n), n <= 2N.
template <int R>
HWY_INLINE void TileF32(const FcF32Args& a, int64_t r0, int o0, int n) {
  const hn::ScalableTag<float> d;
  const int N = static_cast<int>(hn::Lanes(d));
  const float* x = a.x + r0 * a.depth;  // row j's inputs start at x + j * depth
  auto c00 = hn::Zero(d), c01 = hn::Zero(d), c10 = hn::Zero(d), c11 = hn::Zero(d);
  auto c20 = hn::Zero(d), c21 = hn::Zero(d), c30 = hn::Zero(d), c31 = hn::Zero(d);
  using V = decltype(c00);
  const float* w = a.packed + o0;
  for (int k = 0; k < a.depth; ++k, w += a.units_padded) {
    const auto w0 = hn::LoadU(d, w), w1 = hn::LoadU(d, w + N);
    ForEachTileRow<R>(
        [&](int j, V& c0, V& c1) {
          const auto v = hn::Set(d, x[j * a.depth + k]);
          c0 = hn::Add(c0, hn::Mul(v, w0));
          c1 = hn::Add(c1, hn::Mul(v, w1));
        },
        c00, c01, c10, c11, c20, c21, c30, c31);
  }
  const auto b0 = hn::LoadU(d, a.bias + o0), b1 = hn::LoadU(d, a.bias + o0 + N);
  const auto vlo = hn::Set(d, a.lo), vhi = hn::Set(d, a.hi);
  HWY_ALIGN float tile[2 * HWY_MAX_BYTES / sizeof(float)];
  ForEachTileRow<R>(
      [&](int j, V v0, V v1) {
        v0 = hn::Min(hn::Max(hn::Add(v0, b0), vlo), vhi);
        v1 = hn::Min(hn::Max(hn::Add(v1, b1), vlo), vhi);
        StoreTilePair(d, v0, v1, n, tile, a.out + (r0 + j) * a.units + o0);
      },
      c00, c01, c10, c11, c20, c21, c30, c31);
}

// Row groups [g0, g1) of 4 rows (the last group may hold fewer).
void FcRowGroupsF32(const FcF32Args& a, int64_t g0, int64_t g1) {
  const int N = static_cast<int>(hn::Lanes(hn::ScalableTag<float>()));
  for (int o0 = 0; o0 < a.units; o0 += 2 * N) {
    const int n = std::min(2 * N, a.units - o0);
    for (int64_t g = g0; g < g1; ++g) {
      switch (std::min<int64_t>(4, a.rows - 4 * g)) {
        case 4: TileF32<4>(a, 4 * g, o0, n); break;
        case 3: TileF32<3>(a, 4 * g, o0, n); break;
        case 2: TileF32<2>(a, 4 * g, o0, n); break;
        default: TileF32<1>(a, 4 * g, o0, n); break;
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(FcBlockF32);
HWY_EXPORT(FcRowGroupsF32);

namespace {

using ref::Input;
using ref::Output;

class FastFullyConnectedF32 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const qref::FullyConnectedShape s = qref::CheckFullyConnectedShape(ctx);
    if (ref::HasInput(ctx, 2))
      ref::KCheck(ctx, Input(ctx, 2).num_elements() == s.units, "bias has ",
                  Input(ctx, 2).num_elements(), " elements, expected ", s.units);
    const Activation act = ctx.op->options.activation;
    ref::CheckActivation(ctx, act);
    lo_ = std::numeric_limits<float>::lowest();
    hi_ = std::numeric_limits<float>::max();
    if (act == Activation::kRelu) lo_ = 0.0f;
    if (act == Activation::kRelu6) lo_ = 0.0f, hi_ = 6.0f;
    if (act == Activation::kReluN1To1) lo_ = -1.0f, hi_ = 1.0f;
    tanh_ = act == Activation::kTanh;
    const int block = HWY_DYNAMIC_DISPATCH(FcBlockF32)();
    const int padded = (s.units + block - 1) / block * block;
    if (padded != units_padded_ || s.depth != depth_ || s.units != units_) packed_for_ = nullptr;
    units_ = s.units;
    depth_ = s.depth;
    units_padded_ = padded;
    bias_.assign(static_cast<size_t>(units_padded_), 0.0f);
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& w = Input(ctx, 1);
    if (!w.is_constant || w.data != packed_for_) {
      Pack(w.as<float>());
      packed_for_ = w.data;
    }
    if (ref::HasInput(ctx, 2))
      std::memcpy(bias_.data(), Input(ctx, 2).data, sizeof(float) * static_cast<size_t>(units_));
    const TensorView& in = Input(ctx, 0);
    FcF32Args a;
    a.x = in.as<float>();
    a.rows = in.num_elements() / depth_;
    a.depth = depth_;
    a.units = units_;
    a.units_padded = units_padded_;
    a.packed = packed_.data();
    a.bias = bias_.data();
    a.lo = lo_;
    a.hi = hi_;
    a.out = Output(ctx, 0).as<float>();
    const int64_t groups = (a.rows + 3) / 4;
    ParallelFor(ctx.pool, groups, 1, [&](int64_t begin, int64_t end) {
      HWY_DYNAMIC_DISPATCH(FcRowGroupsF32)(a, begin, end);
      if (!tanh_) return;
      float* y = a.out + 4 * begin * units_;
      const int64_t n = (std::min(4 * end, a.rows) - 4 * begin) * units_;
      for (int64_t i = 0; i < n; ++i) y[i] = ref::Activate(y[i], Activation::kTanh);
    });
  }

 private:
  // [units][depth] -> [depth][units_padded_], zeros in the padding.
  void Pack(const float* w) {
    packed_.assign(static_cast<size_t>(depth_) * units_padded_, 0.0f);
    for (int u = 0; u < units_; ++u)
      for (int k = 0; k < depth_; ++k)
        packed_[static_cast<size_t>(k) * units_padded_ + u] = w[static_cast<size_t>(u) * depth_ + k];
  }

  int units_ = 0, depth_ = 0, units_padded_ = 0;
  float lo_ = 0, hi_ = 0;
  bool tanh_ = false;
  std::vector<float> packed_, bias_;
  const void* packed_for_ = nullptr;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!ref::InputIs(ctx, 0, DType::kFloat32) || !ref::InputIs(ctx, 1, DType::kFloat32) ||
      !ref::OutputIs(ctx, 0, DType::kFloat32))
    return nullptr;
  if (ref::HasInput(ctx, 2) && !ref::InputIs(ctx, 2, DType::kFloat32)) return nullptr;
  return std::make_unique<FastFullyConnectedF32>();
}

}  // namespace

void RegisterFastFullyConnectedF32(KernelRegistry& r) {
  r.Register(OpType::FULLY_CONNECTED, "fast/float/fully_connected", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
