#include "graph/op_type.h"

#include <gtest/gtest.h>

#include "graph/dtype.h"
#include "graph/error.h"
#include "graph/graph.h"
#include "graph/shape.h"

namespace cae {
namespace {

TEST(OpType, CodesAreTfliteBuiltinCodes) {
  EXPECT_EQ(static_cast<int>(OpType::CONV_2D), 3);
  EXPECT_EQ(static_cast<int>(OpType::RESIZE_NEAREST_NEIGHBOR), 97);
  EXPECT_EQ(static_cast<int>(OpType::QUANTIZE), 114);
  EXPECT_EQ(static_cast<int>(OpType::GELU), 150);
  EXPECT_EQ(OpTypeName(OpType::TRANSPOSE_CONV), "TRANSPOSE_CONV");
  EXPECT_EQ(OpTypeName(static_cast<OpType>(400)), "BUILTIN_400");
  EXPECT_EQ(OpTypeFromName("LEAKY_RELU"), OpType::LEAKY_RELU);
  EXPECT_FALSE(OpTypeFromName("NOT_AN_OP").has_value());
}

TEST(Shape, NumElementsChecksOverflowAndNegativeDims) {
  EXPECT_EQ(NumElements({2, 3, 4}), 24);
  EXPECT_EQ(NumElements({}), 1);
  EXPECT_THROW(NumElements({-1, 3}), Error);
  EXPECT_THROW(NumElements({1 << 30, 1 << 30, 1 << 30}), Error);
  EXPECT_EQ(NumBytes({10, 10}, DTypeSize(DType::kFloat16)), 200);
}

TEST(Graph, DescribesOpsAndTensors) {
  Graph g;
  Tensor t;
  t.name = "x";
  g.AddTensor(t);
  Op op;
  op.type = OpType::CONV_2D;
  op.origin = "conv2d_3";
  g.AddOp(op);
  EXPECT_EQ(DescribeOp(g, 0), "op 0 (CONV_2D, layer 'conv2d_3')");
  EXPECT_EQ(DescribeTensor(g, 0), "tensor 0 'x'");
  EXPECT_EQ(ShapeToString({1, 28, 28, 1}), "[1,28,28,1]");
}

}  // namespace
}  // namespace cae
