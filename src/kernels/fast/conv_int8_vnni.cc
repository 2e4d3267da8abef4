// int8 CONV_2D with AVX-512 VNNI; contract and arithmetic in conv_int8_vnni.h. The SIMD code is
// compiled for AVX-512 VNNI with a function target attribute and runs only when VnniAvailable().
#include "kernels/fast/conv_int8_vnni.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "graph/error.h"
#include "hwy/targets.h"
#include "kernels/parallel.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CAE_VNNI_X86 1
#include <immintrin.h>
#define CAE_VNNI_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#else
#define CAE_VNNI_X86 0
#endif

namespace cae::fast {

bool VnniAvailable() {
#if CAE_VNNI_X86
  return (hwy::SupportedTargets() & HWY_AVX3_DL) != 0 && __builtin_cpu_supports("avx512vnni") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

VnniConvI8::VnniConvI8(const ConvGeometry& g, int32_t input_zero_point,
                       const Int8OutputStage& stage, bool uint8, int32_t filter_zero_point)
    : g_(g), in_zp_(input_zero_point), uint8_(uint8), filter_zp_(filter_zero_point) {
  if (uint8_ && g.out_c > 0) {
    dr_mult_ = stage.mult[0].multiplier;
    dr_left_ = std::max(stage.mult[0].shift, 0);
    dr_right_ = std::max(-stage.mult[0].shift, 0);
  }
  Check(g.pad_h >= 0 && g.pad_w >= 0, "VnniConvI8: negative padding");
  out_zp_ = stage.output_offset;
  act_min_ = stage.act_min;
  act_max_ = stage.act_max;
  hp_ = std::max(g.in_h + g.pad_h, (g.out_h - 1) * g.stride_h + (g.f_h - 1) * g.dil_h + 1);
  wp_ = std::max(g.in_w + g.pad_w, (g.out_w - 1) * g.stride_w + (g.f_w - 1) * g.dil_w + 1);
  img_bytes_ = int64_t{hp_} * wp_ * g.in_c;
  const int C = g.in_c;
  // Contiguous runs of filter bytes: one per filter row when dilation_w is 1, else one per tap.
  for (int ky = 0; ky < g.f_h; ++ky) {
    if (g.dil_w == 1) {
      seg_off_.push_back(ky * g.dil_h * wp_ * C);
      seg_len_.push_back(g.f_w * C);
    } else {
      for (int kx = 0; kx < g.f_w; ++kx) {
        seg_off_.push_back((ky * g.dil_h * wp_ + kx * g.dil_w) * C);
        seg_len_.push_back(C);
      }
    }
  }
  int quads = 0, chunks = 0;
  for (int len : seg_len_) {
    quads += (len + 3) / 4;
    chunks += (len + 63) / 64;
  }
  by_pixel_ = g.dil_w == 1 && g.out_c <= 4 && g.out_c * (chunks + 2) < quads;
  for (size_t s = 0; s < seg_off_.size(); ++s) {
    const int step = by_pixel_ ? 64 : 4;
    for (int pos = 0; pos < seg_len_[s]; pos += step) step_off_.push_back(seg_off_[s] + pos);
  }
  for (int ky = 0; ky < g.f_h; ++ky)
    for (int kx = 0; kx < g.f_w; ++kx) win_off_.push_back(ky * g.dil_h * wp_ + kx * g.dil_w);
  ocp_ = RoundUp(g.out_c, 16);
  mult_.assign(static_cast<size_t>(ocp_), 0);
  shift_.assign(static_cast<size_t>(ocp_), 1);
  round_.assign(static_cast<size_t>(ocp_), 0);
  for (int oc = 0; oc < g.out_c; ++oc) {
    const QuantizedMultiplier m = stage.mult[oc];
    // As MultiplyByQuantizedMultiplierSingleRounding: (x * m + 2^(s-1)) >> s, s = 31 - min(shift, 30).
    const int total_shift = 31 - std::min(m.shift, 30);
    mult_[oc] = m.multiplier;
    shift_[oc] = total_shift;
    round_[oc] = int64_t{1} << (total_shift - 1);
  }
  for (int i = 0; i < ocp_ / 2; ++i) {
    shift_even_.push_back(shift_[2 * i]);
    shift_odd_.push_back(shift_[2 * i + 1]);
    round_even_.push_back(round_[2 * i]);
    round_odd_.push_back(round_[2 * i + 1]);
  }
}

void VnniConvI8::SetWeights(const void* filter_data, const int32_t* bias) {
  const int C = g_.in_c, taps = g_.f_h * g_.f_w;
  const int64_t n = int64_t{taps} * C;
  // int8 weights as stored; uint8 weights as w - 128 (flipping the sign bit).
  std::vector<int8_t> f(static_cast<size_t>(n * g_.out_c));
  std::memcpy(f.data(), filter_data, f.size());
  if (uint8_)
    for (int8_t& w : f) w = static_cast<int8_t>(static_cast<uint8_t>(w) ^ 0x80u);
  const int8_t* filter = f.data();
  corr_.assign(static_cast<size_t>(ocp_), 0);
  for (int oc = 0; oc < g_.out_c; ++oc) {
    uint32_t sum = 0;  // of the stored weights (uint8: raw values)
    for (int64_t k = 0; k < n; ++k) {
      const int8_t w = static_cast<const int8_t*>(filter_data)[oc * n + k];
      sum += uint8_ ? static_cast<uint32_t>(static_cast<uint8_t>(w))
                    : static_cast<uint32_t>(static_cast<int32_t>(w));
    }
    const uint32_t b = bias ? static_cast<uint32_t>(bias[oc]) : 0u;
    if (uint8_) {
      // bias - in_zp * sum w + n * in_zp * zw  (the (128 - zw) * sum x term is added per pixel).
      corr_[oc] = static_cast<int32_t>(
          b - static_cast<uint32_t>(in_zp_) * sum +
          static_cast<uint32_t>(n) * static_cast<uint32_t>(in_zp_) * static_cast<uint32_t>(filter_zp_));
    } else {
      corr_[oc] = static_cast<int32_t>(b - static_cast<uint32_t>(in_zp_ + 128) * sum);
    }
  }
  // Filter byte `pos` of run s -> OHWI index of output channel oc (-1 past the run's end).
  const bool per_tap = g_.dil_w != 1;
  auto source = [&](size_t s, int pos, int oc) -> int64_t {
    if (pos >= seg_len_[s]) return -1;
    const int ky = per_tap ? static_cast<int>(s) / g_.f_w : static_cast<int>(s);
    const int kx = (per_tap ? static_cast<int>(s) % g_.f_w : 0) + pos / C;
    return ((int64_t{oc} * g_.f_h + ky) * g_.f_w + kx) * C + pos % C;
  };
  const size_t steps = step_off_.size();
  if (by_pixel_) {
    // [oc][chunk][64]
    packed_.assign(static_cast<size_t>(g_.out_c) * steps * 64, 0);
    for (int oc = 0; oc < g_.out_c; ++oc) {
      size_t step = 0;
      for (size_t s = 0; s < seg_off_.size(); ++s)
        for (int pos = 0; pos < seg_len_[s]; pos += 64, ++step)
          for (int j = 0; j < 64; ++j) {
            const int64_t src = source(s, pos + j, oc);
            if (src >= 0) packed_[(oc * steps + step) * 64 + j] = filter[src];
          }
    }
    return;
  }
  // [quad][ocp][4]
  packed_.assign(steps * ocp_ * 4, 0);
  size_t step = 0;
  for (size_t s = 0; s < seg_off_.size(); ++s)
    for (int pos = 0; pos < seg_len_[s]; pos += 4, ++step)
      for (int oc = 0; oc < g_.out_c; ++oc)
        for (int j = 0; j < 4; ++j) {
          const int64_t src = source(s, pos + j, oc);
          if (src >= 0) packed_[(step * ocp_ + oc) * 4 + j] = filter[src];
        }
}

namespace {

// dst[i] = src[i] + 128 as uint8 (flips the sign bit).
#if CAE_VNNI_X86
CAE_VNNI_FN void ToUnsigned(const int8_t* src, uint8_t* dst, int64_t n) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  int64_t i = 0;
  for (; i + 64 <= n; i += 64)
    _mm512_storeu_si512(dst + i, _mm512_xor_si512(_mm512_loadu_si512(src + i), flip));
  if (i < n) {
    const __mmask64 m = (~uint64_t{0}) >> (64 - (n - i));
    _mm512_mask_storeu_epi8(dst + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + i), flip));
  }
}
#else
void ToUnsigned(const int8_t* src, uint8_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>(static_cast<uint8_t>(src[i]) ^ 0x80u);
}
#endif

