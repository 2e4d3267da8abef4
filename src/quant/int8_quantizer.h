// Full-integer int8 quantization of a float32 graph, per TFLite's int8 specification.
//
// Contract (input: a float32 graph after the standard passes, and a range for every float32
// activation tensor, indexed by tensor index):
//  - Weights: int8 symmetric in [-127, 127], zero point 0; per-channel for CONV_2D (axis 0),
//    DEPTHWISE_CONV_2D (axis 3) and TRANSPOSE_CONV (axis 0) unless per_tensor; FULLY_CONNECTED
//    per-tensor. Biases: int32, zero point 0, scale input_scale * weight_scale[c].
//  - Activations: per-tensor asymmetric int8; the range is first narrowed by the producing op's
//    activation (RELU: min >= 0, RELU6: [0, 6], RELU_N1_TO_1: [-1, 1]), then nudged so 0.0 is
//    exact. LOGISTIC/SOFTMAX outputs (1/256, -128), TANH (1/128, 0).
//  - Saturation (clip_saturated_inputs): an activation read only by LOGISTIC (or only by TANH),
//    and in no same-scale group, is clipped to where the op's int8 output saturates:
//    LOGISTIC [-6.4, 5.3] (sigmoid < 0.5/256 gives code -128, > 254.5/256 code 127), TANH
//    [-3.2, 2.65]. Inputs beyond give the same output codes, so nothing is lost and the input
//    gets a finer scale.
//  - Same-scale ops (pools, CONCATENATION, RESHAPE, RESIZE_*, PAD, ...): all their data inputs and
//    their output form one group sharing one range (the union of the members' ranges) or the
//    fixed parameters of a member; two different fixed parameters in one group throw.
//  - Bias correction (when channel means of the weighted ops' inputs are given): the mean output
//    shift the weight rounding causes, sum_k (w_q[c,k] - w[c,k]) * mean(x_k) over the kernel
//    (divided by stride_h * stride_w for TRANSPOSE_CONV), is subtracted from the bias before it
//    is quantized. Ops without a bias are left alone.
//  - search_weight_scales: weight scales minimize each channel's weight rounding+clipping error
//    (quant/weight_search.h); the int8 spec above is unchanged.
//  - Other float32 constants (ADD/MUL operands, ...): per-tensor asymmetric int8 from their
//    values.
//  - IO: kFloat32 keeps float32 graph inputs/outputs with QUANTIZE first / DEQUANTIZE last (the
//    converter's default); kInt8 makes them int8; kUInt8 makes them uint8 (int8 parameters with
//    zero point + 128) converted by QUANTIZE ops (uint8 <-> int8), as TFLite writes
//    integer-only models with uint8 IO. The int8 tensor next to a float/uint8 edge is named
//    "<name>_int8"; edge tensors keep their names.
//  - An op without an int8 form, or a float32 activation without a range, throws cae::Error
//    naming the op (layer) or tensor. After the call no float32 tensor remains except the
//    float32 IO edges.
#pragma once

#include <optional>
#include <vector>

#include "graph/graph.h"
#include "quant/tensor_range.h"

namespace cae::quant {

enum class IoType { kFloat32, kInt8, kUInt8 };

struct Int8Options {
  IoType io = IoType::kFloat32;
  bool per_tensor = false;
  bool clip_saturated_inputs = true;
  // Per-channel weight scales chosen by search (quant/weight_search.h) instead of max|w| / 127.
  bool search_weight_scales = false;
};

struct Int8Summary {
  int weights = 0;      // weight tensors quantized
  int biases = 0;
  int activations = 0;  // activation tensors given int8 parameters
  int same_scale_groups = 0;  // groups of more than one tensor
};

Int8Summary QuantizeFullInt8(Graph& g, const RangeTable& ranges, const Int8Options& options,
                             const ChannelMeans* channel_means = nullptr);

// The int8 parameters QuantizeFullInt8 gives each float32 activation of g (and each constant in a
// same-scale group) for these ranges and options: the same-scale groups, the producing op's
// activation bounds, saturation clipping, fixed outputs and nudging of the contract above,
// indexed by tensor (nullopt for other tensors). QuantizeFullInt8 uses it, so quantization-aware
// training (train/qat.h) simulates exactly what conversion will write. With allow_missing, an
// activation without a valid range is skipped (its group's range comes from the other members;
// a group with none gets nullopt) instead of throwing. same_scale_groups (optional) receives the
// number of groups of more than one tensor.
std::vector<std::optional<QuantParams>> ChooseActivationQuantization(const Graph& g,
                                                                    const RangeTable& ranges,
                                                                    const Int8Options& options,
                                                                    bool allow_missing,
                                                                    int* same_scale_groups = nullptr);

}  // namespace cae::quant
