// Whole models through the fast kernels: every op output identical to the reference kernels'
// (int8 convolutions and max pools are bit-exact by design), on real quantized models and on the
// converted-from-TFLite float path. Catches real quantization parameters the synthetic cases miss.
#include <gtest/gtest.h>

#include "quant_oracle_util.h"
#include "support/fixtures.h"
#include "graph/error.h"
#include "keras/keras_import.h"
#include "tflite/reader.h"

namespace cae::testing {
namespace {

// Every op's first output, in op order.
std::vector<std::vector<uint8_t>> OpOutputs(const Model& m, const std::vector<TensorData>& in,
                                            bool reference, int threads) {
  InterpreterOptions o;
  o.reference_kernels = reference;
  o.threads = threads;
  Interpreter interp(m, o);
  std::vector<std::vector<uint8_t>> outs(m.main().ops.size());
  interp.Run(in, [&](int op_index, const std::vector<TensorView*>& views) {
    if (views.empty() || views[0] == nullptr) return;
    const TensorView& v = *views[0];
    const auto* p = static_cast<const uint8_t*>(v.data);
    outs[static_cast<size_t>(op_index)].assign(p, p + v.num_elements() * DTypeSize(v.type));
  });
  return outs;
}

void ExpectSameAsReference(const std::string& relative) {
  const std::string path = SharedPath(relative);
  CAE_REQUIRE_FILE(path);
  const Model m = ReadTflite(path);
  const auto in = RandomInputs(m, 42);
  const auto ref = OpOutputs(m, in, true, 1);
  const auto fast = OpOutputs(m, in, false, 2);
  ASSERT_EQ(ref.size(), fast.size());
  ASSERT_FALSE(ref.empty());
  ASSERT_FALSE(ref.back().empty()) << "the observer saw no output";
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_EQ(fast[i], ref[i]) << relative << ": op " << i << " ("
                               << OpTypeName(m.main().ops[i].type) << ") differs";
}

TEST(FastModels, MobilenetV2PtqSameAsReferenceHeavy) {
  ExpectSameAsReference("fixtures/coral/tf2_mobilenet_v2_1.0_224_ptq.tflite");
}

TEST(FastModels, MobilenetV1Uint8SameAsReference) {
  ExpectSameAsReference("fixtures/coral/mobilenet_v1_0.25_128_quant.tflite");
}

TEST(FastModels, DeeplabV3SameAsReferenceHeavy) {
  ExpectSameAsReference("fixtures/coral/deeplabv3_mnv2_dm05_pascal_quant.tflite");
}

// Float Keras models (the CAE anchor, U-Nets with Conv2DTranspose / Concatenate / BatchNorm as
// MUL+ADD, Dense autoencoders), batch 3, 2 threads: every op's output within 1e-4 of the largest
// value of the reference output (float summation order differs and compounds over the layers).
TEST(FastModels, FloatKerasModelsCloseToReference) {
  const char* models[] = {"fixtures/anchors/cae12785_fmnist.h5",
                          "fixtures/keras/MilesWQ__conv_autoencoder.h5",
                          "fixtures/keras/Harshit-Chabria__autoencoder.keras",
                          "fixtures/keras/hiwony7933__unet_mnist.h5",
                          "fixtures/keras/Qusai1201_Denoising_mnist__autoencoder.h5",
                          "fixtures/keras/ML3ARN__autoencoder.h5",
                          "fixtures/keras/zxzhaixiang__autoencoder_mnist.h5"};
  for (const char* relative : models) {
    SCOPED_TRACE(relative);
    const std::string path = SharedPath(relative);
    CAE_REQUIRE_FILE(path);
    const Model m = LowerKerasModel(LoadKerasModel(path));
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<TensorData> in;
    for (int t : m.main().inputs) {
      std::vector<int32_t> shape = m.main().tensors[static_cast<size_t>(t)].shape;
      shape[0] = 3;
      TensorData d(DType::kFloat32, shape);
      for (int64_t i = 0; i < d.num_elements(); ++i) d.as<float>()[i] = u(rng);
      in.push_back(std::move(d));
    }
    const auto ref = OpOutputs(m, in, true, 1);
    const auto fast = OpOutputs(m, in, false, 2);
    ASSERT_EQ(ref.size(), fast.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      SCOPED_TRACE(cae::StrCat("op ", i, " (", OpTypeName(m.main().ops[i].type), ")"));
      ASSERT_EQ(ref[i].size(), fast[i].size());
      if (m.main().tensors[static_cast<size_t>(m.main().ops[i].outputs[0])].type !=
          DType::kFloat32) {
        EXPECT_EQ(fast[i], ref[i]);
        continue;
      }
      const size_t n = ref[i].size() / 4;
      std::vector<float> r(n), f(n);
      std::memcpy(r.data(), ref[i].data(), n * 4);
      std::memcpy(f.data(), fast[i].data(), n * 4);
      float peak = 0.0f;
      for (float v : r) peak = std::max(peak, std::abs(v));
      for (size_t k = 0; k < n; ++k)
        ASSERT_NEAR(f[k], r[k], 1e-4 * std::max(peak, 1e-6f)) << "element " << k;
    }
  }
}

}  // namespace
}  // namespace cae::testing