// sums[x] = the sum of pixel x's c bytes, for n pixels of c channels (exact integers, any order).
#if CAE_VNNI_X86
#define CAE_VBMI_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi")))

bool VbmiAvailable() {
  static const bool available = __builtin_cpu_supports("avx512vbmi");
  return available;
}

// c == 3: 16 pixels (48 bytes) at a time, the three channels gathered by one byte permute.
CAE_VBMI_FN void PixelSums3(const uint8_t* px, int64_t n, int32_t* sums) {
  alignas(64) uint8_t idx[64] = {};
  for (int j = 0; j < 16; ++j)
    for (int ch = 0; ch < 3; ++ch) idx[ch * 16 + j] = static_cast<uint8_t>(3 * j + ch);
  const __m512i perm = _mm512_load_si512(idx);
  for (int64_t x = 0; x < n; x += 16) {
    const int64_t m = std::min<int64_t>(16, n - x);
    const __mmask64 load_mask = (~uint64_t{0}) >> (64 - 3 * m);
    const __m512i v = _mm512_permutexvar_epi8(perm, _mm512_maskz_loadu_epi8(load_mask, px + 3 * x));
    const __m512i s0 = _mm512_cvtepu8_epi32(_mm512_castsi512_si128(v));
    const __m512i s1 = _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(v, 1));
    const __m512i s2 = _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(v, 2));
    _mm512_mask_storeu_epi32(sums + x, static_cast<__mmask16>((1u << m) - 1u),
                             _mm512_add_epi32(_mm512_add_epi32(s0, s1), s2));
  }
}

