// A trainable network built from a KerasModel: its layers in dependency order, forward and
// backward passes over a batch, and the weights written back into the KerasModel.
//
// Supported models: one InputLayer (rank 2 [None, D], rank 3 [None, steps, C] or rank 4
// [None, H, W, C]; see layer.h for their internal dims), one output, every
// layer called once, no nested models (InlineNestedModels in keras/keras_inline.h flattens them),
// layers as listed in layers.h. Anything else throws cae::Error naming the model and the layer.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/keras_model.h"
#include "train/input_centering.h"
#include "train/layer.h"
#include "train/qat.h"
#include "train/regularizer.h"

namespace cae::train {

// The per-sample Keras shape of a tensor of dims d and Keras rank (with the batch axis) 2, 3 or
// 4: {c}, {w, c} or {h, w, c}.
std::vector<int32_t> KerasSampleShape(const Dims& d, int rank);

class Net {
 public:
  // Layers whose KerasLayer has weights load them; the others get Keras's default initialization
  // derived from seed (the same seed gives the same weights). With qat, the Net simulates int8
  // conversion (train/qat.h): weights and the converted graph's activations are fake-quantized
  // in every Forward, layers whose activation conversion keeps separate are split in two, and
  // gradients pass straight through the roundings.
  Net(const KerasModel& km, uint64_t seed, const QatOptions* qat = nullptr);
  ~Net();
  Net(const Net&) = delete;
  Net& operator=(const Net&) = delete;

  // Per-sample input/output sizes in the trainer's layout (Keras shapes are H x W x C).
  const Dims& input_dims() const { return input_dims_; }
  const Dims& output_dims() const { return nodes_.back().dims; }
  // Per-sample Keras shapes of the input and output: {D}, {steps, C} or {H, W, C}.
  std::vector<int32_t> input_shape() const { return KerasSampleShape(input_dims_, nodes_[0].rank); }
  std::vector<int32_t> output_shape() const {
    return KerasSampleShape(nodes_.back().dims, nodes_.back().rank);
  }

  // Runs n samples given in Keras order (NHWC, or [n, D]). Keeps every activation for Backward.
  void Forward(const RunContext& ctx, const float* x_nhwc, int n);
  // The output of the last Forward in the trainer's layout (n blocks of C x H x W); with QAT the
  // fake-quantized output.
  const std::vector<float>& output() const { return nodes_.back().out(); }
  // Zeroes the param grads, then back-propagates dL/doutput (trainer layout) of the last Forward;
  // the grads are those of L + RegularizationLoss().
  void Backward(const RunContext& ctx, const std::vector<float>& doutput);
  // The layers' regularization penalties at the last Forward, as Keras adds them to the loss:
  // weight penalties plus activity penalties divided by the batch size (0 without regularizers).
  double RegularizationLoss() const;
  bool has_regularizers() const { return has_regularizers_; }

  std::vector<Param*> params();
  std::vector<Layer*> layers();
  int64_t ParamCount() const;
  // Writes the current weights into km's layers (Keras layout and order); km must be the model
  // this Net was built from.
  void StoreWeights(KerasModel& km) const;

  // The QAT simulation (null without --qat), and its end of a training step (after the
  // optimizer step: the ranges' moving averages take the step's statistics).
  QatSimulator* qat() { return qat_.get(); }
  // Around the optimizer step, after Backward: the input-centered layers change the step's
  // coordinates (train/input_centering.h); nothing happens unless the last Forward ran with
  // ctx.training and ctx.center_inputs.
  void BeforeOptimizerStep();
  void AfterOptimizerStep();
  void EndQatStep() {
    if (qat_) qat_->EndStep();
  }

 private:
  struct Node {
    std::unique_ptr<Layer> layer;  // null for the input node
    std::vector<int> inputs;       // node indices
    Dims dims;
    int rank = 0;  // Keras rank with the batch axis (2, 3 or 4)
    std::vector<float> value, grad;
    std::vector<std::optional<Regularizer>> weight_reg;  // per layer param (kernel_regularizer...)
    std::optional<Regularizer> activity_reg;             // on the layer's output
    // QAT: the point fake-quantizing this node's output (-1: none), the quantized values the
    // consumers read, the straight-through mask, and the float weights while the layer holds
    // fake-quantized ones (quantize_weights: the layer has kernels to quantize).
    int qat_point = -1;
    std::vector<float> qvalue;
    std::vector<uint8_t> mask;
    bool quantize_weights = false;
    std::vector<std::vector<float>> master;
    bool synthetic = false;  // the Activation half of a layer split for QAT: not a Keras layer
    std::optional<InputCentering> centering;  // set by SetUpInputCentering
    const std::vector<float>& out() const { return qat_point >= 0 ? qvalue : value; }
  };
  void QuantizeWeights();
  void RestoreWeights();
  // Gives every layer with a CenteringLayout its InputCentering, except the layers that make the
  // output (found walking back from it through layers without params: Reshape, Activation,
  // UpSampling...). Their biases set the output's level, which plain steps reach through every
  // kernel element and centered steps only through the bias (one learning rate per step), so
  // centering them slows training (measured: dense-ae, CAE).
  void SetUpInputCentering();
  std::unique_ptr<QatSimulator> qat_;
  bool weights_quantized_ = false;
  std::vector<Node> nodes_;  // nodes_[0] is the input, nodes_.back() the output
  Dims input_dims_;
  std::string source_;
  int batch_ = 0;
  bool has_regularizers_ = false;
};

// NHWC (Keras) <-> channels-major (trainer) for n samples of dims d.
void KerasToInternal(const float* nhwc, const Dims& d, int n, float* chw);
void InternalToKeras(const float* chw, const Dims& d, int n, float* nhwc);

}  // namespace cae::train
