// Training losses on a network output in the trainer's layout (n blocks of C x H x W), as Keras
// defines them: mse = mean of squared errors; bce = mean binary cross-entropy on probabilities
// clipped to [1e-7, 1 - 1e-7]; cce = categorical cross-entropy over the channel axis, averaged
// over samples and pixels (targets one-hot or soft, outputs probabilities e.g. from softmax).
#pragma once

#include <string>
#include <vector>

#include "train/layer.h"

namespace cae::train {

enum class Loss { kMse, kBce, kCce };

// "mse" / "bce" / "cce" (and Keras's long names); throws for others.
Loss ParseLoss(const std::string& name);
// Keras's name for training_config: "mean_squared_error", "binary_crossentropy", ...
const char* KerasLossName(Loss loss);

// The sum of per-sample losses over the n samples (so callers can average over any count), and,
// if grad is not null, dL/dy of the MEAN loss over the n samples (resized to y's size).
double LossSum(Loss loss, const float* y, const float* target, const Dims& d, int n,
               std::vector<float>* grad);

}  // namespace cae::train