// c a multiple of 8: vpsadbw sums each 8 bytes into a 64-bit lane; k = c / 8 lanes per pixel.
CAE_VNNI_FN void PixelSums8(const uint8_t* px, int c, int64_t n, int32_t* sums) {
  const int k = c / 8;
  const __m512i zero = _mm512_setzero_si512();
  if (k > 8 || (k & (k - 1)) != 0) {  // a pixel per step: its 64-byte pieces, then its lanes
    for (int64_t x = 0; x < n; ++x, px += c) {
      __m512i acc = zero;
      for (int off = 0; off < c; off += 64) {
        const int len = std::min(64, c - off);
        const __mmask64 mk = (~uint64_t{0}) >> (64 - len);
        acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_maskz_loadu_epi8(mk, px + off), zero));
      }
      sums[x] = static_cast<int32_t>(_mm512_reduce_add_epi64(acc));
    }
    return;
  }
  // k = 1, 2, 4 or 8: 64 bytes hold 8 / k pixels; add each pixel's k lanes into its first and
  // keep those lanes.
  const __m512i next1 = _mm512_set_epi64(7, 7, 6, 5, 4, 3, 2, 1);
  const __m512i next2 = _mm512_set_epi64(7, 7, 7, 6, 5, 4, 3, 2);
  const __m512i next4 = _mm512_set_epi64(7, 7, 7, 7, 7, 6, 5, 4);
  const __mmask8 firsts = k == 1 ? 0xff : k == 2 ? 0x55 : k == 4 ? 0x11 : 0x01;
  const int per_chunk = 8 / k;
  const int64_t total = n * c;
  for (int64_t x = 0, off = 0; x < n; x += per_chunk, off += 64) {
    const int64_t len = std::min<int64_t>(64, total - off);
    const __mmask64 mk = (~uint64_t{0}) >> (64 - len);
    __m512i v = _mm512_sad_epu8(_mm512_maskz_loadu_epi8(mk, px + off), zero);
    if (k >= 2) v = _mm512_add_epi64(v, _mm512_permutexvar_epi64(next1, v));
    if (k >= 4) v = _mm512_add_epi64(v, _mm512_permutexvar_epi64(next2, v));
    if (k >= 8) v = _mm512_add_epi64(v, _mm512_permutexvar_epi64(next4, v));
    const __m256i packed = _mm512_cvtepi64_epi32(_mm512_maskz_compress_epi64(firsts, v));
    const int64_t m = std::min<int64_t>(per_chunk, n - x);
    _mm256_mask_storeu_epi32(sums + x, static_cast<__mmask8>((1u << m) - 1u), packed);
  }
}
#endif

