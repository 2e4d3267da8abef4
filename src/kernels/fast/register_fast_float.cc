#include "kernels/fast/fast_kernels.h"

namespace cae::fast {

// Float32 kernels and data-movement ops (pools, resizes, concatenation) of any type.
void RegisterFastFloatKernels(KernelRegistry& r) {
  RegisterFastConvF32(r);
  RegisterFastMaxPool(r);
  RegisterFastAvgPool(r);
  RegisterFastElementwiseF32(r);
  RegisterFastResizeNearest(r);
  RegisterFastTransposeConvF32(r);
  RegisterFastFullyConnectedF32(r);
  RegisterFastPad(r);
  RegisterFastMirrorPad(r);
  RegisterFastResizeBilinear(r);
  RegisterFastDepthwiseF32(r);
}

}  // namespace cae::fast
