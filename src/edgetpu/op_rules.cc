#include "edgetpu/op_rules.h"

#include <algorithm>
#include <cstring>

#include "graph/error.h"

namespace cae::edgetpu {
namespace {

// Supported builtin ops and the highest version we believe edgetpu_compiler v16 parses. Facts
// that fix some entries: v16 rejects CONV_2D v6 and TRANSPOSE_CONV v4 ("Didn't find op for
// builtin opcode"), v15 rejected TRANSPOSE_CONV v3; real compiled models map CONV_2D v3,
// DEPTHWISE_CONV_2D v3, FULLY_CONNECTED v4, SOFTMAX v2, MAX_POOL_2D v2, CONCATENATION v2, PAD v2.
// The rest follow the TFLite op versions of the TensorFlow releases the compiler was built
// against (about 2.5); an op newer than this is reported as a version problem, conservatively.
struct VersionEntry {
  OpType type;
  int max_version;
};
constexpr VersionEntry kSupported[] = {
    {OpType::ADD, 4},
    {OpType::AVERAGE_POOL_2D, 3},
    {OpType::CONCATENATION, 3},
    {OpType::CONV_2D, 5},
    {OpType::DEPTHWISE_CONV_2D, 6},
    {OpType::EXPAND_DIMS, 1},
    {OpType::FULLY_CONNECTED, 9},
    {OpType::L2_NORMALIZATION, 2},
    {OpType::LOGISTIC, 3},
    {OpType::UNIDIRECTIONAL_SEQUENCE_LSTM, 3},
    {OpType::MAXIMUM, 4},
    {OpType::MAX_POOL_2D, 3},
    {OpType::MEAN, 2},
    {OpType::MINIMUM, 4},
    {OpType::MUL, 4},
    {OpType::PACK, 2},
    {OpType::PAD, 2},
    {OpType::PRELU, 1},
    {OpType::QUANTIZE, 2},
    {OpType::REDUCE_MAX, 2},
    {OpType::REDUCE_MIN, 2},
    {OpType::RELU, 2},
    {OpType::RELU6, 2},
    {OpType::RELU_N1_TO_1, 1},
    {OpType::RESHAPE, 1},
    {OpType::RESIZE_BILINEAR, 4},
    {OpType::RESIZE_NEAREST_NEIGHBOR, 3},
    {OpType::RSQRT, 2},
    {OpType::SLICE, 3},
    {OpType::SOFTMAX, 3},
    {OpType::SPACE_TO_DEPTH, 2},
    {OpType::SPLIT, 3},
    {OpType::SQUARED_DIFFERENCE, 1},
    {OpType::SQUEEZE, 1},
    {OpType::STRIDED_SLICE, 5},
    {OpType::SUB, 3},
    {OpType::SUM, 1},
    {OpType::TANH, 3},
    {OpType::TILE, 2},
    {OpType::TRANSPOSE, 4},
    {OpType::TRANSPOSE_CONV, 3},
};

constexpr int64_t kMaxSoftmaxElements = 16000;
// Resize: the largest output side and scale factor we call mappable (see CheckResize).
constexpr int32_t kMaxBilinearOutputSide = 128;
constexpr int32_t kMaxResizeFactor = 2;

OpVerdict Verdict(Status s, std::string detail = {}) { return {s, std::move(detail)}; }

bool ValidTensor(const Graph& g, int t) {
  return t >= 0 && t < static_cast<int>(g.tensors.size());
}

bool Is8Bit(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

// Dims larger than 1; a shape is "n-D in effect" when this is at most n.
int EffectiveRank(const std::vector<int32_t>& shape) {
  return static_cast<int>(std::count_if(shape.begin(), shape.end(), [](int32_t d) { return d > 1; }));
}

int64_t Elements(const std::vector<int32_t>& shape) {
  int64_t n = 1;
  for (int32_t d : shape) n *= std::max<int32_t>(d, 0);
  return n;
}

// Reads a small constant int32 tensor (axes, paddings, sizes, strides); false when the tensor is
// not a constant int32 of consistent size.
bool ReadInt32s(const Graph& g, int t, std::vector<int32_t>* out) {
  if (!ValidTensor(g, t)) return false;
  const Tensor& x = g.tensors[t];
  if (!x.is_constant() || x.type != DType::kInt32 || x.data.size() % 4 != 0) return false;
  out->resize(x.data.size() / 4);
  std::memcpy(out->data(), x.data.data(), x.data.size());
  return true;
}

// Normalizes an axis against a rank; -1 when out of range.
int NormAxis(int32_t axis, int rank) {
  if (axis < 0) axis += rank;
  return axis >= 0 && axis < rank ? axis : -1;
}

std::string TensorRef(const Graph& g, int t) { return DescribeTensor(g, t); }

// Types, dynamic dims, rank and batch of the tensors an op reads and writes at run time.
OpVerdict CheckTensors(const Graph& g, const Op& op) {
  const bool lstm = op.type == OpType::UNIDIRECTIONAL_SEQUENCE_LSTM;
  auto check_activation = [&](int t) -> OpVerdict {
    const Tensor& x = g.tensors[t];
    const bool state = lstm && x.is_variable;
    if (!Is8Bit(x.type) && !(state && x.type == DType::kInt16)) {
      if (op.type == OpType::QUANTIZE && x.type == DType::kFloat32) {
        return Verdict(Status::kUnsupportedDataType,
                       StrCat(TensorRef(g, t), " is float32: a float-to-integer QUANTIZE stays "
                                               "on the CPU (only int-to-int requantization maps)"));
      }
      return Verdict(Status::kUnsupportedDataType,
                     StrCat(TensorRef(g, t), " is ", DTypeName(x.type), ", expected int8/uint8"));
    }
    const std::vector<int32_t>& sig = x.shape_signature;
    for (size_t d = 1; d < sig.size(); ++d) {
      if (sig[d] < 0) {
        return Verdict(Status::kDynamicShape,
                       StrCat(TensorRef(g, t), " has a dynamic dimension ", d, " (signature ",
                              ShapeToString(sig), "); shapes must be fixed at compile time"));
      }
    }
    const int rank = static_cast<int>(x.shape.size());
    for (int d = 0; d + 3 < rank; ++d) {
      if (x.shape[d] > 1) {
        if (d == 0) {
          return Verdict(Status::kUnsupportedBatch,
                         StrCat(TensorRef(g, t), " has shape ", ShapeToString(x.shape),
                                ": batch must be 1"));
        }
        return Verdict(Status::kUnsupportedRank,
                       StrCat(TensorRef(g, t), " has shape ", ShapeToString(x.shape),
                              ": only the 3 innermost dimensions may exceed 1"));
      }
    }
    return {};
  };

  for (int t : op.inputs) {
    if (t == -1) continue;
    if (!ValidTensor(g, t)) {
      return Verdict(Status::kNotSupported, StrCat("input tensor index ", t, " out of range"));
    }
    const Tensor& x = g.tensors[t];
    if (x.is_constant()) {
      // Weights 8-bit; biases, shapes, axes, paddings int32; LSTM may hold int16 constants.
      if (!Is8Bit(x.type) && x.type != DType::kInt32 && !(lstm && x.type == DType::kInt16)) {
        return Verdict(Status::kUnsupportedDataType,
                       StrCat("constant ", TensorRef(g, t), " is ", DTypeName(x.type),
                              ", expected int8/uint8 weights or int32 biases"));
      }
      continue;
    }
    if (OpVerdict v = check_activation(t); !v.mappable()) return v;
  }
  for (int t : op.outputs) {
    if (!ValidTensor(g, t)) {
      return Verdict(Status::kNotSupported, StrCat("output tensor index ", t, " out of range"));
    }
    if (OpVerdict v = check_activation(t); !v.mappable()) return v;
  }
  return {};
}

bool FusedActivationMappable(Activation a) {
  return a == Activation::kNone || a == Activation::kRelu || a == Activation::kRelu6 ||
         a == Activation::kReluN1To1;
}

const std::vector<int32_t>& InShape(const Graph& g, const Op& op, size_t i) {
  static const std::vector<int32_t> kEmpty;
  if (i >= op.inputs.size() || !ValidTensor(g, op.inputs[i])) return kEmpty;
  return g.tensors[op.inputs[i]].shape;
}
const std::vector<int32_t>& OutShape(const Graph& g, const Op& op, size_t i) {
  static const std::vector<int32_t> kEmpty;
  if (i >= op.outputs.size() || !ValidTensor(g, op.outputs[i])) return kEmpty;
  return g.tensors[op.outputs[i]].shape;
}

// Axes of a reduction, normalized; false when not a constant int32 list within the rank.
bool ReductionAxes(const Graph& g, const Op& op, std::vector<int>* axes) {
  std::vector<int32_t> raw;
  if (op.inputs.size() < 2 || !ReadInt32s(g, op.inputs[1], &raw)) return false;
  const int rank = static_cast<int>(InShape(g, op, 0).size());
  for (int32_t a : raw) {
    int n = NormAxis(a, rank);
    if (n < 0) return false;
    axes->push_back(n);
  }
  return true;
}

OpVerdict CheckReduction(const Graph& g, const Op& op) {
  std::vector<int> axes;
  if (!ReductionAxes(g, op, &axes)) {
    return Verdict(Status::kUnspecifiedLimitation, "reduction axes are not a constant int32 list");
  }
  const std::vector<int32_t>& in = InShape(g, op, 0);
  const int rank = static_cast<int>(in.size());
  for (int a : axes) {
    if (a == 0 && rank >= 4) {
      return Verdict(Status::kUnspecifiedLimitation, "reduces over the batch dimension");
    }
    if (op.type == OpType::MEAN && a == rank - 1 && rank > 1 && in[a] % 4 != 0) {
      return Verdict(Status::kUnspecifiedLimitation,
                     StrCat("MEAN over channels needs channels % 4 == 0, got ", in[a]));
    }
  }
  return {};
}

OpVerdict CheckResize(const Graph& g, const Op& op) {
  const std::vector<int32_t>& in = InShape(g, op, 0);
  const std::vector<int32_t>& out = OutShape(g, op, 0);
  if (in.size() != 4 || out.size() != 4) {
    return Verdict(Status::kUnspecifiedLimitation,
                   StrCat("resize expects 4-D NHWC tensors, got ", ShapeToString(in), " -> ",
                          ShapeToString(out)));
  }
  const bool bilinear = op.type == OpType::RESIZE_BILINEAR;
  for (int d = 1; d <= 2; ++d) {
    const int32_t a = in[d], b = out[d];
    const bool same = a == b;
    const bool integer_up = a > 1 && b % a == 0 && b / a <= kMaxResizeFactor;
    if (!same && !integer_up) {
      return Verdict(Status::kUnspecifiedLimitation,
                     StrCat("resize ", in[1], "x", in[2], " -> ", out[1], "x", out[2],
                            ": conservative rule, only same-size or integer x", kMaxResizeFactor,
                            " upscales are planned on the TPU (seen unmapped: 1->33, 33->513)"));
    }
  }
  if (bilinear && (out[1] > kMaxBilinearOutputSide || out[2] > kMaxBilinearOutputSide)) {
    return Verdict(Status::kUnspecifiedLimitation,
                   StrCat("RESIZE_BILINEAR to ", out[1], "x", out[2],
                          ": conservative rule, bilinear outputs larger than ",
                          kMaxBilinearOutputSide, " per side may be left unmapped by the "
                          "compiler to avoid precision loss"));
  }
  return {};
}

OpVerdict CheckConcatenation(const Graph& g, const Op& op) {
  if (op.options.activation != Activation::kNone) {
    return Verdict(Status::kUnspecifiedLimitation, "CONCATENATION with a fused activation");
  }
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    const int t = op.inputs[i];
    if (!ValidTensor(g, t) || !g.tensors[t].is_constant()) continue;
    const std::vector<uint8_t>& data = g.tensors[t].data;
    const bool all_zero = std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0; });
    if (op.inputs.size() != 2 || i != 1 || !all_zero) {
      return Verdict(Status::kUnspecifiedLimitation,
                     StrCat("constant input ", TensorRef(g, t),
                            ": allowed only as the second of exactly 2 inputs and all zeros"));
    }
  }
  return {};
}

