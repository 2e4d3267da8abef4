// The weight gradient of a batch equals the sum of the per-sample gradients (the objective is a sum
// over samples), for batch sizes that split unevenly into the layers' sample chunks and with
// threads. Finite differences are too coarse to see a chunking error of a few percent; this is not.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "keras/keras_builders.h"
#include "kernels/parallel.h"
#include "train/layer.h"
#include "train/net.h"

namespace cae::train {
namespace {

std::vector<float> RandomValues(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = UnitFloat(Mix(seed, i, 11));
  return v;
}

std::vector<std::vector<float>> Grads(Net& net) {
  std::vector<std::vector<float>> g;
  for (Param* p : net.params()) g.push_back(p->grad);
  return g;
}

// training=false for BatchNorm models: batch statistics couple the samples.
void ExpectBatchGradIsSumOfSampleGrads(const KerasModel& km, int n, ThreadPool* pool,
                                       bool training = true) {
  Net net(km, 3);
  RunContext ctx{pool, training, 0};
  const int64_t in = net.input_dims().size(), out = net.output_dims().size();
  const std::vector<float> x = RandomValues(static_cast<size_t>(n * in), 1);
  const std::vector<float> r = RandomValues(static_cast<size_t>(n * out), 2);
  net.Forward(ctx, x.data(), n);
  net.Backward(ctx, r);
  const std::vector<std::vector<float>> batch = Grads(net);
  std::vector<std::vector<float>> sum = batch;
  for (auto& g : sum) std::fill(g.begin(), g.end(), 0.0f);
  for (int s = 0; s < n; ++s) {
    net.Forward(ctx, x.data() + s * in, 1);
    net.Backward(ctx, std::vector<float>(r.begin() + s * out, r.begin() + (s + 1) * out));
    const std::vector<std::vector<float>> one = Grads(net);
    for (size_t k = 0; k < sum.size(); ++k)
      for (size_t i = 0; i < sum[k].size(); ++i) sum[k][i] += one[k][i];
  }
  for (size_t k = 0; k < sum.size(); ++k) {
    double scale = 0.0;
    for (float v : sum[k]) scale = std::max(scale, static_cast<double>(std::abs(v)));
    for (size_t i = 0; i < sum[k].size(); ++i)
      ASSERT_NEAR(batch[k][i], sum[k][i], 1e-4 * scale + 1e-6)
          << "param " << k << " (" << net.params()[k]->keras_name << ") element " << i
          << ", batch " << n;
  }
}

TEST(BatchGradient, CaeBatchEqualsSumOfSamples) {
  const KerasModel km = BuildCae(12, 12, 1, {4, 3, 2});
  ThreadPool pool(2);
  for (int n : {2, 17, 37}) ExpectBatchGradIsSumOfSampleGrads(km, n, &pool);
  ExpectBatchGradIsSumOfSampleGrads(km, 23, nullptr);
}

TEST(BatchGradient, UnetBatchEqualsSumOfSamples) {
  UnetOptions o;
  o.height = o.width = 8;
  o.depth = 2;
  o.base_filters = 2;
  ThreadPool pool(2);
  ExpectBatchGradIsSumOfSampleGrads(BuildUnet(o), 19, &pool, false);
}

}  // namespace
}  // namespace cae::train