void PixelSums(const uint8_t* px, int c, int64_t n, int32_t* sums) {
#if CAE_VNNI_X86
  if (c % 8 == 0) return PixelSums8(px, c, n, sums);
  if (c == 3 && VbmiAvailable()) return PixelSums3(px, n, sums);
#endif
  for (int64_t x = 0; x < n; ++x, px += c) {
    int32_t sum = 0;
    for (int ch = 0; ch < c; ++ch) sum += px[ch];
    sums[x] = sum;
  }
}

}  // namespace

void VnniConvI8::PadRows(const int8_t* input, int64_t b_first, int64_t r0, int64_t r1,
                         uint8_t* dst_image, int32_t* psum_image) const {
  const int C = g_.in_c;
  const auto pad = static_cast<uint8_t>(uint8_ ? in_zp_ : in_zp_ + 128);
  const int64_t row_bytes = int64_t{wp_} * C, first = b_first * hp_;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t b = r / hp_;
    const int py = static_cast<int>(r % hp_);
    uint8_t* dst = dst_image + (r - first) * row_bytes;
    const int iy = py - g_.pad_h;
    if (iy < 0 || iy >= g_.in_h) {
      std::memset(dst, pad, static_cast<size_t>(row_bytes));
    } else {
      const int64_t left = int64_t{g_.pad_w} * C, inner = int64_t{g_.in_w} * C;
      std::memset(dst, pad, static_cast<size_t>(left));
      const int8_t* src = input + (b * g_.in_h + iy) * inner;
      if (uint8_) {
        std::memcpy(dst + left, src, static_cast<size_t>(inner));
      } else {
        ToUnsigned(src, dst + left, inner);
      }
      std::memset(dst + left + inner, pad, static_cast<size_t>(row_bytes - left - inner));
    }
    if (uint8_ && filter_zp_ != 128) PixelSums(dst, C, wp_, psum_image + (r - first) * wp_);
  }
}

#if CAE_VNNI_X86
namespace {

struct Requant {
  __m512i zp, lo, hi;
};

// Single-rounding requantization of 16 int32 lanes with per-lane multiplier m (32-bit lanes),
// total shifts and rounding terms for the even and odd lanes (64-bit lanes); clamp; to int8.
CAE_VNNI_FN inline __m128i Requantize16(__m512i acc, __m512i m, __m512i se, __m512i so,
                                         __m512i re, __m512i ro, const Requant& q) {
  __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(acc, m), re);
  __m512i po = _mm512_add_epi64(
      _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), _mm512_srli_epi64(m, 32)), ro);
  pe = _mm512_srav_epi64(pe, se);
  po = _mm512_srav_epi64(po, so);
  __m512i r = _mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32));
  r = _mm512_add_epi32(r, q.zp);
  r = _mm512_min_epi32(_mm512_max_epi32(r, q.lo), q.hi);
  return _mm512_cvtepi32_epi8(r);
}

// uint8's per-tensor double-rounding multiplier (MultiplyByQuantizedMultiplier), as vectors.
struct DoubleRound {
  __m512i m, left, right, mask, thr;
};

CAE_VNNI_FN DoubleRound MakeDoubleRound(int32_t m, int32_t left, int32_t right) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << right) - 1);
  return {_mm512_set1_epi32(m), _mm512_set1_epi32(left), _mm512_set1_epi32(right),
          _mm512_set1_epi32(mask), _mm512_set1_epi32(mask >> 1)};
}

