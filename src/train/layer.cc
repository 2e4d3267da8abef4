#include "train/layer.h"

#include <algorithm>
#include <cmath>

#include "graph/error.h"
#include "graph/graph.h"
#include "graph/shape.h"
#include "kernels/parallel.h"

namespace cae::train {

std::string DimsToString(const Dims& d) {
  if (d.h == 1 && d.w == 1) return StrCat(d.c);
  return StrCat(d.h, "x", d.w, "x", d.c);
}

void Layer::LoadKerasWeights(const std::vector<KerasWeight>& w) {
  Check(w.empty(), "layer '", name, "' (", class_name, "): expected no weights, got ", w.size());
}

std::vector<KerasWeight> Layer::StoreKerasWeights() const { return {}; }

int SampleChunks(int n) { return std::clamp(n, 1, 16); }

void ForSampleChunks(const RunContext& ctx, int n,
                     const std::function<void(int, int, int)>& fn) {
  const int chunks = SampleChunks(n);
  ParallelFor(ctx.pool, chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const int begin = static_cast<int>(static_cast<int64_t>(n) * c / chunks);
      const int end = static_cast<int>(static_cast<int64_t>(n) * (c + 1) / chunks);
      fn(static_cast<int>(c), begin, end);
    }
  });
}

void ForRange(const RunContext& ctx, int64_t count, int64_t min_chunk,
              const std::function<void(int64_t, int64_t)>& fn) {
  ParallelFor(ctx.pool, count, min_chunk, fn);
}

void AddBiasGrad(const float* dz, int channels, int64_t pixels, float* gb) {
  for (int c = 0; c < channels; ++c) {
    float acc = 0.0f;
    for (int64_t p = 0; p < pixels; ++p) acc += dz[c * pixels + p];
    gb[c] += acc;
  }
}

void PartialGrads::AddTo(std::vector<float>& grad) const {
  const size_t chunks = size_ == 0 ? 0 : data_.size() / size_;
  for (size_t c = 0; c < chunks; ++c) {
    const float* p = data_.data() + c * size_;
    for (size_t i = 0; i < size_; ++i) grad[i] += p[i];
  }
}

Act ParseActivation(const std::string& name, const std::string& layer) {
  if (name == "linear" || name.empty()) return Act::kLinear;
  if (name == "relu") return Act::kRelu;
  if (name == "relu6") return Act::kRelu6;
  if (name == "sigmoid") return Act::kSigmoid;
  if (name == "tanh") return Act::kTanh;
  if (name == "softmax") return Act::kSoftmax;
  if (name == "elu") return Act::kElu;
  if (name == "leaky_relu") return Act::kLeakyRelu;
  Fail("layer '", layer, "': activation '", name,
       "' is not supported by the trainer (linear, relu, relu6, sigmoid, tanh, softmax, elu, "
       "leaky_relu)");
}

float DefaultActivationAlpha(Act act) {
  if (act == Act::kElu) return 1.0f;
  if (act == Act::kLeakyRelu) return 0.2f;
  return 0.0f;
}

