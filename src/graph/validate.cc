#include "graph/validate.h"

#include <cmath>
#include <cstring>

#include <string>
#include <vector>

#include "graph/error.h"
#include "graph/shape.h"

namespace cae {

namespace {

struct Arity {
  int min_inputs;
  int max_inputs;  // -1: any number
  int outputs;     // -1: any number >= 1
};

// Input/output counts of the builtin ops whose counts this project relies on. Others: unchecked.
bool KnownArity(OpType t, Arity* a) {
  switch (t) {
    case OpType::CONV_2D:
    case OpType::DEPTHWISE_CONV_2D:
    case OpType::FULLY_CONNECTED: *a = {2, 3, 1}; return true;
    case OpType::TRANSPOSE_CONV: *a = {3, 4, 1}; return true;
    case OpType::MAX_POOL_2D:
    case OpType::AVERAGE_POOL_2D:
    case OpType::L2_POOL_2D:
    case OpType::LOGISTIC:
    case OpType::TANH:
    case OpType::RELU:
    case OpType::RELU6:
    case OpType::RELU_N1_TO_1:
    case OpType::RELU_0_TO_1:
    case OpType::LEAKY_RELU:
    case OpType::ELU:
    case OpType::HARD_SWISH:
    case OpType::GELU:
    case OpType::EXP:
    case OpType::LOG:
    case OpType::SQRT:
    case OpType::RSQRT:
    case OpType::NEG:
    case OpType::ABS:
    case OpType::SQUARE:
    case OpType::SOFTMAX:
    case OpType::LOG_SOFTMAX:
    case OpType::QUANTIZE:
    case OpType::DEQUANTIZE:
    case OpType::CAST:
    case OpType::SHAPE:
    case OpType::SQUEEZE:
    case OpType::FLOOR:
    case OpType::DEPTH_TO_SPACE:
    case OpType::SPACE_TO_DEPTH: *a = {1, 1, 1}; return true;
    case OpType::RESHAPE: *a = {1, 2, 1}; return true;
    case OpType::ADD:
    case OpType::SUB:
    case OpType::MUL:
    case OpType::DIV:
    case OpType::MAXIMUM:
    case OpType::MINIMUM:
    case OpType::SQUARED_DIFFERENCE:
    case OpType::PRELU:
    case OpType::MEAN:
    case OpType::SUM:
    case OpType::REDUCE_MAX:
    case OpType::REDUCE_MIN:
    case OpType::REDUCE_PROD:
    case OpType::RESIZE_BILINEAR:
    case OpType::RESIZE_NEAREST_NEIGHBOR:
    case OpType::EXPAND_DIMS:
    case OpType::PAD:
    case OpType::MIRROR_PAD:
    case OpType::TRANSPOSE:
    case OpType::ARG_MAX:
    case OpType::ARG_MIN:
    case OpType::TILE:
    case OpType::GATHER:
    case OpType::BATCH_MATMUL: *a = {2, 2, 1}; return true;
    case OpType::PADV2:
    case OpType::SLICE: *a = {3, 3, 1}; return true;
    case OpType::STRIDED_SLICE: *a = {4, 4, 1}; return true;
    case OpType::CONCATENATION:
    case OpType::PACK: *a = {1, -1, 1}; return true;
    case OpType::SPLIT: *a = {2, 2, -1}; return true;
    case OpType::SPLIT_V: *a = {3, 3, -1}; return true;
    case OpType::UNPACK: *a = {1, 1, -1}; return true;
    default: return false;
  }
}

void ValidateSubgraph(const Model& model, size_t sg_index) {
  const Graph& g = model.subgraphs[sg_index];
  const std::string where = StrCat(model.source.empty() ? std::string("model") : model.source,
                                   sg_index == 0 ? std::string() : StrCat(" subgraph ", sg_index));
  const int num_tensors = static_cast<int>(g.tensors.size());
  auto in_range = [&](int index) { return index >= 0 && index < num_tensors; };

  for (int t = 0; t < num_tensors; ++t) {
    const Tensor& tensor = g.tensors[t];
    int64_t bytes = 0;
    try {
      bytes = NumBytes(tensor.shape, DTypeSize(tensor.type));
    } catch (const Error& e) {
      Fail(where, ": ", DescribeTensor(g, t), ": ", e.what());
    }
    if (tensor.is_constant() && tensor.type != DType::kString) {
      Check(static_cast<int64_t>(tensor.data.size()) == bytes, where, ": ", DescribeTensor(g, t),
            ": constant has ", tensor.data.size(), " bytes, shape ", ShapeToString(tensor.shape),
            " of ", DTypeName(tensor.type), " needs ", bytes);
    }
  }

  // defined[t]: a value exists for tensor t at this point of execution.
  std::vector<bool> defined(num_tensors, false);
  std::vector<bool> produced(num_tensors, false);
  for (int t = 0; t < num_tensors; ++t)
    defined[t] = g.tensors[t].is_constant() || g.tensors[t].is_variable;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    Check(in_range(g.inputs[i]), where, ": graph input ", i, " refers to tensor ", g.inputs[i],
          ", the graph has ", num_tensors);
    defined[g.inputs[i]] = true;
  }
  for (size_t i = 0; i < g.outputs.size(); ++i)
    Check(in_range(g.outputs[i]), where, ": graph output ", i, " refers to tensor ", g.outputs[i],
          ", the graph has ", num_tensors);