OpVerdict CheckSqueeze(const Graph& g, const Op& op) {
  const std::vector<int32_t>& in = InShape(g, op, 0);
  const std::vector<int32_t>& out = OutShape(g, op, 0);
  if (out.size() > in.size()) return Verdict(Status::kUnspecifiedLimitation, "SQUEEZE grows rank");
  const size_t dropped = in.size() - out.size();
  // Mappable only if the output is the input without its leading `dropped` dims (all 1s).
  for (size_t d = 0; d < dropped; ++d) {
    if (in[d] != 1) {
      return Verdict(Status::kUnspecifiedLimitation,
                     StrCat("SQUEEZE of ", ShapeToString(in), " drops a non-leading dimension"));
    }
  }
  if (!std::equal(out.begin(), out.end(), in.begin() + dropped)) {
    return Verdict(Status::kUnspecifiedLimitation,
                   StrCat("SQUEEZE of ", ShapeToString(in), " to ", ShapeToString(out),
                          " drops a non-leading dimension"));
  }
  return {};
}

OpVerdict CheckOpSpecific(const Graph& g, const Op& op) {
  switch (op.type) {
    case OpType::MAX_POOL_2D:
    case OpType::AVERAGE_POOL_2D:
      if (op.options.activation != Activation::kNone) {
        return Verdict(Status::kUnspecifiedLimitation,
                       StrCat("pooling with fused ", ActivationName(op.options.activation)));
      }
      return {};
    case OpType::CONV_2D:
    case OpType::DEPTHWISE_CONV_2D:
      if (op.options.dilation_w != op.options.dilation_h) {
        return Verdict(Status::kUnspecifiedLimitation,
                       StrCat("dilation ", op.options.dilation_h, "x", op.options.dilation_w,
                              ": x and y dilation must be equal"));
      }
      [[fallthrough]];
    case OpType::TRANSPOSE_CONV:
    case OpType::ADD:
    case OpType::SUB:
    case OpType::MUL:
      if (!FusedActivationMappable(op.options.activation)) {
        return Verdict(Status::kUnspecifiedLimitation,
                       StrCat("fused ", ActivationName(op.options.activation)));
      }
      return {};
    case OpType::FULLY_CONNECTED:
      if (op.options.weights_format != 0) {
        return Verdict(Status::kUnspecifiedLimitation, "shuffled FULLY_CONNECTED weight format");
      }
      if (EffectiveRank(OutShape(g, op, 0)) > 1) {
        return Verdict(Status::kUnspecifiedLimitation,
                       StrCat("FULLY_CONNECTED output ", ShapeToString(OutShape(g, op, 0)),
                              " is not 1-D"));
      }
      if (!FusedActivationMappable(op.options.activation)) {
        return Verdict(Status::kUnspecifiedLimitation,
                       StrCat("fused ", ActivationName(op.options.activation)));
      }
      return {};
    case OpType::CONCATENATION:
      return CheckConcatenation(g, op);
    case OpType::MEAN:
    case OpType::SUM:
    case OpType::REDUCE_MAX:
    case OpType::REDUCE_MIN:
      return CheckReduction(g, op);
    case OpType::PACK: {
      const int rank = static_cast<int>(OutShape(g, op, 0).size());
      if (rank >= 4 && NormAxis(op.options.axis, rank) == 0) {
        return Verdict(Status::kUnspecifiedLimitation, "PACK along the batch dimension");
      }
      return {};
    }
    case OpType::PAD: {
      std::vector<int32_t> pads;
      if (op.inputs.size() < 2 || !ReadInt32s(g, op.inputs[1], &pads)) {
        return Verdict(Status::kUnspecifiedLimitation, "paddings are not a constant int32 tensor");
      }
      if (InShape(g, op, 0).size() >= 4 && pads.size() >= 2 && (pads[0] != 0 || pads[1] != 0)) {
        return Verdict(Status::kUnspecifiedLimitation, "PAD of the batch dimension");
      }
      return {};
    }
    case OpType::PRELU:
      if (op.inputs.size() >= 2 && EffectiveRank(InShape(g, op, 1)) > 1) {
        return Verdict(Status::kUnspecifiedLimitation,
                       StrCat("PRELU alpha ", ShapeToString(InShape(g, op, 1)), " is not 1-D"));
      }
      return {};
    case OpType::RESIZE_BILINEAR:
    case OpType::RESIZE_NEAREST_NEIGHBOR:
      return CheckResize(g, op);
    case OpType::SOFTMAX: {
      const std::vector<int32_t>& in = InShape(g, op, 0);
      if (EffectiveRank(in) > 1) {
        return Verdict(Status::kUnspecifiedLimitation,
                       StrCat("SOFTMAX input ", ShapeToString(in), " is not 1-D"));
      }
      if (Elements(in) > kMaxSoftmaxElements) {
        return Verdict(Status::kUnspecifiedLimitation,
                       StrCat("SOFTMAX over ", Elements(in), " elements, at most ",
                              kMaxSoftmaxElements));
      }
      return {};
    }
    case OpType::SQUEEZE:
      return CheckSqueeze(g, op);
    case OpType::STRIDED_SLICE: {
      if (op.options.ellipsis_mask != 0 || op.options.new_axis_mask != 0) {
        return Verdict(Status::kUnspecifiedLimitation, "STRIDED_SLICE with ellipsis/new-axis mask");
      }
      std::vector<int32_t> strides;
      if (op.inputs.size() < 4 || !ReadInt32s(g, op.inputs[3], &strides) ||
          !std::all_of(strides.begin(), strides.end(), [](int32_t s) { return s == 1; })) {
        return Verdict(Status::kUnspecifiedLimitation, "STRIDED_SLICE strides must all be 1");
      }
      return {};
    }
    default:
      return {};
  }
}

}  // namespace

