// The hybrid kernels' on-the-fly input quantization, vectorized: the same bytes, scales and zero
// points as qref::QuantizeBatchesInto (hybrid_quantize.h), with the batches spread over the pool.
#pragma once

#include <cstdint>

#include "kernels/ref/quantized/hybrid_quantize.h"

namespace cae {
class ThreadPool;
}

namespace cae::fast {

// Fills r from in, split into `batches` equal slices, each quantized with its own parameters
// (asymmetric: TFLite AsymmetricQuantizeFloats, else SymmetricQuantizeFloats). pool may be null.
void QuantizeBatchesFast(const TensorView& in, int64_t batches, bool asymmetric,
                         qref::QuantizedInput* r, ThreadPool* pool);

}  // namespace cae::fast
