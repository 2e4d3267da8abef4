// Registers the integer (int8/uint8/int16) and hybrid reference kernels.
#include "kernels/kernel.h"

namespace cae {

void RegisterRefQuantizedKernels(KernelRegistry& r) { (void)r; }

}  // namespace cae
