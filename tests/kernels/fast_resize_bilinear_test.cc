// kernels/fast RESIZE_BILINEAR against the reference kernels, byte for byte, for float32, uint8
// (float interpolation, +0.5 truncation) and int8 (10-bit fixed point): up- and downscaling by
// integer and fractional factors, 1x1 inputs and outputs, odd sizes, channels 1..33 (vector tails
// and depths under the vector width), batch > 1, default / align_corners / half_pixel_centers, on
// every Highway target, 1 and 2 threads; plus a deeplab-like 65x65x21 -> 129x129 case.
#include <random>

#include "fast_conv_support.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

struct ResizeCase {
  int batch, in_h, in_w, out_h, out_w, channels, mode;  // mode: 0 default, 1 align, 2 half pixel
};

Model BilinearModel(DType t, const ResizeCase& c, std::vector<double>* x, std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  x->resize(static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.channels);
  for (double& v : *x) {
    if (t == DType::kFloat32) v = pick(-300000, 300000) / 1013.0;
    if (t == DType::kUInt8) v = pick(0, 255);
    if (t == DType::kInt8) v = pick(-128, 127);
  }
  OpOptions o;
  o.align_corners = c.mode == 1;
  o.half_pixel_centers = c.mode == 2;
  Model m = OneOpModel(OpType::RESIZE_BILINEAR, o,
                       {I(t, {c.batch, c.in_h, c.in_w, c.channels}, *x), CI({2}, {c.out_h, c.out_w})},
                       {t});
  if (t != DType::kFloat32) {
    for (Tensor& tensor : m.main().tensors) {
      if (tensor.type != t) continue;
      tensor.quant.scale = {0.05f};
      tensor.quant.zero_point = {t == DType::kUInt8 ? 120 : -3};
    }
  }
  return m;
}

std::vector<ResizeCase> BilinearCases() {
  std::vector<ResizeCase> cases = {
      {1, 65, 65, 129, 129, 21, 1}, {1, 65, 65, 129, 129, 21, 0}, {2, 1, 1, 1, 1, 1, 0},
      {1, 1, 1, 5, 7, 3, 2},        {1, 5, 7, 1, 1, 17, 1},       {3, 4, 4, 8, 8, 16, 0},
      {1, 9, 9, 4, 4, 33, 2},       {1, 7, 5, 13, 11, 8, 1},      {2, 6, 10, 9, 25, 4, 2},
      {1, 2, 3, 31, 17, 5, 0},      {1, 17, 13, 5, 3, 2, 2},      {1, 3, 3, 3, 3, 32, 1},
  };
  std::mt19937 rng(77);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int i = 0; i < 36; ++i)
    cases.push_back({pick(1, 3), pick(1, 12), pick(1, 12), pick(1, 20), pick(1, 20), pick(1, 33),
                     i % 3});
  return cases;
}

TEST(FastResizeBilinear, SameBytesAsReferenceEveryTarget) {
  std::mt19937 rng(5);
  int cases = 0;
  for (const ResizeCase& c : BilinearCases()) {
    for (DType t : {DType::kFloat32, DType::kUInt8, DType::kInt8}) {
      SCOPED_TRACE(StrCat(DTypeName(t), " b", c.batch, " ", c.in_h, "x", c.in_w, "x", c.channels,
                          " -> ", c.out_h, "x", c.out_w, " mode ", c.mode));
      std::vector<double> x;
      const Model m = BilinearModel(t, c, &x, rng);
      ASSERT_EQ(ChosenKernel(m, {}), "fast/resize_bilinear");
      TensorData input(t, {c.batch, c.in_h, c.in_w, c.channels});
      input.bytes = Encode(t, x);
      ForEveryHwyTarget([&] { ExpectSameBytesAsReference(m, {input}); });
      if (HasFatalFailure()) return;
      ++cases;
    }
  }
  EXPECT_EQ(cases, 48 * 3);
}

TEST(FastResizeBilinear, Int16IsLeftToTheReferenceKernel) {
  Model m = OneOpModel(OpType::RESIZE_BILINEAR, OpOptions{},
                       {I(DType::kInt16, {1, 2, 2, 1}, {}), CI({2}, {4, 4})}, {DType::kInt16});
  EXPECT_EQ(ChosenKernel(m, {}), "ref/quantized/resize_bilinear");
}

}  // namespace
}  // namespace cae::testing
