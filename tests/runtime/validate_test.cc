// ValidateGraph: indices, use before definition, constant sizes, op input counts.
#include "graph/validate.h"

#include <gtest/gtest.h>

#include "graph/error.h"

namespace cae {
namespace {

// input -> RELU -> output, with one constant of 2 floats.
Model Tiny() {
  Model m;
  m.source = "tiny.tflite";
  Graph& g = m.subgraphs.emplace_back();
  Tensor in;
  in.name = "in";
  in.shape = {1, 2};
  Tensor out = in;
  out.name = "out";
  Tensor c = in;
  c.name = "c";
  c.shape = {2};
  c.data.assign(8, 0);
  g.AddTensor(in);
  g.AddTensor(out);
  g.AddTensor(c);
  Op op;
  op.type = OpType::RELU;
  op.inputs = {0};
  op.outputs = {1};
  g.AddOp(op);
  g.inputs = {0};
  g.outputs = {1};
  return m;
}

std::string ErrorOf(const Model& m) {
  try {
    ValidateGraph(m);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ValidateGraph, AcceptsAValidGraph) { EXPECT_EQ(ErrorOf(Tiny()), ""); }

TEST(ValidateGraph, IndexOutOfRange) {
  Model m = Tiny();
  m.main().ops[0].inputs[0] = 7;
  EXPECT_EQ(ErrorOf(m), "tiny.tflite: op 0 (RELU): input 0 refers to tensor 7, the graph has 3");
  Model o = Tiny();
  o.main().outputs = {-2};
  EXPECT_NE(ErrorOf(o).find("graph output 0 refers to tensor -2"), std::string::npos);
}

TEST(ValidateGraph, UseBeforeDefinition) {
  Model m = Tiny();
  m.main().inputs = {};
  EXPECT_EQ(ErrorOf(m), "tiny.tflite: op 0 (RELU): input 0 tensor 0 'in' is used before any op produces it");
}

TEST(ValidateGraph, ConstantSizeMustMatchShape) {
  Model m = Tiny();
  m.main().tensors[2].data.resize(4);
  EXPECT_EQ(ErrorOf(m), "tiny.tflite: tensor 2 'c': constant has 4 bytes, shape [2] of float32 needs 8");
}

TEST(ValidateGraph, OpInputCount) {
  Model m = Tiny();
  m.main().ops[0].inputs.push_back(2);
  EXPECT_EQ(ErrorOf(m), "tiny.tflite: op 0 (RELU): has 2 inputs, expected 1");
}

TEST(ValidateGraph, OutputProducedTwice) {
  Model m = Tiny();
  m.main().ops.push_back(m.main().ops[0]);
  EXPECT_NE(ErrorOf(m).find("op 1 (RELU): output 0 tensor 1 'out' is already produced"), std::string::npos);
}

}  // namespace
}  // namespace cae
