#include <algorithm>
#include "train/layers.h"

#include "graph/error.h"

namespace cae::train {

std::pair<int, int> ConfigPair(const nlohmann::json& config, const char* key, int fallback,
                               const std::string& layer) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return {fallback, fallback};
  if (it->is_number_integer()) return {it->get<int>(), it->get<int>()};
  Check(it->is_array() && it->size() == 2 && (*it)[0].is_number_integer() &&
            (*it)[1].is_number_integer(),
        "layer '", layer, "': config '", key, "' must be an integer or a pair, got ", it->dump());
  return {(*it)[0].get<int>(), (*it)[1].get<int>()};
}

bool ConfigSamePadding(const nlohmann::json& config, const std::string& layer) {
  const std::string p = config.value("padding", std::string("valid"));
  Check(p == "same" || p == "valid", "layer '", layer, "': padding '", p,
        "' is not supported (same, valid)");
  return p == "same";
}

std::string ConfigActivation(const nlohmann::json& config, const std::string& layer) {
  auto it = config.find("activation");
  if (it == config.end() || it->is_null()) return "linear";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("config") && (*it)["config"].is_object() &&
      (*it)["config"].contains("name") && (*it)["config"]["name"].is_string()) {
    return (*it)["config"]["name"].get<std::string>();
  }
  Fail("layer '", layer, "': cannot read activation ", it->dump());
}

void RequireChannelsLast(const nlohmann::json& config, const std::string& layer) {
  auto it = config.find("data_format");
  if (it == config.end() || it->is_null()) return;
  Check(it->is_string() && it->get<std::string>() == "channels_last", "layer '", layer,
        "': only data_format channels_last is supported, got ", it->dump());
}

int ConfigSingle(const nlohmann::json& config, const char* key, int fallback,
                 const std::string& layer) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (it->is_number_integer()) return it->get<int>();
  Check(it->is_array() && it->size() == 1 && (*it)[0].is_number_integer(), "layer '", layer,
        "': config '", key, "' must be an integer or a 1-list, got ", it->dump());
  return (*it)[0].get<int>();
}

void RequireInputRank(const Layer& layer, int rank) {
  for (int r : layer.in_ranks)
    Check(r == rank, "layer '", layer.name, "' (", layer.class_name, "): expected a ",
          rank == 3 ? "3-D [N, steps, channels]" : "4-D [N, height, width, channels]",
          " input, got one of rank ", r);
}

std::unique_ptr<Layer> MakeLayer(const KerasLayer& kl) {
  const std::string& c = kl.class_name;
  std::unique_ptr<Layer> layer;
  if (c == "Conv2D" || c == "Convolution2D" || c == "Conv1D" || c == "Convolution1D")
    layer = MakeConv2D(kl);
  else if (c == "Conv2DTranspose" || c == "Convolution2DTranspose" || c == "Deconvolution2D")
    layer = MakeConv2DTranspose(kl);
  else if (c == "DepthwiseConv2D") layer = MakeDepthwiseConv2D(kl);
  else if (c == "SeparableConv2D") layer = MakeSeparableConv2D(kl);
  else if (c == "Dense") layer = MakeDense(kl);
  else if (c == "MaxPooling2D" || c == "MaxPool2D" || c == "MaxPooling1D" || c == "MaxPool1D")
    layer = MakePool(kl, true);
  else if (c == "AveragePooling2D" || c == "AvgPool2D" || c == "AveragePooling1D" ||
           c == "AvgPool1D")
    layer = MakePool(kl, false);
  else if (c == "GlobalAveragePooling2D" || c == "GlobalAvgPool2D" ||
           c == "GlobalAveragePooling1D" || c == "GlobalAvgPool1D")
    layer = MakeGlobalPool(kl, false);
  else if (c == "GlobalMaxPooling2D" || c == "GlobalMaxPool2D" || c == "GlobalMaxPooling1D" ||
           c == "GlobalMaxPool1D")
    layer = MakeGlobalPool(kl, true);
  else if (c == "UpSampling2D" || c == "UpSampling1D") layer = MakeUpSampling2D(kl);
  else if (c == "ZeroPadding2D") layer = MakeZeroPadding2D(kl);
  else if (c == "Cropping2D") layer = MakeCropping2D(kl);
  else if (c == "BatchNormalization") layer = MakeBatchNorm(kl);
  else if (c == "Dropout" || c == "SpatialDropout2D") layer = MakeDropout(kl);
  else if (c == "GaussianNoise" || c == "GaussianDropout" || c == "AlphaDropout" ||
           c == "ActivityRegularization")
    layer = MakeNoiseLayer(kl);
  else if (c == "Activation" || c == "ReLU" || c == "LeakyReLU" || c == "Softmax" || c == "ELU")
    layer = MakeActivationLayer(kl);
  else if (c == "PReLU") layer = MakePReLU(kl);
  else if (c == "Rescaling") layer = MakeRescaling(kl);
  else if (c == "Concatenate") layer = MakeConcatenate(kl);
  else if (c == "Add" || c == "Subtract" || c == "Multiply" || c == "Average" || c == "Maximum" ||
           c == "Minimum")
    layer = MakeMerge(kl);
  else if (c == "Flatten") layer = MakeFlatten(kl);
  else if (c == "Reshape") layer = MakeReshape(kl);
  else
    Fail("layer '", kl.name, "': class ", c, " is not supported by the trainer");
  layer->name = kl.name;
  layer->class_name = c;
  return layer;
}

}  // namespace cae::train
