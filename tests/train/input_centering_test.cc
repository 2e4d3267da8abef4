// Input centering (train/input_centering.h) against its definition: training a layer on inputs x
// with centering must take the same steps as plain training of the same layer on the centered
// inputs x - m, whose bias is the centered coordinate c = b + W m. Checked for Conv2D ("valid", so
// that x - m is exactly the centered layer's input) and Dense, with Adam, over several steps on a
// batch whose channel means do not change (the whole data set is one batch). Each model has a
// second layer after the checked one: the layers making the output take plain steps (net.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "keras/keras_builders.h"
#include "train/trainer.h"
#include "train_test_util.h"

namespace cae::train {
namespace {

struct Case {
  KerasModel model;     // a linear layer with a bias, then the output layer; weights set
  TensorData x, y;      // inputs [N, ..., C] and targets
};

// Channel means of NHWC-ordered data (the last axis is the channel).
std::vector<double> ChannelMeans(const TensorData& x) {
  const int64_t channels = x.shape.back();
  std::vector<double> mean(static_cast<size_t>(channels), 0.0);
  const int64_t count = x.num_elements() / channels;
  for (int64_t i = 0; i < x.num_elements(); ++i) mean[i % channels] += x.as<float>()[i];
  for (double& m : mean) m /= static_cast<double>(count);
  return mean;
}

TensorData Centered(const TensorData& x, const std::vector<double>& mean) {
  TensorData out = x;
  const int64_t channels = x.shape.back();
  for (int64_t i = 0; i < x.num_elements(); ++i)
    out.as<float>()[i] = static_cast<float>(x.as<float>()[i] - mean[i % channels]);
  return out;
}

// W m per output: the kernel is [..., cin, cout] (HWIO or Dense's [In, U]).
std::vector<double> KernelTimesMean(const KerasWeight& kernel, const std::vector<double>& mean) {
  const int64_t cout = kernel.shape.back(), cin = kernel.shape[kernel.shape.size() - 2];
  std::vector<double> out(static_cast<size_t>(cout), 0.0);
  for (size_t i = 0; i < kernel.values.size(); ++i) {
    const int64_t co = static_cast<int64_t>(i) % cout, ci = (static_cast<int64_t>(i) / cout) % cin;
    out[co] += kernel.values[i] * mean[ci];
  }
  return out;
}

// Trains `centered` with centering on x and `plain` without it on x - m, from the same function,
// and checks the weights stay related by c = b + W m after every epoch (one Adam step each).
void ExpectCenteredStepsEqualPlainStepsOnCenteredData(const Case& c) {
  const std::vector<double> mean = ChannelMeans(c.x);
  for (double m : mean) ASSERT_GT(std::abs(m), 0.1) << "the test needs inputs that are not centered";
  KerasModel centered = c.model, plain = c.model;
  {
    const std::vector<double> wm = KernelTimesMean(plain.layers[1].weights[0], mean);
    std::vector<float>& bias = plain.layers[1].weights[1].values;
    for (size_t co = 0; co < bias.size(); ++co) bias[co] = static_cast<float>(bias[co] + wm[co]);
  }
  const TensorData xc = Centered(c.x, mean);
  ASSERT_EQ(c.model.layers.size(), 3u);
  TrainOptions o;
  o.epochs = 1;
  o.batch_size = static_cast<int>(c.x.shape[0]);
  o.center_inputs = true;
  Trainer a(centered, o, nullptr);
  o.center_inputs = false;
  Trainer b(plain, o, nullptr);
  for (int step = 1; step <= 6; ++step) {
    a.Fit(c.x, c.y, nullptr, nullptr);
    b.Fit(xc, c.y, nullptr, nullptr);
    a.StoreWeights(centered);
    b.StoreWeights(plain);
    const KerasWeight& wa = centered.layers[1].weights[0];
    const KerasWeight& wb = plain.layers[1].weights[0];
    double moved = 0.0;
    for (size_t i = 0; i < wa.values.size(); ++i) {
      ASSERT_NEAR(wa.values[i], wb.values[i], 2e-5) << "kernel element " << i << ", step " << step;
      moved = std::max(moved, std::abs(static_cast<double>(wa.values[i]) - c.model.layers[1].weights[0].values[i]));
    }
    EXPECT_GT(moved, 1e-4 * step) << "the kernel should move";
    const std::vector<double> wm = KernelTimesMean(wb, mean);
    const std::vector<float>& ba = centered.layers[1].weights[1].values;
    const std::vector<float>& bb = plain.layers[1].weights[1].values;
    for (size_t co = 0; co < ba.size(); ++co)
      ASSERT_NEAR(ba[co], bb[co] - wm[co], 2e-5) << "bias " << co << ", step " << step;
    // The output layer sees the same inputs in both and steps plainly in both.
    for (size_t k = 0; k < 2; ++k)
      for (size_t i = 0; i < centered.layers[2].weights[k].values.size(); ++i)
        ASSERT_NEAR(centered.layers[2].weights[k].values[i], plain.layers[2].weights[k].values[i], 2e-5)
            << "output layer weight " << k << "[" << i << "], step " << step;
  }
}

// A model of one layer, its weights initialized, with inputs in [0.5, 1.5) per channel shifted
// differently, and targets the layer's output shape.
Case MakeCase(KerasModel km, std::vector<int32_t> x_shape, uint64_t seed) {
  {
    Trainer init(km, TrainOptions{}, nullptr);
    init.StoreWeights(km);
  }
  Case c{km, TensorData(DType::kFloat32, x_shape), {}};
  const int64_t channels = x_shape.back();
  for (int64_t i = 0; i < c.x.num_elements(); ++i)
    c.x.as<float>()[i] = 0.5f + UnitFloat(Mix(seed, i, 1)) + 0.25f * static_cast<float>(i % channels);
  Net net(km, 1);
  net.Forward(RunContext{}, c.x.as<float>(), static_cast<int>(x_shape[0]));
  std::vector<int32_t> y_shape = net.output_shape();
  y_shape.insert(y_shape.begin(), x_shape[0]);
  c.y = TensorData(DType::kFloat32, y_shape);
  for (int64_t i = 0; i < c.y.num_elements(); ++i) c.y.as<float>()[i] = UnitFloat(Mix(seed, i, 2));
  return c;
}

// c.model trained with centering and without (same options otherwise), and each one's loss
// before its first step.
struct WithAndWithout {
  KerasModel with, without;
  double loss_before_with = 0, loss_before_without = 0;
};
WithAndWithout TrainWithAndWithout(const Case& c, int epochs, int batch_size) {
  TrainOptions o;
  o.epochs = epochs;
  o.batch_size = batch_size;
  WithAndWithout r{c.model, c.model};
  Trainer a(r.with, o, nullptr);
  o.center_inputs = false;
  Trainer p(r.without, o, nullptr);
  r.loss_before_with = a.Evaluate(c.x, c.y);
  r.loss_before_without = p.Evaluate(c.x, c.y);
  a.Fit(c.x, c.y, nullptr, nullptr);
  p.Fit(c.x, c.y, nullptr, nullptr);
  a.StoreWeights(r.with);
  p.StoreWeights(r.without);
  return r;
}

TEST(InputCentering, Conv2DStepsAreThePlainStepsOfTheCenteredLayer) {
  KerasModelBuilder b("conv");
  std::string x = b.Input({6, 7, 3});
  x = b.Add("Conv2D", Conv2DConfig(4, 3, "linear", "valid"), {x});
  x = b.Add("Conv2D", Conv2DConfig(2, 1, "linear"), {x});
  ExpectCenteredStepsEqualPlainStepsOnCenteredData(MakeCase(b.Finish(x), {5, 6, 7, 3}, 11));
}

TEST(InputCentering, DenseStepsAreThePlainStepsOfTheCenteredLayer) {
  KerasModelBuilder b("dense");
  std::string x = b.Input({6});
  x = b.Add("Dense", DenseConfig(4, "linear"), {x});
  x = b.Add("Dense", DenseConfig(3, "linear"), {x});
  ExpectCenteredStepsEqualPlainStepsOnCenteredData(MakeCase(b.Finish(x), {9, 6}, 12));
}

// The layers that make the output, found back through layers without params (here Activation
// and Reshape), take plain steps: a model of one such layer trains bit-identically either way.
TEST(InputCentering, OutputLayersTakePlainSteps) {
  KerasModelBuilder b("out");
  std::string x = b.Input({6});
  x = b.Add("Dense", DenseConfig(4, "linear"), {x});
  x = b.Add("Activation", {{"activation", "sigmoid"}}, {x});
  x = b.Add("Reshape", {{"target_shape", {2, 2}}}, {x});
  const Case c = MakeCase(b.Finish(x), {9, 6}, 14);
  const WithAndWithout r = TrainWithAndWithout(c, 3, 4);
  EXPECT_EQ(r.with.layers[1].weights[0].values, r.without.layers[1].weights[0].values);
  EXPECT_EQ(r.with.layers[1].weights[1].values, r.without.layers[1].weights[1].values);
  EXPECT_NE(r.with.layers[1].weights[0].values, c.model.layers[1].weights[0].values);
}

// The forward pass is not changed: with centering or without, the loss before the first step is
// the same, and the first step differs (the centering does something).
TEST(InputCentering, ChangesTheStepsNotTheModel) {
  KerasModelBuilder b("conv");
  std::string x = b.Input({6, 7, 3});
  x = b.Add("Conv2D", Conv2DConfig(4, 3, "linear", "same"), {x});
  x = b.Add("Conv2D", Conv2DConfig(2, 1, "linear"), {x});
  const Case c = MakeCase(b.Finish(x), {5, 6, 7, 3}, 13);
  const WithAndWithout r = TrainWithAndWithout(c, 1, 5);
  EXPECT_EQ(r.loss_before_with, r.loss_before_without);
  EXPECT_NE(r.with.layers[1].weights[1].values, r.without.layers[1].weights[1].values);
}

}  // namespace
}  // namespace cae::train
