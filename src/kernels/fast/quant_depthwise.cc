// Fast DEPTHWISE_CONV_2D for int8 (per-channel or per-tensor weights) and uint8 (per-tensor
// weights with a zero point), depth multiplier 1, any stride / dilation / padding, fused
// activation; Highway dynamic dispatch (AVX-512, AVX2, SSE4, NEON, the scalar/EMU128 fallback).
// Bit-exact with kernels/ref/quantized/depthwise_conv.cc: the int32 sum over the taps and the
// double-rounding MultiplyByQuantizedMultiplier output stage (requantize_hwy-inl.h).
//
// How: an output row is a flat run of out_w * ch values. Each input row a tap row reads is copied
// once into a padded row whose border columns hold the input zero point, so every tap of every
// output is read (a padded tap contributes (zp + in_off) * w = 0) and no bounds are checked;
// rows above/below the image read a row of zero points. Then sum (x + in_off) * w equals
// sum x * w + in_off * sum w, and in_off * sum w is folded into the bias. A vector of int32 lanes
// covers consecutive flat outputs: several pixels when ch is not a multiple of the lane count
// (8 channels x 2 pixels on AVX-512), weights and output-stage constants expanded to lcm(ch,
// lanes) lanes so that each vector position keeps its constants in registers while the pixel
// loop runs inside. With stride > 1 and vectors spanning pixels, padded rows are split into
// stride phases (column i*stride + p) so the pixels of one vector stay contiguous.
// Padded rows are cached per thread: with stride 1 each input row is copied once, not f_h times.
// Products: x86 targets use pmaddwd (x and w fit in int16; see MulAcc); 3x3 filters with stride 1
// also cache, per padded row, int16 pairs (x[j], x[j + dil*ch]) so that one pmaddwd computes two
// taps (kx 0 and 1; kx 2 with a zero second weight): 6 instead of 9 multiplies per vector.
// The output stage skips the 2^0 multiply without left shifts, and rounds with one add and shift
// when Pack proves |acc| < 2^30 (Requantize).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/quant_depthwise.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <vector>

#include "kernels/fast/fast_kernels.h"
#include "kernels/fast/requantize_hwy-inl.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"
#include "kernels/ref/quantized/conv_prepare.h"
#include "kernels/ref/quantized/qutil.h"

// Target-independent declarations, seen once although foreach_target re-includes this file.
#ifndef CAE_KERNELS_FAST_QUANT_DEPTHWISE_PLAN_
#define CAE_KERNELS_FAST_QUANT_DEPTHWISE_PLAN_
namespace cae::fast {
namespace {

struct DwGeometry {
  int batches, in_h, in_w, ch, f_h, f_w, out_h, out_w, stride_h, stride_w, dil_h, dil_w, pad_h,
      pad_w;
};

// Everything one Eval needs, built for one lane count.
struct DwPlan {
  DwGeometry g{};
  bool is_unsigned = false;
  uint8_t in_zp_byte = 0;  // the input zero point as stored (int8 or uint8 bits)
  int lanes = 0;           // int32 lanes the tables were expanded for
  int period = 0;          // lcm(ch, lanes): flat outputs per pixel group
  bool phased = false;     // padded rows split into stride_w phases
  int64_t in_group_stride = 0;  // bytes between the inputs of consecutive pixel groups
  int64_t phase_bytes = 0;      // bytes of one padded row (phase)
  int64_t row_bytes = 0;        // bytes of one padded input row (all its phases)
  int64_t slot_bytes = 0;       // bytes of one cached row: row_bytes + slack (zero points)
  // 3x3 filters: the byte distance from tap kx=0 to kx=1 in a cached row (0: no pairing), and
  // [ky][2][period] weights for pairing (w0 | w1 << 16, w2) as int16 pairs.
  int64_t pair_delta = 0;
  std::vector<int32_t> pair_weights;
  std::vector<int64_t> tap_offset;  // [f_h*f_w] bytes from a cached row's start
  // [tap][period] weights with the filter offset added; [period] bias + in_off * sum(w) and
  // output-stage constants (2^left, multiplier, right shift, its mask and threshold).
  std::vector<int32_t> weights, bias, left_mult, mult, right, mask, thr;
  int32_t zp = 0, lo = 0, hi = 0;
  int stage_kind = 0;  // output-stage variant: 0 left shifts, 1 right only, 2 short rounding
};

// Per-thread padded rows: f_h slots keyed by (batch, input row), plus one row of zero points.
struct DwScratch {
  std::vector<uint8_t> slots, zp_row;
  std::vector<int32_t> pairs, zp_pairs;  // 3x3 on x86: per slot, (x[j], x[j + pair_delta]) pairs
  std::vector<int64_t> keys;
  std::vector<const uint8_t*> src;  // per tap, for the current output row
};

}  // namespace
}  // namespace cae::fast
#endif

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

