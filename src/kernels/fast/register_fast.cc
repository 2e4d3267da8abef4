#include "kernels/fast/fast_kernels.h"

namespace cae {

// Optimized kernels (kernels/fast, priority kFastPriority) register here; each is tested element
// by element against its reference kernel (tests/kernels/fast_*_test.cc).
void RegisterFastKernels(KernelRegistry& r) {
  fast::RegisterFastFloatKernels(r);
  fast::RegisterFastQuantKernels(r);
}

}  // namespace cae
