// kernels/fast MAX_POOL_2D against the reference kernels on every Highway target, 1 and 2 threads:
// identical outputs (float32 and int8) on random shapes, windows, strides, SAME/VALID, channel
// counts around the vector width and every count from 1 to 16.
#include <random>

#include "fast_conv_support.h"
#include "hwy/targets.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

void CheckPoolCases() {
  std::mt19937 rng(5);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  // 60 random channel counts, then every count 1..16 (fewer than a vector: narrower vectors and
  // the one-by-one tail), each for float32 and int8.
  for (int i = 0; i < 60 + 32; ++i) {
    const bool int8 = i % 2 == 1;
    const int batch = pick(1, 3), h = pick(1, 12), w = pick(1, 12);
    const int c = i < 60 ? pick(1, 70) : (i - 60) / 2 + 1;
    OpOptions o;
    o.filter_h = pick(1, 3);
    o.filter_w = pick(1, 3);
    o.stride_h = pick(1, 3);
    o.stride_w = pick(1, 3);
    o.padding = (pick(0, 1) || h < o.filter_h || w < o.filter_w) ? Padding::kSame : Padding::kValid;
    o.activation = kQuantActivations[pick(0, 3)];  // those float and int8 take
    SCOPED_TRACE(StrCat(int8 ? "int8 " : "float ", batch, "x", h, "x", w, "x", c, " f", o.filter_h,
                        "x", o.filter_w, " s", o.stride_h, "x", o.stride_w,
                        o.padding == Padding::kSame ? " SAME" : " VALID", " act",
                        static_cast<int>(o.activation)));
    std::vector<double> x(static_cast<size_t>(batch) * h * w * c);
    for (double& v : x) v = int8 ? pick(-128, 127) : pick(-3000, 3000) / 997.0;
    const DType t = int8 ? DType::kInt8 : DType::kFloat32;
    Model m = OneOpModel(OpType::MAX_POOL_2D, o, {I(t, {batch, h, w, c}, x)}, {t});
    if (int8) {
      for (Tensor& tensor : m.main().tensors) {
        tensor.quant.scale = {0.02f};
        tensor.quant.zero_point = {pick(-5, 5)};
      }
      m.main().tensors[1].quant = m.main().tensors[0].quant;
    }
    EXPECT_EQ(ChosenKernel(m, {}), "fast/max_pool_2d");
    TensorData input(t, {batch, h, w, c});
    input.bytes = Encode(t, x);
    ExpectSameBytesAsReference(m, {input});
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(FastMaxPool, SameAsReferenceFloatAndInt8OnEveryTarget) { ForEveryHwyTarget(CheckPoolCases); }
}  // namespace
}  // namespace cae::testing
