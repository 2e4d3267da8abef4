#include "train/conv_geometry.h"

#include <algorithm>
#include <cstring>

#include "graph/error.h"

namespace cae::train {

ConvGeom MakeConvGeom(int cin, int ih, int iw, int kh, int kw, int sh, int sw, int dh, int dw,
                      bool same, const std::string& layer) {
  Check(cin > 0 && ih > 0 && iw > 0, "layer '", layer, "': empty input ", ih, "x", iw, "x", cin);
  Check(kh > 0 && kw > 0 && sh > 0 && sw > 0 && dh > 0 && dw > 0 && kh <= 1024 && kw <= 1024 &&
            sh <= 1024 && sw <= 1024 && dh <= 1024 && dw <= 1024,
        "layer '", layer, "': kernel/stride/dilation must be in 1..1024");
  ConvGeom g;
  g.cin = cin;
  g.ih = ih;
  g.iw = iw;
  g.kh = kh;
  g.kw = kw;
  g.sh = sh;
  g.sw = sw;
  g.dh = dh;
  g.dw = dw;
  const int ekh = (kh - 1) * dh + 1;
  const int ekw = (kw - 1) * dw + 1;
  if (same) {
    g.oh = (ih + sh - 1) / sh;
    g.ow = (iw + sw - 1) / sw;
    g.pad_top = std::max((g.oh - 1) * sh + ekh - ih, 0) / 2;
    g.pad_left = std::max((g.ow - 1) * sw + ekw - iw, 0) / 2;
  } else {
    Check(ih >= ekh && iw >= ekw, "layer '", layer, "': input ", ih, "x", iw,
          " is smaller than the kernel ", ekh, "x", ekw, " with padding 'valid'");
    g.oh = (ih - ekh) / sh + 1;
    g.ow = (iw - ekw) / sw + 1;
  }
  return g;
}

ConvGeom MakeCausalConvGeom(int cin, int iw, int kw, int sw, int dw, const std::string& layer) {
  Check(kw > 0 && dw > 0 && kw <= 1024 && dw <= 1024, "layer '", layer,
        "': kernel/stride/dilation must be in 1..1024");
  const int left = (kw - 1) * dw;
  ConvGeom g = MakeConvGeom(cin, 1, iw + left, 1, kw, 1, sw, 1, dw, false, layer);
  g.iw = iw;  // the padding is virtual: Im2Col and the taps read zeros left of column 0
  g.pad_left = left;
  return g;
}

namespace {

// The output columns [lo, hi) whose input column ox * sw + x0 lies inside [0, iw).
void ValidColumns(const ConvGeom& g, int x0, int* lo, int* hi) {
  int l = 0;
  while (l < g.ow && l * g.sw + x0 < 0) ++l;
  int h = g.ow;
  while (h > l && (h - 1) * g.sw + x0 >= g.iw) --h;
  *lo = l;
  *hi = h;
}

}  // namespace

void Im2Col(const ConvGeom& g, const float* x, float* col) {
  const int64_t P = g.P();
  for (int c = 0; c < g.cin; ++c) {
    const float* xc = x + static_cast<int64_t>(c) * g.ih * g.iw;
    for (int ky = 0; ky < g.kh; ++ky) {
      for (int kx = 0; kx < g.kw; ++kx) {
        float* row = col + ((static_cast<int64_t>(c) * g.kh + ky) * g.kw + kx) * P;
        const int x0 = kx * g.dw - g.pad_left;
        int lo = 0, hi = 0;
        ValidColumns(g, x0, &lo, &hi);
        for (int oy = 0; oy < g.oh; ++oy) {
          float* dst = row + static_cast<int64_t>(oy) * g.ow;
          const int iy = oy * g.sh + ky * g.dh - g.pad_top;
          if (iy < 0 || iy >= g.ih) {
            std::fill(dst, dst + g.ow, 0.0f);
            continue;
          }
          const float* src = xc + static_cast<int64_t>(iy) * g.iw + x0;
          std::fill(dst, dst + lo, 0.0f);
          if (g.sw == 1) {
            for (int ox = lo; ox < hi; ++ox) dst[ox] = src[ox];
          } else {
            for (int ox = lo; ox < hi; ++ox) dst[ox] = src[ox * g.sw];
          }
          std::fill(dst + hi, dst + g.ow, 0.0f);
        }
      }
    }
  }
}

void Col2ImAdd(const ConvGeom& g, const float* col, float* x) {
  const int64_t P = g.P();
  for (int c = 0; c < g.cin; ++c) {
    float* xc = x + static_cast<int64_t>(c) * g.ih * g.iw;
    for (int ky = 0; ky < g.kh; ++ky) {
      for (int kx = 0; kx < g.kw; ++kx) {
        const float* row = col + ((static_cast<int64_t>(c) * g.kh + ky) * g.kw + kx) * P;
        const int x0 = kx * g.dw - g.pad_left;
        int lo = 0, hi = 0;
        ValidColumns(g, x0, &lo, &hi);
        for (int oy = 0; oy < g.oh; ++oy) {
          const int iy = oy * g.sh + ky * g.dh - g.pad_top;
          if (iy < 0 || iy >= g.ih) continue;
          const float* src = row + static_cast<int64_t>(oy) * g.ow;
          float* dst = xc + static_cast<int64_t>(iy) * g.iw + x0;
          if (g.sw == 1) {
            for (int ox = lo; ox < hi; ++ox) dst[ox] += src[ox];
          } else {
            for (int ox = lo; ox < hi; ++ox) dst[ox * g.sw] += src[ox];
          }
        }
      }
    }
  }
}

namespace {

// For tap (ky, kx) of a stride-1 convolution: the output rows [oy_lo, oy_hi) and columns
// [ox_lo, ox_hi) whose input pixel (oy + dy, ox + dx) is inside the image.
struct TapWindow {
  int dy, dx, oy_lo, oy_hi, ox_lo, ox_hi;
};
TapWindow MakeTapWindow(const ConvGeom& g, int ky, int kx) {
  TapWindow t;
  t.dy = ky * g.dh - g.pad_top;
  t.dx = kx * g.dw - g.pad_left;
  t.oy_lo = std::clamp(-t.dy, 0, g.oh);
  t.oy_hi = std::clamp(g.ih - t.dy, t.oy_lo, g.oh);
  t.ox_lo = std::clamp(-t.dx, 0, g.ow);
  t.ox_hi = std::clamp(g.iw - t.dx, t.ox_lo, g.ow);
  return t;
}

// Calls fn(tap_offset, out_offset, length) for every run of output pixels of one output row that
// reads one input row through one tap: tap_offset indexes the [T * cout, ih * iw] per-tap buffer,
// out_offset the [cout, oh * ow] output. The runs of ShiftAddTaps and SpreadTaps (its adjoint).
template <typename Fn>
void ForEachTapRun(const ConvGeom& g, int cout, Fn&& fn) {
  Check(g.sh == 1 && g.sw == 1, "kn2row: needs stride 1");
  const int64_t in_pixels = static_cast<int64_t>(g.ih) * g.iw, out_pixels = g.P();
  for (int ky = 0; ky < g.kh; ++ky) {
    for (int kx = 0; kx < g.kw; ++kx) {
      const TapWindow w = MakeTapWindow(g, ky, kx);
      if (w.ox_lo == w.ox_hi) continue;  // the tap reads only padding
      const int t = ky * g.kw + kx;
      for (int co = 0; co < cout; ++co) {
        const int64_t tap_base = (static_cast<int64_t>(t) * cout + co) * in_pixels;
        for (int oy = w.oy_lo; oy < w.oy_hi; ++oy) {
          fn(tap_base + static_cast<int64_t>(oy + w.dy) * g.iw + (w.ox_lo + w.dx),
             co * out_pixels + static_cast<int64_t>(oy) * g.ow + w.ox_lo, w.ox_hi - w.ox_lo);
        }
      }
    }
  }
}

}  // namespace

void ShiftAddTaps(const ConvGeom& g, int cout, const float* z, float* y) {
  ForEachTapRun(g, cout, [&](int64_t zi, int64_t yi, int n) {
    for (int i = 0; i < n; ++i) y[yi + i] += z[zi + i];
  });
}

void SpreadTaps(const ConvGeom& g, int cout, const float* dy, float* dz) {
  std::fill(dz, dz + static_cast<int64_t>(g.kh) * g.kw * cout * g.ih * g.iw, 0.0f);
  ForEachTapRun(g, cout, [&](int64_t zi, int64_t yi, int n) {
    std::copy(dy + yi, dy + yi + n, dz + zi);
  });
}

}  // namespace cae::train
