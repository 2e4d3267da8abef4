// Fast FULLY_CONNECTED, int8 (per-tensor or per-channel weights, single rounding) and uint8
// (weights with a zero point, double rounding): bit-exact with ref/quantized/fully_connected.
// Same multipliers (per-tensor: float product of the input and weight scales; per-channel: double
// product), same output stage (kernels/quant_math.h; int8 through Int8OutputStage), same clamp.
// The int32 accumulator is the reference's sum, rearranged (integer addition mod 2^32):
//   sum_k (w + fo)(x + io) = sum_k w x + io sum_k w + fo sum_k x + depth io fo
// with io, fo the negated input and weight zero points; the terms of each unit (plus bias) are
// computed once when the weights are packed, the fo term once per row. The output stage runs on
// whole vectors (lane forms of the same integer arithmetic, requantize_hwy-inl.h for uint8).
// GEMM (Highway dynamic dispatch): weights are packed once (again only when they change) so that
// consecutive output units are one vector; 4 input rows x 2 vectors of units accumulate in
// registers (a last group of 1-3 rows computes only those). On x86 weights are int16 pairs
// [depth/2][units padded][2] and two depth steps go through one pmaddwd (raw 8-bit values: every
// pair sum fits an int32); elsewhere int32 [depth][units padded] with Mul+Add. Rows are split
// over the ThreadPool in groups of 4.
// With AVX-512 VNNI (conv_int8_vnni.h) the whole op runs there instead, as a 1x1 CONV_2D over a
// [1, rows, 1, depth] image (pixels = rows, blocked several at a time): int8 with symmetric
// weights, uint8 with per-tensor weights; the same multipliers and rounding.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/fully_connected_q8.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/fast/conv_geometry.h"
#include "kernels/fast/conv_int8_vnni.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/fast/fc_tile_hwy-inl.h"
#include "kernels/fast/int8_output_stage.h"
#include "kernels/fast/requantize_hwy-inl.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"
#include "kernels/ref/quantized/conv_prepare.h"
#include "kernels/ref/quantized/qutil.h"

// Target-independent parts (this file is compiled once per target by foreach_target).
#ifndef CAE_FAST_FC_Q8_SHARED_
#define CAE_FAST_FC_Q8_SHARED_
namespace cae::fast {
// What one call of the row kernel works on.
struct FcQ8Args {
  const void* x = nullptr;  // [rows][depth] int8 or uint8
  int64_t rows = 0;
  int depth = 0, units = 0, units_padded = 0;
  const int16_t* packed16 = nullptr;  // paired layout (x86)
  const int32_t* packed32 = nullptr;  // [depth][units_padded] (other targets)
  const int32_t* unit_term = nullptr;  // [units_padded] bias + io * sum w + depth * io * fo
  int32_t filter_offset = 0;           // fo: the row term is fo * sum_k x
  bool single_rounding = true;         // int8; uint8 rounds twice
  Int8OutputStage stage;               // multipliers, output zero point, clamp
  // The same multipliers per lane, [units_padded] (padding: harmless values): the multiplier,
  // single rounding's 64-bit shift and rounding term for even and odd units ([units_padded / 2]),
  // double rounding's 2^left and right-shift constants.
  const int32_t* q_mult = nullptr;
  const int64_t *sr_shift_even = nullptr, *sr_shift_odd = nullptr;
  const int64_t *sr_round_even = nullptr, *sr_round_odd = nullptr;
  const int32_t *dr_left = nullptr, *dr_right = nullptr, *dr_mask = nullptr, *dr_thr = nullptr;
  void* out = nullptr;                 // [rows][units]
};

// Rows prepared (and column blocks walked) together: 8 groups of 4.
inline constexpr int kGroupsPerPass = 8;

// int32 values of the row kernel's scratch: one pass of rows, each of at most `depth` steps.
inline size_t FcScratchQ8(int depth) {
  return static_cast<size_t>(kGroupsPerPass) * 4 * static_cast<size_t>(depth);
}

// The output stage of one accumulator for unit u.
inline int32_t FcRequantize(const FcQ8Args& a, int32_t acc, int u) {
  const QuantizedMultiplier& m = a.stage.mult[u];
  const int32_t v = (a.single_rounding ? MultiplyByQuantizedMultiplierSingleRounding(acc, m)
                                       : MultiplyByQuantizedMultiplier(acc, m)) +
                    a.stage.output_offset;
  return std::clamp(v, a.stage.act_min, a.stage.act_max);
}
}  // namespace cae::fast
#endif  // CAE_FAST_FC_Q8_SHARED_

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#undef CAE_FC_PAIRED
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
// ReorderWidenMulAccumulate on int16 is pmaddwd on x86: int32 lane i receives
// a[2i]*b[2i] + a[2i+1]*b[2i+1], which the pair layout relies on.
#define CAE_FC_PAIRED 1
inline constexpr bool kPaired = true;
#else
#define CAE_FC_PAIRED 0
inline constexpr bool kPaired = false;
#endif