// High multiply (a*b + 2^30) >> 31 (gemmlowp's nudge-and-truncate, for b >= 0), then the
// rounding right shift; + zero point, clamp, to 8 bits.
CAE_VNNI_FN inline __m128i RequantizeDouble16(__m512i acc, const DoubleRound& d, const Requant& q) {
  const __m512i x = _mm512_sllv_epi32(acc, d.left);
  const __m512i half = _mm512_set1_epi64(int64_t{1} << 30);
  const __m512i pe = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, d.m), half), 31);
  const __m512i po =
      _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), d.m), half), 31);
  const __m512i h = _mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32));
  const __m512i rem = _mm512_and_si512(h, d.mask);
  const __m512i thr = _mm512_add_epi32(d.thr, _mm512_srli_epi32(h, 31));
  __m512i r = _mm512_srav_epi32(h, d.right);
  r = _mm512_mask_add_epi32(r, _mm512_cmpgt_epi32_mask(rem, thr), r, _mm512_set1_epi32(1));
  r = _mm512_add_epi32(r, q.zp);
  r = _mm512_min_epi32(_mm512_max_epi32(r, q.lo), q.hi);
  return _mm512_cvtepi32_epi8(r);
}

inline int32_t Load4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// NV vectors of 16 output channels (starting at block ob0) for P pixels (the first npix real).
// kU8: sterm[j] is added to pixel j's sums and the output stage rounds twice (DoubleRound).
template <int NV, int P, bool kU8>
CAE_VNNI_FN void OcBlock(const uint8_t* const* base, int npix, const int32_t* step_off, int steps,
                         const int8_t* packed, int ocp, int ob0, const int32_t* corr,
                         const int32_t* mult, const int64_t* se, const int64_t* so,
                         const int64_t* re, const int64_t* ro, const Requant& q, int out_c,
                         const int32_t* sterm, const DoubleRound& dr, int8_t* out) {
  __m512i acc[NV][P];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const __m512i c = _mm512_loadu_si512(corr + (ob0 + v) * 16);
#pragma GCC unroll 8
    for (int j = 0; j < P; ++j) acc[v][j] = c;
  }
  const int8_t* w = packed + int64_t{ob0} * 64;
  const int64_t wstride = int64_t{ocp} * 4;
  for (int s = 0; s < steps; ++s, w += wstride) {
    const int32_t off = step_off[s];
    __m512i wv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_si512(w + v * 64);
#pragma GCC unroll 8
    for (int j = 0; j < P; ++j) {
      const __m512i xv = _mm512_set1_epi32(Load4(base[j] + off));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[v][j] = _mm512_dpbusd_epi32(acc[v][j], xv, wv[v]);
    }
  }
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const int oc0 = (ob0 + v) * 16;
    const int n = std::min(16, out_c - oc0);
    if (n <= 0) break;
    const auto mask = static_cast<__mmask16>((1u << n) - 1u);
    const __m512i m = _mm512_loadu_si512(mult + oc0);
    const __m512i vse = _mm512_loadu_si512(se + oc0 / 2), vso = _mm512_loadu_si512(so + oc0 / 2);
    const __m512i vre = _mm512_loadu_si512(re + oc0 / 2), vro = _mm512_loadu_si512(ro + oc0 / 2);
#pragma GCC unroll 8
    for (int j = 0; j < P; ++j) {
      if (j >= npix) break;
      __m128i r;
      if constexpr (kU8) {
        r = RequantizeDouble16(_mm512_add_epi32(acc[v][j], _mm512_set1_epi32(sterm[j])), dr, q);
      } else {
        r = Requantize16(acc[v][j], m, vse, vso, vre, vro, q);
      }
      _mm_mask_storeu_epi8(out + int64_t{j} * out_c + oc0, mask, r);
    }
  }
}

