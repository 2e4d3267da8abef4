// kernels/fast PAD / PADV2 against the reference kernels, byte for byte: float32, int8, uint8,
// int32 and int64 tensors of rank 1..5, paddings of 0..3 before and after each dimension (none on
// some, so trailing dimensions merge), PAD and PADV2 (constant_values), quantized tensors
// whose output zero point differs from the input's; 1 and 2 threads.
#include <random>

#include "fast_options.h"
#include "fast_conv_support.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

TEST(FastPad, SameAsReferenceOnManyShapesAndTypes) {
  std::mt19937 rng(17);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const DType types[] = {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt32, DType::kInt64};
  for (int i = 0; i < 150; ++i) {
    const DType t = types[i % 5];
    const bool v2 = pick(0, 1) == 1, with_value = v2;  // PADV2 always has constant_values
    const bool quantized = t == DType::kInt8 || t == DType::kUInt8;
    const bool requantized = quantized && pick(0, 2) == 0;  // output zero point differs
    const int rank = pick(1, 5);
    std::vector<int32_t> shape(static_cast<size_t>(rank));
    std::vector<double> pads;
    for (int d = 0; d < rank; ++d) {
      shape[d] = d == rank - 1 ? pick(1, 70) : pick(1, 6);
      const bool padded = pick(0, 2) != 0;
      pads.push_back(padded ? pick(0, 3) : 0);
      pads.push_back(padded ? pick(0, 3) : 0);
    }
    int64_t n = 1;
    for (int32_t s : shape) n *= s;
    std::vector<double> x(static_cast<size_t>(n));
    for (double& v : x) {
      if (t == DType::kFloat32) v = pick(-1000, 1000) / 7.0;
      else if (t == DType::kUInt8) v = pick(0, 255);
      else if (t == DType::kInt8) v = pick(-128, 127);
      else v = pick(-30000, 30000);
    }
    std::vector<Arg> args = {I(t, shape, x), CI({rank, 2}, pads)};
    if (with_value) args.push_back({t, {1}, {t == DType::kUInt8 ? 200.0 : -77.0}, true, false});
    SCOPED_TRACE(StrCat(DTypeName(t), " ", ShapeToString(shape), v2 ? " PADV2" : " PAD",
                        with_value ? " value" : "", requantized ? " requantized" : ""));
    const OpType op = v2 ? OpType::PADV2 : OpType::PAD;
    Model m = OneOpModel(op, OpOptions{}, args, {t});
    if (quantized) {
      Graph& g = m.main();
      QuantParams& in_q = g.tensors[static_cast<size_t>(g.ops[0].inputs[0])].quant;
      QuantParams& out_q = g.tensors[static_cast<size_t>(g.ops[0].outputs[0])].quant;
      in_q.scale = {0.1f};
      in_q.zero_point = {t == DType::kUInt8 ? 128 : -3};
      out_q = in_q;
      if (requantized) out_q.zero_point = {t == DType::kUInt8 ? 100 : 9};
      if (with_value) g.tensors[static_cast<size_t>(g.ops[0].inputs[2])].quant = in_q;
    }
    EXPECT_EQ(ChosenKernel(m, {}), v2 ? "fast/padv2" : "fast/pad");
    TensorData input(t, shape);
    input.bytes = Encode(t, x);
    const auto expected = Interpreter(m, {1, 0, true}).Run({input});
    for (int threads : {1, 2}) {
      const auto got = Interpreter(m, FastOptions(threads)).Run({input});
      ASSERT_EQ(got[0].shape, expected[0].shape);
      ASSERT_EQ(got[0].bytes, expected[0].bytes) << threads << " thread(s)";
    }
  }
}

// A large NHWC pad (the CAE-style 1-pixel border on 64 channels, batch 5) split over threads.
TEST(FastPad, LargeNhwcBorderSameAsReference) {
  const std::vector<int32_t> shape = {5, 40, 33, 64};
  std::vector<double> x(5 * 40 * 33 * 64);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i % 251) - 100.0;
  const Model m = OneOpModel(OpType::PAD, OpOptions{},
                             {I(DType::kFloat32, shape, x), CI({4, 2}, {0, 0, 1, 2, 2, 1, 0, 0})},
                             {DType::kFloat32});
  TensorData input(DType::kFloat32, shape);
  input.bytes = Encode(DType::kFloat32, x);
  const auto expected = Interpreter(m, {1, 0, true}).Run({input});
  const auto got = Interpreter(m, FastOptions(2)).Run({input});
  ASSERT_EQ(got[0].shape, expected[0].shape);
  ASSERT_EQ(got[0].bytes, expected[0].bytes);
}

}  // namespace
}  // namespace cae::testing
