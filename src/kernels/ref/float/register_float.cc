#include "kernels/ref/float/float_kernels.h"

namespace cae {

void RegisterRefFloatKernels(KernelRegistry& r) {
  ref::RegisterConv(r);
  ref::RegisterDepthwiseConv(r);
  ref::RegisterTransposeConv(r);
  ref::RegisterFullyConnected(r);
  ref::RegisterPool(r);
  ref::RegisterReduce(r);
  ref::RegisterResize(r);
  ref::RegisterConcat(r);
  ref::RegisterBinary(r);
  ref::RegisterUnary(r);
  ref::RegisterSoftmax(r);
  ref::RegisterReshape(r);
  ref::RegisterPad(r);
  ref::RegisterSlice(r);
  ref::RegisterTranspose(r);
  ref::RegisterArgMinMax(r);
  ref::RegisterTile(r);
  ref::RegisterSplit(r);
  ref::RegisterPack(r);
  ref::RegisterCast(r);
  ref::RegisterShape(r);
  ref::RegisterGather(r);
  ref::RegisterDepthSpace(r);
}

}  // namespace cae
