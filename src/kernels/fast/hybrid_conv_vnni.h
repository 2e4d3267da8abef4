// Hybrid (dynamic-range) CONV_2D with AVX-512 VNNI (vpdpbusd: 4 unsigned 8-bit x signed 8-bit
// products summed into each int32 lane), used by the fast hybrid CONV_2D (hybrid.cc) when
// VnniAvailable(); bit-exact with ref/hybrid/conv_2d.
//
// Arithmetic, per image quantized to int8 x with zero point zp: the image is copied into a
// zero-padded uint8 image u = x + 128 whose border holds zp + 128, so every filter tap is valid and
//   sum over valid taps of w * (x - zp) = sum over all taps of w * u - (zp + 128) * sum w,
// the reference's integer (no int32 overflow: |w * u| <= 127 * 255). The float output is
// HybridConvOutput's arithmetic on 16 channels at a time: float(sum) * (w_scale * in_scale),
// + bias, then max(lo, .) and min(hi, .) in the reference's NaN-passing order.
// Layout: weights [tap][quad of input channels][out_c padded to 16][4]; the image's channels
// are padded to a multiple of 4 (padding weights are 0). Up to 2 vectors of 16 channels for
// up to 8 pixels accumulate in registers.
#pragma once

#include <cstdint>
#include <vector>

namespace cae::fast {

class HybridConvVnni {
 public:
  struct Geometry {
    int in_h = 0, in_w = 0, in_c = 0;
    int out_h = 0, out_w = 0, out_c = 0;
    int f_h = 1, f_w = 1, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
    int pad_h = 0, pad_w = 0;  // >= 0
  };

  explicit HybridConvVnni(const Geometry& g);
  // filter: OHWI int8. Call again whenever it changes.
  void SetWeights(const int8_t* filter);
  // Bytes of one padded image.
  int64_t image_bytes() const { return pad_rows_ * pad_cols_ * cin4_; }
  // dst (image_bytes()) = the padded image of one quantized image q [in_h][in_w][in_c] with
  // zero point zp.
  void PadImage(const int8_t* q, int32_t zp, uint8_t* dst) const;
  // Output row y of the image padded in `image` (zero point zp) into out_row [out_w][out_c].
  // scale: [out_c padded to 16] w_scale[c] * in_scale; bias: the same length, or null.
  void Row(const uint8_t* image, int32_t zp, const float* scale, const float* bias, float lo,
           float hi, int64_t y, float* out_row) const;
  // out_c rounded up to 16: the length Row reads from scale and bias.
  int padded_out_c() const { return ocp_; }

 private:
  Geometry g_;
  int cin4_ = 0, quads_ = 0, ocp_ = 0;
  int64_t pad_rows_ = 0, pad_cols_ = 0;
  std::vector<int32_t> tap_off_;  // [taps] bytes from a window's first tap
  std::vector<int8_t> packed_;    // [tap][quad][ocp_][4]
  std::vector<int32_t> wsum_;     // [ocp_] sum of each channel's weights
};

}  // namespace cae::fast
