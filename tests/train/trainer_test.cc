// The training loop: determinism (seed, thread count), loss going down, bad input, NaN detection,
// save -> import -> interpreter equality, and fine-tuning an imported Keras model.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "data/dataset.h"
#include "graph/error.h"
#include "keras/keras_builders.h"
#include "keras/keras_import.h"
#include "keras/keras_inline.h"
#include "keras/keras_writer.h"
#include "kernels/parallel.h"
#include "runtime/interpreter.h"
#include "support/fixtures.h"
#include "train/trainer.h"

namespace cae::train {
namespace {

using testing::SharedPath;
using testing::TempDir;

// n images of Fashion-MNIST's test set, or skips when the Debian package is absent.
#define LOAD_FMNIST(var, n)                                               \
  CAE_REQUIRE_FILE(std::string(kFashionMnistTestImages));                 \
  const TensorData var = LoadData(kFashionMnistTestImages, LoadOptions{0, 0, 0, n, false})

std::vector<float> AllWeights(const KerasModel& km) {
  std::vector<float> out;
  for (const KerasLayer& l : km.layers)
    for (const KerasWeight& w : l.weights) out.insert(out.end(), w.values.begin(), w.values.end());
  return out;
}

KerasModel TrainSmallCae(const TensorData& x, uint64_t seed, int threads) {
  KerasModel km = BuildCae(28, 28, 1, {8, 4, 4});
  TrainOptions o;
  o.epochs = 1;
  o.batch_size = 16;
  o.seed = seed;
  ThreadPool pool(threads);
  Trainer t(km, o, &pool);
  t.Fit(x, x, nullptr, nullptr);
  t.StoreWeights(km);
  return km;
}

TEST(Trainer, SeedMakesRunsBitIdenticalAcrossThreadCounts) {
  LOAD_FMNIST(x, 96);
  const std::vector<float> a = AllWeights(TrainSmallCae(x, 7, 1));
  const std::vector<float> b = AllWeights(TrainSmallCae(x, 7, 2));
  const std::vector<float> c = AllWeights(TrainSmallCae(x, 7, 3));
  const std::vector<float> d = AllWeights(TrainSmallCae(x, 8, 2));
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(a.data(), c.data(), a.size() * sizeof(float)));
  EXPECT_NE(a, d);
}

TEST(Trainer, ContinuesExactlyFromAWeightsAndOptimizerSnapshot) {
  // Two epochs in one go equal one epoch, then a second Trainer started from the weights, the
  // optimizer's state and initial_epoch 1 (as the demo's QAT branch starts): same bytes.
  LOAD_FMNIST(x, 64);
  for (const char* optimizer : {"adam", "sgd"}) {
    KerasModel whole = BuildCae(28, 28, 1, {4, 4, 4});
    KerasModel half = whole;
    TrainOptions o;
    o.epochs = 2;
    o.batch_size = 16;
    o.optimizer = optimizer;
    o.momentum = 0.5f;
    Trainer a(whole, o, nullptr);
    a.Fit(x, x, nullptr, nullptr);
    a.StoreWeights(whole);
    o.epochs = 1;
    Trainer b(half, o, nullptr);
    b.Fit(x, x, nullptr, nullptr);
    b.StoreWeights(half);
    const KerasModel snapshot = half;
    o.initial_epoch = 1;
    Trainer c(half, o, nullptr);
    c.SetOptimizer(b.CloneOptimizer());
    const std::vector<EpochStats> h = c.Fit(x, x, nullptr, nullptr);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].epoch, 2);
    c.StoreWeights(half);
    EXPECT_EQ(AllWeights(half), AllWeights(whole)) << optimizer;
    // A fresh optimizer (or another epoch's image order) does not continue the same way.
    Trainer d(snapshot, o, nullptr);
    KerasModel fresh = snapshot;
    d.Fit(x, x, nullptr, nullptr);
    d.StoreWeights(fresh);
    EXPECT_NE(AllWeights(fresh), AllWeights(whole)) << optimizer;
  }
}

