// Registers the integer (int8/uint8/int16) and hybrid reference kernels.
#include "kernels/kernel.h"
#include "kernels/ref/quantized/registrations.h"

namespace cae {

void RegisterRefQuantizedKernels(KernelRegistry& r) {
  qref::RegisterConv(r);
  qref::RegisterDepthwiseConv(r);
  qref::RegisterTransposeConv(r);
  qref::RegisterFullyConnected(r);
  qref::RegisterHybrid(r);
  qref::RegisterPooling(r);
  qref::RegisterReduce(r);
  qref::RegisterResize(r);
  qref::RegisterConcatSplit(r);
  qref::RegisterBinary(r);
  qref::RegisterActivations(r);
  qref::RegisterSoftmax(r);
  qref::RegisterShapeOps(r);
  qref::RegisterQuantize(r);
  qref::RegisterArgMax(r);
}

}  // namespace cae
