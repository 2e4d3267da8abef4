// Input centering: the trainer's optimizer steps a layer y = W x + b (Conv2D, Conv1D, Dense) in
// the coordinates (W, c), c = b + W m, where m holds the mean of each input channel over the
// training batch. This is the mean part of the centering of Raiko, Valpola and LeCun ("Deep
// learning made easier by linear transformations in perceptrons", AISTATS 2012): inputs that are
// all positive (ReLU, pooling, pixels) make every kernel gradient carry the bias gradient times
// the inputs' mean, and in the centered coordinates that common part goes to the bias alone.
//
// Contract: the layer computes exactly W x + b in every forward pass, and its saved weights are
// (W, b); only the direction of each optimizer step changes. With g the gradients of the loss:
//   before the step:  g_W[co, ci, t] -= m[ci] * g_b[co]        (the gradient with respect to W at
//                                                              fixed c)
//   the optimizer steps W and b as usual (b standing for c),
//   after the step:   b[co] -= sum over ci, t of m[ci] * (W_new - W_old)[co, ci, t]
// so that c moves by the optimizer's bias step. This is exact for any padding: a zero-padded
// input shifted by m, padding included, changes every output of channel co by the same
// sum m[ci] W[co, ci, t].
//
// The mean is that of the batch the step's gradients come from (no state across steps), so results
// stay bit-for-bit repeatable. A layer without a bias, or with a frozen kernel or bias, is stepped
// plainly.
#pragma once

#include <cstdint>
#include <vector>

#include "train/layer.h"

namespace cae::train {

// The centering of one layer, whose kernel is laid out as `layout` (layer.h).
class InputCentering {
 public:
  explicit InputCentering(const BiasedKernelLayout& layout) : layout_(layout) {}
  // In a training forward pass with ctx.center_inputs: measures the mean of each of the layout's
  // cin input channels over n samples of cin x pixels values (channels-major per sample).
  void Measure(const RunContext& ctx, int n, const float* x, int64_t pixels);
  // Around the optimizer step; no-ops unless Measure ran since the last step.
  void BeforeStep(Param& kernel, const Param& bias);
  void AfterStep(const Param& kernel, Param& bias);

 private:
  bool Applies(const Param& kernel, const Param& bias) const;

  BiasedKernelLayout layout_;
  std::vector<float> mean_;           // per input channel, of the last measured batch
  std::vector<float> kernel_before_;  // W_old, kept from BeforeStep to AfterStep
  bool measured_ = false, stepping_ = false;
};

}  // namespace cae::train
