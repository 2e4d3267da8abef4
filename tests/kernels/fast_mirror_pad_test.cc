// kernels/fast MIRROR_PAD against the reference kernel, byte for byte: REFLECT and SYMMETRIC,
// float32, int8, uint8, int32 and int64 tensors of rank 1..5, paddings from 0 to the
// largest each mode allows (dim - 1 for REFLECT, dim for SYMMETRIC) before and after each
// dimension (none on some, so trailing dimensions merge), image-sized tensors that the threads
// split; 1 and 2 threads.
#include <random>

#include "fast_conv_support.h"

namespace cae::testing {
namespace {

Model MirrorPadModel(DType t, const std::vector<int32_t>& shape, const std::vector<double>& x,
                     const std::vector<double>& pads, int mode) {
  OpOptions o;
  o.mirror_pad_mode = mode;
  const int rank = static_cast<int>(shape.size());
  Model m = OneOpModel(OpType::MIRROR_PAD, o, {I(t, shape, x), CI({rank, 2}, pads)}, {t});
  if (t == DType::kInt8 || t == DType::kUInt8) {
    for (Tensor& tensor : m.main().tensors) {
      tensor.quant.scale = {0.1f};
      tensor.quant.zero_point = {t == DType::kUInt8 ? 128 : -3};
    }
    m.main().tensors[1].quant = {};  // the paddings
  }
  return m;
}

void ExpectMirrorPadSameAsReference(DType t, const std::vector<int32_t>& shape,
                                    const std::vector<double>& pads, int mode, std::mt19937& rng) {
  SCOPED_TRACE(
      StrCat(DTypeName(t), " ", ShapeToString(shape), mode == 0 ? " REFLECT" : " SYMMETRIC"));
  int64_t n = 1;
  for (int32_t s : shape) n *= s;
  const std::vector<double> zeros(static_cast<size_t>(n), 0.0);  // values come with the input
  const Model m = MirrorPadModel(t, shape, zeros, pads, mode);
  EXPECT_EQ(ChosenKernel(m, {}), "fast/mirror_pad");
  // Random bytes: the op only moves elements, whatever they hold.
  TensorData input(t, shape);
  input.bytes.resize(static_cast<size_t>(n) * DTypeSize(t));
  for (uint8_t& b : input.bytes) b = static_cast<uint8_t>(rng());
  ExpectSameBytesAsReference(m, {input});
}

TEST(FastMirrorPad, SameAsReferenceOnManyShapesTypesAndModes) {
  std::mt19937 rng(23);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const DType types[] = {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt32,
                         DType::kInt64};
  for (int i = 0; i < 180; ++i) {
    const DType t = types[i % 5];
    const int mode = (i / 5) % 2;
    const int rank = pick(1, 5);
    std::vector<int32_t> shape(static_cast<size_t>(rank));
    std::vector<double> pads;
    for (int d = 0; d < rank; ++d) {
      shape[d] = d == rank - 1 ? pick(1, 40) : pick(1, 7);
      const int limit = mode == 0 ? shape[d] - 1 : shape[d];
      const bool padded = pick(0, 2) != 0;
      pads.push_back(padded ? pick(0, limit) : 0);
      pads.push_back(padded ? pick(0, limit) : 0);
    }
    ExpectMirrorPadSameAsReference(t, shape, pads, mode, rng);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// NHWC images padded on H and W only (the usual reflection padding of a conv layer), large enough
// for the 2 threads to split the rows; batch 1 and 3.
TEST(FastMirrorPad, ImagesSameAsReference) {
  std::mt19937 rng(29);
  for (int mode : {0, 1}) {
    ExpectMirrorPadSameAsReference(DType::kFloat32, {3, 28, 28, 8}, {0, 0, 2, 2, 2, 2, 0, 0},
                                   mode, rng);
    ExpectMirrorPadSameAsReference(DType::kFloat32, {1, 130, 129, 32}, {0, 0, 3, 1, 1, 3, 0, 0},
                                   mode, rng);
    ExpectMirrorPadSameAsReference(DType::kInt8, {2, 64, 64, 3}, {0, 0, 1, 1, 1, 1, 0, 0}, mode,
                                   rng);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace cae::testing
