// Whole models through the fast kernels: every op output identical to the reference kernels'
// (int8 convolutions and max pools are bit-exact by design), on real quantized models and on the
// converted-from-TFLite float path. Catches real quantization parameters the synthetic cases miss.
#include <gtest/gtest.h>

#include "quant_oracle_util.h"
#include "support/fixtures.h"
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

}  // namespace
}  // namespace cae::testing
