// Keras's weight and activity regularizers for the trainer: L1, L2 and L1L2, whose penalty on
// values x is l1 * sum|x| + l2 * sum x^2 (Keras's definition). Weight penalties are added to the
// loss once per step; activity penalties (on a layer's output) are divided by the batch size, as
// tf.keras does. Weight constraints (kernel_constraint, ...) are not supported: a layer that sets
// one is rejected rather than trained without it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace cae::train {

struct Regularizer {
  float l1 = 0.0f, l2 = 0.0f;
  // l1 * sum|x| + l2 * sum x^2 over n values (in double).
  double Penalty(const float* x, int64_t n) const;
  // g[i] += scale * (l1 * sign(x[i]) + 2 * l2 * x[i]).
  void AddGradient(const float* x, int64_t n, float scale, float* g) const;
};

// The regularizer of a layer config entry such as "kernel_regularizer": none when the key is
// absent or null; L1 / L2 / L1L2 in the Keras 2 and Keras 3 serializations. Throws naming the
// layer for other regularizer classes or malformed entries.
std::optional<Regularizer> ParseRegularizer(const nlohmann::json& config, const std::string& key,
                                            const std::string& layer);

// The Keras config key prefix of a weight: "kernel" -> "kernel", "depthwise_kernel" ->
// "depthwise", "pointwise_kernel" -> "pointwise" (so "<prefix>_regularizer", "<prefix>_constraint").
std::string WeightConfigPrefix(const std::string& keras_weight_name);

// Throws naming the layer when config sets `key` (a weight constraint) to anything but null.
void RejectConstraint(const nlohmann::json& config, const std::string& key,
                      const std::string& layer);

}  // namespace cae::train
