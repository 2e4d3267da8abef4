// The one in-memory model every component works on: tensors and TFLite-vocabulary ops.
// Importers build it, passes rewrite it, the interpreter runs it, writers serialize it.
//
// Conventions:
//  - Activations are NHWC; constant convolution weights use TFLite layouts
//    (CONV_2D OHWI, DEPTHWISE_CONV_2D 1HW(I*M), TRANSPOSE_CONV OHWI, FULLY_CONNECTED [out, in]).
//  - A tensor is constant iff its data is non-empty (as in TFLite: a buffer without data is not
//    constant). Data is little-endian, row-major, of exactly NumElements(shape) * DTypeSize(type)
//    bytes.
//  - ops are stored in execution order (every input is a graph input, a constant, or produced by
//    an earlier op).
//  - Input index -1 marks an omitted optional input (e.g. a TRANSPOSE_CONV without bias).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "graph/dtype.h"
#include "graph/op_options.h"
#include "graph/op_type.h"

namespace cae {

// Quantization parameters: real = (q - zero_point) * scale. One entry per tensor, or one per
// slice along quantized_dimension (per-channel). min/max are informational (as in TFLite).
struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int32_t quantized_dimension = 0;
  std::vector<float> min;
  std::vector<float> max;

  bool empty() const { return scale.empty(); }
  bool per_channel() const { return scale.size() > 1; }
};

struct Tensor {
  std::string name;
  DType type = DType::kFloat32;
  std::vector<int32_t> shape;
  // Shape with -1 for dynamic dimensions; empty means "same as shape".
  std::vector<int32_t> shape_signature;
  QuantParams quant;
  // Constant contents; empty for activations and graph inputs.
  std::vector<uint8_t> data;
  bool is_variable = false;

  bool is_constant() const { return !data.empty(); }
};

struct Op {
  OpType type = OpType::ADD;
  int32_t version = 1;
  // CUSTOM ops: the custom code and raw custom_options bytes.
  std::string custom_code;
  std::vector<uint8_t> custom_options;
  std::vector<int> inputs;
  std::vector<int> outputs;
  // Tensors internal to the op that carry quantization parameters (TFLite "intermediates", e.g.
  // of a quantized LSTM); usually empty.
  std::vector<int> intermediates;
  OpOptions options;
  // Where the op came from, for messages: a Keras layer name, or empty.
  std::string origin;
};

struct Graph {
  std::string name;
  std::vector<Tensor> tensors;
  std::vector<Op> ops;
  std::vector<int> inputs;
  std::vector<int> outputs;

  // Appends a tensor and returns its index.
  int AddTensor(Tensor t) {
    tensors.push_back(std::move(t));
    return static_cast<int>(tensors.size()) - 1;
  }
  // Appends an op and returns its index.
  int AddOp(Op op) {
    ops.push_back(std::move(op));
    return static_cast<int>(ops.size()) - 1;
  }
};

struct Model {
  // subgraphs[0] is the main graph; others are called by CALL/WHILE/IF ops or are extra entry points.
  std::vector<Graph> subgraphs;
  std::string description;
  // TFLite metadata entries (name -> bytes), e.g. "min_runtime_version".
  std::vector<std::pair<std::string, std::vector<uint8_t>>> metadata;
  // The file the model was read from (for messages), or empty.
  std::string source;

  Graph& main() { return subgraphs.at(0); }
  const Graph& main() const { return subgraphs.at(0); }
};

// "op 12 (CONV_2D, layer 'conv2d_3')": how messages name an op.
std::string DescribeOp(const Graph& g, int op_index);
// "tensor 7 'conv2d_3/BiasAdd'": how messages name a tensor.
std::string DescribeTensor(const Graph& g, int tensor_index);
// "[1,28,28,1]".
std::string ShapeToString(const std::vector<int32_t>& shape);

}  // namespace cae