bool FcPairedQ8() { return kPaired; }
// Units per column block: two int32 vectors.
int FcBlockQ8() { return 2 * static_cast<int>(hn::Lanes(hn::ScalableTag<int32_t>())); }

// The output stage of 2 vectors of accumulators per lane, as FcRequantize: units [o, o + N) and
// [o + N, o + 2N) (o even, so even lanes are even units).
template <class D>
HWY_INLINE hn::Vec<D> RequantizeVec(D d, const FcQ8Args& a, hn::Vec<D> acc, int o) {
#if HWY_TARGET == HWY_SCALAR
  // One lane: unit o, which may be past the last unit (stage.mult has only `units` entries).
  return o < a.units ? hn::Set(d, FcRequantize(a, hn::GetLane(acc), o)) : hn::Zero(d);
#else
  hn::Vec<D> r;
  const auto m = hn::LoadU(d, a.q_mult + o);
  if (a.single_rounding) {
    // (acc * m + round) >> total_shift in 64 bits; even and odd lanes separately.
    const hn::Repartition<int64_t, D> d64;
    const hn::Repartition<uint64_t, D> du64;
    const auto pe = hn::MulEven(acc, m);
    const auto xo = hn::BitCast(d, hn::ShiftRight<32>(hn::BitCast(du64, acc)));
    const auto mo = hn::BitCast(d, hn::ShiftRight<32>(hn::BitCast(du64, m)));
    const auto po = hn::MulEven(xo, mo);
    const int h = o / 2;
    const auto re = hn::Shr(hn::Add(pe, hn::LoadU(d64, a.sr_round_even + h)), hn::LoadU(d64, a.sr_shift_even + h));
    const auto ro = hn::Shr(hn::Add(po, hn::LoadU(d64, a.sr_round_odd + h)), hn::LoadU(d64, a.sr_shift_odd + h));
    r = hn::OddEven(hn::BitCast(d, hn::ShiftLeft<32>(hn::BitCast(du64, ro))), hn::BitCast(d, re));
  } else {
    // MultiplyByQuantizedMultiplier: the left shift as a multiply by 2^left, then the rounding
    // high multiply and the rounding right shift.
    const auto high = rq::RoundingHighMul(d, hn::Mul(acc, hn::LoadU(d, a.dr_left + o)), m);
    r = rq::RoundingShiftRight(d, high, hn::LoadU(d, a.dr_right + o), hn::LoadU(d, a.dr_mask + o),
                               hn::LoadU(d, a.dr_thr + o));
  }
  r = hn::Add(r, hn::Set(d, a.stage.output_offset));
  return hn::Min(hn::Max(r, hn::Set(d, a.stage.act_min)), hn::Set(d, a.stage.act_max));
#endif
}