TEST(Trainer, CaeLossGoesDownHeavy) {
  LOAD_FMNIST(x, 512);
  const KerasModel km = BuildCae(28, 28, 1, {32, 16, 8});
  TrainOptions o;
  o.epochs = 3;
  o.batch_size = 32;
  ThreadPool pool(0);
  Trainer t(km, o, &pool);
  EXPECT_EQ(t.net().ParamCount(), 12785);
  const double before = t.Evaluate(x, x);
  std::vector<int64_t> batches_seen;
  TrainCallbacks cb;
  cb.on_batch = [&](const BatchProgress& p) { batches_seen.push_back(p.batch); };
  const std::vector<EpochStats> h = t.Fit(x, x, &x, &x, cb);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(batches_seen.size(), 3u * 16u);
  EXPECT_LT(h[2].train_loss, h[0].train_loss);
  EXPECT_LT(h[2].val_loss, before * 0.8) << "before " << before;
  EXPECT_GT(h[2].images_per_second, 0.0);
}

TEST(Trainer, DenoisingDenseAeAndSegmentingUnetLearnHeavy) {
  LOAD_FMNIST(x, 256);
  {
    TrainOptions o;
    o.epochs = 3;
    o.batch_size = 32;
    o.noise_stddev = 0.3f;
    Trainer t(BuildDenseAe(28, 28, 1, {64, 32}), o, nullptr);
    const double before = t.Evaluate(x, x);
    t.Fit(x, x, nullptr, nullptr);
    EXPECT_LT(t.Evaluate(x, x), before);
  }
  {
    // Masks: pixels brighter than 0.5, learned with BCE by a small U-Net (transpose and nearest).
    TensorData mask = x;
    for (int64_t i = 0; i < mask.num_elements(); ++i)
      mask.as<float>()[i] = x.as<float>()[i] > 0.5f ? 1.0f : 0.0f;
    for (bool transpose : {true, false}) {
      UnetOptions u;
      u.base_filters = 4;
      u.transpose_up = transpose;
      TrainOptions o;
      o.epochs = 3;
      o.batch_size = 32;
      o.loss = Loss::kBce;
      o.learning_rate = 3e-3f;
      Trainer t(BuildUnet(u), o, nullptr);
      // Training-mode losses: BatchNorm's moving statistics lag behind after so few steps.
      const std::vector<EpochStats> h = t.Fit(x, mask, nullptr, nullptr);
      EXPECT_LT(h.back().train_loss, h.front().train_loss * 0.8) << "transpose " << transpose;
    }
  }
}

