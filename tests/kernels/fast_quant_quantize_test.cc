// kernels/fast QUANTIZE (float32 -> int8/uint8, 8-bit -> 8-bit) and DEQUANTIZE (int8/uint8 ->
// float32) against the reference kernels, byte for byte, on every Highway target this CPU runs
// (AVX-512, AVX2, SSE4, EMU128...): values on and near rounding ties, out of range, infinities,
// NaN, sizes with vector tails, several scales and zero points, 1 and 2 threads.
#include <cmath>
#include <limits>
#include <random>

#include "fast_options.h"
#include "hwy/targets.h"

#include "fast_conv_support.h"
#include "runtime/interpreter.h"

namespace cae::testing {
namespace {

struct EveryTargetGuard {
  ~EveryTargetGuard() { hwy::SetSupportedTargetsForTest(0); }
};

void ExpectSameBytes(const Model& m, const TensorData& input, const std::string& fast_name) {
  EXPECT_EQ(ChosenKernel(m, {}), fast_name);
  Interpreter ref(m, {1, 0, true});
  const std::vector<TensorData> expected = ref.Run({input});
  const EveryTargetGuard guard;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (int threads : {1, 2}) {
      Interpreter fast(m, FastOptions(threads));
      const std::vector<TensorData> got = fast.Run({input});
      ASSERT_EQ(got[0].shape, expected[0].shape);
      ASSERT_EQ(got[0].bytes, expected[0].bytes)
          << hwy::TargetName(target) << ", " << threads << " thread(s)";
    }
  }
}

TEST(FastQuantQuantize, FloatToInt8AndUint8SameAsReference) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  for (DType t : {DType::kInt8, DType::kUInt8}) {
    for (int n : {1, 3, 5, 7, 8, 9, 15, 17, 33, 1000, 40000}) {
      const float scale = std::uniform_real_distribution<float>(0.003f, 0.05f)(rng);
      const int zp = t == DType::kInt8 ? std::uniform_int_distribution<int>(-30, 30)(rng)
                                       : std::uniform_int_distribution<int>(0, 255)(rng);
      SCOPED_TRACE(std::string(DTypeName(t)) + " n=" + std::to_string(n));
      std::vector<float> x(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        switch (i % 7) {
          case 0: x[i] = (std::uniform_int_distribution<int>(-300, 300)(rng) + 0.5f) * scale; break;
          case 1: x[i] = std::uniform_int_distribution<int>(-300, 300)(rng) * 0.5f * scale; break;
          case 2: x[i] = u(rng) * 40; break;
          default: x[i] = u(rng);
        }
      }
      if (n > 20) {
        x[3] = std::numeric_limits<float>::quiet_NaN();
        x[4] = std::numeric_limits<float>::infinity();
        x[5] = -std::numeric_limits<float>::infinity();
        x[6] = -0.0f;
        x[7] = 1e30f;
      }
      std::vector<double> xd(x.begin(), x.end());
      Model m = OneOpModel(OpType::QUANTIZE, OpOptions{}, {I(DType::kFloat32, {1, n}, xd)}, {t});
      Tensor& out = m.main().tensors[static_cast<size_t>(m.main().ops[0].outputs[0])];
      out.quant.scale = {scale};
      out.quant.zero_point = {zp};
      TensorData input(DType::kFloat32, {1, n});
      input.bytes.resize(static_cast<size_t>(n) * 4);
      std::memcpy(input.bytes.data(), x.data(), input.bytes.size());
      ExpectSameBytes(m, input, "fast/q8/quantize");
    }
  }
}

// 8-bit -> 8-bit QUANTIZE (requantization), scale ratios below and above 1 (left shifts).
TEST(FastQuantQuantize, Requantize8BitSameAsReference) {
  std::mt19937 rng(6);
  const std::pair<DType, DType> pairs[] = {{DType::kUInt8, DType::kInt8},
                                           {DType::kInt8, DType::kInt8},
                                           {DType::kInt8, DType::kUInt8},
                                           {DType::kUInt8, DType::kUInt8}};
  for (const auto& [tin, tout] : pairs)
    for (float ratio : {0.013f, 0.37f, 1.0f, 1.9f, 7.3f})
      for (int n : {5, 9, 17, 40000}) {
        SCOPED_TRACE(std::string(DTypeName(tin)) + "->" + std::string(DTypeName(tout)) + " ratio " +
                     std::to_string(ratio) + " n=" + std::to_string(n));
        std::vector<double> q(static_cast<size_t>(n));
        for (double& v : q)
          v = tin == DType::kInt8 ? std::uniform_int_distribution<int>(-128, 127)(rng)
                                  : std::uniform_int_distribution<int>(0, 255)(rng);
        Model m = OneOpModel(OpType::QUANTIZE, OpOptions{}, {I(tin, {1, n}, q)}, {tout});
        Graph& g = m.main();
        const float s_in = 0.02f * ratio;
        g.tensors[static_cast<size_t>(g.ops[0].inputs[0])].quant.scale = {s_in};
        g.tensors[static_cast<size_t>(g.ops[0].inputs[0])].quant.zero_point = {
            tin == DType::kInt8 ? 3 : 128};
        g.tensors[static_cast<size_t>(g.ops[0].outputs[0])].quant.scale = {0.02f};
        g.tensors[static_cast<size_t>(g.ops[0].outputs[0])].quant.zero_point = {
            tout == DType::kInt8 ? -5 : 120};
        TensorData input(tin, {1, n});
        input.bytes = Encode(tin, q);
        ExpectSameBytes(m, input, "fast/q8/quantize");
      }
}

TEST(FastQuantQuantize, Int8AndUint8ToFloatSameAsReference) {
  std::mt19937 rng(4);
  for (DType t : {DType::kInt8, DType::kUInt8}) {
    for (int n : {1, 3, 5, 9, 15, 33, 40000}) {
      SCOPED_TRACE(std::string(DTypeName(t)) + " n=" + std::to_string(n));
      std::vector<double> q(static_cast<size_t>(n));
      for (double& v : q)
        v = t == DType::kInt8 ? std::uniform_int_distribution<int>(-128, 127)(rng)
                              : std::uniform_int_distribution<int>(0, 255)(rng);
      Model m = OneOpModel(OpType::DEQUANTIZE, OpOptions{}, {I(t, {n, 1}, q)}, {DType::kFloat32});
      Tensor& in = m.main().tensors[static_cast<size_t>(m.main().ops[0].inputs[0])];
      in.quant.scale = {std::uniform_real_distribution<float>(0.001f, 0.1f)(rng)};
      in.quant.zero_point = {t == DType::kInt8 ? -7 : 131};
      TensorData input(t, {n, 1});
      input.bytes = Encode(t, q);
      ExpectSameBytes(m, input, "fast/q8/dequantize");
    }
  }
}

}  // namespace
}  // namespace cae::testing
