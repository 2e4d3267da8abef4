// The on-the-fly input quantization and float activation range of TFLite's hybrid
// (dynamic-range) kernels, shared by the reference kernels (hybrid.cc) and the fast ones, so both
// quantize every batch identically.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/ref/quantized/qutil.h"

namespace cae::qref {

// TFLite SymmetricQuantizeFloats: scale = max|x| / 127, q = round(x * 127 / max|x|) in [-127, 127].
void SymmetricQuantize(const float* x, int64_t n, int8_t* q, float* scale);
// TFLite AsymmetricQuantizeFloats: the range [min(0, x), max(0, x)] mapped onto [-128, 127] with
// a nudged integer zero point.
void AsymmetricQuantize(const float* x, int64_t n, int8_t* q, float* scale, int32_t* offset);

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

}  // namespace cae::qref
