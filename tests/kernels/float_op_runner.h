// Test helper for the float kernel tests: builds a one-op model from literal operands, infers its
// output shapes, and runs it through the Interpreter with reference kernels.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "graph/error.h"
#include "graph/graph.h"
#include "graph/shape_inference.h"
#include "runtime/interpreter.h"

namespace cae::testing {

// One operand: a run-time graph input, a constant, or an omitted optional input.
struct Arg {
  DType type = DType::kFloat32;
  std::vector<int32_t> shape;
  std::vector<double> values;
  bool constant = false;
  bool omitted = false;
};
inline Arg F(std::vector<int32_t> shape, std::vector<double> values) {
  return {DType::kFloat32, std::move(shape), std::move(values), false, false};
}
inline Arg CF(std::vector<int32_t> shape, std::vector<double> values) {
  return {DType::kFloat32, std::move(shape), std::move(values), true, false};
}
inline Arg CI(std::vector<int32_t> shape, std::vector<double> values) {
  return {DType::kInt32, std::move(shape), std::move(values), true, false};
}
inline Arg I(DType type, std::vector<int32_t> shape, std::vector<double> values) {
  return {type, std::move(shape), std::move(values), false, false};
}
inline Arg None() { return {DType::kFloat32, {}, {}, false, true}; }

inline std::vector<uint8_t> Encode(DType type, const std::vector<double>& values) {
  std::vector<uint8_t> bytes(values.size() * DTypeSize(type));
  for (size_t i = 0; i < values.size(); ++i) {
    uint8_t* p = bytes.data() + i * DTypeSize(type);
    switch (type) {
      case DType::kFloat32: { float v = static_cast<float>(values[i]); std::memcpy(p, &v, 4); break; }
      case DType::kInt32: { int32_t v = static_cast<int32_t>(values[i]); std::memcpy(p, &v, 4); break; }
      case DType::kInt64: { int64_t v = static_cast<int64_t>(values[i]); std::memcpy(p, &v, 8); break; }
      case DType::kInt8: { int8_t v = static_cast<int8_t>(values[i]); std::memcpy(p, &v, 1); break; }
      case DType::kUInt8:
      case DType::kBool: { uint8_t v = static_cast<uint8_t>(values[i]); std::memcpy(p, &v, 1); break; }
      default: ADD_FAILURE() << "Encode: unsupported type";
    }
  }
  return bytes;
}

inline std::vector<double> Decode(const TensorData& d) {
  std::vector<double> v;
  const int64_t n = d.num_elements();
  for (int64_t i = 0; i < n; ++i) {
    switch (d.type) {
      case DType::kFloat32: v.push_back(d.as<float>()[i]); break;
      case DType::kInt32: v.push_back(d.as<int32_t>()[i]); break;
      case DType::kInt64: v.push_back(static_cast<double>(d.as<int64_t>()[i])); break;
      case DType::kInt8: v.push_back(d.as<int8_t>()[i]); break;
      case DType::kUInt8:
      case DType::kBool: v.push_back(d.as<uint8_t>()[i]); break;
      default: ADD_FAILURE() << "Decode: unsupported type";
    }
  }
  return v;
}

// A one-op model: run-time args become graph inputs (in order), constants constant tensors.
inline Model OneOpModel(OpType type, const OpOptions& options, const std::vector<Arg>& args,
                        const std::vector<DType>& out_types) {
  Model m;
  m.source = "test";
  m.subgraphs.resize(1);
  Graph& g = m.main();
  Op op;
  op.type = type;
  op.options = options;
  for (size_t i = 0; i < args.size(); ++i) {
    const Arg& a = args[i];
    if (a.omitted) {
      op.inputs.push_back(-1);
      continue;
    }
    Tensor t;
    t.name = "in" + std::to_string(i);
    t.type = a.type;
    t.shape = a.shape;
    if (a.constant) t.data = Encode(a.type, a.values);
    const int index = g.AddTensor(t);
    if (!a.constant) g.inputs.push_back(index);
    op.inputs.push_back(index);
  }
  for (size_t o = 0; o < out_types.size(); ++o) {
    Tensor t;
    t.name = "out" + std::to_string(o);
    t.type = out_types[o];
    const int index = g.AddTensor(t);
    op.outputs.push_back(index);
    g.outputs.push_back(index);
  }
  g.AddOp(op);
  InferShapes(g);
  return m;
}

// Runs the op on the run-time args' values; returns the outputs.
inline std::vector<TensorData> RunOp(OpType type, const OpOptions& options,
                                     const std::vector<Arg>& args,
                                     const std::vector<DType>& out_types = {DType::kFloat32},
                                     InterpreterOptions io = {1, 0, true}) {
  Interpreter interp(OneOpModel(type, options, args, out_types), io);
  std::vector<TensorData> inputs;
  for (const Arg& a : args) {
    if (a.omitted || a.constant) continue;
    TensorData d(a.type, a.shape);
    d.bytes = Encode(a.type, a.values);
    inputs.push_back(std::move(d));
  }
  return interp.Run(inputs);
}

// Values of the single output, checking its shape.
inline std::vector<double> RunOp1(OpType type, const OpOptions& options,
                                  const std::vector<Arg>& args,
                                  const std::vector<int32_t>& expected_shape,
                                  DType out_type = DType::kFloat32) {
  std::vector<TensorData> out = RunOp(type, options, args, {out_type});
  EXPECT_EQ(out.size(), 1u);
  if (out.empty()) return {};
  EXPECT_EQ(out[0].shape, expected_shape);
  return Decode(out[0]);
}

#define EXPECT_VALUES_NEAR(actual, expected, tol)                                  \
  do {                                                                             \
    const std::vector<double> a_ = (actual), e_ = (expected);                      \
    ASSERT_EQ(a_.size(), e_.size());                                               \
    for (size_t k_ = 0; k_ < a_.size(); ++k_)                                      \
      EXPECT_NEAR(a_[k_], e_[k_], (tol)) << "element " << k_;                      \
  } while (0)

}  // namespace cae::testing
