// kernels/fast RESIZE_NEAREST_NEIGHBOR against the reference kernel: identical bytes for float32,
// int8, uint8 and int32 on up- and downsampling by integer and fractional factors, align_corners,
// half_pixel_centers, batch > 1 and pixel sizes from 1 byte to over 128 bytes, 1 and 2 threads.
#include <random>

#include "fast_options.h"
#include "fast_conv_support.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

TEST(FastResizeNearest, SameBytesAsReference) {
  std::mt19937 rng(21);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const DType types[] = {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt32};
  struct Size {
    int in_h, in_w, out_h, out_w;
  };
  const Size fixed[] = {{4, 4, 8, 8}, {7, 7, 14, 14}, {14, 14, 28, 28}, {5, 3, 15, 9},
                        {9, 9, 4, 4}, {6, 10, 9, 25},  {1, 1, 3, 5},    {8, 8, 8, 8}};
  for (int i = 0; i < 64; ++i) {
    const DType t = types[i % 4];
    Size s = i < 8 ? fixed[i] : Size{pick(1, 9), pick(1, 9), pick(1, 20), pick(1, 20)};
    const int batch = pick(1, 3);
    const int channels = i % 3 == 0 ? pick(1, 5) : pick(1, 70);
    OpOptions o;
    const int mode = pick(0, 2);
    o.align_corners = mode == 1;
    o.half_pixel_centers = mode == 2;
    SCOPED_TRACE(StrCat(DTypeName(t), " b", batch, " ", s.in_h, "x", s.in_w, "x", channels, " -> ",
                        s.out_h, "x", s.out_w, " mode ", mode));
    std::vector<double> x(static_cast<size_t>(batch) * s.in_h * s.in_w * channels);
    for (double& v : x) v = t == DType::kFloat32 ? pick(-5000, 5000) / 77.0 : pick(-100, 100);
    if (t == DType::kUInt8)
      for (double& v : x) v = v + 100;
    Model m = OneOpModel(OpType::RESIZE_NEAREST_NEIGHBOR, o,
                         {I(t, {batch, s.in_h, s.in_w, channels}, x), CI({2}, {s.out_h, s.out_w})},
                         {t});
    if (t == DType::kInt8 || t == DType::kUInt8) {
      for (Tensor& tensor : m.main().tensors) {
        if (tensor.type != t) continue;
        tensor.quant.scale = {0.05f};
        tensor.quant.zero_point = {t == DType::kUInt8 ? 128 : -3};
      }
    }
    EXPECT_EQ(ChosenKernel(m, {}), "fast/resize_nearest_neighbor");
    TensorData input(t, {batch, s.in_h, s.in_w, channels});
    input.bytes = Encode(t, x);
    const auto expected = Interpreter(m, {1, 0, true}).Run({input});
    for (int threads : {1, 2}) {
      const auto got = Interpreter(m, FastOptions(threads)).Run({input});
      ASSERT_EQ(got[0].shape, expected[0].shape);
      ASSERT_EQ(got[0].bytes, expected[0].bytes) << threads << " thread(s)";
    }
  }
}

}  // namespace
}  // namespace cae::testing
