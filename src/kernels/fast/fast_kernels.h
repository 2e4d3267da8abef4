// Registration of the optimized kernels in kernels/fast (priority kFastPriority). Each factory
// returns nullptr for what it does not handle, so the reference kernel runs instead.
#pragma once

#include "kernels/kernel.h"

namespace cae::fast {

void RegisterFastConvF32(KernelRegistry& r);   // CONV_2D float32
void RegisterFastConvInt8(KernelRegistry& r);  // CONV_2D int8, per-channel weights
void RegisterFastMaxPool(KernelRegistry& r);   // MAX_POOL_2D float32 and int8

}  // namespace cae::fast
