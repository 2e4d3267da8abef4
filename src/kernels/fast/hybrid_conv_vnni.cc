// Hybrid CONV_2D with AVX-512 VNNI (see hybrid_conv_vnni.h). The compute functions are compiled
// for AVX-512 VNNI with a function target attribute and run only when VnniAvailable().
#include "kernels/fast/hybrid_conv_vnni.h"

#include <algorithm>
#include <cstring>

#include "graph/error.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CAE_HYBRID_VNNI_X86 1
#include <immintrin.h>
#define CAE_HYBRID_VNNI_FN \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#else
#define CAE_HYBRID_VNNI_X86 0
#endif

// GCC contracts a vector multiply and add into FMA by default; the reference rounds twice.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace cae::fast {

HybridConvVnni::HybridConvVnni(const Geometry& g) : g_(g) {
  Check(g.pad_h >= 0 && g.pad_w >= 0, "HybridConvVnni: negative padding");
  cin4_ = (g.in_c + 3) / 4 * 4;
  quads_ = cin4_ / 4;
  ocp_ = (g.out_c + 15) / 16 * 16;
  pad_rows_ = int64_t{g.out_h - 1} * g.stride_h + int64_t{g.f_h - 1} * g.dil_h + 1;
  pad_cols_ = int64_t{g.out_w - 1} * g.stride_w + int64_t{g.f_w - 1} * g.dil_w + 1;
  tap_off_.resize(static_cast<size_t>(g.f_h) * g.f_w);
  for (int ky = 0; ky < g.f_h; ++ky)
    for (int kx = 0; kx < g.f_w; ++kx)
      tap_off_[ky * g.f_w + kx] =
          static_cast<int32_t>((int64_t{ky} * g.dil_h * pad_cols_ + int64_t{kx} * g.dil_w) * cin4_);
}

void HybridConvVnni::SetWeights(const int8_t* filter) {
  const int taps = g_.f_h * g_.f_w, cin = g_.in_c;
  packed_.assign(static_cast<size_t>(taps) * quads_ * ocp_ * 4, 0);
  wsum_.assign(static_cast<size_t>(ocp_), 0);
  for (int oc = 0; oc < g_.out_c; ++oc)
    for (int t = 0; t < taps; ++t)
      for (int c = 0; c < cin; ++c) {
        const int8_t w = filter[(int64_t{oc} * taps + t) * cin + c];
        packed_[((int64_t{t} * quads_ + c / 4) * ocp_ + oc) * 4 + c % 4] = w;
        wsum_[oc] += w;
      }
}

void HybridConvVnni::PadImage(const int8_t* q, int32_t zp, uint8_t* dst) const {
  const uint8_t border = static_cast<uint8_t>(zp + 128);
  const int64_t row_len = pad_cols_ * cin4_;
  const int64_t x_end = std::min<int64_t>(pad_cols_, int64_t{g_.pad_w} + g_.in_w);
  for (int64_t py = 0; py < pad_rows_; ++py) {
    uint8_t* row = dst + py * row_len;
    const int64_t iy = py - g_.pad_h;
    if (iy < 0 || iy >= g_.in_h) {
      std::memset(row, border, static_cast<size_t>(row_len));
      continue;
    }
    std::memset(row, border, static_cast<size_t>(g_.pad_w * cin4_));
    std::memset(row + x_end * cin4_, border, static_cast<size_t>((pad_cols_ - x_end) * cin4_));
    const int8_t* src = q + iy * g_.in_w * g_.in_c;
    if (cin4_ == g_.in_c) {  // the interior is one contiguous run
      uint8_t* d = row + g_.pad_w * cin4_;
      const int64_t n = (x_end - g_.pad_w) * cin4_;
      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(src[i] + 128);
      continue;
    }
    for (int64_t px = g_.pad_w; px < x_end; ++px) {
      uint8_t* d = row + px * cin4_;
      const int8_t* s = src + (px - g_.pad_w) * g_.in_c;
      for (int c = 0; c < g_.in_c; ++c) d[c] = static_cast<uint8_t>(s[c] + 128);
      std::memset(d + g_.in_c, 0, static_cast<size_t>(cin4_ - g_.in_c));
    }
  }
}

