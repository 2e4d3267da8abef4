#include "passes/graph_edit.h"

#include <algorithm>
#include <cstring>

#include "graph/error.h"
#include "graph/shape.h"

namespace cae::passes {

bool ValidTensor(const Graph& g, int tensor) {
  return tensor >= 0 && tensor < static_cast<int>(g.tensors.size());
}

std::vector<std::vector<int>> ConsumersOf(const Graph& g) {
  std::vector<std::vector<int>> consumers(g.tensors.size());
  for (size_t i = 0; i < g.ops.size(); ++i) {
    for (int t : g.ops[i].inputs) {
      if (ValidTensor(g, t)) consumers[t].push_back(static_cast<int>(i));
    }
  }
  return consumers;
}

std::vector<int> ProducersOf(const Graph& g) {
  std::vector<int> producer(g.tensors.size(), -1);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    for (int t : g.ops[i].outputs) {
      if (ValidTensor(g, t)) producer[t] = static_cast<int>(i);
    }
  }
  return producer;
}

bool IsGraphInput(const Graph& g, int tensor) {
  return std::find(g.inputs.begin(), g.inputs.end(), tensor) != g.inputs.end();
}

bool IsGraphOutput(const Graph& g, int tensor) {
  return std::find(g.outputs.begin(), g.outputs.end(), tensor) != g.outputs.end();
}

void ReplaceUses(Graph& g, int from, int to) {
  for (Op& op : g.ops) {
    for (int& t : op.inputs) {
      if (t == from) t = to;
    }
  }
}

void EraseOps(Graph& g, const std::vector<bool>& erase) {
  std::vector<Op> kept;
  kept.reserve(g.ops.size());
  for (size_t i = 0; i < g.ops.size(); ++i) {
    if (i >= erase.size() || !erase[i]) kept.push_back(std::move(g.ops[i]));
  }
  g.ops = std::move(kept);
}

std::vector<float> ReadFloats(const Graph& g, int tensor) {
  Check(ValidTensor(g, tensor), "graph '", g.name, "': tensor index ", tensor, " out of range");
  const Tensor& t = g.tensors[tensor];
  Check(t.type == DType::kFloat32 && t.is_constant(), DescribeTensor(g, tensor),
        ": expected a float32 constant");
  const int64_t n = NumElements(t.shape);
  Check(static_cast<int64_t>(t.data.size()) == n * 4, DescribeTensor(g, tensor), ": holds ",
        t.data.size(), " bytes, expected ", n * 4, " for shape ", ShapeToString(t.shape));
  std::vector<float> v(static_cast<size_t>(n));
  std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

void WriteFloats(Graph& g, int tensor, const std::vector<float>& values) {
  Tensor& t = g.tensors.at(tensor);
  Check(static_cast<int64_t>(values.size()) == NumElements(t.shape), DescribeTensor(g, tensor),
        ": writing ", values.size(), " values into shape ", ShapeToString(t.shape));
  t.type = DType::kFloat32;
  t.data.resize(values.size() * 4);
  std::memcpy(t.data.data(), values.data(), t.data.size());
}

int CountReferences(const Graph& g, int tensor) {
  int n = 0;
  for (const Op& op : g.ops) {
    n += static_cast<int>(std::count(op.inputs.begin(), op.inputs.end(), tensor));
    n += static_cast<int>(std::count(op.outputs.begin(), op.outputs.end(), tensor));
  }
  n += static_cast<int>(std::count(g.inputs.begin(), g.inputs.end(), tensor));
  n += static_cast<int>(std::count(g.outputs.begin(), g.outputs.end(), tensor));
  return n;
}

}  // namespace cae::passes
