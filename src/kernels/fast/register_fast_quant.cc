#include "kernels/fast/fast_kernels.h"

namespace cae::fast {

// Quantized (int8/uint8) compute kernels: convolutions, fully connected, requantization.
void RegisterFastQuantKernels(KernelRegistry& r) {
  RegisterFastConvInt8(r);
  RegisterFastDepthwiseQ8(r);
  RegisterFastQuantizeQ8(r);
  RegisterFastAddQ8(r);
  RegisterFastFullyConnectedQ8(r);
  RegisterFastLutQ8(r);
  RegisterFastTransposeConvQ8(r);
  RegisterFastArgMax(r);
  RegisterFastHybrid(r);
  RegisterFastHybridDepthwise(r);
}

}  // namespace cae::fast
