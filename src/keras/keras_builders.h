// Builders of Keras models in code: a small functional-API builder, and the architectures
// `cae2tpu train` offers (cae, dense-ae, unet). Models come out as KerasModel with Keras 2.2.4
// configs and no weights (the trainer initializes them); SaveKerasH5 writes them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keras/keras_model.h"

namespace cae {

// Functional-API builder: layers are appended in call order, each called once.
class KerasModelBuilder {
 public:
  explicit KerasModelBuilder(std::string model_name);
  // Adds an InputLayer of per-sample shape `shape` (e.g. {28, 28, 1}); returns its name.
  std::string Input(const std::vector<int>& shape, const std::string& name = "input_1");
  // Adds a layer of class_name with config (name and trainable are filled in) called on the
  // named layers; name "" picks Keras's default "<snake_case class>_<k>". Returns the name.
  std::string Add(const std::string& class_name, nlohmann::json config,
                  const std::vector<std::string>& inputs, const std::string& name = "");
  // The model, with the named layer as its output. The builder is left empty.
  KerasModel Finish(const std::string& output);

 private:
  KerasModel model_;
  std::vector<std::pair<std::string, int>> counters_;
};

// Keras 2 layer configs with Keras defaults, for the builders and tests.
nlohmann::json Conv2DConfig(int filters, int kernel, const std::string& activation,
                            const std::string& padding = "same", int stride = 1);
nlohmann::json Conv2DTransposeConfig(int filters, int kernel, int stride,
                                     const std::string& activation, const std::string& padding);
nlohmann::json DenseConfig(int units, const std::string& activation);
nlohmann::json PoolConfig(int size, const std::string& padding);
nlohmann::json UpSamplingConfig(int size);
nlohmann::json BatchNormConfig();

// cae: Conv2D(f0) MaxPool Conv2D(f1) MaxPool Conv2D(f2) MaxPool | Conv2D(f2) Up Conv2D(f1) Up
// Conv2D(f0, valid) Up Conv2D(channels, sigmoid); all 3x3 relu "same" unless noted. The shapes
// only close for inputs with H, W = 8 * ceil(ceil(ceil(x / 2) / 2) / 2) - 4 (e.g. 28);
// others throw. filters {32, 16, 8} on 28x28x1 gives the 12,785-parameter seed model.
KerasModel BuildCae(int height, int width, int channels, const std::vector<int>& filters);

// dense-ae: Flatten, Dense layers `units` (relu) mirrored back up to H*W*C (sigmoid), Reshape.
// units {256, 128, 64, 32} on 28x28x1 gives 784-256-128-64-32-64-128-256-784.
KerasModel BuildDenseAe(int height, int width, int channels, const std::vector<int>& units);

struct UnetOptions {
  int height = 28, width = 28, channels = 1;
  int depth = 2;             // pooling levels; height and width must be divisible by 2^depth
  int base_filters = 16;     // filters at level 0, doubled per level
  int classes = 1;           // 1: sigmoid head; > 1: softmax over classes
  bool transpose_up = true;  // Conv2DTranspose(2x2, stride 2) or UpSampling2D(2) (nearest)
};
// unet: per level two (Conv2D 3x3 + BatchNorm + ReLU) blocks, MaxPool(2); a bottleneck block; per
// level up (transpose conv or nearest upsampling), Concatenate with the skip, two blocks; 1x1
// Conv2D head.
KerasModel BuildUnet(const UnetOptions& options);

}  // namespace cae
