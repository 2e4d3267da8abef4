#include "tflite/builtin_options.h"

#include <limits>

#include "graph/error.h"

namespace cae::tflite_io {

namespace fb = ::cae::tflite_fb;
using BO = fb::BuiltinOptions;

void Context::Fail(const std::string& what, const std::string& detail) const {
  if (where.empty()) cae::Fail(file, ": ", what, ": ", detail);
  cae::Fail(file, ": ", what, " (", where, "): ", detail);
}

BO BuiltinOptionsTypeFor(OpType t) {
  switch (t) {
    case OpType::CONV_2D:
      return BO::Conv2DOptions;
    case OpType::DEPTHWISE_CONV_2D:
      return BO::DepthwiseConv2DOptions;
    case OpType::AVERAGE_POOL_2D:
    case OpType::MAX_POOL_2D:
    case OpType::L2_POOL_2D:
      return BO::Pool2DOptions;
    case OpType::FULLY_CONNECTED:
      return BO::FullyConnectedOptions;
    case OpType::SOFTMAX:
      return BO::SoftmaxOptions;
    case OpType::CONCATENATION:
      return BO::ConcatenationOptions;
    case OpType::ADD:
      return BO::AddOptions;
    case OpType::L2_NORMALIZATION:
      return BO::L2NormOptions;
    case OpType::LSTM:
      return BO::LSTMOptions;
    case OpType::RESIZE_BILINEAR:
      return BO::ResizeBilinearOptions;
    case OpType::CALL:
      return BO::CallOptions;
    case OpType::RESHAPE:
      return BO::ReshapeOptions;
    case OpType::SPACE_TO_DEPTH:
      return BO::SpaceToDepthOptions;
    case OpType::MUL:
      return BO::MulOptions;
    case OpType::PAD:
      return BO::PadOptions;
    case OpType::GATHER:
      return BO::GatherOptions;
    case OpType::BATCH_TO_SPACE_ND:
      return BO::BatchToSpaceNDOptions;
    case OpType::SPACE_TO_BATCH_ND:
      return BO::SpaceToBatchNDOptions;
    case OpType::TRANSPOSE:
      return BO::TransposeOptions;
    case OpType::MEAN:
    case OpType::SUM:
    case OpType::REDUCE_MAX:
    case OpType::REDUCE_MIN:
    case OpType::REDUCE_PROD:
    case OpType::REDUCE_ANY:
      return BO::ReducerOptions;
    case OpType::SUB:
      return BO::SubOptions;
    case OpType::DIV:
      return BO::DivOptions;
    case OpType::SQUEEZE:
      return BO::SqueezeOptions;
    case OpType::STRIDED_SLICE:
      return BO::StridedSliceOptions;
    case OpType::EXP:
      return BO::ExpOptions;
    case OpType::SPLIT:
      return BO::SplitOptions;
    case OpType::LOG_SOFTMAX:
      return BO::LogSoftmaxOptions;
    case OpType::CAST:
      return BO::CastOptions;
    case OpType::DEQUANTIZE:
      return BO::DequantizeOptions;
    case OpType::MAXIMUM:
    case OpType::MINIMUM:
      return BO::MaximumMinimumOptions;
    case OpType::ARG_MAX:
      return BO::ArgMaxOptions;
    case OpType::ARG_MIN:
      return BO::ArgMinOptions;
    case OpType::PADV2:
      return BO::PadV2Options;
    case OpType::SLICE:
      return BO::SliceOptions;
    case OpType::TRANSPOSE_CONV:
      return BO::TransposeConvOptions;
    case OpType::TILE:
      return BO::TileOptions;
    case OpType::EXPAND_DIMS:
      return BO::ExpandDimsOptions;
    case OpType::PACK:
      return BO::PackOptions;
    case OpType::UNPACK:
      return BO::UnpackOptions;
    case OpType::UNIDIRECTIONAL_SEQUENCE_LSTM:
      return BO::UnidirectionalSequenceLSTMOptions;
    case OpType::RESIZE_NEAREST_NEIGHBOR:
      return BO::ResizeNearestNeighborOptions;
    case OpType::LEAKY_RELU:
      return BO::LeakyReluOptions;
    case OpType::MIRROR_PAD:
      return BO::MirrorPadOptions;
    case OpType::SPLIT_V:
      return BO::SplitVOptions;
    case OpType::QUANTIZE:
      return BO::QuantizeOptions;
    case OpType::HARD_SWISH:
      return BO::HardSwishOptions;
    case OpType::IF:
      return BO::IfOptions;
    case OpType::WHILE:
      return BO::WhileOptions;
    case OpType::DEPTH_TO_SPACE:
      return BO::DepthToSpaceOptions;
    case OpType::CALL_ONCE:
      return BO::CallOnceOptions;
    case OpType::GELU:
      return BO::GeluOptions;
    default:
      return BO::NONE;
  }
}

namespace {

Padding ReadPadding(fb::Padding p, const Context& ctx) {
  const int v = static_cast<int>(p);
  if (v != 0 && v != 1) ctx.Fail("bad padding", StrCat("expected 0 SAME or 1 VALID, found ", v));
  return static_cast<Padding>(v);
}

Activation ReadActivation(fb::ActivationFunctionType a, const Context& ctx) {
  const int v = static_cast<int>(a);
  if (v < 0 || v > 5) ctx.Fail("bad fused activation", StrCat("expected 0..5, found ", v));
  return static_cast<Activation>(v);
}

DType ReadType(fb::TensorType t, const Context& ctx, const char* field) {
  const int v = static_cast<int>(t);
  if (v < 0 || v > static_cast<int>(DType::kFloat64))
    ctx.Fail(StrCat("unsupported ", field), StrCat("expected a tensor type 0..10, found ", v));
  return static_cast<DType>(v);
}

int32_t ReadSubgraphIndex(int64_t v, const Context& ctx, const char* field) {
  if (v < 0 || v > std::numeric_limits<int32_t>::max())
    ctx.Fail(StrCat("bad ", field), StrCat("expected a subgraph index, found ", v));
  return static_cast<int32_t>(v);
}

std::vector<int32_t> ToVector(const flatbuffers::Vector<int32_t>* v) {
  if (!v) return {};
  return std::vector<int32_t>(v->begin(), v->end());
}

}  // namespace

void ReadBuiltinOptions(const fb::Operator& op, const Context& ctx, OpOptions& o) {
  o.builtin_options_type = static_cast<uint8_t>(op.builtin_options_type());
  if (!op.builtin_options()) return;
  switch (op.builtin_options_type()) {
    case BO::Conv2DOptions: {
      auto* p = op.builtin_options_as_Conv2DOptions();
      o.padding = ReadPadding(p->padding(), ctx);
      o.stride_w = p->stride_w();
      o.stride_h = p->stride_h();
      o.activation = ReadActivation(p->fused_activation_function(), ctx);
      o.dilation_w = p->dilation_w_factor();
      o.dilation_h = p->dilation_h_factor();
      break;
    }
    case BO::DepthwiseConv2DOptions: {
      auto* p = op.builtin_options_as_DepthwiseConv2DOptions();
      o.padding = ReadPadding(p->padding(), ctx);
      o.stride_w = p->stride_w();
      o.stride_h = p->stride_h();
      o.depth_multiplier = p->depth_multiplier();
      o.activation = ReadActivation(p->fused_activation_function(), ctx);
      o.dilation_w = p->dilation_w_factor();
      o.dilation_h = p->dilation_h_factor();
      break;
    }
    case BO::Pool2DOptions: {
      auto* p = op.builtin_options_as_Pool2DOptions();
      o.padding = ReadPadding(p->padding(), ctx);
      o.stride_w = p->stride_w();
      o.stride_h = p->stride_h();
      o.filter_w = p->filter_width();
      o.filter_h = p->filter_height();
      o.activation = ReadActivation(p->fused_activation_function(), ctx);
      break;
    }
    case BO::FullyConnectedOptions: {
      auto* p = op.builtin_options_as_FullyConnectedOptions();
      o.activation = ReadActivation(p->fused_activation_function(), ctx);
      o.weights_format = static_cast<int32_t>(p->weights_format());
      if (o.weights_format != 0 && o.weights_format != 1)
        ctx.Fail("bad weights_format", StrCat("expected 0 or 1, found ", o.weights_format));
      o.keep_num_dims = p->keep_num_dims();
      o.asymmetric_quantize_inputs = p->asymmetric_quantize_inputs();
      break;
    }
    case BO::SoftmaxOptions:
      o.beta = op.builtin_options_as_SoftmaxOptions()->beta();
      break;
    case BO::ConcatenationOptions: {
      auto* p = op.builtin_options_as_ConcatenationOptions();
      o.axis = p->axis();
      o.activation = ReadActivation(p->fused_activation_function(), ctx);
      break;
    }
    case BO::AddOptions: {
      auto* p = op.builtin_options_as_AddOptions();
      o.activation = ReadActivation(p->fused_activation_function(), ctx);
      o.pot_scale_int16 = p->pot_scale_int16();
      break;
    }
    case BO::SubOptions: {
      auto* p = op.builtin_options_as_SubOptions();
      o.activation = ReadActivation(p->fused_activation_function(), ctx);
      o.pot_scale_int16 = p->pot_scale_int16();
      break;
    }
    case BO::MulOptions:
      o.activation =
          ReadActivation(op.builtin_options_as_MulOptions()->fused_activation_function(), ctx);
      break;
    case BO::DivOptions:
      o.activation =
          ReadActivation(op.builtin_options_as_DivOptions()->fused_activation_function(), ctx);
      break;
    case BO::L2NormOptions:
      o.activation =
          ReadActivation(op.builtin_options_as_L2NormOptions()->fused_activation_function(), ctx);
      break;
    case BO::LSTMOptions: {
      auto* p = op.builtin_options_as_LSTMOptions();
      o.activation = ReadActivation(p->fused_activation_function(), ctx);
      o.cell_clip = p->cell_clip();
      o.proj_clip = p->proj_clip();
      o.asymmetric_quantize_inputs = p->asymmetric_quantize_inputs();
      break;
    }
    case BO::UnidirectionalSequenceLSTMOptions: {
      auto* p = op.builtin_options_as_UnidirectionalSequenceLSTMOptions();
      o.activation = ReadActivation(p->fused_activation_function(), ctx);
      o.cell_clip = p->cell_clip();
      o.proj_clip = p->proj_clip();
      o.time_major = p->time_major();
      o.asymmetric_quantize_inputs = p->asymmetric_quantize_inputs();
      break;
    }
    case BO::ResizeBilinearOptions: {
      auto* p = op.builtin_options_as_ResizeBilinearOptions();
      o.align_corners = p->align_corners();
      o.half_pixel_centers = p->half_pixel_centers();
      break;
    }
    case BO::ResizeNearestNeighborOptions: {
      auto* p = op.builtin_options_as_ResizeNearestNeighborOptions();
      o.align_corners = p->align_corners();
      o.half_pixel_centers = p->half_pixel_centers();
      break;
    }
    case BO::CallOptions:
      o.call_subgraph_index =
          ReadSubgraphIndex(op.builtin_options_as_CallOptions()->subgraph(), ctx, "CALL subgraph");
      break;
    case BO::CallOnceOptions:
      o.call_subgraph_index =
          ReadSubgraphIndex(op.builtin_options_as_CallOnceOptions()->init_subgraph_index(), ctx,
                            "CALL_ONCE subgraph");
      break;
    case BO::IfOptions: {
      auto* p = op.builtin_options_as_IfOptions();
      o.then_subgraph_index = ReadSubgraphIndex(p->then_subgraph_index(), ctx, "IF then subgraph");
      o.else_subgraph_index = ReadSubgraphIndex(p->else_subgraph_index(), ctx, "IF else subgraph");
      break;
    }
    case BO::WhileOptions: {
      auto* p = op.builtin_options_as_WhileOptions();
      o.cond_subgraph_index =
          ReadSubgraphIndex(p->cond_subgraph_index(), ctx, "WHILE cond subgraph");
      o.body_subgraph_index =
          ReadSubgraphIndex(p->body_subgraph_index(), ctx, "WHILE body subgraph");
      break;
    }
    case BO::ReshapeOptions:
      o.new_shape = ToVector(op.builtin_options_as_ReshapeOptions()->new_shape());
      break;
    case BO::SqueezeOptions:
      o.squeeze_dims = ToVector(op.builtin_options_as_SqueezeOptions()->squeeze_dims());
      break;
    case BO::SpaceToDepthOptions:
      o.block_size = op.builtin_options_as_SpaceToDepthOptions()->block_size();
      break;
    case BO::DepthToSpaceOptions:
      o.block_size = op.builtin_options_as_DepthToSpaceOptions()->block_size();
      break;
    case BO::GatherOptions:
      o.axis = op.builtin_options_as_GatherOptions()->axis();
      break;
    case BO::ReducerOptions:
      o.keep_dims = op.builtin_options_as_ReducerOptions()->keep_dims();
      break;
    case BO::StridedSliceOptions: {
      auto* p = op.builtin_options_as_StridedSliceOptions();
      o.begin_mask = p->begin_mask();
      o.end_mask = p->end_mask();
      o.ellipsis_mask = p->ellipsis_mask();
      o.new_axis_mask = p->new_axis_mask();
      o.shrink_axis_mask = p->shrink_axis_mask();
      o.offset = p->offset();
      break;
    }
    case BO::SplitOptions:
      o.num_splits = op.builtin_options_as_SplitOptions()->num_splits();
      break;
    case BO::SplitVOptions:
      o.num_splits = op.builtin_options_as_SplitVOptions()->num_splits();
      break;
    case BO::CastOptions: {
      auto* p = op.builtin_options_as_CastOptions();
      o.in_data_type = ReadType(p->in_data_type(), ctx, "CAST in_data_type");
      o.out_data_type = ReadType(p->out_data_type(), ctx, "CAST out_data_type");
      break;
    }
    case BO::ArgMaxOptions:
      o.output_type = ReadType(op.builtin_options_as_ArgMaxOptions()->output_type(), ctx,
                               "ARG_MAX output_type");
      break;
    case BO::ArgMinOptions:
      o.output_type = ReadType(op.builtin_options_as_ArgMinOptions()->output_type(), ctx,
                               "ARG_MIN output_type");
      break;
    case BO::TransposeConvOptions: {
      auto* p = op.builtin_options_as_TransposeConvOptions();
      o.padding = ReadPadding(p->padding(), ctx);
      o.stride_w = p->stride_w();
      o.stride_h = p->stride_h();
      o.activation = ReadActivation(p->fused_activation_function(), ctx);
      break;
    }
    case BO::PackOptions: {
      auto* p = op.builtin_options_as_PackOptions();
      o.values_count = p->values_count();
      o.axis = p->axis();
      break;
    }
    case BO::UnpackOptions: {
      auto* p = op.builtin_options_as_UnpackOptions();
      o.num = p->num();
      o.axis = p->axis();
      break;
    }
    case BO::LeakyReluOptions:
      o.alpha = op.builtin_options_as_LeakyReluOptions()->alpha();
      break;
    case BO::MirrorPadOptions: {
      o.mirror_pad_mode = static_cast<int32_t>(op.builtin_options_as_MirrorPadOptions()->mode());
      if (o.mirror_pad_mode != 0 && o.mirror_pad_mode != 1)
        ctx.Fail("bad MIRROR_PAD mode", StrCat("expected 0 or 1, found ", o.mirror_pad_mode));
      break;
    }
    case BO::GeluOptions:
      o.approximate = op.builtin_options_as_GeluOptions()->approximate();
      break;
    default:
      break;  // a member without fields, or one this project does not read
  }
}

namespace {

fb::Padding P(const OpOptions& o) { return static_cast<fb::Padding>(o.padding); }
fb::ActivationFunctionType A(const OpOptions& o) {
  return static_cast<fb::ActivationFunctionType>(o.activation);
}
fb::TensorType T(DType t) { return static_cast<fb::TensorType>(t); }
uint32_t U(int32_t v) { return v < 0 ? 0u : static_cast<uint32_t>(v); }

// An options table without fields: one vtable, no data.
template <typename Builder>
flatbuffers::Offset<void> Empty(flatbuffers::FlatBufferBuilder& fbb) {
  Builder b(fbb);
  return b.Finish().Union();
}

}  // namespace

flatbuffers::Offset<void> WriteBuiltinOptions(flatbuffers::FlatBufferBuilder& fbb, OpType t,
                                              const OpOptions& o, BO* member) {
  *member = BuiltinOptionsTypeFor(t);
  switch (*member) {
    case BO::NONE:
      return 0;
    case BO::Conv2DOptions:
      return fb::CreateConv2DOptions(fbb, P(o), o.stride_w, o.stride_h, A(o), o.dilation_w,
                                     o.dilation_h)
          .Union();
    case BO::DepthwiseConv2DOptions:
      return fb::CreateDepthwiseConv2DOptions(fbb, P(o), o.stride_w, o.stride_h, o.depth_multiplier,
                                              A(o), o.dilation_w, o.dilation_h)
          .Union();
    case BO::Pool2DOptions:
      return fb::CreatePool2DOptions(fbb, P(o), o.stride_w, o.stride_h, o.filter_w, o.filter_h,
                                     A(o))
          .Union();
    case BO::FullyConnectedOptions:
      return fb::CreateFullyConnectedOptions(
                 fbb, A(o), static_cast<fb::FullyConnectedOptionsWeightsFormat>(o.weights_format),
                 o.keep_num_dims, o.asymmetric_quantize_inputs)
          .Union();
    case BO::SoftmaxOptions:
      return fb::CreateSoftmaxOptions(fbb, o.beta).Union();
    case BO::ConcatenationOptions:
      return fb::CreateConcatenationOptions(fbb, o.axis, A(o)).Union();
    case BO::AddOptions:
      return fb::CreateAddOptions(fbb, A(o), o.pot_scale_int16).Union();
    case BO::SubOptions:
      return fb::CreateSubOptions(fbb, A(o), o.pot_scale_int16).Union();
    case BO::MulOptions:
      return fb::CreateMulOptions(fbb, A(o)).Union();
    case BO::DivOptions:
      return fb::CreateDivOptions(fbb, A(o)).Union();
    case BO::L2NormOptions:
      return fb::CreateL2NormOptions(fbb, A(o)).Union();
    case BO::LSTMOptions:
      return fb::CreateLSTMOptions(fbb, A(o), o.cell_clip, o.proj_clip, fb::LSTMKernelType::FULL,
                                   o.asymmetric_quantize_inputs)
          .Union();
    case BO::UnidirectionalSequenceLSTMOptions:
      return fb::CreateUnidirectionalSequenceLSTMOptions(fbb, A(o), o.cell_clip, o.proj_clip,
                                                         o.time_major, o.asymmetric_quantize_inputs)
          .Union();
    case BO::ResizeBilinearOptions:
      return fb::CreateResizeBilinearOptions(fbb, o.align_corners, o.half_pixel_centers).Union();
    case BO::ResizeNearestNeighborOptions:
      return fb::CreateResizeNearestNeighborOptions(fbb, o.align_corners, o.half_pixel_centers)
          .Union();
    case BO::CallOptions:
      return fb::CreateCallOptions(fbb, U(o.call_subgraph_index)).Union();
    case BO::CallOnceOptions:
      return fb::CreateCallOnceOptions(fbb, o.call_subgraph_index).Union();
    case BO::IfOptions:
      return fb::CreateIfOptions(fbb, o.then_subgraph_index, o.else_subgraph_index).Union();
    case BO::WhileOptions:
      return fb::CreateWhileOptions(fbb, o.cond_subgraph_index, o.body_subgraph_index).Union();
    case BO::ReshapeOptions: {
      // An empty new_shape is omitted: the target shape then comes from the second input.
      auto shape = o.new_shape.empty() ? 0 : fbb.CreateVector(o.new_shape);
      return fb::CreateReshapeOptions(fbb, shape).Union();
    }
    case BO::SqueezeOptions:
      return fb::CreateSqueezeOptions(fbb, fbb.CreateVector(o.squeeze_dims)).Union();
    case BO::SpaceToDepthOptions:
      return fb::CreateSpaceToDepthOptions(fbb, o.block_size).Union();
    case BO::DepthToSpaceOptions:
      return fb::CreateDepthToSpaceOptions(fbb, o.block_size).Union();
    case BO::GatherOptions:
      return fb::CreateGatherOptions(fbb, o.axis).Union();
    case BO::ReducerOptions:
      return fb::CreateReducerOptions(fbb, o.keep_dims).Union();
    case BO::StridedSliceOptions:
      return fb::CreateStridedSliceOptions(fbb, o.begin_mask, o.end_mask, o.ellipsis_mask,
                                           o.new_axis_mask, o.shrink_axis_mask, o.offset)
          .Union();
    case BO::SplitOptions:
      return fb::CreateSplitOptions(fbb, o.num_splits).Union();
    case BO::SplitVOptions:
      return fb::CreateSplitVOptions(fbb, o.num_splits).Union();
    case BO::CastOptions:
      return fb::CreateCastOptions(fbb, T(o.in_data_type), T(o.out_data_type)).Union();
    case BO::ArgMaxOptions:
      return fb::CreateArgMaxOptions(fbb, T(o.output_type)).Union();
    case BO::ArgMinOptions:
      return fb::CreateArgMinOptions(fbb, T(o.output_type)).Union();
    case BO::TransposeConvOptions:
      return fb::CreateTransposeConvOptions(fbb, P(o), o.stride_w, o.stride_h, A(o)).Union();
    case BO::PackOptions:
      return fb::CreatePackOptions(fbb, o.values_count, o.axis).Union();
    case BO::UnpackOptions:
      return fb::CreateUnpackOptions(fbb, o.num, o.axis).Union();
    case BO::LeakyReluOptions:
      return fb::CreateLeakyReluOptions(fbb, o.alpha).Union();
    case BO::MirrorPadOptions:
      return fb::CreateMirrorPadOptions(fbb, static_cast<fb::MirrorPadMode>(o.mirror_pad_mode))
          .Union();
    case BO::GeluOptions:
      return fb::CreateGeluOptions(fbb, o.approximate).Union();
    case BO::PadOptions:
      return Empty<fb::PadOptionsBuilder>(fbb);
    case BO::PadV2Options:
      return Empty<fb::PadV2OptionsBuilder>(fbb);
    case BO::BatchToSpaceNDOptions:
      return Empty<fb::BatchToSpaceNDOptionsBuilder>(fbb);
    case BO::SpaceToBatchNDOptions:
      return Empty<fb::SpaceToBatchNDOptionsBuilder>(fbb);
    case BO::TransposeOptions:
      return Empty<fb::TransposeOptionsBuilder>(fbb);
    case BO::ExpOptions:
      return Empty<fb::ExpOptionsBuilder>(fbb);
    case BO::LogSoftmaxOptions:
      return Empty<fb::LogSoftmaxOptionsBuilder>(fbb);
    case BO::DequantizeOptions:
      return Empty<fb::DequantizeOptionsBuilder>(fbb);
    case BO::MaximumMinimumOptions:
      return Empty<fb::MaximumMinimumOptionsBuilder>(fbb);
    case BO::SliceOptions:
      return Empty<fb::SliceOptionsBuilder>(fbb);
    case BO::TileOptions:
      return Empty<fb::TileOptionsBuilder>(fbb);
    case BO::ExpandDimsOptions:
      return Empty<fb::ExpandDimsOptionsBuilder>(fbb);
    case BO::QuantizeOptions:
      return Empty<fb::QuantizeOptionsBuilder>(fbb);
    case BO::HardSwishOptions:
      return Empty<fb::HardSwishOptionsBuilder>(fbb);
    default:
      Fail("TFLite writer: no serializer for the options of ", OpTypeName(t));
  }
}

}  // namespace cae::tflite_io