// Sums of each of 16 vectors' lanes: lane i of the result is the sum of v[i]'s lanes.
CAE_VNNI_FN inline __m512i HorizontalSums16(const __m512i* v) {
  __m512i u[8], w[4];
  for (int i = 0; i < 8; ++i)
    u[i] = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2 * i], v[2 * i + 1]),
                            _mm512_unpackhi_epi32(v[2 * i], v[2 * i + 1]));
  for (int i = 0; i < 4; ++i)
    w[i] = _mm512_add_epi32(_mm512_unpacklo_epi64(u[2 * i], u[2 * i + 1]),
                            _mm512_unpackhi_epi64(u[2 * i], u[2 * i + 1]));
  const __m512i y01 = _mm512_add_epi32(_mm512_shuffle_i32x4(w[0], w[1], _MM_SHUFFLE(1, 0, 1, 0)),
                                       _mm512_shuffle_i32x4(w[0], w[1], _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512i y23 = _mm512_add_epi32(_mm512_shuffle_i32x4(w[2], w[3], _MM_SHUFFLE(1, 0, 1, 0)),
                                       _mm512_shuffle_i32x4(w[2], w[3], _MM_SHUFFLE(3, 2, 3, 2)));
  return _mm512_add_epi32(_mm512_shuffle_i32x4(y01, y23, _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_i32x4(y01, y23, _MM_SHUFFLE(3, 1, 3, 1)));
}

// 16 pixels (the first npix real), every output channel, pixels in lanes. u8: sterm (16) is
// added and the output stage rounds twice.
CAE_VNNI_FN void PixelBlock(const uint8_t* const* base, int npix, const int32_t* step_off,
                            int steps, const int8_t* packed, const int32_t* corr,
                            const int32_t* mult, const int64_t* shift, const int64_t* round,
                            const Requant& q, int out_c, bool u8, const int32_t* sterm,
                            const DoubleRound& dr, int8_t* out) {
  for (int oc = 0; oc < out_c; ++oc) {
    __m512i acc[16];
    for (int j = 0; j < 16; ++j) acc[j] = _mm512_setzero_si512();
    const int8_t* w = packed + int64_t{oc} * steps * 64;
    for (int s = 0; s < steps; ++s) {
      const __m512i wv = _mm512_loadu_si512(w + s * 64);
      const int32_t off = step_off[s];
#pragma GCC unroll 16
      for (int j = 0; j < 16; ++j)
        acc[j] = _mm512_dpbusd_epi32(acc[j], _mm512_loadu_si512(base[j] + off), wv);
    }
    const __m512i sums = _mm512_add_epi32(HorizontalSums16(acc), _mm512_set1_epi32(corr[oc]));
    __m128i r;
    if (u8) {
      r = RequantizeDouble16(_mm512_add_epi32(sums, _mm512_loadu_si512(sterm)), dr, q);
    } else {
      const __m512i sh = _mm512_set1_epi64(shift[oc]), rd = _mm512_set1_epi64(round[oc]);
      r = Requantize16(sums, _mm512_set1_epi32(mult[oc]), sh, sh, rd, rd, q);
    }
    if (out_c == 1) {
      _mm_mask_storeu_epi8(out, static_cast<__mmask16>((1u << npix) - 1u), r);
    } else {
      alignas(16) int8_t tmp[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), r);
      for (int j = 0; j < npix; ++j) out[int64_t{j} * out_c + oc] = tmp[j];
    }
  }
}

CAE_VNNI_FN Requant MakeRequant(int32_t zp, int32_t lo, int32_t hi) {
  return {_mm512_set1_epi32(zp), _mm512_set1_epi32(lo), _mm512_set1_epi32(hi)};
}

}  // namespace

