// Options of an operator: one flat struct holding every builtin option the project reads, writes
// or computes with. Field meanings and enum values follow TFLite's *Options tables; an op uses only
// the fields its TFLite options table has, the rest keep their defaults.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/dtype.h"

namespace cae {

// TFLite Padding enum.
enum class Padding : int8_t { kSame = 0, kValid = 1 };

// TFLite ActivationFunctionType enum: the activation fused into an op's output.
enum class Activation : int8_t {
  kNone = 0,
  kRelu = 1,
  kReluN1To1 = 2,
  kRelu6 = 3,
  kTanh = 4,
  kSignBit = 5,
};

const char* ActivationName(Activation a);

struct OpOptions {
  // CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, pools.
  Padding padding = Padding::kSame;
  int32_t stride_w = 1;
  int32_t stride_h = 1;
  int32_t dilation_w = 1;
  int32_t dilation_h = 1;
  int32_t depth_multiplier = 1;  // DEPTHWISE_CONV_2D
  int32_t filter_w = 1;          // pools
  int32_t filter_h = 1;
  // Fused activation of CONV/DEPTHWISE/TRANSPOSE_CONV/FC/pools/ADD/SUB/MUL/DIV/CONCATENATION.
  Activation activation = Activation::kNone;

  // FULLY_CONNECTED.
  int32_t weights_format = 0;  // 0 DEFAULT, 1 SHUFFLED4x16INT8
  bool keep_num_dims = false;
  // Hybrid CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED / LSTM: per-batch asymmetric input quant.
  bool asymmetric_quantize_inputs = false;

  // RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR.
  bool align_corners = false;
  bool half_pixel_centers = false;

  // CONCATENATION, GATHER, PACK, UNPACK (axis); SPLIT / SPLIT_V (num_splits).
  int32_t axis = 0;
  int32_t num_splits = 0;
  int32_t values_count = 0;  // PACK
  int32_t num = 0;           // UNPACK

  // RESHAPE (may be empty: shape then comes from the second input), SQUEEZE.
  std::vector<int32_t> new_shape;
  std::vector<int32_t> squeeze_dims;

  // MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD.
  bool keep_dims = false;

  // LEAKY_RELU.
  float alpha = 0.0f;
  // SOFTMAX.
  float beta = 1.0f;
  // GELU.
  bool approximate = false;

  // ARG_MAX / ARG_MIN output_type; CAST in/out types.
  DType output_type = DType::kInt64;
  DType in_data_type = DType::kFloat32;
  DType out_data_type = DType::kFloat32;

  // ADD / SUB (int16 power-of-two scale variant).
  bool pot_scale_int16 = true;

  // SPACE_TO_DEPTH / DEPTH_TO_SPACE.
  int32_t block_size = 0;

  // MIRROR_PAD: 0 REFLECT, 1 SYMMETRIC.
  int32_t mirror_pad_mode = 0;

  // STRIDED_SLICE.
  int32_t begin_mask = 0;
  int32_t end_mask = 0;
  int32_t ellipsis_mask = 0;
  int32_t new_axis_mask = 0;
  int32_t shrink_axis_mask = 0;
  bool offset = false;

  // LSTM / UNIDIRECTIONAL_SEQUENCE_LSTM.
  float cell_clip = 0.0f;
  float proj_clip = 0.0f;
  bool time_major = false;

  // Subgraph indices of control-flow ops (-1 = not set): CALL's callee and CALL_ONCE's init
  // subgraph (call_subgraph_index), IF's branches, WHILE's condition and body.
  int32_t call_subgraph_index = -1;
  int32_t then_subgraph_index = -1;
  int32_t else_subgraph_index = -1;
  int32_t cond_subgraph_index = -1;
  int32_t body_subgraph_index = -1;

  // Which TFLite BuiltinOptions union member the op carried when read from a file (0 = none).
  // The writer derives the member from the op type; this is kept for inspection and round trips.
  uint8_t builtin_options_type = 0;
};

}  // namespace cae
