// kernels/fast int8/uint8 LOGISTIC and TANH (quant_lut.cc) against the reference kernels,
// bit-exact on every Highway target this CPU runs, AVX3_DL (VBMI) included: all 256 input values
// for several input scales and zero points (and TFLite's usual output quantization as well as odd
// ones), and long tensors whose lengths leave every kind of tail (vector and thread chunks);
// 1 and 2 threads.
#define HWY_WANT_AVX3_DL  // also run the AVX3_DL target quant_lut.cc compiles (before hwy headers)

#include <algorithm>
#include <random>
#include <string>

#include "fast_conv_support.h"

namespace cae::testing {
namespace {

struct LutCase {
  OpType op;
  DType type;
  float in_scale;
  int in_zp;
  float out_scale;
  int out_zp;
};

std::vector<LutCase> LutCases() {
  std::vector<LutCase> cases;
  for (DType t : {DType::kInt8, DType::kUInt8}) {
    const bool u8 = t == DType::kUInt8;
    const int mid = u8 ? 128 : 0, low = u8 ? 0 : -128;
    for (OpType op : {OpType::LOGISTIC, OpType::TANH}) {
      // TFLite's output quantization: LOGISTIC 1/256 from the lowest value, TANH 1/128 centered.
      const float out_scale = op == OpType::LOGISTIC ? 1.0f / 256 : 1.0f / 128;
      const int out_zp = op == OpType::LOGISTIC ? low : mid;
      for (float in_scale : {0.0078125f, 0.03f, 0.1f, 0.0123f}) {
        for (int in_zp : {mid, low + 3, mid + 57, low + 255 - 9})
          cases.push_back({op, t, in_scale, in_zp, out_scale, out_zp});
      }
      // Odd output quantizations: rounding ties and clamping at both ends.
      cases.push_back({op, t, 0.05f, mid - 11, 0.0031f, mid + 40});
      cases.push_back({op, t, 0.2f, mid + 3, 0.0101f, low + 7});
    }
  }
  return cases;
}

Model LutModel(const LutCase& c, int64_t n) {
  std::vector<int32_t> shape = {static_cast<int32_t>(n)};
  const std::vector<double> zeros(static_cast<size_t>(n), 0.0);  // values come with the input
  Model m = OneOpModel(c.op, OpOptions{}, {I(c.type, shape, zeros)}, {c.type});
  Graph& g = m.main();
  g.tensors[static_cast<size_t>(g.ops[0].inputs[0])].quant.scale = {c.in_scale};
  g.tensors[static_cast<size_t>(g.ops[0].inputs[0])].quant.zero_point = {c.in_zp};
  g.tensors[static_cast<size_t>(g.ops[0].outputs[0])].quant.scale = {c.out_scale};
  g.tensors[static_cast<size_t>(g.ops[0].outputs[0])].quant.zero_point = {c.out_zp};
  return m;
}

// n bytes: every input value at least once (when n >= 256) in a shuffled order.
TensorData LutInput(DType t, int64_t n, std::mt19937& rng) {
  TensorData input(t, {static_cast<int32_t>(n)});
  input.bytes.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) input.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  std::shuffle(input.bytes.begin(), input.bytes.end(), rng);
  return input;
}

TEST(FastLutQ8, EveryInputValueSameAsReferenceOnEveryTarget) {
  std::mt19937 rng(7);
  for (const LutCase& c : LutCases()) {
    SCOPED_TRACE(StrCat(c.op == OpType::LOGISTIC ? "LOGISTIC " : "TANH ", DTypeName(c.type),
                        " in ", c.in_scale, "/", c.in_zp, " out ", c.out_scale, "/", c.out_zp));
    const Model m = LutModel(c, 256 * 3 + 17);
    EXPECT_EQ(ChosenKernel(m, {}), c.op == OpType::LOGISTIC ? "fast/q8/logistic" : "fast/q8/tanh");
    const TensorData input = LutInput(c.type, 256 * 3 + 17, rng);
    ForEveryHwyTarget([&] { ExpectSameBytesAsReference(m, {input}); });
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// Lengths around the vector widths (16, 32, 64 bytes; 2 vectors per step) and the thread chunks
// (2 threads from 2 x 2^16 elements), a rank-4 tensor like the CAE's last layer.
TEST(FastLutQ8, TailsAndThreadChunksSameAsReferenceOnEveryTarget) {
  std::mt19937 rng(9);
  const LutCase c = {OpType::LOGISTIC, DType::kInt8, 0.04f, 5, 1.0f / 256, -128};
  for (int64_t n : {1, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129, 191, 255, 65537, 131071,
                    131072, 131073, 200003}) {
    SCOPED_TRACE(StrCat(n, " elements"));
    const Model m = LutModel(c, n);
    const TensorData input = LutInput(c.type, n, rng);
    ForEveryHwyTarget([&] { ExpectSameBytesAsReference(m, {input}); });
    if (::testing::Test::HasFatalFailure()) return;
  }
  Model m = OneOpModel(OpType::LOGISTIC, OpOptions{},
                       {I(DType::kUInt8, {3, 28, 28, 1}, std::vector<double>(2352, 0.0))},
                       {DType::kUInt8});
  for (Tensor& t : m.main().tensors) {
    t.quant.scale = {0.06f};
    t.quant.zero_point = {100};
  }
  TensorData input = LutInput(DType::kUInt8, 2352, rng);
  input.shape = {3, 28, 28, 1};
  ForEveryHwyTarget([&] { ExpectSameBytesAsReference(m, {input}); });
}

}  // namespace
}  // namespace cae::testing