void VnniConvI8::RunRows(const uint8_t* padded, const int32_t* psum, int64_t row0, int64_t row1,
                         int8_t* output, int ob_begin, int ob_end) const {
  const int C = g_.in_c;
  const int64_t p_end = row1 * g_.out_w;
  // Walks output pixels in order, keeping the padded-input pixel index of the current one.
  struct Cursor {
    int64_t b;
    int oy, ox;
    int64_t pix;
  };
  const int64_t img_pixels = int64_t{hp_} * wp_, pix_y = int64_t{g_.stride_h} * wp_;
  auto row_start = [&](int64_t b, int oy) { return b * img_pixels + oy * pix_y; };
  Cursor cur{row0 / g_.out_h, static_cast<int>(row0 % g_.out_h), 0, 0};
  cur.pix = row_start(cur.b, cur.oy);
  int64_t pix[16];
  const uint8_t* base[16];
  auto next = [&](int n) {
    for (int j = 0; j < n; ++j) {
      pix[j] = cur.pix;
      base[j] = padded + cur.pix * C;
      if (++cur.ox < g_.out_w) {
        cur.pix += g_.stride_w;
        continue;
      }
      cur.ox = 0;
      if (++cur.oy == g_.out_h) {
        cur.oy = 0;
        ++cur.b;
      }
      cur.pix = row_start(cur.b, cur.oy);
    }
  };
  const Requant q = MakeRequant(out_zp_, act_min_, act_max_);
  const DoubleRound dr = MakeDoubleRound(dr_mult_, dr_left_, dr_right_);
  const int steps = static_cast<int>(step_off_.size());
  alignas(64) int32_t sterm[16] = {};
  // uint8: (128 - zw) * (sum of the window's input bytes) for pixels 0..n-1.
  const uint32_t ks = static_cast<uint32_t>(128 - filter_zp_);
  const int32_t* win = win_off_.data();
  const int taps = static_cast<int>(win_off_.size());
  auto window_sums = [&](int n) {
    if (!uint8_ || ks == 0) return;
    for (int j = 0; j < n; ++j) {
      const int32_t* ps = psum + pix[j];
      uint32_t sum = 0;
      for (int t = 0; t < taps; ++t) sum += static_cast<uint32_t>(ps[win[t]]);
      sterm[j] = static_cast<int32_t>(ks * sum);
    }
  };
  if (by_pixel_) {
    for (int64_t p = row0 * g_.out_w; p < p_end; p += 16) {
      const int np = static_cast<int>(std::min<int64_t>(16, p_end - p));
      next(np);
      for (int j = np; j < 16; ++j) {
        base[j] = base[np - 1];
        pix[j] = pix[np - 1];
      }
      window_sums(16);
      PixelBlock(base, np, step_off_.data(), steps, packed_.data(), corr_.data(), mult_.data(),
                 shift_.data(), round_.data(), q, g_.out_c, uint8_, sterm, dr,
                 output + p * g_.out_c);
    }
    return;
  }
  const int nblocks = ob_end - ob_begin;
  const int pmax = nblocks >= 3 ? 6 : 8;
  for (int64_t p = row0 * g_.out_w; p < p_end; p += pmax) {
    const int np = static_cast<int>(std::min<int64_t>(pmax, p_end - p));
    next(np);
    for (int j = np; j < 8; ++j) {
      base[j] = base[np - 1];
      pix[j] = pix[np - 1];
    }
    window_sums(8);
    int8_t* out = output + p * g_.out_c;
    for (int ob0 = ob_begin; ob0 < ob_end; ob0 += 4) {
      const int nv = std::min(4, ob_end - ob0);
#define CAE_OC_BLOCK(NV, P, U8)                                                               \
  OcBlock<NV, P, U8>(base, np, step_off_.data(), steps, packed_.data(), ocp_, ob0, corr_.data(), \
                     mult_.data(), shift_even_.data(), shift_odd_.data(), round_even_.data(),   \
                     round_odd_.data(), q, g_.out_c, sterm, dr, out)
      if (uint8_) {
        switch (nv) {
          case 1: CAE_OC_BLOCK(1, 8, true); break;
          case 2: CAE_OC_BLOCK(2, 8, true); break;
          case 3: CAE_OC_BLOCK(3, 6, true); break;
          default: CAE_OC_BLOCK(4, 6, true); break;
        }
      } else {
        switch (nv) {
          case 1: CAE_OC_BLOCK(1, 8, false); break;
          case 2: CAE_OC_BLOCK(2, 8, false); break;
          case 3: CAE_OC_BLOCK(3, 6, false); break;
          default: CAE_OC_BLOCK(4, 6, false); break;
        }
      }
#undef CAE_OC_BLOCK
    }
  }
}

namespace {

// Per-thread scratch that only grows and is never zero-filled (a resize of a std::vector would
// clear the grown part on every call when ops of different sizes alternate).
template <typename T>
T* Scratch(std::unique_ptr<T[]>& buf, size_t& cap, size_t n) {
  if (n > cap) {
    buf.reset(new T[n]);
    cap = n;
  }
  return buf.get();
}

}  // namespace

