// Keras weight and activity regularizers in the trainer: parsing of the Keras 2 and Keras 3
// serializations, the penalty Keras adds to the loss, its gradients against finite differences,
// and a clear error for weight constraints (which the trainer does not apply).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "graph/error.h"
#include "keras/keras_builders.h"
#include "train/layer.h"
#include "train/net.h"
#include "train/regularizer.h"
#include "train/trainer.h"

namespace cae::train {
namespace {

using json = nlohmann::json;

TEST(Regularizer, ParsesKeras2AndKeras3Forms) {
  const json c = {
      {"tf", {{"class_name", "L2"}, {"config", {{"l2", 0.25}}}}},
      {"k224", {{"class_name", "L1L2"}, {"config", {{"l1", 0.5}, {"l2", 0.0}}}}},
      {"k3", {{"module", "keras.regularizers"}, {"class_name", "L1"}, {"config", {{"l1", 0.125}}},
              {"registered_name", nullptr}}},
      {"none", nullptr},
      {"zero", {{"class_name", "L1L2"}, {"config", {{"l1", 0.0}, {"l2", 0.0}}}}}};
  auto tf = ParseRegularizer(c, "tf", "d");
  ASSERT_TRUE(tf);
  EXPECT_EQ(tf->l1, 0.0f);
  EXPECT_EQ(tf->l2, 0.25f);
  auto k224 = ParseRegularizer(c, "k224", "d");
  ASSERT_TRUE(k224);
  EXPECT_EQ(k224->l1, 0.5f);
  auto k3 = ParseRegularizer(c, "k3", "d");
  ASSERT_TRUE(k3);
  EXPECT_EQ(k3->l1, 0.125f);
  EXPECT_FALSE(ParseRegularizer(c, "none", "d"));
  EXPECT_FALSE(ParseRegularizer(c, "zero", "d"));
  EXPECT_FALSE(ParseRegularizer(c, "absent", "d"));
}

TEST(Regularizer, PenaltyIsKerasDefinition) {
  const std::vector<float> w{0.5f, -2.0f, 0.0f, 1.0f};
  const Regularizer r{0.1f, 0.01f};
  // 0.1 * (0.5 + 2 + 0 + 1) + 0.01 * (0.25 + 4 + 0 + 1)
  EXPECT_NEAR(r.Penalty(w.data(), 4), 0.35 + 0.0525, 1e-7);
  std::vector<float> g(4, 1.0f);
  r.AddGradient(w.data(), 4, 2.0f, g.data());
  EXPECT_FLOAT_EQ(g[0], 1.0f + 2.0f * (0.1f + 0.02f * 0.5f));
  EXPECT_FLOAT_EQ(g[1], 1.0f + 2.0f * (-0.1f + 0.02f * -2.0f));
  EXPECT_FLOAT_EQ(g[2], 1.0f);
}

TEST(Regularizer, UnsupportedFormsFailNamingTheLayer) {
  const json c = {
      {"orth", {{"class_name", "OrthogonalRegularizer"}, {"config", {{"factor", 0.01}}}}},
      {"neg", {{"class_name", "L2"}, {"config", {{"l2", -1.0}}}}},
      {"str", "l2"}};
  for (const char* key : {"orth", "neg", "str"}) {
    try {
      ParseRegularizer(c, key, "enc");
      ADD_FAILURE() << key << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("layer 'enc'"), std::string::npos) << e.what();
    }
  }
}

json L1L2(double l1, double l2) {
  return {{"class_name", "L1L2"}, {"config", {{"l1", l1}, {"l2", l2}}}};
}

// input 5x4x2 -> Conv2D (kernel L1L2, activity L2) -> Flatten -> Dense (bias L1, activity L1).
KerasModel RegularizedModel(bool regularized) {
  KerasModelBuilder b("reg");
  std::string x = b.Input({5, 4, 2});
  json conv = Conv2DConfig(3, 3, "tanh");
  json dense = DenseConfig(4, "linear");
  if (regularized) {
    conv["kernel_regularizer"] = L1L2(0.01, 0.05);
    conv["activity_regularizer"] = L1L2(0.0, 0.02);
    dense["bias_regularizer"] = L1L2(0.03, 0.0);
    dense["activity_regularizer"] = L1L2(0.04, 0.0);
  }
  x = b.Add("Conv2D", conv, {x}, "conv");
  x = b.Add("Flatten", json::object(), {x}, "flat");
  x = b.Add("Dense", dense, {x}, "dense");
  return b.Finish(x);
}

std::vector<float> Values(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = 2.0f * UnitFloat(Mix(seed, i, 5)) - 1.0f;
  return v;
}

// L = sum(output * r) + RegularizationLoss(): Backward's grads against central differences.
TEST(Regularizer, GradientsIncludeThePenalties) {
  Net net(RegularizedModel(true), 3);
  ASSERT_TRUE(net.has_regularizers());
  const int n = 3;
  RunContext ctx{nullptr, true, 77};
  // Nonzero biases, so that the bias L1 term has a defined gradient.
  for (Layer* l : net.layers())
    for (Param& p : l->params)
      if (p.keras_name == "bias") p.value = Values(p.value.size(), 11);
  const std::vector<float> x = Values(static_cast<size_t>(n * net.input_dims().size()), 1);
  net.Forward(ctx, x.data(), n);
  const std::vector<float> r = Values(net.output().size(), 2);
  auto objective = [&] {
    net.Forward(ctx, x.data(), n);
    double l = net.RegularizationLoss();
    for (size_t i = 0; i < r.size(); ++i) l += static_cast<double>(net.output()[i]) * r[i];
    return l;
  };
  const double base = objective();
  net.Backward(ctx, r);
  int checked = 0, bad = 0;
  std::string first_bad;
  const float h = 1e-3f;
  for (Layer* layer : net.layers()) {
    for (Param& p : layer->params) {
      const std::vector<float> analytic = p.grad;
      for (size_t i = 0; i < p.value.size(); ++i) {
        const float saved = p.value[i];
        p.value[i] = saved + h;
        const double up = objective();
        p.value[i] = saved - h;
        const double down = objective();
        p.value[i] = saved;
        const double numeric = (up - down) / (2.0 * h);
        ++checked;
        if (std::abs(numeric - analytic[i]) > 2e-3 * std::max(1.0, std::abs(numeric)) + 1e-3 &&
            bad++ == 0)
          first_bad = layer->name + "/" + p.keras_name + "[" + std::to_string(i) + "] numeric " +
                      std::to_string(numeric) + " analytic " + std::to_string(analytic[i]);
      }
    }
  }
  EXPECT_GT(base, 0.0);
  EXPECT_GT(checked, 50);
  // L1 kinks (an activation crossing 0 under the perturbation) may flip a rare element.
  EXPECT_LE(bad, checked / 100) << bad << " of " << checked << "; first " << first_bad;
}

// The same weights with and without regularizers: Evaluate differs by exactly the penalties
// (weights: once per sample; activities: summed over samples), as Keras's evaluate reports.
TEST(Regularizer, ReportedLossIncludesThePenalties) {
  TrainOptions o;
  o.epochs = 0;
  KerasModel plain_model = RegularizedModel(false);
  Trainer plain(plain_model, o, nullptr);
  plain.StoreWeights(plain_model);
  KerasModel reg_model = RegularizedModel(true);
  for (size_t i = 0; i < reg_model.layers.size(); ++i) reg_model.layers[i].weights = plain_model.layers[i].weights;
  Trainer reg(reg_model, o, nullptr);
  const int n = 7;
  TensorData x(DType::kFloat32, {n, 5, 4, 2});
  const std::vector<float> xv = Values(static_cast<size_t>(x.num_elements()), 4);
  std::copy(xv.begin(), xv.end(), x.as<float>());
  TensorData y(DType::kFloat32, {n, 4});
  const std::vector<float> yv = Values(static_cast<size_t>(y.num_elements()), 6);
  std::copy(yv.begin(), yv.end(), y.as<float>());
  const double base = plain.Evaluate(x, y, n);
  const double with = reg.Evaluate(x, y, n);
  reg.net().Forward(RunContext{nullptr, false, 0}, x.as<float>(), n);
  const double penalty = reg.net().RegularizationLoss();
  EXPECT_GT(penalty, 0.0);
  EXPECT_NEAR(with - base, penalty, 1e-6 * std::max(1.0, penalty));
  // Batches of 2 give the same mean (activity penalties are per batch / batch size).
  EXPECT_NEAR(reg.Evaluate(x, y, 2), with, 1e-6);
}

TEST(Regularizer, WeightConstraintsAreRejected) {
  KerasModelBuilder b("con");
  std::string x = b.Input({4});
  json dense = DenseConfig(3, "relu");
  dense["kernel_constraint"] = {{"class_name", "MaxNorm"}, {"config", {{"max_value", 2}, {"axis", 0}}}};
  x = b.Add("Dense", dense, {x}, "enc");
  const KerasModel km = b.Finish(x);
  try {
    Net net(km, 1);
    ADD_FAILURE() << "a kernel_constraint was accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("layer 'enc'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("kernel_constraint"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace cae::train
