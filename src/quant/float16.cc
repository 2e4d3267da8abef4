#include "quant/float16.h"

#include <cmath>
#include <cstring>

#include "graph/error.h"
#include "passes/graph_edit.h"
#include "quant/quant_math.h"

namespace cae::quant {

int QuantizeFloat16(Graph& g) {
  const auto consumers = passes::ConsumersOf(g);
  std::vector<Op> dequantize_ops;
  const size_t n = g.tensors.size();
  for (size_t t = 0; t < n; ++t) {
    if (consumers[t].empty()) continue;
    if (g.tensors[t].type != DType::kFloat32 || !g.tensors[t].is_constant()) continue;
    const std::vector<float> values = passes::ReadFloats(g, static_cast<int>(t));
    Tensor half;
    half.name = g.tensors[t].name + "/fp16";
    half.type = DType::kFloat16;
    half.shape = g.tensors[t].shape;
    half.data.resize(values.size() * 2);
    for (size_t i = 0; i < values.size(); ++i) {
      Check(std::isfinite(values[i]) && std::fabs(values[i]) <= 65504.0f,
            DescribeTensor(g, static_cast<int>(t)), ": value ", values[i], " at ", i,
            " does not fit float16");
      const uint16_t h = FloatToHalf(values[i]);
      std::memcpy(&half.data[i * 2], &h, 2);
    }
    const int h = g.AddTensor(std::move(half));
    g.tensors[t].data.clear();
    Op deq;
    deq.type = OpType::DEQUANTIZE;
    deq.inputs = {h};
    deq.outputs = {static_cast<int>(t)};
    if (!consumers[t].empty()) deq.origin = g.ops[consumers[t][0]].origin;
    dequantize_ops.push_back(std::move(deq));
  }
  const int converted = static_cast<int>(dequantize_ops.size());
  for (Op& op : g.ops) dequantize_ops.push_back(std::move(op));
  g.ops = std::move(dequantize_ops);
  return converted;
}

}  // namespace cae::quant
