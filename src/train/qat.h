// Quantization-aware training (QAT): what the trainer simulates so that a model trained with
// `train --qat` converts to full-integer int8 with the outputs it was trained for.
//
// The plan comes from the conversion itself. The Keras model is lowered and run through the
// standard passes as `convert --quant int8 --io uint8` does (activations are not fused into pools
// or CONCATENATION; with float IO they may be, which only removes tensors), and every float32
// activation tensor of that graph is
//  - a point: the output of a layer (its node in the Net), or the input of the separate
//    activation op of a weighted layer whose activation int8 cannot fuse (sigmoid, tanh, softmax,
//    leaky_relu, ...; and any activation of Conv2DTranspose): the Net then splits that layer into
//    the layer without its activation and an Activation node; or
//  - not simulated, when the trainer never sees the tensor (the interior of a multi-op lowering,
//    e.g. the MUL of a BatchNormalization that no convolution absorbs): listed by uncovered().
// A layer whose output is absorbed by conversion (a convolution before a folded
// BatchNormalization or a fused ReLU) has no point: nothing is rounded there.
//
// Ranges: each point's float range is an exponential moving average of its batch min / max in
// training steps (the first step's min / max to start), as TensorFlow's QAT records them. The
// int8 parameters of all points are then what quant::ChooseActivationQuantization gives for those
// ranges: the converter's own rules (same-scale groups share one scale, LOGISTIC / SOFTMAX / TANH
// outputs have fixed parameters, ReLU outputs start at 0, inputs of LOGISTIC / TANH are clipped
// where the output saturates, 0 exactly representable). Forward values are fake-quantized
// (quantized and dequantized in float); gradients pass straight through where a value lies in the
// representable range and are zero where it was clipped.
//
// Weights: the kernels of Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D and Conv2DTranspose
// are fake-quantized as the converter quantizes them: symmetric int8 in [-127, 127], one scale
// (max |w| / 127) per output channel, or per tensor with per_tensor; Dense kernels per tensor
// (FULLY_CONNECTED). Biases stay float (the converter's int32 biases round at a far finer step).
// A BatchNormalization folded into a convolution scales each output channel, which per-channel
// quantization commutes with; with per-tensor weights that part of the simulation is approximate.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graph/graph.h"
#include "keras/keras_model.h"
#include "quant/tensor_range.h"
#include "train/layer.h"

namespace cae::train {

struct QatOptions {
  bool per_tensor = false;   // per-tensor conv weights (as convert --per-tensor)
  float ema_decay = 0.99f;   // range moving average: r = decay * r + (1 - decay) * batch
};

// The fake quantization of one point: y = (clamp(round(x / scale) + zp, -128, 127) - zp) * scale.
struct FakeQuantParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// y[i] = the fake-quantized x[i]; mask[i] = 1 where x[i] lies in the representable range
// [(-128 - zp) * scale, (127 - zp) * scale] (the gradient passes), 0 where it was clipped. mask
// may be null. x and y may be the same.
void FakeQuantize(const float* x, int64_t n, const FakeQuantParams& p, float* y, uint8_t* mask);

// True for the layer classes whose kernels QAT fake-quantizes (see above).
bool HasQuantizedKernels(const std::string& class_name);
// A layer's Keras weights with its kernels fake-quantized as the converter quantizes them (see
// above); other weights unchanged. Returns false (w untouched) for classes without such kernels.
bool FakeQuantizeKerasWeights(const std::string& class_name, bool per_tensor,
                              std::vector<KerasWeight>& w);

// The valid ranges of a stored RangesJson by graph tensor name (what convert's qat_ranges take):
// entries that are not two finite numbers with min <= max are left out.
std::map<std::string, quant::TensorRange> StoredQatRanges(const nlohmann::json& stored);

class QatSimulator {
 public:
  // km: the flat model the Net trains (nested models inlined). Throws cae::Error naming the layer
  // when the model cannot be converted to int8 (an op without an int8 form), since training for
  // a conversion that will fail is pointless.
  QatSimulator(const KerasModel& km, const QatOptions& options);

  // The point of layer's output, or -1 when the converted graph has no tensor there.
  int OutputPoint(const std::string& layer) const;
  // For a layer split in two (see above): the point of its activation's input, and in
  // *activation the Keras activation name the Net's Activation node applies; -1 otherwise.
  int PreActivationPoint(const std::string& layer, std::string* activation) const;

  // Fake-quantizes n values of a point (x -> y, STE mask as FakeQuantize; y = x and mask all 1
  // while the point has no parameters yet). With observe, the values' min / max enter the
  // point's batch statistics for EndStep.
  // Runs on ctx's pool (ctx.training is not read: observe says whether to record).
  void Apply(const RunContext& ctx, int point, const float* x, int64_t n, bool observe, float* y,
             uint8_t* mask);
  // After a training step: the observed batch ranges enter the moving averages and every
  // point's parameters are recomputed.
  void EndStep();

  bool per_tensor() const { return options_.per_tensor; }
  // Graph tensor names of the activations the trainer does not simulate (see above).
  const std::vector<std::string>& uncovered() const { return uncovered_; }
  int points() const { return static_cast<int>(point_tensors_.size()); }

  // The ranges to store with the trained model and to start from: {"format": "cae2tpu-qat",
  // "version": 1, "per_tensor": bool, "ranges": {"<graph tensor name>": [min, max], ...}}, the
  // names being those LowerKerasModel gives, so `convert` finds them in its own graph.
  nlohmann::json RangesJson() const;
  // Starts the moving averages from a stored RangesJson (tensors of other names are ignored).
  void LoadRanges(const nlohmann::json& stored);

 private:
  void Recompute();

  QatOptions options_;
  Graph graph_;                        // the converted float graph (after the standard passes)
  std::map<std::string, int> output_point_;        // layer -> tensor
  std::map<std::string, std::pair<int, std::string>> pre_point_;  // layer -> (tensor, activation)
  std::vector<int> point_tensors_;                 // every point's tensor
  quant::RangeTable ranges_;                       // moving averages, by tensor
  std::vector<float> batch_min_, batch_max_;       // by tensor, this step
  std::vector<bool> observed_;                     // by tensor, this step
  std::vector<std::optional<FakeQuantParams>> params_;  // by tensor
  std::vector<std::string> uncovered_;
};

}  // namespace cae::train
