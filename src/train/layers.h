// The Keras layers the trainer can train, created from their Keras configs.
#pragma once

#include <memory>
#include <utility>

#include "keras/keras_model.h"
#include "train/layer.h"

namespace cae::train {

// A Layer for a KerasLayer's class and config (weights are loaded separately). Supported:
// Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, Dense, MaxPooling2D,
// AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, UpSampling2D (nearest, bilinear),
// ZeroPadding2D, Cropping2D, BatchNormalization, Dropout, SpatialDropout2D, GaussianNoise,
// GaussianDropout, AlphaDropout, ActivityRegularization, Activation, ReLU, LeakyReLU, PReLU, ELU,
// Softmax, Rescaling, Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, Flatten,
// Reshape (and the Keras aliases MaxPool2D, AvgPool2D, GlobalAvgPool2D, GlobalMaxPool2D), and the
// 1-D layers on [N, steps, C] inputs: Conv1D, MaxPooling1D, AveragePooling1D, UpSampling1D,
// GlobalAveragePooling1D, GlobalMaxPooling1D (and their aliases Convolution1D, MaxPool1D,
// AvgPool1D, GlobalAvgPool1D, GlobalMaxPool1D).
// Anything else throws cae::Error naming the layer and its class.
std::unique_ptr<Layer> MakeLayer(const KerasLayer& kl);

// Config readers shared by the layer files: an int pair from `key` (a number or a 2-list),
// "same"/"valid" padding, the activation name (string or Keras 3 serialized object).
std::pair<int, int> ConfigPair(const nlohmann::json& config, const char* key, int fallback,
                               const std::string& layer);
bool ConfigSamePadding(const nlohmann::json& config, const std::string& layer);
std::string ConfigActivation(const nlohmann::json& config, const std::string& layer);
// Requires data_format to be absent or "channels_last".
void RequireChannelsLast(const nlohmann::json& config, const std::string& layer);
// An int from `key` of a 1-D layer's config: a number or a 1-list (Keras writes (3,)).
int ConfigSingle(const nlohmann::json& config, const char* key, int fallback,
                 const std::string& layer);
// Requires the layer's inputs to have Keras rank `rank` (3 for the 1-D layers, 4 for the 2-D
// ones) when the Net has set in_ranks; throws naming the layer and the shape it expected.
void RequireInputRank(const Layer& layer, int rank);

// Factories, one per layer file.
std::unique_ptr<Layer> MakeConv2D(const KerasLayer& kl);
std::unique_ptr<Layer> MakeConv2DTranspose(const KerasLayer& kl);
std::unique_ptr<Layer> MakeDepthwiseConv2D(const KerasLayer& kl);
std::unique_ptr<Layer> MakeDense(const KerasLayer& kl);
std::unique_ptr<Layer> MakePool(const KerasLayer& kl, bool max);
std::unique_ptr<Layer> MakeUpSampling2D(const KerasLayer& kl);
std::unique_ptr<Layer> MakeBatchNorm(const KerasLayer& kl);
std::unique_ptr<Layer> MakeDropout(const KerasLayer& kl);
std::unique_ptr<Layer> MakeActivationLayer(const KerasLayer& kl);
std::unique_ptr<Layer> MakeConcatenate(const KerasLayer& kl);
std::unique_ptr<Layer> MakeFlatten(const KerasLayer& kl);
std::unique_ptr<Layer> MakeReshape(const KerasLayer& kl);
std::unique_ptr<Layer> MakeSeparableConv2D(const KerasLayer& kl);
std::unique_ptr<Layer> MakeGlobalPool(const KerasLayer& kl, bool max);
std::unique_ptr<Layer> MakeZeroPadding2D(const KerasLayer& kl);
std::unique_ptr<Layer> MakeCropping2D(const KerasLayer& kl);
std::unique_ptr<Layer> MakeMerge(const KerasLayer& kl);  // Add, Subtract, Multiply, Average, Max, Min
std::unique_ptr<Layer> MakeRescaling(const KerasLayer& kl);
// GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization.
std::unique_ptr<Layer> MakeNoiseLayer(const KerasLayer& kl);
std::unique_ptr<Layer> MakePReLU(const KerasLayer& kl);

}  // namespace cae::train
