// kernels/fast AVERAGE_POOL_2D against the reference kernels on every Highway target this CPU
// runs: float32 within 1e-5 relative (in practice identical), int8 and uint8 bit-exact, over
// channel counts 1..70 (vector tails), odd sizes, filters up to the whole image (global pooling),
// strides, SAME/VALID, batch > 1 and every fused activation; 1 and 2 threads.
#include <cmath>
#include <random>

#include "fast_conv_support.h"
#include "hwy/targets.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

struct PoolCase {
  DType type;
  int batch, h, w, c;
  OpOptions o;
};

std::vector<PoolCase> AvgPoolCases() {
  std::mt19937 rng(11);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const DType types[] = {DType::kFloat32, DType::kInt8, DType::kUInt8};
  std::vector<PoolCase> cases;
  // MobileNet's global 4x4 pool on 256 channels, and a 7x7 one on 1024.
  for (DType t : types) {
    OpOptions o;
    o.filter_h = o.filter_w = 4;
    o.padding = Padding::kValid;
    cases.push_back({t, 2, 4, 4, 256, o});
    o.filter_h = o.filter_w = 7;
    cases.push_back({t, 1, 7, 7, 1024, o});
  }
  for (int i = 0; i < 90; ++i) {
    PoolCase pc;
    pc.type = types[i % 3];
    pc.batch = pick(1, 3);
    pc.h = pick(1, 13);
    pc.w = pick(1, 13);
    pc.c = pick(0, 4) == 0 ? pick(1, 4) : pick(1, 70);
    OpOptions& o = pc.o;
    const bool global = pick(0, 6) == 0;
    o.filter_h = global ? pc.h : pick(1, 4);
    o.filter_w = global ? pc.w : pick(1, 4);
    o.stride_h = pick(1, 3);
    o.stride_w = pick(1, 3);
    o.padding = (pick(0, 1) || pc.h < o.filter_h || pc.w < o.filter_w) ? Padding::kSame : Padding::kValid;
    o.activation =
        pc.type == DType::kFloat32 ? kFloatActivations[pick(0, 4)] : kQuantActivations[pick(0, 3)];
    cases.push_back(pc);
  }
  return cases;
}

void CheckAvgPoolCases() {
  std::mt19937 rng(5);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (const PoolCase& pc : AvgPoolCases()) {
    const OpOptions& o = pc.o;
    SCOPED_TRACE(StrCat(DTypeName(pc.type), " ", pc.batch, "x", pc.h, "x", pc.w, "x", pc.c, " f",
                        o.filter_h, "x", o.filter_w, " s", o.stride_h, "x", o.stride_w,
                        o.padding == Padding::kSame ? " SAME" : " VALID", " act",
                        static_cast<int>(o.activation)));
    std::vector<double> x(static_cast<size_t>(pc.batch) * pc.h * pc.w * pc.c);
    for (double& v : x) {
      if (pc.type == DType::kInt8) v = pick(-128, 127);
      else if (pc.type == DType::kUInt8) v = pick(0, 255);
      else v = pick(-3000, 3000) / 997.0;
    }
    Model m = OneOpModel(OpType::AVERAGE_POOL_2D, o, {I(pc.type, {pc.batch, pc.h, pc.w, pc.c}, x)},
                         {pc.type});
    if (pc.type != DType::kFloat32) {
      for (Tensor& tensor : m.main().tensors) {
        // A scale that makes the Relu clamps bite: 0..6 is about 0..120 steps.
        tensor.quant.scale = {0.05f};
        tensor.quant.zero_point = {pc.type == DType::kUInt8 ? pick(100, 150) : pick(-10, 10)};
      }
      m.main().tensors[1].quant = m.main().tensors[0].quant;
    }
    EXPECT_EQ(ChosenKernel(m, {}), "fast/average_pool_2d");
    TensorData input(pc.type, {pc.batch, pc.h, pc.w, pc.c});
    input.bytes = Encode(pc.type, x);
    if (pc.type != DType::kFloat32) {
      ExpectSameBytesAsReference(m, {input});
    } else {
      CompareFastWithReference(m, {input}, [](const auto& got, const auto& expected) {
        const auto fast = Decode(got[0]), ref = Decode(expected[0]);
        for (size_t i = 0; i < ref.size(); ++i)
          ASSERT_NEAR(fast[i], ref[i], 1e-5 * std::max(std::abs(ref[i]), 1.0)) << "element " << i;
      });
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(FastAvgPool, SameAsReferenceFloatInt8Uint8OnEveryTarget) {
  ForEveryHwyTarget(CheckAvgPoolCases);
}

// Large windows (more than 65,536 taps) take the scalar integer division; still bit-exact.
TEST(FastAvgPool, HugeWindowInt8SameAsReference) {
  std::mt19937 rng(3);
  const int h = 300, w = 230, c = 3;
  std::vector<double> x(static_cast<size_t>(h) * w * c);
  for (double& v : x) v = std::uniform_int_distribution<int>(-128, 127)(rng);
  OpOptions o;
  o.filter_h = h;
  o.filter_w = w;
  o.padding = Padding::kValid;
  Model m = OneOpModel(OpType::AVERAGE_POOL_2D, o, {I(DType::kInt8, {1, h, w, c}, x)}, {DType::kInt8});
  for (Tensor& tensor : m.main().tensors) {
    tensor.quant.scale = {0.1f};
    tensor.quant.zero_point = {3};
  }
  TensorData input(DType::kInt8, {1, h, w, c});
  input.bytes = Encode(DType::kInt8, x);
  const auto expected = Interpreter(m, {1, 0, true}).Run({input});
  const auto got = Interpreter(m, {1, 0, false}).Run({input});
  ASSERT_EQ(got[0].bytes, expected[0].bytes);
}

}  // namespace
}  // namespace cae::testing
