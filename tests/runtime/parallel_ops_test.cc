// Splitting ops over threads never changes results: real models (uint8 and int8 MobileNets, float
// Keras autoencoders and a U-Net) run with every op sent to the pool (min_parallel_nanos 0) on 2
// and 3 threads give the same bytes as 1 thread, at batch 1 and batch 3; and the automatic
// setting keeps small ops on the calling thread only as a speed matter (same bytes too).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "graph/shape.h"
#include "keras/keras_import.h"
#include "runtime/interpreter.h"
#include "support/fixtures.h"
#include "tflite/reader.h"

namespace cae {
namespace {

using testing::SharedPath;

Model Load(const std::string& path) {
  return LooksLikeKerasFile(path) ? LowerKerasModel(LoadKerasModel(path)) : ReadTflite(path);
}

// Deterministic input bytes for `batch` items of every input (floats in [0, 1)).
std::vector<TensorData> Inputs(const Model& m, int32_t batch) {
  const Graph& g = m.main();
  std::vector<TensorData> inputs;
  for (int t : g.inputs) {
    std::vector<int32_t> shape = g.tensors[t].shape;
    if (!shape.empty()) shape[0] = batch;
    TensorData d(g.tensors[t].type, shape);
    uint32_t x = 12345u + static_cast<uint32_t>(t);
    if (d.type == DType::kFloat32) {
      float* f = reinterpret_cast<float*>(d.bytes.data());
      for (int64_t i = 0; i < NumElements(shape); ++i) {
        x = x * 1664525u + 1013904223u;
        f[i] = static_cast<float>(x >> 8) / 16777216.0f;
      }
    } else {
      for (uint8_t& b : d.bytes) {
        x = x * 1664525u + 1013904223u;
        b = static_cast<uint8_t>(x >> 24);
      }
    }
    inputs.push_back(std::move(d));
  }
  return inputs;
}

void ExpectSameForEveryThreadCount(const std::string& relative) {
  const std::string path = SharedPath(relative);
  CAE_REQUIRE_FILE(path);
  const Model m = Load(path);
  for (int32_t batch : {1, 3}) {
    const std::vector<TensorData> inputs = Inputs(m, batch);
    InterpreterOptions one;
    one.threads = 1;
    const std::vector<TensorData> expected = Interpreter(m, one).Run(inputs);
    for (int threads : {2, 3}) {
      for (int64_t min_nanos : {int64_t{0}, int64_t{-1}}) {
        InterpreterOptions o;
        o.threads = threads;
        o.min_parallel_nanos = min_nanos;
        Interpreter interp(m, o);
        for (int repeat = 0; repeat < 2; ++repeat) {  // the second invoke reuses the arena
          const std::vector<TensorData> got = interp.Run(inputs);
          ASSERT_EQ(got.size(), expected.size());
          for (size_t i = 0; i < got.size(); ++i)
            ASSERT_EQ(got[i].bytes, expected[i].bytes)
                << relative << ": output " << i << ", batch " << batch << ", " << threads
                << " threads, min_parallel_nanos " << min_nanos << ", invoke " << repeat;
        }
      }
    }
  }
}

TEST(ParallelOps, MobilenetV1Uint8) {
  ExpectSameForEveryThreadCount("fixtures/coral/mobilenet_v1_0.25_128_quant.tflite");
}

TEST(ParallelOps, MobilenetV2Int8) {
  ExpectSameForEveryThreadCount("fixtures/coral/tf2_mobilenet_v2_1.0_224_ptq.tflite");
}

TEST(ParallelOps, CaeFloat) {
  ExpectSameForEveryThreadCount("fixtures/anchors/cae12785_fmnist.h5");
}

TEST(ParallelOps, ConvAutoencoderFloat) {
  ExpectSameForEveryThreadCount("fixtures/keras/MilesWQ__conv_autoencoder.h5");
}

TEST(ParallelOps, UnetFloat) {
  ExpectSameForEveryThreadCount("fixtures/keras/hiwony7933__unet_mnist.h5");
}

TEST(ParallelOps, Int8Mnist) {
  ExpectSameForEveryThreadCount("fixtures/edgetpu/nrf20_mnist7.tflite");
}

// The automatic threshold sends big ops to the pool and keeps tiny ones on the caller; an explicit
// 0 sends every op (seen through the results only: the choice must never change them).
TEST(ParallelOps, ExplicitThresholdAccepted) {
  const std::string path = SharedPath("fixtures/anchors/cae12785_fmnist.h5");
  CAE_REQUIRE_FILE(path);
  const Model m = Load(path);
  const std::vector<TensorData> inputs = Inputs(m, 2);
  InterpreterOptions huge;
  huge.threads = 2;
  huge.min_parallel_nanos = int64_t{1} << 40;  // nothing on the pool
  InterpreterOptions all;
  all.threads = 2;
  all.min_parallel_nanos = 0;
  EXPECT_EQ(Interpreter(m, huge).Run(inputs)[0].bytes, Interpreter(m, all).Run(inputs)[0].bytes);
}

}  // namespace
}  // namespace cae
