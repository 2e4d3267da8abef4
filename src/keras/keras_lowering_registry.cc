// Keras class name -> lowering function.
#include <string_view>
#include <utility>

#include "keras/keras_lowering.h"

namespace cae::keras_lowering {

LayerLowering FindLayerLowering(const std::string& class_name) {
  static constexpr std::pair<std::string_view, LayerLowering> kTable[] = {
      {"Conv2D", LowerConv2D},
      {"Convolution2D", LowerConv2D},
      {"Conv2DTranspose", LowerConv2DTranspose},
      {"Convolution2DTranspose", LowerConv2DTranspose},
      {"DepthwiseConv2D", LowerDepthwiseConv2D},
      {"SeparableConv2D", LowerSeparableConv2D},
      {"Dense", LowerDense},
      {"MaxPooling2D", LowerMaxPooling2D},
      {"MaxPool2D", LowerMaxPooling2D},
      {"AveragePooling2D", LowerAveragePooling2D},
      {"AvgPool2D", LowerAveragePooling2D},
      {"GlobalAveragePooling2D", LowerGlobalAveragePooling2D},
      {"GlobalAvgPool2D", LowerGlobalAveragePooling2D},
      {"GlobalMaxPooling2D", LowerGlobalMaxPooling2D},
      {"GlobalMaxPool2D", LowerGlobalMaxPooling2D},
      {"UpSampling2D", LowerUpSampling2D},
      {"ZeroPadding2D", LowerZeroPadding2D},
      {"Cropping2D", LowerCropping2D},
      {"Flatten", LowerFlatten},
      {"Reshape", LowerReshape},
      {"Concatenate", LowerConcatenate},
      {"Add", LowerAdd},
      {"Subtract", LowerSubtract},
      {"Multiply", LowerMultiply},
      {"Average", LowerAverage},
      {"Maximum", LowerMaximum},
      {"Minimum", LowerMinimum},
      {"BatchNormalization", LowerBatchNormalization},
      {"Conv1D", LowerConv1D},
      {"Convolution1D", LowerConv1D},
      {"MaxPooling1D", LowerMaxPooling1D},
      {"MaxPool1D", LowerMaxPooling1D},
      {"AveragePooling1D", LowerAveragePooling1D},
      {"AvgPool1D", LowerAveragePooling1D},
      {"GlobalAveragePooling1D", LowerGlobalAveragePooling1D},
      {"GlobalAvgPool1D", LowerGlobalAveragePooling1D},
      {"GlobalMaxPooling1D", LowerGlobalMaxPooling1D},
      {"GlobalMaxPool1D", LowerGlobalMaxPooling1D},
      {"UpSampling1D", LowerUpSampling1D},
      {"Rescaling", LowerRescaling},
      {"Dropout", LowerIdentity},
      {"SpatialDropout2D", LowerIdentity},
      {"GaussianNoise", LowerIdentity},
      {"GaussianDropout", LowerIdentity},
      {"AlphaDropout", LowerIdentity},
      {"ActivityRegularization", LowerIdentity},
      {"Activation", LowerActivation},
      {"ReLU", LowerReLU},
      {"LeakyReLU", LowerLeakyReLU},
      {"PReLU", LowerPReLU},
      {"ELU", LowerELU},
      {"Softmax", LowerSoftmax},
  };
  for (const auto& [name, fn] : kTable) {
    if (name == class_name) return fn;
  }
  return nullptr;
}

}  // namespace cae::keras_lowering