// R (1..4) rows from row r0 times units [o0, o0 + n), n <= 2N. xr: R rows of `steps` prepared
// values; rt: their row terms.
template <typename T, int R>
HWY_INLINE void TileQ8(const FcQ8Args& a, const int32_t* xr, int steps, const int32_t* rt,
                       int o0, int n, int64_t r0, T* out) {
  const hn::ScalableTag<int32_t> d;
  const hn::Rebind<T, decltype(d)> d8;
  const int N = static_cast<int>(hn::Lanes(d));
  // Row j's prepared values start at xr + j * steps.
  const auto t0 = hn::LoadU(d, a.unit_term + o0), t1 = hn::LoadU(d, a.unit_term + o0 + N);
  auto c00 = t0, c01 = t1, c10 = t0, c11 = t1, c20 = t0, c21 = t1, c30 = t0, c31 = t1;
  using V = decltype(c00);
#if CAE_FC_PAIRED
  {
    const hn::Repartition<int16_t, decltype(d)> d16;
    auto unused = hn::Zero(d);
    const int16_t* w = a.packed16 + 2 * o0;
    for (int s = 0; s < steps; ++s, w += 2 * a.units_padded) {
      const auto w0 = hn::LoadU(d16, w), w1 = hn::LoadU(d16, w + 2 * N);
      ForEachTileRow<R>(
          [&](int j, V& c0, V& c1) {
            const auto v = hn::BitCast(d16, hn::Set(d, xr[j * steps + s]));
            c0 = hn::ReorderWidenMulAccumulate(d, v, w0, c0, unused);
            c1 = hn::ReorderWidenMulAccumulate(d, v, w1, c1, unused);
          },
          c00, c01, c10, c11, c20, c21, c30, c31);
    }
  }
#else
  {
    const int32_t* w = a.packed32 + o0;
    for (int s = 0; s < steps; ++s, w += a.units_padded) {
      const auto w0 = hn::LoadU(d, w), w1 = hn::LoadU(d, w + N);
      ForEachTileRow<R>(
          [&](int j, V& c0, V& c1) {
            const auto v = hn::Set(d, xr[j * steps + s]);
            c0 = hn::Add(c0, hn::Mul(v, w0));
            c1 = hn::Add(c1, hn::Mul(v, w1));
          },
          c00, c01, c10, c11, c20, c21, c30, c31);
    }
  }
#endif
  HWY_ALIGN T tile[2 * HWY_MAX_BYTES / sizeof(int32_t)];
  ForEachTileRow<R>(
      [&](int j, V v0, V v1) {
        const auto rtv = hn::Set(d, rt[j]);
        const auto q0 = hn::DemoteTo(d8, RequantizeVec(d, a, hn::Add(v0, rtv), o0));
        const auto q1 = hn::DemoteTo(d8, RequantizeVec(d, a, hn::Add(v1, rtv), o0 + N));
        StoreTilePair(d8, q0, q1, n, tile, out + (r0 + j) * a.units + o0);
      },
      c00, c01, c10, c11, c20, c21, c30, c31);
}

