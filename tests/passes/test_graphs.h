// Hand-built graphs for pass and quantizer tests (header-only test helper).
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace cae::testgraphs {

inline int Act(Graph& g, const std::string& name, std::vector<int32_t> shape,
               DType type = DType::kFloat32) {
  Tensor t;
  t.name = name;
  t.type = type;
  t.shape = std::move(shape);
  return g.AddTensor(std::move(t));
}

inline int Const(Graph& g, const std::string& name, std::vector<int32_t> shape,
                 const std::vector<float>& values) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.data.resize(values.size() * 4);
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return g.AddTensor(std::move(t));
}

inline int ConstI32(Graph& g, const std::string& name, std::vector<int32_t> shape,
                    const std::vector<int32_t>& values) {
  Tensor t;
  t.name = name;
  t.type = DType::kInt32;
  t.shape = std::move(shape);
  t.data.resize(values.size() * 4);
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return g.AddTensor(std::move(t));
}

inline int AddOp(Graph& g, OpType type, std::vector<int> in, std::vector<int> out,
                 Activation act = Activation::kNone) {
  Op op;
  op.type = type;
  op.inputs = std::move(in);
  op.outputs = std::move(out);
  op.options.activation = act;
  op.origin = OpTypeName(type) + "_" + std::to_string(g.ops.size());
  return g.AddOp(std::move(op));
}

inline std::vector<float> Floats(const Tensor& t) {
  std::vector<float> v(t.data.size() / 4);
  std::memcpy(v.data(), t.data.data(), v.size() * 4);
  return v;
}

inline std::vector<float> Ramp(size_t n, float start, float step) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i);
  return v;
}

// input [1,4,4,2] -> CONV_2D(3 out, 1x1) -> MUL(per-channel) -> ADD(per-channel) -> RELU -> output
inline Graph ConvBnRelu() {
  Graph g;
  g.name = "conv_bn_relu";
  const int x = Act(g, "x", {1, 4, 4, 2});
  const int w = Const(g, "w", {3, 1, 1, 2}, Ramp(6, -1.0f, 0.5f));
  const int b = Const(g, "b", {3}, {0.1f, -0.2f, 0.3f});
  const int y = Act(g, "conv", {1, 4, 4, 3});
  const int s = Const(g, "bn_scale", {3}, {2.0f, 0.5f, -1.0f});
  const int m = Act(g, "bn_mul", {1, 4, 4, 3});
  const int t = Const(g, "bn_shift", {1, 1, 1, 3}, {1.0f, 2.0f, 3.0f});
  const int a = Act(g, "bn_add", {1, 4, 4, 3});
  const int r = Act(g, "relu", {1, 4, 4, 3});
  g.inputs = {x};
  g.outputs = {r};
  AddOp(g, OpType::CONV_2D, {x, w, b}, {y});
  AddOp(g, OpType::MUL, {y, s}, {m});
  AddOp(g, OpType::ADD, {m, t}, {a});
  AddOp(g, OpType::RELU, {a}, {r});
  return g;
}

}  // namespace cae::testgraphs
