// The int8 models our converter writes for the Edge TPU (uint8 I/O) plan 100% on the TPU: the
// seed CAE, the Keras-blog CAE and a U-Net with Conv2DTranspose + Concatenate skips + BatchNorm.
#include <gtest/gtest.h>

#include "data/dataset.h"
#include "edgetpu/planner.h"
#include "keras/keras_import.h"
#include "quant/convert.h"
#include "support/fixtures.h"

namespace cae::edgetpu {
namespace {

using testing::SharedPath;

void ExpectFullyMapped(const std::string& keras_file) {
  CAE_REQUIRE_FILE(keras_file);
  const std::string mnist = SharedPath("fixtures/mnist/t10k-images-idx3-ubyte.gz");
  CAE_REQUIRE_FILE(mnist);
  LoadOptions lo;
  lo.limit = 20;
  lo.channels = 1;
  const TensorData calib = LoadData(mnist, lo);
  const Model float_model = LowerKerasModel(LoadKerasModel(keras_file));
  quant::ConvertOptions o;
  o.quant = quant::QuantMode::kInt8;
  o.io = quant::IoType::kUInt8;
  const Model m = quant::ConvertModel(float_model, o, &calib);
  const ModelPlan plan = PlanModel(m);
  EXPECT_GT(plan.total, 0);
  EXPECT_EQ(plan.mapped, plan.total) << FormatPlan(plan);
  EXPECT_EQ(plan.tpu_subgraphs, 1);
  // uint8 I/O leaves no float edges for the CPU.
  for (const OpPlan& p : plan.ops) EXPECT_TRUE(p.on_tpu) << p.op << ": " << p.reason;
}

TEST(ConvertedModelsPlan, SeedCaeMapsEntirely) {
  ExpectFullyMapped(SharedPath("fixtures/anchors/cae12785_fmnist.h5"));
}

TEST(ConvertedModelsPlan, KerasBlogCaeMapsEntirely) {
  ExpectFullyMapped(SharedPath("fixtures/keras/MilesWQ__conv_autoencoder.h5"));
}

TEST(ConvertedModelsPlan, UnetWithTransposeConvAndSkipsMapsEntirely) {
  ExpectFullyMapped(SharedPath("fixtures/keras/hiwony7933__unet_mnist.h5"));
}

}  // namespace
}  // namespace cae::edgetpu