TEST(Trainer, RejectsBadInputClearly) {
  const KerasModel km = BuildCae(28, 28, 1, {4, 4, 4});
  Trainer t(km, TrainOptions{}, nullptr);
  TensorData wrong(DType::kFloat32, {4, 32, 32, 1});
  TensorData right(DType::kFloat32, {4, 28, 28, 1});
  TensorData fewer(DType::kFloat32, {3, 28, 28, 1});
  try {
    t.Fit(wrong, wrong, nullptr, nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[4,32,32,1] does not fit"), std::string::npos) << e.what();
  }
  try {
    t.Fit(right, fewer, nullptr, nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3 samples for 4 inputs"), std::string::npos) << e.what();
  }
  TrainOptions bad;
  bad.optimizer = "rmsprop";
  EXPECT_THROW(Trainer(km, bad, nullptr), Error);
}

// A model with a flat input and output (Dense on [None, 12]) trains on images of 2x2x3 (their
// NHWC bytes are the flattened vectors, as Keras users reshape them), the same as on [N, 12]; other
// sizes are still rejected.
TEST(Trainer, FlatModelAcceptsImagesOfTheSameSize) {
  KerasModelBuilder b("flat");
  std::string x = b.Input({12});
  x = b.Add("Dense", DenseConfig(5, "relu"), {x});
  x = b.Add("Dense", DenseConfig(12, "sigmoid"), {x});
  const KerasModel km = b.Finish(x);
  TensorData images(DType::kFloat32, {6, 2, 2, 3}), flat(DType::kFloat32, {6, 12});
  for (int i = 0; i < 72; ++i) images.as<float>()[i] = flat.as<float>()[i] = UnitFloat(Mix(3, i, 0));
  TrainOptions o;
  o.epochs = 2;
  o.batch_size = 4;
  Trainer a(km, o, nullptr), c(km, o, nullptr);
  const std::vector<EpochStats> from_images = a.Fit(images, images, &images, &images);
  const std::vector<EpochStats> from_flat = c.Fit(flat, flat, &flat, &flat);
  ASSERT_EQ(from_images.size(), 2u);
  EXPECT_EQ(from_images[1].train_loss, from_flat[1].train_loss);
  EXPECT_EQ(from_images[1].val_loss, from_flat[1].val_loss);
  TensorData other(DType::kFloat32, {6, 2, 2, 2});
  try {
    a.Fit(other, other, nullptr, nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[6,2,2,2] does not fit the model's 12"),
              std::string::npos) << e.what();
  }
}

// A NaN in one target makes that batch's loss NaN whatever the weights and the summation order
// (a huge learning rate is not a reliable way to get there: saturated sigmoids keep the MSE finite).
// Non-finite data or weights are refused before training, naming what holds them.
TEST(Trainer, NonFiniteDataAndWeightsAreRefused) {
  LOAD_FMNIST(x, 64);
  TensorData y = x;
  y.as<float>()[40 * 28 * 28 + 300] = std::nanf("");
  TrainOptions o;
  o.batch_size = 16;
  Trainer t(BuildDenseAe(28, 28, 1, {16}), o, nullptr);
  try {
    t.Fit(x, y, nullptr, nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("training targets: value 31660 (sample 40) is not finite"), std::string::npos) << m;
  }
  KerasModel km = BuildDenseAe(28, 28, 1, {16});
  {
    Trainer init(km, o, nullptr);
    init.StoreWeights(km);
  }
  km.layers[2].weights[0].values[5] = std::numeric_limits<float>::infinity();
  try {
    Trainer bad(km, o, nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("layer '" + km.layers[2].name + "' weight 'kernel' value 5 is not finite"),
              std::string::npos) << m;
  }
}

// A loss that overflows stops training with the epoch and batch.
TEST(Trainer, NonFiniteLossStopsNamingEpochAndBatch) {
  KerasModelBuilder b("overflow");
  std::string in = b.Input({4});
  std::string out = b.Add("Dense", DenseConfig(4, "linear"), {in}, "head");
  KerasModel km = b.Finish(out);
  km.layers[1].weights = {{"kernel", {4, 4}, std::vector<float>(16, 3e38f)},
                          {"bias", {4}, std::vector<float>(4, 0.0f)}};
  TensorData x(DType::kFloat32, {32, 4});
  for (int64_t i = 0; i < x.num_elements(); ++i) x.as<float>()[i] = 1.0f;
  TrainOptions o;
  o.batch_size = 16;
  o.epochs = 2;
  Trainer t(km, o, nullptr);
  try {
    t.Fit(x, x, nullptr, nullptr);
    FAIL() << "expected divergence";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("training diverged"), std::string::npos) << m;
    EXPECT_NE(m.find("epoch 1, batch 1 of 2"), std::string::npos) << m;
  }
}

// A trained model saved, re-imported and run by the interpreter gives the trainer's outputs.
TEST(Trainer, SavedModelRunsIdenticallyInTheInterpreter) {
  LOAD_FMNIST(x, 64);
  UnetOptions u;
  u.base_filters = 4;
  for (KerasModel km : {BuildCae(28, 28, 1, {32, 16, 8}), BuildDenseAe(28, 28, 1, {32, 16}),
                        BuildUnet(u)}) {
    TrainOptions o;
    o.epochs = 1;
    o.batch_size = 16;
    Trainer t(km, o, nullptr);
    t.Fit(x, x, nullptr, nullptr);
    t.StoreWeights(km);
    TempDir dir;
    SaveKerasH5(km, dir.File("m.h5"), t.TrainingConfig());
    const KerasModel back = LoadKerasModel(dir.File("m.h5"));
    EXPECT_EQ(back.ParamCount(), km.ParamCount());
    Interpreter interp(LowerKerasModel(back));
    const std::vector<TensorData> ran = interp.Run({x});
    const TensorData mine = t.Predict(x);
    ASSERT_EQ(ran.size(), 1u);
    ASSERT_EQ(ran[0].num_elements(), mine.num_elements()) << km.name;
    float worst = 0.0f;
    for (int64_t i = 0; i < mine.num_elements(); ++i)
      worst = std::max(worst, std::abs(ran[0].as<float>()[i] - mine.as<float>()[i]));
    EXPECT_LE(worst, 1e-5f) << km.name << " (" << km.layers.size() << " layers)";
  }
}

TEST(Trainer, FineTunesAnImportedKerasModelHeavy) {
  const std::string model = SharedPath("fixtures/keras/MilesWQ__conv_autoencoder.h5");
  const std::string mnist = SharedPath("fixtures/mnist/t10k-images-idx3-ubyte.gz");
  CAE_REQUIRE_FILE(model);
  CAE_REQUIRE_FILE(mnist);
  KerasModel km = LoadKerasModel(model);
  const TensorData x = LoadData(mnist);
  TrainOptions o;
  o.epochs = 1;
  o.loss = Loss::kBce;
  ThreadPool pool(0);
  Trainer t(km, o, &pool);
  EXPECT_EQ(t.net().ParamCount(), 4385);
  const double before = t.Evaluate(x, x);
  t.Fit(x, x, nullptr, nullptr);
  const double after = t.Evaluate(x, x);
  EXPECT_LT(after, before);
  t.StoreWeights(km);
  TempDir dir;
  SaveKerasH5(km, dir.File("tuned.h5"), t.TrainingConfig());
  EXPECT_EQ(LoadKerasModel(dir.File("tuned.h5")).ParamCount(), 4385);
}

// A model with a nested decoder (ML3ARN, Keras 2.4) trains once flattened: before training the
// trainer computes what the interpreter computes on the nested original, a step lowers the loss,
// and the saved flat model re-imports with every parameter.
TEST(Trainer, FineTunesANestedKerasModelFlattened) {
  const std::string model = SharedPath("fixtures/keras/ML3ARN__autoencoder.h5");
  CAE_REQUIRE_FILE(model);
  LOAD_FMNIST(x, 64);
  const KerasModel nested = LoadKerasModel(model);
  KerasModel km = InlineNestedModels(nested);
  TrainOptions o;
  o.epochs = 2;
  o.batch_size = 16;
  Trainer t(km, o, nullptr);
  EXPECT_EQ(t.net().ParamCount(), nested.ParamCount());
  const TensorData mine = t.Predict(x);
  Interpreter interp(LowerKerasModel(nested));
  const std::vector<TensorData> ran = interp.Run({x});
  ASSERT_EQ(ran[0].num_elements(), mine.num_elements());
  float worst = 0.0f;
  for (int64_t i = 0; i < mine.num_elements(); ++i)
    worst = std::max(worst, std::abs(ran[0].as<float>()[i] - mine.as<float>()[i]));
  EXPECT_LE(worst, 1e-5f);
  const double before = t.Evaluate(x, x);
  t.Fit(x, x, nullptr, nullptr);
  EXPECT_LT(t.Evaluate(x, x), before);
  t.StoreWeights(km);
  TempDir dir;
  SaveKerasH5(km, dir.File("tuned.h5"), t.TrainingConfig());
  EXPECT_EQ(LoadKerasModel(dir.File("tuned.h5")).ParamCount(), nested.ParamCount());
}

}  // namespace
}  // namespace cae::train
