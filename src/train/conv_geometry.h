// Geometry of a 2-D convolution in the trainer's channels-major layout, and the im2col / col2im
// transforms that turn it into matrix products. Padding follows Keras/TensorFlow: "same" gives
// ceil(in / stride) outputs with the smaller half of the padding before, "valid" gives
// floor((in - dilated_kernel) / stride) + 1.
#pragma once

#include <cstdint>
#include <string>

namespace cae::train {

struct ConvGeom {
  int cin = 0, ih = 0, iw = 0;       // input: cin x ih x iw
  int kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int pad_top = 0, pad_left = 0;
  int oh = 0, ow = 0;                // output pixels
  int64_t K() const { return static_cast<int64_t>(cin) * kh * kw; }  // rows of the column matrix
  int64_t P() const { return static_cast<int64_t>(oh) * ow; }        // its columns
};

// Computes output size and padding; throws cae::Error naming layer when the output would be empty
// or a parameter is not positive.
ConvGeom MakeConvGeom(int cin, int ih, int iw, int kh, int kw, int sh, int sw, int dh, int dw,
                      bool same, const std::string& layer);

// Keras Conv1D's padding "causal" on a 1 x iw input: (kw - 1) * dw zeros before the sequence and
// none after, then "valid", so ow = (iw - 1) / sw + 1 and output step t sees inputs up to t * sw.
ConvGeom MakeCausalConvGeom(int cin, int iw, int kw, int sw, int dw, const std::string& layer);

// col[K, P] with row (c * kh + ky) * kw + kx; zeros where the window reads padding.
void Im2Col(const ConvGeom& g, const float* x, float* col);
// x[c, y, x] += every col entry that Im2Col would have read from there (the adjoint of Im2Col).
void Col2ImAdd(const ConvGeom& g, const float* col, float* x);

// The kn2row form of a stride-1 convolution with `cout` filters and T = kh * kw taps: the
// per-tap products z[T * cout, ih * iw] (row t * cout + co, t = ky * kw + kx) are computed over
// the input pixels, then shifted into place. Its buffers hold T * cout * ih * iw values where
// im2col's hold T * cin * oh * ow, so it is the cheaper form when a layer narrows channels.
// y[co, oy, ox] += sum over taps of z[t * cout + co] at input pixel (oy + ky * dh - pad_top,
// ox + kx * dw - pad_left), taps that read padding contribute nothing. Requires sh == sw == 1.
void ShiftAddTaps(const ConvGeom& g, int cout, const float* z, float* y);
// The adjoint of ShiftAddTaps: dz[t * cout + co, iy, ix] = dy[co] at the output pixel that tap t
// reads from (iy, ix), 0 where no output pixel reads it.
void SpreadTaps(const ConvGeom& g, int cout, const float* dy, float* dz);

}  // namespace cae::train
