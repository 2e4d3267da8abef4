// The trainer's layer contract. The trainer works layer by layer on a KerasModel: every Keras layer
// it can train becomes one Layer with a forward pass, a backward pass and its weights.
//
// Internal layout: activations are stored per sample channels-major (C, H, W); a batch is n such
// blocks back to back. Dense-style vectors are (C, 1, 1); 1-D sequences [steps, C] are
// (C, 1, steps), so a 1-D layer is its 2-D form along the width. Layers convert Keras weights
// (HWIO, ...) to whatever layout their kernels want on load, and back on store.
//
// Determinism: every layer splits a batch into SampleChunks(n) fixed chunks (a function of n only),
// keeps one partial weight gradient per chunk and sums them in chunk order, so results do not
// depend on the number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keras/keras_model.h"

namespace cae {
class ThreadPool;
}

namespace cae::train {

struct Dims {
  int c = 0, h = 1, w = 1;
  int64_t size() const { return static_cast<int64_t>(c) * h * w; }
  int64_t pixels() const { return static_cast<int64_t>(h) * w; }
  bool operator==(const Dims&) const = default;
};
std::string DimsToString(const Dims& d);  // "28x28x1" (H x W x C, as Keras users read shapes)

// One weight array in the layer's internal layout, with its gradient (same size).
struct Param {
  std::string keras_name;  // "kernel", "bias", "gamma", "moving_mean", ...
  std::vector<float> value, grad;
  bool trainable = true;  // false for BatchNorm moving statistics
};

struct RunContext {
  ThreadPool* pool = nullptr;  // null: run on the calling thread
  bool training = false;       // BatchNorm batch statistics, Dropout masks
  uint64_t step_seed = 0;      // varies per training step: Dropout masks derive from it
  bool center_inputs = false;  // training: the Net measures input means (input_centering.h)
};

// Where kernel element (co, ci, t) of a layer y = W x + b sits in its params[0]:
// co * co_stride + ci * ci_stride + t * tap_stride; the bias is params[1].
struct BiasedKernelLayout {
  int cout = 0, cin = 0, taps = 1;
  int64_t co_stride = 0, ci_stride = 0, tap_stride = 0;
};

class Layer {
 public:
  virtual ~Layer() = default;

  // Validates the input dims, creates the params (zero-sized values are filled by Initialize or
  // LoadKerasWeights) and returns the output dims. Throws cae::Error naming the layer.
  virtual Dims Setup(const std::vector<Dims>& in) = 0;
  // The Keras rank of the output (with the batch axis), valid after Setup: the input's rank
  // unless the layer changes it (Flatten, Reshape, global pooling). 0 when in_ranks is unset.
  virtual int OutputRank() const { return in_ranks.empty() ? 0 : in_ranks[0]; }
  // Default Keras initialization (Glorot-uniform kernels, zero biases, BatchNorm 1/0/0/1).
  virtual void Initialize(uint64_t seed) { (void)seed; }
  // Converts Keras-order weights into params; throws on count or shape mismatch.
  virtual void LoadKerasWeights(const std::vector<KerasWeight>& w);
  // The params as Keras weights (Keras layout and order).
  virtual std::vector<KerasWeight> StoreKerasWeights() const;

  // out = f(in) for n samples.
  virtual void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
                       float* out) = 0;
  // Given dL/dout (dout, which the layer may overwrite), ADDS dL/din to each non-null din[i] and
  // ADDS dL/dparam to each trainable param's grad. in/out are the values of the last Forward.
  virtual void Backward(const RunContext& ctx, int n, const std::vector<const float*>& in,
                        const float* out, float* dout, const std::vector<float*>& din) = 0;

  // For a layer y = W x + b over its input's channels (Conv2D, Conv1D, Dense with a bias): its
  // kernel layout, which lets the Net step it in input-centered coordinates
  // (train/input_centering.h). nullopt for other layers.
  virtual std::optional<BiasedKernelLayout> CenteringLayout() const { return std::nullopt; }