void VnniConvI8::Run(const void* input_data, void* output_data, ThreadPool* pool) {
  const auto* input = static_cast<const int8_t*>(input_data);
  auto* output = static_cast<int8_t*>(output_data);
  const int64_t batches = g_.batches, out_img = int64_t{g_.out_h} * g_.out_w * g_.out_c;
  const auto pad = static_cast<uint8_t>(uint8_ ? in_zp_ : in_zp_ + 128);
  const int64_t out_h = g_.out_h;
  // Each chunk of output rows (b, oy) pads just the input rows it reads into its thread's own
  // image-sized buffer (rows at their padded positions) and computes them: one job per conv,
  // whatever the batch. Many images: chunks of whole images; few: chunks of rows.
  const int threads = pool ? pool->size() : 1;
  const int nblocks = ocp_ / 16;
  const int64_t rows = batches * out_h;
  // Called by each thread of a job. The thread_locals are declared here, not in Run: a thread
  // that never passes through such a declaration uses an instance whose destructor is never
  // registered, so the pool workers' buffers would leak when they exit.
  auto scratch = [&](uint8_t** image, int32_t** sums) {
    thread_local std::unique_ptr<uint8_t[]> image_buf;
    thread_local size_t image_cap = 0;
    thread_local std::unique_ptr<int32_t[]> sums_buf;
    thread_local size_t sums_cap = 0;
    *image = Scratch(image_buf, image_cap, static_cast<size_t>(img_bytes_ + 64));
    std::memset(*image + img_bytes_, pad, 64);
    *sums = uint8_ ? Scratch(sums_buf, sums_cap, static_cast<size_t>(hp_) * wp_) : nullptr;
  };
  if (pool && !by_pixel_ && rows < 2 * threads && rows % threads != 0 && nblocks >= 2 * 4) {
    // Too few rows to share evenly (e.g. a 1x1 output with 1001 channels): each chunk takes
    // groups of 4 channel blocks for every row.
    ParallelFor(pool, (nblocks + 3) / 4, 1, [&](int64_t g0, int64_t g1) {
      uint8_t* image;
      int32_t* sums;
      scratch(&image, &sums);
      const int ob0 = static_cast<int>(g0) * 4, ob1 = std::min(nblocks, static_cast<int>(g1) * 4);
      for (int64_t b = 0; b < batches; ++b) {
        PadRows(input, b, b * hp_, (b + 1) * hp_, image, sums);
        RunRows(image, sums, 0, out_h, output + b * out_img, ob0, ob1);
      }
    });
    return;
  }
  const int64_t min_rows = batches >= 2 * threads ? out_h : 1;
  ParallelFor(pool, rows, min_rows, [&](int64_t begin, int64_t end) {
    uint8_t* image;
    int32_t* sums;
    scratch(&image, &sums);
    for (int64_t row = begin; row < end;) {
      const int64_t b = row / out_h;
      const int oy0 = static_cast<int>(row % out_h);
      const int oy1 = static_cast<int>(std::min<int64_t>(end - b * out_h, out_h));
      // Padded rows read by output rows [oy0, oy1).
      const int64_t py0 = int64_t{oy0} * g_.stride_h;
      const int64_t py1 = std::min<int64_t>(
          hp_, int64_t{oy1 - 1} * g_.stride_h + int64_t{g_.f_h - 1} * g_.dil_h + 1);
      PadRows(input, b, b * hp_ + py0, b * hp_ + py1, image, sums);
      RunRows(image, sums, oy0, oy1, output + b * out_img, 0, nblocks);
      row = b * out_h + oy1;
    }
  });
}

#else  // !CAE_VNNI_X86

void VnniConvI8::RunRows(const uint8_t*, const int32_t*, int64_t, int64_t, int8_t*, int,
                         int) const {}
void VnniConvI8::Run(const void*, void*, ThreadPool*) {
  Fail("VnniConvI8: AVX-512 VNNI is not available on this architecture");
}

#endif

}  // namespace cae::fast