// Row groups [g0, g1) of 4 rows (the last group may hold fewer). xs: the caller's scratch of
// FcScratchQ8(depth) int32 values, where each pass puts each row's depth steps as broadcastable
// int32 (a pair of int16, or one value).
template <typename T>
void FcRowGroupsQ8T(const FcQ8Args& a, int64_t g0, int64_t g1, int32_t* xs) {
  const int N = static_cast<int>(hn::Lanes(hn::ScalableTag<int32_t>()));
  const int steps = kPaired ? (a.depth + 1) / 2 : a.depth;
  const T* x = static_cast<const T*>(a.x);
  T* out = static_cast<T*>(a.out);
  int32_t row_term[kGroupsPerPass * 4];
  for (int64_t p0 = g0; p0 < g1; p0 += kGroupsPerPass) {
    const int64_t p1 = std::min(g1, p0 + kGroupsPerPass);
    for (int64_t r = 4 * p0; r < std::min(4 * p1, a.rows); ++r) {
      const T* xr = x + r * a.depth;
      int32_t* dst = xs + (r - 4 * p0) * steps;
      uint32_t sum = 0;
      for (int k = 0; k < a.depth; ++k) sum += static_cast<uint32_t>(static_cast<int32_t>(xr[k]));
      row_term[r - 4 * p0] = static_cast<int32_t>(sum * static_cast<uint32_t>(a.filter_offset));
      if (kPaired) {
        for (int s = 0; s < steps; ++s) {
          const int32_t lo = xr[2 * s];
          const int32_t hi = 2 * s + 1 < a.depth ? static_cast<int32_t>(xr[2 * s + 1]) : 0;
          dst[s] = static_cast<int32_t>((static_cast<uint32_t>(lo) & 0xFFFFu) |
                                        (static_cast<uint32_t>(hi) << 16));
        }
      } else {
        for (int k = 0; k < a.depth; ++k) dst[k] = xr[k];
      }
    }
    for (int o0 = 0; o0 < a.units; o0 += 2 * N) {
      const int n = std::min(2 * N, a.units - o0);
      for (int64_t g = p0; g < p1; ++g) {
        const int32_t* xg = xs + (g - p0) * 4 * steps;
        const int32_t* rt = row_term + (g - p0) * 4;
        switch (std::min<int64_t>(4, a.rows - 4 * g)) {
          case 4: TileQ8<T, 4>(a, xg, steps, rt, o0, n, 4 * g, out); break;
          case 3: TileQ8<T, 3>(a, xg, steps, rt, o0, n, 4 * g, out); break;
          case 2: TileQ8<T, 2>(a, xg, steps, rt, o0, n, 4 * g, out); break;
          default: TileQ8<T, 1>(a, xg, steps, rt, o0, n, 4 * g, out); break;
        }
      }
    }
  }
}