const char* StatusText(Status s) {
  switch (s) {
    case Status::kMapped: return "Mapped to Edge TPU";
    case Status::kNotSupported: return "Operation not supported";
    case Status::kUnsupportedDataType: return "Operation is working on an unsupported data type";
    case Status::kVersionNotSupported: return "Operation version not supported";
    case Status::kUnspecifiedLimitation:
      return "Operation is otherwise supported, but not mapped due to some unspecified limitation";
    case Status::kMoreThanOneSubgraph: return "More than one subgraph is not supported";
    case Status::kUnsupportedRank: return "Tensor has more than 3 dimensions larger than 1";
    case Status::kUnsupportedBatch: return "Batch size other than 1 is not supported";
    case Status::kDynamicShape: return "Tensor has a dynamic shape";
  }
  return "?";
}

int MaxKnownVersion(OpType type) {
  for (const VersionEntry& e : kSupported) {
    if (e.type == type) return e.max_version;
  }
  return 0;
}

OpVerdict CheckOp(const Graph& g, int op_index) {
  if (op_index < 0 || op_index >= static_cast<int>(g.ops.size())) {
    return Verdict(Status::kNotSupported, StrCat("op index ", op_index, " out of range"));
  }
  const Op& op = g.ops[op_index];
  if (op.type == OpType::CUSTOM) {
    return Verdict(Status::kNotSupported,
                   StrCat("custom op '", op.custom_code, "' always runs on the CPU"));
  }
  const int max_version = MaxKnownVersion(op.type);
  if (max_version == 0) {
    return Verdict(Status::kNotSupported,
                   StrCat(OpTypeName(op.type), " is not on the Edge TPU's op list"));
  }
  if (op.version > max_version) {
    return Verdict(Status::kVersionNotSupported,
                   StrCat(OpTypeName(op.type), " v", op.version, ": the compiler is known to take up to v",
                          max_version, " (conservative)"));
  }
  if (OpVerdict v = CheckTensors(g, op); !v.mappable()) return v;
  return CheckOpSpecific(g, op);
}

}  // namespace cae::edgetpu
