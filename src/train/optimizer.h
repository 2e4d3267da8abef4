// Optimizers updating Params from their grads, with Keras's update rules and defaults:
// Adam (beta_1 0.9, beta_2 0.999, epsilon 1e-7, bias correction folded into the step size) and
// SGD (optional momentum). Only trainable params are updated.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/layer.h"

namespace cae::train {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update of every trainable param from its grad.
  virtual void Step(const std::vector<Param*>& params) = 0;
  // Keras's optimizer_config for training_config: {"class_name": ..., "config": {...}}.
  virtual nlohmann::json KerasConfig() const = 0;
  // A copy with the same state (moments, step count): training continued from a snapshot.
  virtual std::unique_ptr<Optimizer> Clone() const = 0;
};

// "adam" or "sgd"; throws for others or for a learning rate that is not positive and finite.
std::unique_ptr<Optimizer> MakeOptimizer(const std::string& name, float learning_rate,
                                         float momentum = 0.0f);

}  // namespace cae::train
