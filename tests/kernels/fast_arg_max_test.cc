// kernels/fast ARG_MAX against the reference kernels, element by element (identical bytes):
// float32, uint8 and int8 inputs, int32 and int64 outputs, the last axis (per-pixel vectors:
// channels 1..33, vector tails, ties resolved to the first index, NaNs and -0.0/+0.0 for float)
// and other axes (inner loops), batch > 1, on every Highway target, 1 and 2 threads.
#include <cmath>
#include <limits>
#include <random>

#include "fast_conv_support.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

void CheckArgMax(DType t, DType out_t, const std::vector<int32_t>& shape, int axis,
                 std::mt19937& rng, bool with_nans) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  std::vector<double> x(static_cast<size_t>(n));
  // Few distinct values so that ties are frequent.
  for (double& v : x) {
    if (t == DType::kFloat32) v = pick(0, 3) == 0 ? pick(-3, 3) : pick(-100000, 100000) / 7.0;
    if (t == DType::kUInt8) v = pick(0, 1) ? pick(250, 255) : pick(0, 255);
    if (t == DType::kInt8) v = pick(0, 1) ? pick(123, 127) : pick(-128, 127);
  }
  if (t == DType::kFloat32 && with_nans) {
    for (double& v : x) {
      const int r = pick(0, 40);
      if (r == 0) v = std::numeric_limits<double>::quiet_NaN();
      if (r == 1) v = -0.0;
      if (r == 2) v = 0.0;
      if (r == 3) v = std::numeric_limits<double>::infinity();
    }
  }
  Model m = OneOpModel(OpType::ARG_MAX, OpOptions{}, {I(t, shape, x), CI({1}, {double(axis)})},
                       {out_t});
  if (t != DType::kFloat32) {
    for (Tensor& tensor : m.main().tensors) {
      if (tensor.type != t) continue;
      tensor.quant.scale = {0.1f};
      tensor.quant.zero_point = {t == DType::kUInt8 ? 128 : 0};
    }
  }
  std::string dims;
  for (int32_t d : shape) dims += StrCat(d, ",");
  SCOPED_TRACE(StrCat(DTypeName(t), " -> ", DTypeName(out_t), " [", dims, "] axis ", axis,
                      with_nans ? " nans" : ""));
  ASSERT_EQ(ChosenKernel(m, {}), "fast/arg_max");
  TensorData input(t, shape);
  input.bytes = Encode(t, x);
  ForEveryHwyTarget([&] { ExpectSameBytesAsReference(m, {input}); });
}

TEST(FastArgMax, LastAxisSameAsReferenceEveryTarget) {
  std::mt19937 rng(3);
  for (DType t : {DType::kFloat32, DType::kUInt8, DType::kInt8})
    for (DType out_t : {DType::kInt32, DType::kInt64})
      for (int channels : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 21, 31, 32, 33, 70}) {
        const int batch = channels % 2 == 0 ? 2 : 1;
        CheckArgMax(t, out_t, {batch, 9, 13, channels}, 3, rng, false);
        if (HasFatalFailure()) return;
        if (t == DType::kFloat32) CheckArgMax(t, out_t, {batch, 7, 5, channels}, -1, rng, true);
        if (HasFatalFailure()) return;
      }
  // Enough pixels to be split over two threads.
  CheckArgMax(DType::kUInt8, DType::kInt32, {2, 65, 65, 21}, 3, rng, false);
}

TEST(FastArgMax, OtherAxesSameAsReferenceEveryTarget) {
  std::mt19937 rng(4);
  for (DType t : {DType::kFloat32, DType::kUInt8, DType::kInt8})
    for (DType out_t : {DType::kInt32, DType::kInt64}) {
      CheckArgMax(t, out_t, {2, 5, 7, 3}, 0, rng, t == DType::kFloat32);
      CheckArgMax(t, out_t, {2, 5, 7, 3}, 1, rng, false);
      CheckArgMax(t, out_t, {3, 6, 300, 2}, 2, rng, false);
      CheckArgMax(t, out_t, {17, 301}, 0, rng, t == DType::kFloat32);
      CheckArgMax(t, out_t, {40}, 0, rng, false);
      if (HasFatalFailure()) return;
    }
}

}  // namespace
}  // namespace cae::testing