void FcRowGroupsI8(const FcQ8Args& a, int64_t g0, int64_t g1, int32_t* xs) {
  FcRowGroupsQ8T<int8_t>(a, g0, g1, xs);
}
void FcRowGroupsU8(const FcQ8Args& a, int64_t g0, int64_t g1, int32_t* xs) {
  FcRowGroupsQ8T<uint8_t>(a, g0, g1, xs);
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(FcPairedQ8);
HWY_EXPORT(FcBlockQ8);
HWY_EXPORT(FcRowGroupsI8);
HWY_EXPORT(FcRowGroupsU8);

namespace {

using qref::In;
using qref::OptIn;
using qref::Out;

class FastFullyConnectedQ8 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView& out = Out(ctx, 0);
    const qref::FullyConnectedShape s = qref::CheckFullyConnectedShape(ctx);
    qref::CheckBias(ctx, OptIn(ctx, 2), DType::kInt32, s.units);
    input_offset_ = -qref::ZeroPoint(ctx, in);
    filter_offset_ = -qref::ZeroPoint(ctx, filter);
    uint8_ = in.type == DType::kUInt8;
    stage_.output_offset = qref::ZeroPoint(ctx, out);
    // The reference's multipliers: per-tensor from the float product of the scales, per-channel
    // from the double product.
    const float si = qref::Scale(ctx, in), so = qref::Scale(ctx, out);
    const std::vector<float> fs = qref::ChannelScales(ctx, filter, s.units);
    const bool per_channel = filter.quant->scale.size() > 1;
    mult_.resize(static_cast<size_t>(s.units));
    for (int32_t u = 0; u < s.units; ++u)
      mult_[u] = QuantizeMultiplier(per_channel ? static_cast<double>(si) * fs[u] / so
                                                : static_cast<double>(si * fs[u]) / so);
    CalculateActivationRangeQuantized(ctx.op->options.activation, out.type, so,
                                      stage_.output_offset, &stage_.act_min, &stage_.act_max);
    stage_.mult = mult_.data();
    paired_ = HWY_DYNAMIC_DISPATCH(FcPairedQ8)();
    const int block = HWY_DYNAMIC_DISPATCH(FcBlockQ8)();
    const int padded = (s.units + block - 1) / block * block;
    if (padded != units_padded_ || s.depth != depth_ || s.units != units_) packed_for_ = nullptr;
    units_ = s.units;
    depth_ = s.depth;
    units_padded_ = padded;
    bias_for_ = nullptr;
    LaneMultipliers();
    // AVX-512 VNNI: a 1x1 convolution whose pixels are the rows (rebuilt for each row count).
    vnni_.reset();
    const bool per_tensor = filter.quant->scale.size() == 1;
    if (VnniAvailable() && s.batches > 0 && s.batches <= INT32_MAX &&
        (uint8_ ? per_tensor : filter_offset_ == 0)) {
      ConvGeometry g;
      g.batches = 1;
      g.in_h = g.out_h = static_cast<int>(s.batches);
      g.in_w = g.out_w = 1;
      g.in_c = s.depth;
      g.out_c = s.units;
      g.f_h = g.f_w = 1;
      vnni_ = std::make_unique<VnniConvI8>(g, -input_offset_, stage_, uint8_,
                                           uint8_ ? -filter_offset_ : 0);
      vnni_weights_for_ = nullptr;
    }
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    if (vnni_) {
      if (!filter.is_constant || filter.data != vnni_weights_for_ || (bias && !bias->is_constant)) {
        vnni_->SetWeights(filter.data, bias ? bias->as<int32_t>() : nullptr);
        vnni_weights_for_ = filter.data;
      }
      vnni_->Run(In(ctx, 0).data, Out(ctx, 0).data, ctx.pool);
      return;
    }
    if (!filter.is_constant || filter.data != packed_for_) {
      Pack(filter);
      packed_for_ = filter.data;
      bias_for_ = nullptr;
    }
    const void* bias_data = bias ? bias->data : nullptr;
    if (bias_data != bias_for_ || (bias && !bias->is_constant) || unit_term_.empty()) {
      UnitTerms(bias ? bias->as<int32_t>() : nullptr);
      bias_for_ = bias_data;
    }
    const TensorView& in = In(ctx, 0);
    FcQ8Args a;
    a.x = in.data;
    a.rows = in.num_elements() / depth_;
    a.depth = depth_;
    a.units = units_;
    a.units_padded = units_padded_;
    a.packed16 = packed16_.data();
    a.packed32 = packed32_.data();
    a.unit_term = unit_term_.data();
    a.filter_offset = filter_offset_;
    a.single_rounding = !uint8_;
    a.stage = stage_;
    a.q_mult = q_mult_.data();
    a.sr_shift_even = sr_shift_[0].data();
    a.sr_shift_odd = sr_shift_[1].data();
    a.sr_round_even = sr_round_[0].data();
    a.sr_round_odd = sr_round_[1].data();
    a.dr_left = dr_left_.data();
    a.dr_right = dr_right_.data();
    a.dr_mask = dr_mask_.data();
    a.dr_thr = dr_thr_.data();
    a.out = Out(ctx, 0).data;
    const int64_t groups = (a.rows + 3) / 4;
    const size_t scratch_size = FcScratchQ8(depth_);
    ParallelFor(ctx.pool, groups, 1, [&](int64_t begin, int64_t end) {
      // Per worker thread, grown only when a deeper layer needs more: no allocation per call.
      thread_local std::vector<int32_t> scratch;
      if (scratch.size() < scratch_size) scratch.resize(scratch_size);
      if (uint8_) HWY_DYNAMIC_DISPATCH(FcRowGroupsU8)(a, begin, end, scratch.data());
      else HWY_DYNAMIC_DISPATCH(FcRowGroupsI8)(a, begin, end, scratch.data());
    });
  }

 private:
  // Raw 8-bit weights [units][depth] into the layout of this target, and each unit's weight sum.
  template <typename T>
  void PackT(const T* w) {
    const size_t up = static_cast<size_t>(units_padded_);
    sum_w_.assign(static_cast<size_t>(units_), 0);
    if (paired_) {
      const int pairs = (depth_ + 1) / 2;
      packed16_.assign(static_cast<size_t>(pairs) * up * 2, 0);
      packed32_.clear();
    } else {
      packed32_.assign(static_cast<size_t>(depth_) * up, 0);
      packed16_.clear();
    }
    for (int u = 0; u < units_; ++u) {
      uint32_t sum = 0;
      for (int k = 0; k < depth_; ++k) {
        const int32_t v = w[static_cast<size_t>(u) * depth_ + k];
        sum += static_cast<uint32_t>(v);
        if (paired_) {
          packed16_[((static_cast<size_t>(k) / 2) * up + u) * 2 + k % 2] = static_cast<int16_t>(v);
        } else {
          packed32_[static_cast<size_t>(k) * up + u] = v;
        }
      }
      sum_w_[u] = static_cast<int32_t>(sum);
    }
  }
  void Pack(const TensorView& filter) {
    if (uint8_) PackT(filter.as<uint8_t>());
    else PackT(filter.as<int8_t>());
  }
  // mult_ spread into the per-lane arrays of FcQ8Args (the same arithmetic as quant_math.cc).
  void LaneMultipliers() {
    const size_t up = static_cast<size_t>(units_padded_);
    q_mult_.assign(up, 0);
    dr_left_.assign(up, 1);
    dr_right_.assign(up, 0);
    dr_mask_.assign(up, 0);
    dr_thr_.assign(up, 0);
    for (auto* v : {&sr_shift_[0], &sr_shift_[1]}) v->assign(up / 2, 31);
    for (auto* v : {&sr_round_[0], &sr_round_[1]}) v->assign(up / 2, int64_t{1} << 30);
    for (int u = 0; u < units_; ++u) {
      const QuantizedMultiplier m = mult_[u];
      q_mult_[u] = m.multiplier;
      const int total = 31 - std::min(m.shift, 30);
      sr_shift_[u % 2][u / 2] = total;
      sr_round_[u % 2][u / 2] = int64_t{1} << (total - 1);
      const int left = std::max(m.shift, 0), right = std::max(-m.shift, 0);
      dr_left_[u] = static_cast<int32_t>(uint32_t{1} << left);
      dr_right_[u] = right;
      dr_mask_[u] = static_cast<int32_t>((int64_t{1} << right) - 1);
      dr_thr_[u] = dr_mask_[u] >> 1;
    }
  }
  // bias + io * sum w + depth * io * fo per unit (mod 2^32), zeros in the padding.
  void UnitTerms(const int32_t* bias) {
    unit_term_.assign(static_cast<size_t>(units_padded_), 0);
    const uint32_t io = static_cast<uint32_t>(input_offset_);
    const uint32_t fo = static_cast<uint32_t>(filter_offset_);
    for (int u = 0; u < units_; ++u) {
      const uint32_t t = (bias ? static_cast<uint32_t>(bias[u]) : 0u) +
                         io * static_cast<uint32_t>(sum_w_[u]) +
                         static_cast<uint32_t>(depth_) * io * fo;
      unit_term_[u] = static_cast<int32_t>(t);
    }
  }

  int units_ = 0, depth_ = 0, units_padded_ = 0;
  int32_t input_offset_ = 0, filter_offset_ = 0;
  bool uint8_ = false, paired_ = false;
  Int8OutputStage stage_;
  std::vector<QuantizedMultiplier> mult_;
  std::vector<int32_t> q_mult_, dr_left_, dr_right_, dr_mask_, dr_thr_;
  std::vector<int64_t> sr_shift_[2], sr_round_[2];  // [even, odd units]
  std::vector<int16_t> packed16_;
  std::vector<int32_t> packed32_, sum_w_, unit_term_;
  const void* packed_for_ = nullptr;
  const void* bias_for_ = nullptr;
  std::unique_ptr<VnniConvI8> vnni_;  // AVX-512 VNNI CPUs
  const void* vnni_weights_for_ = nullptr;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  const DType t = qref::InType(ctx, 0);
  if (!qref::IsQ8(t) || qref::InType(ctx, 1) != t || qref::OutType(ctx, 0) != t) return nullptr;
  const TensorView* bias = OptIn(ctx, 2);
  if (bias && bias->type != DType::kInt32) return nullptr;
  return std::make_unique<FastFullyConnectedQ8>();
}

}  // namespace

void RegisterFastFullyConnectedQ8(KernelRegistry& r) {
  r.Register(OpType::FULLY_CONNECTED, "fast/q8/fully_connected", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
