// What TFLite's hybrid (dynamic-range) kernels compute around their int32 sums: the on-the-fly
// input quantization, the choice of path, the float output of a sum and the activation range.
// Shared by the reference kernels (hybrid.cc) and the fast ones, so both give the same bytes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/ref/quantized/qutil.h"

namespace cae::qref {

// TFLite SymmetricQuantizeFloats: scale = max|x| / 127, q = round(x * 127 / max|x|) in [-127, 127].
void SymmetricQuantize(const float* x, int64_t n, int8_t* q, float* scale);
// TFLite AsymmetricQuantizeFloats: the range [min(0, x), max(0, x)] mapped onto [-128, 127] with
// a nudged integer zero point: q = round(float(offset) + x * inv) in [-128, 127].
void AsymmetricQuantize(const float* x, int64_t n, int8_t* q, float* scale, int32_t* offset);
// Their parameters from the data's min and max: scale, zero point (offset) and inv, the factor
// the loops multiply by. False when the range is empty: then every q is 0 (scale 1, offset 0).
// Also used by the fast quantizer (kernels/fast/hybrid_quantize_fast.h), which differs in its
// loops only. round() is half away from zero.
bool SymmetricParams(float lo, float hi, float* scale, float* inv);
bool AsymmetricParams(float lo, float hi, float* scale, int32_t* offset, float* inv);

// Every batch (dim 0 slice) of a float tensor quantized with its own scale (and zero point).
struct QuantizedInput {
  std::vector<int8_t> q;
  std::vector<float> scale;
  std::vector<int32_t> offset;  // 0 for symmetric
};
// Fills r (reusing its storage) from in, split into `batches` equal slices.
void QuantizeBatchesInto(const TensorView& in, int64_t batches, bool asymmetric, QuantizedInput* r);

// TFLite CalculateActivationRange for float outputs (none, RELU, RELU6, RELU_N1_TO_1); throws
// naming the op for other fused activations.
void FloatActivationRange(const KernelContext& ctx, float* lo, float* hi);

// Whether a hybrid convolution takes the per-channel path (asymmetric input quantization, one
// scale per channel): always for DEPTHWISE_CONV_2D, for CONV_2D when the weight scales differ.
inline bool HybridConvPerChannel(const std::vector<float>& weight_scales, bool depthwise) {
  bool per_channel = depthwise;
  for (float s : weight_scales) per_channel = per_channel || s != weight_scales[0];
  return per_channel;
}

// A hybrid convolution's output for int32 sum acc of channel c (weight_scales as in
// HybridConvPerChannel): acc * (in_scale * w_scale) + bias, clamped to [lo, hi].
// fast/hybrid_output_hwy-inl.h restates this arithmetic on vectors (per channel): change both
// (FastHybridConv and FastHybridDepthwise .BitExactWithReference compare them).
inline float HybridConvOutput(int32_t acc, float in_scale, const std::vector<float>& weight_scales,
                              bool per_channel, const float* bias, int32_t c, float lo, float hi) {
  const float scale = per_channel ? weight_scales[c] * in_scale : in_scale * weight_scales[0];
  float v = static_cast<float>(acc) * scale;
  if (bias) v += bias[c];
  return std::min(hi, std::max(lo, v));
}

// A hybrid FULLY_CONNECTED output for int32 sum acc of unit u: bias + acc * (in_scale * w_scale),
// clamped to [lo, hi] (TFLite's order of operations).
inline float HybridFullyConnectedOutput(int32_t acc, float in_scale,
                                        const std::vector<float>& weight_scales, const float* bias,
                                        int32_t u, float lo, float hi) {
  const float v = (bias ? bias[u] : 0.0f) + static_cast<float>(acc) * (in_scale * weight_scales[u]);
  return std::min(hi, std::max(lo, v));
}

}  // namespace cae::qref
