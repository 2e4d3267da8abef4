// int8 CONV_2D with AVX-512 VNNI (vpdpbusd: unsigned 8-bit x signed 8-bit, 4 products summed
// into each int32 lane), for x86 CPUs that have it. Used by the fast int8 CONV_2D kernel
// (conv_int8.cc) when VnniAvailable(); bit-exact with the reference kernel.
//
// Arithmetic: each batch of inputs is copied once into a zero-padded uint8 image u = x + 128
// whose border holds in_zp + 128, so every filter tap is valid and
//   sum w * (x - in_zp) = sum w * u - (in_zp + 128) * sum w      (mod 2^32, like the int32 sum),
// the last term folded into the bias. The output stage is the single-rounding requantization of
// kernels/quant_math.h, 16 output values at a time.
// uint8 (TFLite's legacy quantization: per-tensor weights with a zero point zw, double rounding):
// the input is copied as is (border = in_zp), weights go in as w - 128 (signed), and
//   sum (x - in_zp)(w - zw) = sum x (w - 128) + (128 - zw) * sum x - in_zp * sum w + n in_zp zw
// with sum x over each output pixel's window taken from per-pixel channel sums of the padded
// copy; the output stage is the double-rounding MultiplyByQuantizedMultiplier.
// Two layouts:
//  - output channels in lanes (any shape): weights [quad of filter bytes][out_c padded to 16][4];
//    up to 4 vectors of 16 channels times 6-8 output pixels accumulate in registers;
//  - pixels in lanes (out_c <= 4, dilation_w 1, long filter rows; e.g. a 32 -> 1 last layer):
//    each filter row is one contiguous run of input bytes, multiplied 64 bytes at a time; 16
//    pixels' sums are reduced into one vector.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/fast/conv_geometry.h"
#include "kernels/fast/int8_output_stage.h"

namespace cae {
class ThreadPool;
}

namespace cae::fast {

// True on x86 CPUs with AVX-512 VNNI when Highway's supported targets (which tests may narrow
// with hwy::SetSupportedTargetsForTest) include HWY_AVX3_DL.
bool VnniAvailable();

class VnniConvI8 {
 public:
  // stage.mult must hold g.out_c multipliers. Requires non-negative leading paddings. uint8:
  // uint8 input, filter and output with the filter's zero point (stage act_min/max in 0..255).
  VnniConvI8(const ConvGeometry& g, int32_t input_zero_point, const Int8OutputStage& stage,
             bool uint8 = false, int32_t filter_zero_point = 0);
  // filter: OHWI int8 (uint8); bias: out_c int32 or null. Call again whenever either changes.
  void SetWeights(const void* filter, const int32_t* bias);
  // A new batch size (nothing else changes).
  void set_batches(int batches) { g_.batches = batches; }
  // input: [batches, in_h, in_w, in_c]; output: [batches, out_h, out_w, out_c]; int8 (uint8).
  // One ParallelFor over output rows (or, when there are too few rows to share evenly, over
  // groups of output channels); each chunk pads the input rows it reads into its thread's
  // scratch image (so a batch-1 conv is one job, not a padding job and a compute job).
  void Run(const void* input, void* output, ThreadPool* pool);

 private:
  // Pads rows [r0, r1) of the batch (row r = image * hp_ + padded y) into the buffer whose first
  // image is b_first; uint8 also writes each padded pixel's channel sum to psum_image.
  void PadRows(const int8_t* input, int64_t b_first, int64_t r0, int64_t r1, uint8_t* dst_image,
               int32_t* psum_image) const;
  // Output rows [row0, row1) counted from padded's first image; output at that image's output;
  // output channel blocks (of 16) [ob_begin, ob_end) (channels-in-lanes layout; by_pixel_ takes
  // all channels whatever the range).
  void RunRows(const uint8_t* padded, const int32_t* psum, int64_t row0, int64_t row1,
               int8_t* output, int ob_begin, int ob_end) const;

  ConvGeometry g_;
  int32_t in_zp_ = 0;
  int32_t out_zp_ = 0, act_min_ = 0, act_max_ = 0;
  int hp_ = 0, wp_ = 0;                // padded image size
  int64_t img_bytes_ = 0;              // hp_ * wp_ * in_c
  bool by_pixel_ = false;              // pixels-in-lanes layout
  int ocp_ = 0;                        // out_c rounded up to 16
  std::vector<int32_t> seg_off_, seg_len_;  // contiguous filter runs: byte offset and length
  std::vector<int32_t> step_off_;      // per quad (or 64-byte chunk): byte offset from the pixel
  std::vector<int32_t> win_off_;       // per filter tap: padded-pixel offset in the window
  std::vector<int8_t> packed_;         // weights in the layout's order
  std::vector<int32_t> corr_;          // [ocp_] bias - (in_zp + 128) * sum w
  std::vector<int32_t> mult_;          // [ocp_] multiplier
  std::vector<int64_t> shift_, round_;  // [ocp_] total right shift, rounding term
  std::vector<int64_t> shift_even_, shift_odd_, round_even_, round_odd_;  // [ocp_ / 2]
  bool uint8_ = false;
  int32_t filter_zp_ = 0;
  int32_t dr_mult_ = 0, dr_left_ = 0, dr_right_ = 0;  // uint8: the per-tensor multiplier
};

}  // namespace cae::fast