int DwLanesI32() { return static_cast<int>(hn::Lanes(hn::ScalableTag<int32_t>())); }

namespace dw {

// Copies input row iy of image `img` into a padded row (or its stride phases).
void FillRow(const DwPlan& p, const uint8_t* img, int iy, uint8_t* dst) {
  const DwGeometry& g = p.g;
  std::memset(dst + p.row_bytes, p.in_zp_byte, static_cast<size_t>(p.slot_bytes - p.row_bytes));
  const int64_t c = g.ch;
  const uint8_t* row = img + int64_t{iy} * g.in_w * c;
  if (!p.phased) {
    const int64_t cols = p.phase_bytes / c;  // whole columns in the row (the slack is zp)
    const int64_t left = std::min<int64_t>(g.pad_w, cols);
    const int64_t data = std::max<int64_t>(0, std::min<int64_t>(g.in_w, cols - left));
    std::memset(dst, p.in_zp_byte, static_cast<size_t>(left * c));
    std::memcpy(dst + left * c, row, static_cast<size_t>(data * c));
    std::memset(dst + (left + data) * c, p.in_zp_byte,
                static_cast<size_t>(p.phase_bytes - (left + data) * c));
    return;
  }
  const int64_t cols = p.phase_bytes / c;
  for (int ph = 0; ph < g.stride_w; ++ph) {
    uint8_t* out = dst + ph * p.phase_bytes;
    for (int64_t i = 0; i < cols; ++i, out += c) {
      const int64_t ix = i * g.stride_w + ph - g.pad_w;
      if (ix >= 0 && ix < g.in_w) {
        std::memcpy(out, row + ix * c, static_cast<size_t>(c));
      } else {
        std::memset(out, p.in_zp_byte, static_cast<size_t>(c));
      }
    }
    std::memset(out, p.in_zp_byte, static_cast<size_t>(p.phase_bytes - cols * c));
  }
}

template <typename T, class D>
HWY_INLINE hn::Vec<D> LoadWiden(D d, const uint8_t* p) {
  const hn::Rebind<T, D> dq;
  return hn::PromoteTo(d, hn::LoadU(dq, reinterpret_cast<const T*>(p)));
}

// x86 SIMD targets multiply with pmaddwd: the low 16 bits of each int32 lane hold x (a sign- or
// zero-extended byte) and w (w + filter offset, |w| <= 255), the weights' high 16 bits are 0, so
// each lane's pair sum is exactly x * w. Elsewhere a plain int32 multiply.
#undef CAE_DW_MADD
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
#define CAE_DW_MADD 1
#else
#define CAE_DW_MADD 0
#endif

// The weight vector in the form MulAcc expects.
template <class D>
HWY_INLINE hn::Vec<D> PrepareWeights(D d, const int32_t* w) {
#if CAE_DW_MADD
  return hn::And(hn::LoadU(d, w), hn::Set(d, 0xFFFF));
#else
  return hn::LoadU(d, w);
#endif
}

// acc + x * w in int32 (w from PrepareWeights).
template <class D>
HWY_INLINE hn::Vec<D> MulAcc(D d, hn::Vec<D> x, hn::Vec<D> w, hn::Vec<D> acc) {
#if CAE_DW_MADD
  const hn::Repartition<int16_t, D> d16;
  hn::Vec<D> unused = hn::Zero(d);
  return hn::ReorderWidenMulAccumulate(d, hn::BitCast(d16, x), hn::BitCast(d16, w), acc, unused);
#else
  (void)d;
  return hn::Add(acc, hn::Mul(x, w));
#endif
}

// Stores the narrowed vector, or only its first n lanes.
template <typename T, class D>
HWY_INLINE void StoreNarrow(D d, hn::Vec<D> v, size_t n, uint8_t* out) {
  const hn::Rebind<T, D> dq;
  const auto q = rq::NarrowClamped<T>(d, v);  // lanes are already clamped to T's range
  if (n >= hn::Lanes(d)) {
    hn::StoreU(q, dq, reinterpret_cast<T*>(out));
  } else {
    HWY_ALIGN T tmp[256];
    hn::Store(q, dq, tmp);
    std::memcpy(out, tmp, n);
  }
}

// Output-stage variants (DwPlan::stage_kind): with left shifts; right shifts only (the multiply
// by 2^0 skipped); right shifts >= 1 with |acc| < 2^30 proven in Pack, where x / 2^e rounded half
// away from zero is (x + 2^(e-1) - (x < 0)) >> e without overflow (thr then holds 2^(e-1)).
// Stage vectors are locals passed one by one (SVE vectors cannot live in structs).
constexpr int kStageLeft = 0, kStageRight = 1, kStageShort = 2;

template <int kStage, class D>
HWY_INLINE hn::Vec<D> Requantize(D d, hn::Vec<D> acc, hn::Vec<D> left_mult, hn::Vec<D> m,
                                 hn::Vec<D> right, hn::Vec<D> mask, hn::Vec<D> thr, hn::Vec<D> zp,
                                 hn::Vec<D> lo, hn::Vec<D> hi) {
  const auto x = kStage == kStageLeft ? hn::Mul(acc, left_mult) : acc;
  const auto h = rq::RoundingHighMul(d, x, m);
  hn::Vec<D> r;
  if constexpr (kStage == kStageShort) {
    (void)mask;
    r = hn::Shr(hn::Add(hn::Add(h, thr), hn::BroadcastSignBit(h)), right);
  } else {
    r = rq::RoundingShiftRight(d, h, right, mask, thr);
  }
  return hn::Min(hn::Max(hn::Add(r, zp), lo), hi);
}

// One output row: src[t] is where tap t reads the input for flat output 0 (pixel group 0).
template <typename T, int kTaps, int kStage>
void Row(const DwPlan& p, const uint8_t* const* src, uint8_t* out_row) {
  using D = hn::ScalableTag<int32_t>;
  const D d;
  const int N = static_cast<int>(hn::Lanes(d));
  const int taps = kTaps > 0 ? kTaps : p.g.f_h * p.g.f_w;
  const int64_t row_len = int64_t{p.g.out_w} * p.g.ch;
  const int64_t L = p.period;
  for (int64_t k = 0; k < L && k < row_len; k += N) {
    const auto bias = hn::LoadU(d, p.bias.data() + k);
    const auto left = hn::LoadU(d, p.left_mult.data() + k), m = hn::LoadU(d, p.mult.data() + k);
    const auto right = hn::LoadU(d, p.right.data() + k), mask = hn::LoadU(d, p.mask.data() + k);
    const auto thr0 = hn::LoadU(d, p.thr.data() + k);
    const auto thr = kStage == kStageShort ? hn::Add(thr0, hn::Set(d, 1)) : thr0;
    const auto zp = hn::Set(d, p.zp), lo = hn::Set(d, p.lo), hi = hn::Set(d, p.hi);
    const int32_t* w = p.weights.data() + k;
    int64_t in_off = k;
    if constexpr (kTaps == 9) {
      const auto w0 = PrepareWeights(d, w), w1 = PrepareWeights(d, w + L),
                 w2 = PrepareWeights(d, w + 2 * L);
      const auto w3 = PrepareWeights(d, w + 3 * L), w4 = PrepareWeights(d, w + 4 * L),
                 w5 = PrepareWeights(d, w + 5 * L);
      const auto w6 = PrepareWeights(d, w + 6 * L), w7 = PrepareWeights(d, w + 7 * L),
                 w8 = PrepareWeights(d, w + 8 * L);
      const uint8_t *s0 = src[0], *s1 = src[1], *s2 = src[2], *s3 = src[3], *s4 = src[4],
                    *s5 = src[5], *s6 = src[6], *s7 = src[7], *s8 = src[8];
      for (int64_t j = k; j < row_len; j += L, in_off += p.in_group_stride) {
        auto a0 = MulAcc(d, LoadWiden<T>(d, s0 + in_off), w0, bias);
        auto a1 = MulAcc(d, LoadWiden<T>(d, s1 + in_off), w1, hn::Zero(d));
        a0 = MulAcc(d, LoadWiden<T>(d, s2 + in_off), w2, a0);
        a1 = MulAcc(d, LoadWiden<T>(d, s3 + in_off), w3, a1);
        a0 = MulAcc(d, LoadWiden<T>(d, s4 + in_off), w4, a0);
        a1 = MulAcc(d, LoadWiden<T>(d, s5 + in_off), w5, a1);
        a0 = MulAcc(d, LoadWiden<T>(d, s6 + in_off), w6, a0);
        a1 = MulAcc(d, LoadWiden<T>(d, s7 + in_off), w7, a1);
        a0 = MulAcc(d, LoadWiden<T>(d, s8 + in_off), w8, a0);
        StoreNarrow<T>(
            d, Requantize<kStage>(d, hn::Add(a0, a1), left, m, right, mask, thr, zp, lo, hi),
            static_cast<size_t>(row_len - j), out_row + j);
      }
    } else {
      for (int64_t j = k; j < row_len; j += L, in_off += p.in_group_stride) {
        auto acc = bias;
        for (int t = 0; t < taps; ++t)
          acc = MulAcc(d, LoadWiden<T>(d, src[t] + in_off), PrepareWeights(d, w + t * L), acc);
        StoreNarrow<T>(d, Requantize<kStage>(d, acc, left, m, right, mask, thr, zp, lo, hi),
                       static_cast<size_t>(row_len - j), out_row + j);
      }
    }
  }
}

#if CAE_DW_MADD
// pairs[j] = x[j] | x[j + delta] << 16 as int16 halves, for j in [0, row_bytes).
template <typename T>
void BuildPairs(const DwPlan& p, const uint8_t* row, int32_t* pairs) {
  const hn::ScalableTag<int32_t> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto low = hn::Set(d, 0xFFFF);
  for (int64_t j = 0; j < p.row_bytes; j += N) {
    const auto a = hn::And(LoadWiden<T>(d, row + j), low);
    const auto b = LoadWiden<T>(d, row + j + p.pair_delta);
    hn::StoreU(hn::Or(a, hn::ShiftLeft<16>(b)), d, pairs + j);
  }
}

// One output row of a 3x3 filter from pair rows: ps[2 * ky] reads taps (ky, 0) and (ky, 1),
// ps[2 * ky + 1] tap (ky, 2) (its pair's second weight is 0). Two taps per pmaddwd.
template <typename T, int kStage>
void RowPaired(const DwPlan& p, const int32_t* const* ps, uint8_t* out_row) {
  using D = hn::ScalableTag<int32_t>;
  const D d;
  const hn::Repartition<int16_t, D> d16;
  const int N = static_cast<int>(hn::Lanes(d));
  const int64_t row_len = int64_t{p.g.out_w} * p.g.ch;
  const int64_t L = p.period;
  const int32_t *p0 = ps[0], *p1 = ps[1], *p2 = ps[2], *p3 = ps[3], *p4 = ps[4], *p5 = ps[5];
  for (int64_t k = 0; k < L && k < row_len; k += N) {
    const auto bias = hn::LoadU(d, p.bias.data() + k);
    const auto left = hn::LoadU(d, p.left_mult.data() + k), m = hn::LoadU(d, p.mult.data() + k);
    const auto right = hn::LoadU(d, p.right.data() + k), mask = hn::LoadU(d, p.mask.data() + k);
    const auto thr0 = hn::LoadU(d, p.thr.data() + k);
    const auto thr = kStage == kStageShort ? hn::Add(thr0, hn::Set(d, 1)) : thr0;
    const auto zp = hn::Set(d, p.zp), lo = hn::Set(d, p.lo), hi = hn::Set(d, p.hi);
    const int32_t* w = p.pair_weights.data() + k;
    const auto w0 = hn::BitCast(d16, hn::LoadU(d, w)), w1 = hn::BitCast(d16, hn::LoadU(d, w + L));
    const auto w2 = hn::BitCast(d16, hn::LoadU(d, w + 2 * L)),
               w3 = hn::BitCast(d16, hn::LoadU(d, w + 3 * L));
    const auto w4 = hn::BitCast(d16, hn::LoadU(d, w + 4 * L)),
               w5 = hn::BitCast(d16, hn::LoadU(d, w + 5 * L));
    int64_t in_off = k;
    for (int64_t j = k; j < row_len; j += L, in_off += p.in_group_stride) {
      auto unused = hn::Zero(d);
      auto a0 = hn::ReorderWidenMulAccumulate(d, hn::BitCast(d16, hn::LoadU(d, p0 + in_off)), w0,
                                              bias, unused);
      auto a1 = hn::ReorderWidenMulAccumulate(d, hn::BitCast(d16, hn::LoadU(d, p1 + in_off)), w1,
                                              hn::Zero(d), unused);
      a0 = hn::ReorderWidenMulAccumulate(d, hn::BitCast(d16, hn::LoadU(d, p2 + in_off)), w2, a0,
                                         unused);
      a1 = hn::ReorderWidenMulAccumulate(d, hn::BitCast(d16, hn::LoadU(d, p3 + in_off)), w3, a1,
                                         unused);
      a0 = hn::ReorderWidenMulAccumulate(d, hn::BitCast(d16, hn::LoadU(d, p4 + in_off)), w4, a0,
                                         unused);
      a1 = hn::ReorderWidenMulAccumulate(d, hn::BitCast(d16, hn::LoadU(d, p5 + in_off)), w5, a1,
                                         unused);
      StoreNarrow<T>(d,
                     Requantize<kStage>(d, hn::Add(a0, a1), left, m, right, mask, thr, zp, lo, hi),
                     static_cast<size_t>(row_len - j), out_row + j);
    }
  }
}
#endif

}  // namespace dw

