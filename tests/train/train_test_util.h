// Test helpers of the trainer's suites: random values, the finite-difference gradient checks of
// every trainable param and of a layer's inputs, a chain model builder, the trainer against the
// importer + interpreter, weight round trips and expected Net errors.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "graph/error.h"
#include "keras/keras_builders.h"
#include "keras/keras_import.h"
#include "kernels/parallel.h"
#include "runtime/interpreter.h"
#include "train/layer.h"
#include "train/net.h"
#include "train/trainer.h"

namespace cae::train {

inline std::vector<float> RandomValues(size_t n, uint64_t seed, float lo = -1.0f,
                                       float hi = 1.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * UnitFloat(Mix(seed, i, 7));
  return v;
}

// L = sum(output * r) + the Net's regularization penalties: dL/doutput = r.
inline double Objective(Net& net, const RunContext& ctx, const std::vector<float>& x, int n,
                 const std::vector<float>& r) {
  net.Forward(ctx, x.data(), n);
  double l = net.RegularizationLoss();
  for (size_t i = 0; i < r.size(); ++i) l += static_cast<double>(net.output()[i]) * r[i];
  return l;
}

// Every trainable param element's analytic gradient against central differences, with the
// EXPECTs; returns the number of mismatches.
inline int CheckGradients(const KerasModel& km, int n, bool training, ThreadPool* pool = nullptr,
                   float h = 1e-4f) {
  Net net(km, 42);
  RunContext ctx{pool, training, 1234};
  const std::vector<float> x = RandomValues(static_cast<size_t>(n * net.input_dims().size()), 1);
  net.Forward(ctx, x.data(), n);
  const std::vector<float> r = RandomValues(net.output().size(), 2);
  net.Backward(ctx, r);
  int checked = 0, bad = 0;
  std::string first_bad;
  for (Layer* layer : net.layers()) {
    for (Param& p : layer->params) {
      if (!p.trainable) continue;
      const std::vector<float> analytic = p.grad;
      for (size_t i = 0; i < p.value.size(); ++i) {
        const float saved = p.value[i];
        p.value[i] = saved + h;
        const double up = Objective(net, ctx, x, n, r);
        p.value[i] = saved - h;
        const double down = Objective(net, ctx, x, n, r);
        p.value[i] = saved;
        const double numeric = (up - down) / (2.0 * h);
        const double tol = 2e-2 * std::max(1.0, std::abs(numeric)) + 2e-3;
        ++checked;
        if (std::abs(numeric - analytic[i]) > tol) {
          if (bad++ == 0)
            first_bad = layer->name + "/" + p.keras_name + "[" + std::to_string(i) + "]: numeric " +
                        std::to_string(numeric) + " analytic " + std::to_string(analytic[i]);
        }
      }
    }
  }
  EXPECT_GT(checked, 0);
  // ReLU/max kinks may flip under a perturbation: allow a tiny fraction of mismatches.
  EXPECT_LE(bad, checked / 100) << bad << " of " << checked << " mismatched; first " << first_bad;
  return bad;
}

// dL/din of one layer of a built Net against central differences of L = sum(out * r), for
// every element of every input (the layer's own Forward/Backward, inputs U(-1, 1)); returns the
// number of mismatches, with the EXPECTs. Layers with kinks (max, ReLU) may flip under a
// perturbation: a tiny fraction of mismatches is allowed.
inline int CheckLayerInputGradients(Layer& layer, int n, bool training, float h = 1e-3f) {
  RunContext ctx{nullptr, training, 99};
  std::vector<std::vector<float>> x;
  std::vector<const float*> in;
  for (size_t i = 0; i < layer.in_dims.size(); ++i) {
    x.push_back(RandomValues(static_cast<size_t>(n * layer.in_dims[i].size()), 11 + i));
    in.push_back(x.back().data());
  }
  const size_t out_size = static_cast<size_t>(n * layer.out_dims.size());
  std::vector<float> out(out_size);
  const std::vector<float> r = RandomValues(out_size, 12);
  auto objective = [&]() {
    layer.Forward(ctx, n, in, out.data());
    double l = 0.0;
    for (size_t i = 0; i < out_size; ++i) l += static_cast<double>(out[i]) * r[i];
    return l;
  };
  objective();
  std::vector<std::vector<float>> dx;
  std::vector<float*> din;
  for (const auto& v : x) dx.emplace_back(v.size(), 0.0f);
  for (auto& v : dx) din.push_back(v.data());
  std::vector<float> dout = r;
  layer.Backward(ctx, n, in, out.data(), dout.data(), din);
  int checked = 0, bad = 0;
  std::string first_bad;
  for (size_t k = 0; k < x.size(); ++k) {
    for (size_t i = 0; i < x[k].size(); ++i) {
      const float saved = x[k][i];
      x[k][i] = saved + h;
      const double up = objective();
      x[k][i] = saved - h;
      const double down = objective();
      x[k][i] = saved;
      const double numeric = (up - down) / (2.0 * h);
      ++checked;
      if (std::abs(numeric - dx[k][i]) > 2e-2 * std::max(1.0, std::abs(numeric)) + 2e-3) {
        if (bad++ == 0)
          first_bad = layer.name + " input " + std::to_string(k) + "[" + std::to_string(i) +
                      "]: numeric " + std::to_string(numeric) + " analytic " +
                      std::to_string(dx[k][i]);
      }
    }
  }
  EXPECT_GT(checked, 0);
  EXPECT_LE(bad, checked / 100) << bad << " of " << checked << " mismatched; first " << first_bad;
  return bad;
}

// A Keras 2 Conv1D config (kernel_size, strides and dilation_rate written as 1-lists).
inline nlohmann::json Conv1DConfig(int filters, int kernel, const std::string& activation,
                                   const std::string& padding = "valid", int stride = 1,
                                   int dilation = 1) {
  return {{"filters", filters},       {"kernel_size", {kernel}},
          {"strides", {stride}},      {"padding", padding},
          {"data_format", "channels_last"}, {"dilation_rate", {dilation}},
          {"activation", activation}, {"use_bias", true}};
}

// input (h, w, c), (steps, c) or (d) -> 1x1 Conv2D / 1-wide Conv1D / Dense (linear) "pre" ->
// layers... ("pre" has weights, so CheckGradients also covers the later layers' input gradients).
inline KerasModel Chain(std::vector<int> shape,
                        const std::vector<std::pair<std::string, nlohmann::json>>& layers) {
  KerasModelBuilder b("test");
  std::string x = b.Input(shape);
  if (shape.size() == 3)
    x = b.Add("Conv2D", Conv2DConfig(shape[2], 1, "linear"), {x}, "pre");
  else if (shape.size() == 2)
    x = b.Add("Conv1D", Conv1DConfig(shape[1], 1, "linear"), {x}, "pre");
  else
    x = b.Add("Dense", DenseConfig(shape[0], "linear"), {x}, "pre");
  for (const auto& [cls, cfg] : layers) x = b.Add(cls, cfg, {x});
  return b.Finish(x);
}

// n samples of per-sample shape `shape`, values U(-1, 1).
inline TensorData RandomTensor(int n, const std::vector<int>& shape) {
  std::vector<int32_t> s{n};
  s.insert(s.end(), shape.begin(), shape.end());
  TensorData t(DType::kFloat32, s);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.as<float>()[i] = 2 * UnitFloat(Mix(9, i, 3)) - 1;
  return t;
}

// Random weights (every param U(-1, 1)) through the trainer, then Trainer::Predict (inference
// mode) against the importer + interpreter on the same weights: the same shape, the same values.
inline void ExpectTrainerMatchesInterpreter(KerasModel km, int n,
                                            const std::vector<int>& input_shape) {
  TrainOptions o;
  o.epochs = 0;
  Trainer t(km, o, nullptr);
  uint64_t seed = 100;
  for (Param* p : t.net().params()) {
    p->value = RandomValues(p->value.size(), ++seed);
    if (p->keras_name == "moving_variance")  // a variance: positive
      for (float& v : p->value) v = std::abs(v) + 0.1f;
  }
  t.StoreWeights(km);
  const TensorData x = RandomTensor(n, input_shape);
  const TensorData mine = t.Predict(x);
  Interpreter interp(LowerKerasModel(km));
  const std::vector<TensorData> ran = interp.Run({x});
  ASSERT_EQ(ran.size(), 1u);
  const std::string what = km.layers.back().name + " (" + km.layers.back().class_name + ")";
  ASSERT_EQ(ran[0].shape, mine.shape) << what;
  float worst = 0.0f;
  for (int64_t i = 0; i < mine.num_elements(); ++i)
    worst = std::max(worst, std::abs(ran[0].as<float>()[i] - mine.as<float>()[i]));
  EXPECT_LE(worst, 1e-5f) << what;
}

// Building a Net of km throws a cae::Error whose message contains `expected`.
inline void ExpectNetError(const KerasModel& km, const std::string& expected) {
  try {
    Net net(km, 1);
    ADD_FAILURE() << "no error; expected one containing '" << expected << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

// LoadKerasWeights then StoreKerasWeights gives back the same Keras arrays.
// The layer is the model's last of class cls.
inline void ExpectWeightRoundTrip(KerasModel km, const std::string& cls,
                           const std::vector<std::pair<std::string, std::vector<int32_t>>>& want) {
  KerasLayer* l = nullptr;
  for (KerasLayer& kl : km.layers)
    if (kl.class_name == cls) l = &kl;
  ASSERT_NE(l, nullptr);
  uint64_t seed = 300;
  for (const auto& [name, shape] : want) {
    int64_t count = 1;
    for (int32_t d : shape) count *= d;
    l->weights.push_back({name, shape, RandomValues(static_cast<size_t>(count), ++seed)});
  }
  const std::vector<KerasWeight> original = l->weights;
  Net net(km, 1);
  for (KerasLayer& kl : km.layers) kl.weights.clear();
  net.StoreWeights(km);
  ASSERT_EQ(l->weights.size(), original.size());
  for (size_t i = 0; i < original.size(); ++i) {
    EXPECT_EQ(l->weights[i].name, original[i].name);
    EXPECT_EQ(l->weights[i].shape, original[i].shape) << original[i].name;
    EXPECT_EQ(l->weights[i].values, original[i].values) << original[i].name;
  }
}

}  // namespace cae::train