#if CAE_HYBRID_VNNI_X86
namespace {

inline int32_t Load4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// What one block of pixels and channels reads.
struct BlockArgs {
  const int32_t* tap_off;
  int taps, quads;
  const int8_t* w;  // the packed weights at the block's first channel of (tap 0, quad 0)
  int64_t w_step;   // bytes per (tap, quad)
  const int32_t* wsum;
  int32_t zp;
  const float* scale;
  const float* bias;
  float lo, hi;
  int out_c, oc0;
};

// NV vectors of 16 channels from a.oc0 for P pixels whose windows start at base[j] (the first
// npix real; the others repeat the last real one and are not stored). out: pixel 0's outputs.
template <int NV, int P>
CAE_HYBRID_VNNI_FN void Block(const BlockArgs& a, const uint8_t* const* base, int npix,
                              float* out) {
  __m512i acc[NV][P];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v)
#pragma GCC unroll 8
    for (int j = 0; j < P; ++j) acc[v][j] = _mm512_setzero_si512();
  const int8_t* w = a.w;
  for (int t = 0; t < a.taps; ++t) {
    const int32_t off = a.tap_off[t];
    for (int q = 0; q < a.quads; ++q, w += a.w_step) {
      __m512i wv[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_si512(w + v * 64);
#pragma GCC unroll 8
      for (int j = 0; j < P; ++j) {
        const __m512i xv = _mm512_set1_epi32(Load4(base[j] + off + 4 * q));
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[v][j] = _mm512_dpbusd_epi32(acc[v][j], xv, wv[v]);
      }
    }
  }
  const __m512 lo = _mm512_set1_ps(a.lo), hi = _mm512_set1_ps(a.hi);
  const __m512i zp128 = _mm512_set1_epi32(a.zp + 128);
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) {
    const int c = a.oc0 + v * 16;
    const int n = std::min(16, a.out_c - c);
    if (n <= 0) break;
    const auto mask = static_cast<__mmask16>((1u << n) - 1u);
    const __m512i corr = _mm512_mullo_epi32(zp128, _mm512_loadu_si512(a.wsum + c));
    const __m512 sc = _mm512_loadu_ps(a.scale + c);
    const __m512 b = a.bias ? _mm512_loadu_ps(a.bias + c) : _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int j = 0; j < P; ++j) {
      if (j >= npix) break;
      __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[v][j], corr)), sc);
      if (a.bias) f = _mm512_add_ps(f, b);
      f = _mm512_max_ps(f, lo);  // (f > lo ? f : lo) = std::max(lo, f), NaN gives lo
      f = _mm512_min_ps(f, hi);  // (f < hi ? f : hi) = std::min(hi, f), NaN gives hi
      _mm512_mask_storeu_ps(out + int64_t{j} * a.out_c + c, mask, f);
    }
  }
}

template <int NV, int P>
CAE_HYBRID_VNNI_FN void RowBlocks(const BlockArgs& a, const uint8_t* row, int64_t px_step,
                                  int out_w, float* out_row) {
  for (int x = 0; x < out_w; x += P) {
    const int npix = std::min(P, out_w - x);
    const uint8_t* base[P];
    for (int j = 0; j < P; ++j) base[j] = row + (x + std::min(j, npix - 1)) * px_step;
    Block<NV, P>(a, base, npix, out_row + int64_t{x} * a.out_c);
  }
}

}  // namespace

void HybridConvVnni::Row(const uint8_t* image, int32_t zp, const float* scale, const float* bias,
                         float lo, float hi, int64_t y, float* out_row) const {
  const uint8_t* row = image + y * g_.stride_h * pad_cols_ * cin4_;
  const int64_t px_step = int64_t{g_.stride_w} * cin4_;
  BlockArgs a{tap_off_.data(), static_cast<int>(tap_off_.size()), quads_, nullptr,
              int64_t{ocp_} * 4, wsum_.data(), zp, scale, bias, lo, hi, g_.out_c, 0};
  for (int oc0 = 0; oc0 < ocp_; oc0 += 32) {
    a.oc0 = oc0;
    a.w = packed_.data() + int64_t{oc0} * 4;
    if (ocp_ - oc0 >= 32)
      RowBlocks<2, 6>(a, row, px_step, g_.out_w, out_row);
    else
      RowBlocks<1, 8>(a, row, px_step, g_.out_w, out_row);
  }
}

#else  // no AVX-512 VNNI build: VnniAvailable() is false and Row is never called

void HybridConvVnni::Row(const uint8_t*, int32_t, const float*, const float*, float, float,
                         int64_t, float*) const {
  Check(false, "HybridConvVnni: not built for this CPU");
}

#endif

}  // namespace cae::fast
