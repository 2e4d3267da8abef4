#include "quant/dynamic_range.h"

#include <cstring>

#include "graph/shape.h"
#include "passes/graph_edit.h"
#include "quant/quant_math.h"

namespace cae::quant {

int QuantizeDynamicRange(Graph& g, const DynamicRangeOptions& options) {
  int quantized = 0;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    Op& op = g.ops[i];
    int axis;
    switch (op.type) {
      case OpType::CONV_2D: axis = 0; break;
      case OpType::DEPTHWISE_CONV_2D: axis = 3; break;
      case OpType::FULLY_CONNECTED: axis = -1; break;
      default: continue;
    }
    if (options.per_tensor && op.type == OpType::CONV_2D) axis = -1;
    if (op.inputs.size() < 2 || !passes::ValidTensor(g, op.inputs[1])) continue;
    const int w = op.inputs[1];
    if (g.tensors[w].type != DType::kFloat32 || !g.tensors[w].is_constant()) continue;
    if (NumElements(g.tensors[w].shape) < options.min_elements) continue;
    if (passes::CountReferences(g, w) > 1) {
      Tensor copy = g.tensors[w];
      copy.name += "/hybrid";
      g.ops[i].inputs[1] = g.AddTensor(std::move(copy));
    }
    const int wi = g.ops[i].inputs[1];
    Tensor& wt = g.tensors[wi];
    const std::vector<float> values = passes::ReadFloats(g, wi);
    const std::vector<int8_t> q = QuantizeSymmetric(values, wt.shape, axis, &wt.quant);
    wt.type = DType::kInt8;
    wt.data.assign(reinterpret_cast<const uint8_t*>(q.data()),
                   reinterpret_cast<const uint8_t*>(q.data()) + q.size());
    if (g.ops[i].type == OpType::FULLY_CONNECTED) g.ops[i].options.asymmetric_quantize_inputs = true;
    ++quantized;
  }
  return quantized;
}

}  // namespace cae::quant
