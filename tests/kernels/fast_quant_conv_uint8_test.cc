// kernels/fast uint8 CONV_2D (VNNI CPUs; per-tensor weights with a zero point, double rounding)
// against the reference kernel: bit-exact on the shared conv shapes, non-zero input, filter and
// output zero points (including filter zero point 128, where the window-sum term vanishes),
// every fused activation, 1 and 2 threads.
#include <random>

#include "fast_options.h"
#include "fast_conv_support.h"
#include "kernels/fast/conv_int8_vnni.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

TEST(FastQuantConvUint8, BitExactWithReference) {
  if (!fast::VnniAvailable()) GTEST_SKIP() << "uint8 CONV_2D runs fast only with AVX-512 VNNI";
  std::mt19937 rng(29);
  std::uniform_real_distribution<float> scale(0.002f, 0.05f);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto cases = ConvCases({Activation::kNone, Activation::kRelu, Activation::kRelu6,
                          Activation::kReluN1To1});
  cases.push_back({1, 16, 16, 3, 8, 3, 3, 2, 2, 1, 1, Padding::kSame, Activation::kRelu6, true});
  cases.push_back({1, 8, 8, 64, 64, 1, 1, 1, 1, 1, 1, Padding::kSame, Activation::kRelu6, true});
  cases.push_back({2, 9, 9, 48, 2, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kNone, true});
  int index = 0, varied = 0;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(c.Name());
    std::vector<double> x(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.in_c);
    std::vector<double> w(static_cast<size_t>(c.out_c) * c.f_h * c.f_w * c.in_c);
    std::vector<double> b(static_cast<size_t>(c.out_c));
    for (double& v : x) v = pick(0, 255);
    for (double& v : w) v = pick(0, 255);
    for (double& v : b) v = pick(-3000, 3000);
    std::vector<Arg> args = {I(DType::kUInt8, {c.batch, c.in_h, c.in_w, c.in_c}, x),
                             {DType::kUInt8, {c.out_c, c.f_h, c.f_w, c.in_c}, w, true, false},
                             c.bias ? Arg{DType::kInt32, {c.out_c}, b, true, false} : None()};
    Model m = OneOpModel(OpType::CONV_2D, ConvOptions(c), args, {DType::kUInt8});
    Graph& g = m.main();
    const float in_scale = scale(rng), w_scale = scale(rng) * 0.5f, out_scale = scale(rng) * 8;
    g.tensors[0].quant.scale = {in_scale};
    g.tensors[0].quant.zero_point = {pick(90, 160)};
    g.tensors[1].quant.scale = {w_scale};
    g.tensors[1].quant.zero_point = {index++ % 4 == 3 ? 128 : pick(100, 155)};
    if (c.bias) {
      g.tensors[2].quant.scale = {in_scale * w_scale};
      g.tensors[2].quant.zero_point = {0};
    }
    Tensor& out = g.tensors[static_cast<size_t>(g.ops[0].outputs[0])];
    out.quant.scale = {out_scale};
    out.quant.zero_point = {pick(100, 150)};
    EXPECT_EQ(ChosenKernel(m, {}), "fast/uint8/conv_2d");

    TensorData input(DType::kUInt8, {c.batch, c.in_h, c.in_w, c.in_c});
    input.bytes = Encode(DType::kUInt8, x);
    Interpreter ref(m, {1, 0, true});
    const std::vector<TensorData> expected = ref.Run({input});
    for (int threads : {1, 2}) {
      Interpreter fast(m, FastOptions(threads));
      const std::vector<TensorData> got = fast.Run({input});
      ASSERT_EQ(got[0].shape, expected[0].shape);
      ASSERT_EQ(got[0].bytes, expected[0].bytes) << threads << " thread(s)";
    }
    const auto v = Decode(expected[0]);
    for (size_t i = 1; i < v.size(); ++i)
      if (v[i] != v[0]) {
        ++varied;
        break;
      }
  }
  EXPECT_GT(varied, static_cast<int>(cases.size()) * 3 / 4);
}

}  // namespace
}  // namespace cae::testing