void ApplyActivation(Act act, float alpha, float* x, int channels, int64_t pixels) {
  const int64_t count = channels * pixels;
  switch (act) {
    case Act::kLinear:
      return;
    case Act::kRelu:
      for (int64_t i = 0; i < count; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
      return;
    case Act::kRelu6:
      for (int64_t i = 0; i < count; ++i) x[i] = std::min(std::max(x[i], 0.0f), 6.0f);
      return;
    case Act::kSigmoid:
      for (int64_t i = 0; i < count; ++i) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
      return;
    case Act::kTanh:
      for (int64_t i = 0; i < count; ++i) x[i] = std::tanh(x[i]);
      return;
    case Act::kLeakyRelu:
      for (int64_t i = 0; i < count; ++i) x[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
      return;
    case Act::kElu:
      for (int64_t i = 0; i < count; ++i) x[i] = x[i] > 0.0f ? x[i] : alpha * std::expm1(x[i]);
      return;
    case Act::kSoftmax:
      for (int64_t p = 0; p < pixels; ++p) {
        float m = x[p];
        for (int c = 1; c < channels; ++c) m = std::max(m, x[c * pixels + p]);
        float sum = 0.0f;
        for (int c = 0; c < channels; ++c) {
          float& v = x[c * pixels + p];
          v = std::exp(v - m);
          sum += v;
        }
        const float inv = 1.0f / sum;
        for (int c = 0; c < channels; ++c) x[c * pixels + p] *= inv;
      }
      return;
  }
}

void ActivationBackward(Act act, float alpha, const float* y, float* dy, int channels,
                        int64_t pixels) {
  const int64_t count = channels * pixels;
  switch (act) {
    case Act::kLinear:
      return;
    case Act::kRelu:
      for (int64_t i = 0; i < count; ++i) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
      return;
    case Act::kRelu6:
      for (int64_t i = 0; i < count; ++i) dy[i] = (y[i] > 0.0f && y[i] < 6.0f) ? dy[i] : 0.0f;
      return;
    case Act::kSigmoid:
      for (int64_t i = 0; i < count; ++i) dy[i] *= y[i] * (1.0f - y[i]);
      return;
    case Act::kTanh:
      for (int64_t i = 0; i < count; ++i) dy[i] *= 1.0f - y[i] * y[i];
      return;
    case Act::kLeakyRelu:
      for (int64_t i = 0; i < count; ++i) dy[i] = y[i] > 0.0f ? dy[i] : alpha * dy[i];
      return;
    case Act::kElu:
      for (int64_t i = 0; i < count; ++i) dy[i] = y[i] > 0.0f ? dy[i] : dy[i] * (y[i] + alpha);
      return;
    case Act::kSoftmax:
      for (int64_t p = 0; p < pixels; ++p) {
        float dot = 0.0f;
        for (int c = 0; c < channels; ++c) dot += dy[c * pixels + p] * y[c * pixels + p];
        for (int c = 0; c < channels; ++c) {
          dy[c * pixels + p] = y[c * pixels + p] * (dy[c * pixels + p] - dot);
        }
      }
      return;
  }
}

const KerasWeight& FindWeight(const std::vector<KerasWeight>& w, size_t index,
                              const std::string& expected_name, const std::vector<int32_t>& shape,
                              const std::string& layer) {
  Check(index < w.size(), "layer '", layer, "': missing weight ", index, " (", expected_name,
        "), the layer has ", w.size());
  const KerasWeight& kw = w[index];
  Check(kw.shape == shape, "layer '", layer, "': weight '", kw.name, "' has shape ",
        ShapeToString(kw.shape), ", expected ", ShapeToString(shape), " (", expected_name, ")");
  Check(static_cast<int64_t>(kw.values.size()) == NumElements(shape), "layer '", layer,
        "': weight '", kw.name, "' holds ", kw.values.size(), " values for shape ",
        ShapeToString(shape));
  return kw;
}

uint64_t Mix(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull ^
               (c + 0x85EBCA77C2B2AE63ull) * 0x94D049BB133111EBull;
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

float StandardNormal(uint64_t seed, uint64_t salt, uint64_t index) {
  const float u1 = std::max(UnitFloat(Mix(seed, salt, index * 2 + 1)), 1e-7f);
  const float u2 = UnitFloat(Mix(seed, salt, index * 2 + 2));
  return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
}

void GlorotUniform(std::vector<float>& v, int64_t fan_in, int64_t fan_out, uint64_t seed) {
  const float limit = std::sqrt(6.0f / static_cast<float>(std::max<int64_t>(1, fan_in + fan_out)));
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = (2.0f * UnitFloat(Mix(seed, i, 0x61)) - 1.0f) * limit;
  }
}

}  // namespace cae::train