  std::string name;
  std::string class_name;
  std::vector<Dims> in_dims;
  // The Keras ranks of the inputs with the batch axis (2: [N, D] as C x 1 x 1, 3: [N, steps, C]
  // as C x 1 x steps, 4: [N, H, W, C]); set by Net before Setup. Empty for a layer built alone:
  // layers then read a 1 x 1 input as flat and any other as an image.
  std::vector<int> in_ranks;
  Dims out_dims;
  std::vector<Param> params;
};

// Number of fixed sample chunks a batch of n is split into (depends on n only).
int SampleChunks(int n);
// Runs fn(chunk, begin, end) over the SampleChunks(n) chunks of [0, n), in parallel on ctx.pool.
void ForSampleChunks(const RunContext& ctx, int n,
                     const std::function<void(int chunk, int begin, int end)>& fn);
// Runs fn(begin, end) over [0, count) in parallel; fn must write disjoint outputs.
void ForRange(const RunContext& ctx, int64_t count, int64_t min_chunk,
              const std::function<void(int64_t, int64_t)>& fn);

// Per-chunk partial gradients of one param, reduced in chunk order into the param's grad.
class PartialGrads {
 public:
  PartialGrads(int chunks, size_t size) : size_(size), data_(static_cast<size_t>(chunks) * size) {}
  float* chunk(int c) { return data_.data() + static_cast<size_t>(c) * size_; }
  void AddTo(std::vector<float>& grad) const;

 private:
  size_t size_;
  std::vector<float> data_;
};

// Activation functions fused into Conv2D/Dense or standing alone (Activation, ReLU, Softmax).
enum class Act { kLinear, kRelu, kRelu6, kSigmoid, kTanh, kSoftmax, kLeakyRelu, kElu };
// Parses a Keras activation name; throws naming the layer for unsupported ones.
Act ParseActivation(const std::string& name, const std::string& layer);
// Keras's alpha of an activation given by name (activation="elu" / "leaky_relu" on a layer, or
// an Activation layer): 1 for elu, 0.2 for leaky_relu (Keras 3's negative_slope), 0 otherwise.
float DefaultActivationAlpha(Act act);
// Applies act in place to one sample of `channels` x `pixels` values (softmax runs over channels).
void ApplyActivation(Act act, float alpha, float* x, int channels, int64_t pixels);
// dz = dy * act'(.) computed from the activation's output y, in place in dy.
void ActivationBackward(Act act, float alpha, const float* y, float* dy, int channels,
                        int64_t pixels);

// gb[c] += the sum of dz over channel c's pixels (a bias gradient), one sample, channels-major.
void AddBiasGrad(const float* dz, int channels, int64_t pixels, float* gb);

// Weight helpers for layers.
const KerasWeight& FindWeight(const std::vector<KerasWeight>& w, size_t index,
                              const std::string& expected_name, const std::vector<int32_t>& shape,
                              const std::string& layer);
// Glorot-uniform values: U(-l, l), l = sqrt(6 / (fan_in + fan_out)), from a seeded generator.
void GlorotUniform(std::vector<float>& v, int64_t fan_in, int64_t fan_out, uint64_t seed);
// A stateless hash of (a, b, c): the trainer's counter-based random numbers.
uint64_t Mix(uint64_t a, uint64_t b, uint64_t c);
// A uniform float in [0, 1) from a 64-bit hash.
inline float UnitFloat(uint64_t h) { return static_cast<float>(h >> 40) * (1.0f / 16777216.0f); }
// A standard normal value for (seed, salt, index) from two counter-based uniforms (Box-Muller):
// the trainer's input noise and the GaussianNoise / GaussianDropout layers.
float StandardNormal(uint64_t seed, uint64_t salt, uint64_t index);

}  // namespace cae::train