  for (int o = 0; o < static_cast<int>(g.ops.size()); ++o) {
    const Op& op = g.ops[o];
    const std::string who = StrCat(where, ": ", DescribeOp(g, o));
    Arity a;
    if (KnownArity(op.type, &a)) {
      const int n = static_cast<int>(op.inputs.size());
      Check(n >= a.min_inputs && (a.max_inputs < 0 || n <= a.max_inputs), who, ": has ", n,
            " inputs, expected ",
            a.max_inputs < 0 ? StrCat("at least ", a.min_inputs)
            : a.min_inputs == a.max_inputs ? StrCat(a.min_inputs)
                                           : StrCat(a.min_inputs, " to ", a.max_inputs));
      const int m = static_cast<int>(op.outputs.size());
      Check(a.outputs < 0 ? m >= 1 : m == a.outputs, who, ": has ", m, " outputs, expected ",
            a.outputs < 0 ? std::string("at least 1") : StrCat(a.outputs));
    }
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      const int t = op.inputs[i];
      if (t == -1) continue;
      Check(in_range(t), who, ": input ", i, " refers to tensor ", t, ", the graph has ",
            num_tensors);
      Check(defined[t], who, ": input ", i, " ", DescribeTensor(g, t),
            " is used before any op produces it");
    }
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      const int t = op.outputs[i];
      Check(in_range(t), who, ": output ", i, " refers to tensor ", t, ", the graph has ",
            num_tensors);
      Check(!produced[t], who, ": output ", i, " ", DescribeTensor(g, t),
            " is already produced by an earlier op");
      Check(!g.tensors[t].is_constant(), who, ": output ", i, " ", DescribeTensor(g, t),
            " is a constant");
      produced[t] = true;
      defined[t] = true;
    }
  }
  for (size_t i = 0; i < g.outputs.size(); ++i)
    Check(defined[g.outputs[i]], where, ": graph output ", i, " ",
          DescribeTensor(g, g.outputs[i]), " is never computed");
}

}  // namespace

void ValidateGraph(const Model& model) {
  Check(!model.subgraphs.empty(), model.source.empty() ? std::string("model") : model.source,
        ": has no subgraphs");
  for (size_t i = 0; i < model.subgraphs.size(); ++i) ValidateSubgraph(model, i);
}

void CheckFiniteFloatConstants(const Graph& g, const std::string& where) {
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& t = g.tensors[i];
    if (t.type != DType::kFloat32 || !t.is_constant()) continue;
    for (size_t k = 0; k + 4 <= t.data.size(); k += 4) {
      float v;
      std::memcpy(&v, &t.data[k], 4);
      Check(std::isfinite(v), where, ": ", DescribeTensor(g, static_cast<int>(i)), ": weight value ",
            k / 4, " is not finite (", v, ")");
    }
  }
}

}  // namespace cae
