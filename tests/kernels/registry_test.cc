// KernelRegistry::Create's error when no kernel takes an op.
#include <gtest/gtest.h>

#include <string>

#include "graph/error.h"
#include "graph/graph.h"
#include "kernels/kernel.h"
#include "runtime/interpreter.h"

namespace cae {
namespace {

// input [1,4] uint8 -> CUSTOM `code` -> output [1,4] uint8, in "m.tflite".
Model OneCustomOp(const std::string& code) {
  Model m;
  m.source = "m.tflite";
  Graph& g = m.subgraphs.emplace_back();
  Tensor t;
  t.type = DType::kUInt8;
  t.shape = {1, 4};
  t.name = "in";
  const int in = g.AddTensor(t);
  t.name = "out";
  const int out = g.AddTensor(t);
  Op op;
  op.type = OpType::CUSTOM;
  op.custom_code = code;
  op.inputs = {in};
  op.outputs = {out};
  g.AddOp(op);
  g.inputs = {in};
  g.outputs = {out};
  return m;
}

std::string ConstructionError(const Model& m) {
  try {
    Interpreter interp(m);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// Input types do not matter to a custom op: the message says what is missing instead.
TEST(KernelRegistry, CustomOpsAreNamedAsHavingNoKernel) {
  EXPECT_EQ(ConstructionError(OneCustomOp("PosenetDecoderOp")),
            "m.tflite: op 0 (CUSTOM 'PosenetDecoderOp'): custom op with no kernel in this interpreter");
  const std::string tpu = ConstructionError(OneCustomOp("edgetpu-custom-op"));
  EXPECT_EQ(tpu.rfind("m.tflite: op 0 (CUSTOM 'edgetpu-custom-op'): custom op with no kernel in this "
                      "interpreter (a model compiled for the Edge TPU runs there, through libedgetpu; ",
                      0),
            0u)
      << tpu;
}

}  // namespace
}  // namespace cae