// Calls the row function of the plan's output-stage variant.
template <auto kLeft, auto kRight, auto kShort, typename Src>
HWY_INLINE void RunRow(const DwPlan& p, Src src, uint8_t* out_row) {
  if (p.stage_kind == dw::kStageLeft) {
    kLeft(p, src, out_row);
  } else if (p.stage_kind == dw::kStageRight) {
    kRight(p, src, out_row);
  } else {
    kShort(p, src, out_row);
  }
}

// Output rows [begin, end) of the flattened (batch, out_y) range.
void DepthwiseRows(const DwPlan& p, const uint8_t* input, uint8_t* output, int64_t begin,
                   int64_t end, DwScratch* s) {
  const DwGeometry& g = p.g;
  const int64_t in_img = int64_t{g.in_h} * g.in_w * g.ch, row_elems = int64_t{g.out_w} * g.ch;
  s->slots.resize(static_cast<size_t>(p.slot_bytes * g.f_h));
  s->keys.assign(static_cast<size_t>(g.f_h), -1);
  if (s->zp_row.size() < static_cast<size_t>(p.slot_bytes) ||
      (!s->zp_row.empty() && s->zp_row[0] != p.in_zp_byte))
    s->zp_row.assign(static_cast<size_t>(p.slot_bytes), p.in_zp_byte);
#if CAE_DW_MADD
  const bool paired = p.pair_delta > 0;
#else
  const bool paired = false;
#endif
  const int64_t pair_slot = p.row_bytes + p.lanes;
  if (paired) {
    s->pairs.resize(static_cast<size_t>(pair_slot * g.f_h));
    s->zp_pairs.resize(static_cast<size_t>(pair_slot));
#if CAE_DW_MADD
    p.is_unsigned ? dw::BuildPairs<uint8_t>(p, s->zp_row.data(), s->zp_pairs.data())
                  : dw::BuildPairs<int8_t>(p, s->zp_row.data(), s->zp_pairs.data());
#endif
  }
  const int32_t* prows[64];
  const int32_t* ps[6];
  s->src.resize(static_cast<size_t>(g.f_h * g.f_w));
  const uint8_t** src = s->src.data();
  const uint8_t* rows[64];
  int64_t wanted[64];
  for (int64_t row = begin; row < end; ++row) {
    const int64_t b = row / g.out_h;
    const int oy = static_cast<int>(row % g.out_h);
    // Which input rows the filter rows read; reuse the slots that already hold them.
    bool used[64] = {};
    for (int ky = 0; ky < g.f_h; ++ky) {
      const int iy = oy * g.stride_h - g.pad_h + ky * g.dil_h;
      wanted[ky] = iy >= 0 && iy < g.in_h ? b * g.in_h + iy : -1;
      rows[ky] = nullptr;
      if (wanted[ky] < 0) {
        rows[ky] = s->zp_row.data();
        prows[ky] = s->zp_pairs.data();
        continue;
      }
      for (int sl = 0; sl < g.f_h; ++sl)
        if (s->keys[static_cast<size_t>(sl)] == wanted[ky] && !used[sl]) {
          used[sl] = true;
          rows[ky] = s->slots.data() + sl * p.slot_bytes;
          prows[ky] = s->pairs.data() + sl * pair_slot;
          break;
        }
    }
    for (int ky = 0; ky < g.f_h; ++ky) {
      if (rows[ky] != nullptr) continue;
      int sl = 0;
      while (used[sl]) ++sl;
      used[sl] = true;
      uint8_t* slot = s->slots.data() + sl * p.slot_bytes;
      const int64_t iy = wanted[ky] % g.in_h;
      dw::FillRow(p, input + b * in_img, static_cast<int>(iy), slot);
      s->keys[static_cast<size_t>(sl)] = wanted[ky];
      rows[ky] = slot;
      prows[ky] = s->pairs.data() + sl * pair_slot;
#if CAE_DW_MADD
      if (paired) {
        int32_t* pr = s->pairs.data() + sl * pair_slot;
        p.is_unsigned ? dw::BuildPairs<uint8_t>(p, slot, pr) : dw::BuildPairs<int8_t>(p, slot, pr);
      }
#endif
    }
    for (int ky = 0; ky < g.f_h; ++ky)
      for (int kx = 0; kx < g.f_w; ++kx) {
        const int t = ky * g.f_w + kx;
        src[t] = rows[ky] + p.tap_offset[static_cast<size_t>(t)];
      }
    uint8_t* out_row = output + row * row_elems;
#if CAE_DW_MADD
    if (paired) {
      for (int ky = 0; ky < 3; ++ky) {
        ps[2 * ky] = prows[ky] + p.tap_offset[static_cast<size_t>(ky * 3)];
        ps[2 * ky + 1] = prows[ky] + p.tap_offset[static_cast<size_t>(ky * 3 + 2)];
      }
      if (p.is_unsigned) {
        RunRow<dw::RowPaired<uint8_t, dw::kStageLeft>, dw::RowPaired<uint8_t, dw::kStageRight>,
               dw::RowPaired<uint8_t, dw::kStageShort>>(p, ps, out_row);
      } else {
        RunRow<dw::RowPaired<int8_t, dw::kStageLeft>, dw::RowPaired<int8_t, dw::kStageRight>,
               dw::RowPaired<int8_t, dw::kStageShort>>(p, ps, out_row);
      }
      continue;
    }
#endif
    (void)ps;
    (void)prows;
    const bool nine = g.f_h * g.f_w == 9;
    if (p.is_unsigned && nine) {
      RunRow<dw::Row<uint8_t, 9, dw::kStageLeft>, dw::Row<uint8_t, 9, dw::kStageRight>,
             dw::Row<uint8_t, 9, dw::kStageShort>>(p, src, out_row);
    } else if (p.is_unsigned) {
      RunRow<dw::Row<uint8_t, 0, dw::kStageLeft>, dw::Row<uint8_t, 0, dw::kStageRight>,
             dw::Row<uint8_t, 0, dw::kStageShort>>(p, src, out_row);
    } else if (nine) {
      RunRow<dw::Row<int8_t, 9, dw::kStageLeft>, dw::Row<int8_t, 9, dw::kStageRight>,
             dw::Row<int8_t, 9, dw::kStageShort>>(p, src, out_row);
    } else {
      RunRow<dw::Row<int8_t, 0, dw::kStageLeft>, dw::Row<int8_t, 0, dw::kStageRight>,
             dw::Row<int8_t, 0, dw::kStageShort>>(p, src, out_row);
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(DwLanesI32);
HWY_EXPORT(DepthwiseRows);

namespace {

using qref::In;
using qref::OptIn;
using qref::Out;

// Filter heights up to this many rows (the row slots above are fixed arrays).
constexpr int kMaxFilterRows = 64;

class FastDepthwiseQ8 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    const qref::ConvPadding2D pad =
        qref::CheckConvGeometry(ctx, /*depthwise=*/true, o.dilation_h, o.dilation_w);
    const int32_t ch = in.dim(3);
    Check(filter.dim(3) == ch, ctx, ": filter ", ShapeToString(filter.shape),
          " is not [1, h, w, ", ch, "]");
    qref::CheckBias(ctx, bias, DType::kInt32, ch);
    DwGeometry& g = plan_.g;
    g = {in.dim(0), in.dim(1), in.dim(2), ch, filter.dim(1), filter.dim(2), out.dim(1), out.dim(2),
         o.stride_h, o.stride_w, o.dilation_h, o.dilation_w, pad.h, pad.w};
    plan_.is_unsigned = in.type == DType::kUInt8;
    const int32_t in_zp = qref::ZeroPoint(ctx, in);
    plan_.in_zp_byte = static_cast<uint8_t>(in_zp);
    input_offset_ = -in_zp;
    filter_offset_ = plan_.is_unsigned ? -qref::ZeroPoint(ctx, filter) : 0;
    mult_ = qref::ConvOutputMultipliers(ctx, in, filter, out, ch);
    plan_.zp = qref::ZeroPoint(ctx, out);
    CalculateActivationRangeQuantized(o.activation, out.type, qref::Scale(ctx, out), plan_.zp,
                                      &plan_.lo, &plan_.hi);
    packed_for_ = nullptr;
    bias_for_ = nullptr;
    plan_.lanes = 0;
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    const int lanes = HWY_DYNAMIC_DISPATCH(DwLanesI32)();
    if (lanes != plan_.lanes || !filter.is_constant || filter.data != packed_for_ ||
        (bias && (!bias->is_constant || bias->data != bias_for_)))
      Pack(filter, bias, lanes);
    const auto* input = static_cast<const uint8_t*>(In(ctx, 0).data);
    auto* output = static_cast<uint8_t*>(Out(ctx, 0).data);
    ParallelFor(ctx.pool, int64_t{plan_.g.batches} * plan_.g.out_h, 1,
                [&](int64_t begin, int64_t end) {
                  thread_local DwScratch scratch;
                  HWY_DYNAMIC_DISPATCH(DepthwiseRows)(plan_, input, output, begin, end, &scratch);
                });
  }

 private:
  // Tables of plan_ for `lanes` int32 lanes: weights [tap][period] with the filter offset, bias
  // with in_off * sum(w) folded in, output-stage constants; padded-row layout and tap offsets.
  void Pack(const TensorView& filter, const TensorView* bias, int lanes) {
    DwPlan& p = plan_;
    const DwGeometry& g = p.g;
    const int taps = g.f_h * g.f_w;
    const int64_t c = g.ch;
    p.lanes = lanes;
    p.period = static_cast<int>(std::lcm(int64_t{g.ch}, int64_t{lanes}));
    const int64_t L = p.period;
    const bool spans_pixels = g.ch % lanes != 0;
    p.phased = spans_pixels && g.stride_w > 1;
    p.in_group_stride = spans_pixels ? L : int64_t{g.stride_w} * c;
    const int64_t reach = int64_t{g.f_w - 1} * g.dil_w;  // padded columns past a pixel's first
    if (p.phased) {
      p.phase_bytes = (g.out_w + reach / g.stride_w) * c + lanes;
      p.row_bytes = p.phase_bytes * g.stride_w;
    } else {
      p.phase_bytes = (int64_t{g.out_w - 1} * g.stride_w + reach + 1) * c + lanes;
      p.row_bytes = p.phase_bytes;
    }
    p.tap_offset.resize(static_cast<size_t>(taps));
    for (int ky = 0; ky < g.f_h; ++ky)
      for (int kx = 0; kx < g.f_w; ++kx) {
        const int64_t col = int64_t{kx} * g.dil_w;
        p.tap_offset[static_cast<size_t>(ky * g.f_w + kx)] =
            p.phased ? (col % g.stride_w) * p.phase_bytes + (col / g.stride_w) * c : col * c;
      }
    // Pair rows pay off when each is read by several output rows (stride 1: three).
    const bool three = g.f_h == 3 && g.f_w == 3 && g.stride_w == 1 && g.stride_h == 1;
    p.pair_delta = three ? p.tap_offset[1] - p.tap_offset[0] : 0;
    p.slot_bytes = p.row_bytes + p.pair_delta + lanes;
    std::vector<int32_t> wsum(static_cast<size_t>(c), 0);
    p.weights.assign(static_cast<size_t>(taps * L), 0);
    for (int t = 0; t < taps; ++t)
      for (int64_t l = 0; l < L; ++l) {
        const int64_t i = int64_t{t} * c + l % c;
        const int32_t w = (p.is_unsigned ? static_cast<int32_t>(filter.as<uint8_t>()[i])
                                         : static_cast<int32_t>(filter.as<int8_t>()[i])) +
                          filter_offset_;
        p.weights[static_cast<size_t>(t * L + l)] = w;
        if (l < c) wsum[static_cast<size_t>(l)] += w;
      }
    p.pair_weights.assign(three ? static_cast<size_t>(6 * L) : 0, 0);
    if (three)
      for (int ky = 0; ky < 3; ++ky)
        for (int64_t l = 0; l < L; ++l) {
          const auto at = [&](int kx) {
            return static_cast<uint32_t>(p.weights[static_cast<size_t>((ky * 3 + kx) * L + l)]) &
                   0xFFFFu;
          };
          p.pair_weights[static_cast<size_t>(2 * ky * L + l)] =
              static_cast<int32_t>(at(0) | at(1) << 16);
          p.pair_weights[static_cast<size_t>((2 * ky + 1) * L + l)] = static_cast<int32_t>(at(2));
        }
    for (auto* v : {&p.bias, &p.left_mult, &p.mult, &p.right, &p.mask, &p.thr})
      v->assign(static_cast<size_t>(L), 0);
    bool any_left = false, all_right = true;
    int64_t bound = 0;  // max |acc| over channels: |bias| + 255 * sum |w|
    for (int64_t ci = 0; ci < c; ++ci) {
      int64_t sum = bias ? std::abs(int64_t{bias->as<int32_t>()[ci]}) : 0;
      for (int t = 0; t < taps; ++t)
        sum += 255 * std::abs(int64_t{p.weights[static_cast<size_t>(t * L + ci)]});
      bound = std::max(bound, sum);
    }
    for (int64_t l = 0; l < L; ++l) {
      const auto ci = static_cast<size_t>(l % c);
      const auto li = static_cast<size_t>(l);
      const uint32_t b = bias ? static_cast<uint32_t>(bias->as<int32_t>()[ci]) : 0u;
      // Wrapping int32 arithmetic, as the vector sums: the result is the same modulo 2^32.
      p.bias[li] = static_cast<int32_t>(b + static_cast<uint32_t>(input_offset_) *
                                                static_cast<uint32_t>(wsum[ci]));
      const int shift = mult_[ci].shift;
      const int right = shift > 0 ? 0 : -shift;
      p.left_mult[li] = static_cast<int32_t>(uint32_t{1} << (shift > 0 ? shift : 0));
      p.mult[li] = mult_[ci].multiplier;
      any_left = any_left || shift > 0;
      all_right = all_right && shift < 0;
      p.right[li] = right;
      p.mask[li] = static_cast<int32_t>((int64_t{1} << right) - 1);
      p.thr[li] = p.mask[li] >> 1;
    }
    p.stage_kind = any_left ? 0 : all_right && bound < (int64_t{1} << 30) ? 2 : 1;
    packed_for_ = filter.data;
    bias_for_ = bias ? bias->data : nullptr;
  }

  DwPlan plan_;
  int32_t input_offset_ = 0, filter_offset_ = 0;
  std::vector<QuantizedMultiplier> mult_;
  const void* packed_for_ = nullptr;
  const void* bias_for_ = nullptr;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  const DType t = qref::InType(ctx, 0);
  if (!qref::IsQ8(t) || qref::InType(ctx, 1) != t || qref::OutType(ctx, 0) != t) return nullptr;
  const TensorView* bias = OptIn(ctx, 2);
  if (bias && bias->type != DType::kInt32) return nullptr;
  const TensorView& in = *ctx.inputs[0];
  const TensorView& filter = *ctx.inputs[1];
  // Depth multiplier 1 only (output channel c reads input channel c).
  if (in.rank() != 4 || filter.rank() != 4 || filter.dim(3) != in.dim(3)) return nullptr;
  if (filter.dim(1) > kMaxFilterRows) return nullptr;
  return std::make_unique<FastDepthwiseQ8>();
}

}  // namespace

void RegisterFastDepthwiseQ8(KernelRegistry& r) {
  r.Register(OpType::DEPTHWISE_CONV_2D, "fast/q8/depthwise_conv_2d", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
