// The training loop: mini-batch gradient descent of a KerasModel's Net on in-memory data, with
// seeded shuffling, optional Gaussian input noise (denoising), validation after every epoch, and a
// clear error when the loss stops being finite.
//
// Determinism: the same model, data, options and seed give bit-identical weights whatever the
// thread count (fixed sample chunks, counter-based random numbers, ordered reductions).
// Memory: the data stays where the caller keeps it; the trainer holds one batch of activations.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graph/tensor_data.h"
#include "keras/keras_model.h"
#include "train/loss.h"
#include "train/net.h"
#include "train/optimizer.h"

namespace cae {
class ThreadPool;
}

namespace cae::train {

struct TrainOptions {
  int epochs = 10;
  int batch_size = 128;
  float learning_rate = 1e-3f;
  std::string optimizer = "adam";  // adam | sgd
  float momentum = 0.0f;           // sgd
  Loss loss = Loss::kMse;
  uint64_t seed = 1;               // weight init, shuffling, noise, dropout
  float noise_stddev = 0.0f;       // > 0: inputs get N(0, sigma^2) noise, clipped to [0, 1]
  bool shuffle = true;
  // Step Conv2D/Conv1D/Dense layers in input-centered coordinates (train/input_centering.h): the
  // same model and loss, a better-conditioned step. false: the plain steps Keras takes.
  bool center_inputs = true;
  // As Keras's fit(initial_epoch=...): epochs are numbered initial_epoch + 1 .. initial_epoch +
  // epochs, in the reports and in the shuffling and noise, which follow the epoch number.
  int initial_epoch = 0;
  // Quantization-aware training (train/qat.h): the Net simulates the int8 model; ranges start
  // from the model's stored ones (KerasModel::qat) when it has them.
  bool qat = false;
  QatOptions qat_options;
};

// What the trainer reports after each batch and each epoch.
struct BatchProgress {
  int epoch = 0, epochs = 0;     // 1-based epoch
  int64_t batch = 0, batches = 0;  // 1-based batch within the epoch
  double mean_loss = 0;          // running mean loss of the epoch so far
  double images_per_second = 0;
  double eta_seconds = 0;        // for the rest of the epoch
};
struct EpochStats {
  int epoch = 0;
  // Losses include the model's regularization penalties, as Keras reports them (net.h).
  double train_loss = 0;         // mean over the epoch's samples (training mode)
  double val_loss = -1;          // mean over the validation set (inference mode); -1 if none
  double seconds = 0;            // training time of the epoch (validation excluded)
  double images_per_second = 0;
};
struct TrainCallbacks {
  std::function<void(const BatchProgress&)> on_batch;
  std::function<void(const EpochStats&)> on_epoch;
};

class Trainer {
 public:
  // Builds the Net of km (weights from km, or initialized from options.seed). pool may be null.
  Trainer(const KerasModel& km, const TrainOptions& options, ThreadPool* pool);

  // Trains on inputs x and targets y (float32, [N, ...] matching the model input/output shapes;
  // y may be the same object as x for reconstruction). val_x/val_y may be null. Throws cae::Error
  // on shape or count mismatches and when the loss becomes NaN/inf (naming epoch and batch).
  std::vector<EpochStats> Fit(const TensorData& x, const TensorData& y, const TensorData* val_x,
                              const TensorData* val_y, const TrainCallbacks& callbacks = {});
  // Mean loss in inference mode (with the regularization penalties, as Keras's evaluate).
  double Evaluate(const TensorData& x, const TensorData& y, int batch_size = 256);
  // Model outputs in the Keras shape of the model's output ([N, D], [N, steps, C] or
  // [N, H, W, C]), inference mode.
  TensorData Predict(const TensorData& x, int batch_size = 256);

  // Writes the trained weights into km (the model the trainer was built from).
  void StoreWeights(KerasModel& km) const { net_->StoreWeights(km); }
  // Keras's training_config for the saved file.
  nlohmann::json TrainingConfig() const;
  Net& net() { return *net_; }
  // The optimizer with its state, to continue from here in another Trainer of the same model
  // (SetOptimizer: its parameter list must match this Net's).
  std::unique_ptr<Optimizer> CloneOptimizer() const { return optimizer_->Clone(); }
  void SetOptimizer(std::unique_ptr<Optimizer> optimizer) { optimizer_ = std::move(optimizer); }

 private:
  // Checks that data fits the per-sample Keras shape (or is the same values in a shape the
  // trainer also takes, see trainer.cc) and returns the sample count.
  int64_t CheckData(const TensorData& t, const std::vector<int32_t>& shape, const char* what) const;
  // Throws naming `what`, the value's index and sample when t holds NaN or infinity.
  void CheckFinite(const TensorData& t, const Dims& dims, const char* what) const;

  TrainOptions options_;
  ThreadPool* pool_;
  std::unique_ptr<Net> net_;
  std::unique_ptr<Optimizer> optimizer_;
  std::string source_;
  uint64_t step_ = 0;
};

}  // namespace cae::train
