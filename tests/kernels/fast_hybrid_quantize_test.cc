// QuantizeBatchesFast against qref::QuantizeBatchesInto (the reference quantizer of the hybrid
// kernels): identical bytes, scales and zero points, on every Highway target, with and without a
// thread pool, on data built to hit exact .5 ties, empty ranges, one-signed data and odd lengths.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/fast/hybrid_quantize_fast.h"
#include "kernels/parallel.h"
#include "kernels/ref/quantized/hybrid_quantize.h"
#include "fast_conv_support.h"

namespace cae {
namespace {

// Batch b of the data: a mix chosen by b (see the cases below).
std::vector<float> MakeBatch(int kind, int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  switch (kind % 6) {
    case 0:  // both signs
      for (float& v : x) v = 3.0f * u(rng);
      break;
    case 1:  // non-negative, as after a ReLU, with zeros
      for (float& v : x) v = std::max(0.0f, u(rng));
      break;
    case 2:  // all zero: empty range
      break;
    case 3:  // negative only
      for (float& v : x) v = -std::fabs(u(rng)) - 0.01f;
      break;
    case 4:  // exact ties: multiples of half a step of the range [-1.27, 1.27] -> scale 0.01
      for (float& v : x) v = static_cast<float>(static_cast<int>(u(rng) * 254.0f)) * 0.005f;
      if (n > 1) {
        x[0] = -1.27f;
        x[1] = 1.27f;
      }
      break;
    default:  // tiny and huge magnitudes
      for (float& v : x) v = u(rng) * (u(rng) > 0 ? 1e-6f : 1e4f);
      break;
  }
  return x;
}

TEST(FastHybridQuantize, SameBytesAsTheReference) {
  ThreadPool pool(2);
  std::mt19937 rng(7);
  int cases = 0;
  for (int64_t per : {1, 3, 7, 16, 17, 64, 100, 1023, 4096}) {
    for (int64_t batches : {1, 2, 5}) {
      for (int round = 0; round < 2; ++round) {
        std::vector<float> data;
        for (int64_t b = 0; b < batches; ++b) {
          const std::vector<float> x = MakeBatch(static_cast<int>(b + round * 3 + per), per, rng);
          data.insert(data.end(), x.begin(), x.end());
        }
        TensorView in;
        in.data = data.data();
        in.type = DType::kFloat32;
        in.shape = {static_cast<int32_t>(batches), static_cast<int32_t>(per)};
        for (bool asymmetric : {false, true}) {
          qref::QuantizedInput expected;
          qref::QuantizeBatchesInto(in, batches, asymmetric, &expected);
          testing::ForEveryHwyTarget([&] {
            for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
              qref::QuantizedInput got;
              fast::QuantizeBatchesFast(in, batches, asymmetric, &got, p);
              ASSERT_EQ(got.q, expected.q) << "per " << per << " batches " << batches
                                           << (asymmetric ? " asymmetric" : " symmetric");
              ASSERT_EQ(got.scale, expected.scale);
              ASSERT_EQ(got.offset, expected.offset);
            }
          });
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, 9 * 3 * 2 * 2);
}

}  // namespace
}  // namespace cae
