// The Keras fixtures the converter is held to, with the data each was trained on, and helpers to
// run converted models in our interpreter and in the real TFLite runtime (test helper).
#pragma once

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "graph/graph.h"
#include "graph/tensor_data.h"
#include "keras/keras_import.h"
#include "runtime/interpreter.h"
#include "support/fixtures.h"

namespace cae::quanttest {

struct FixtureModel {
  const char* name;
  const char* keras;  // under ../shared
  bool fashion;       // trained on Fashion-MNIST (else MNIST)
};

inline const std::vector<FixtureModel>& FixtureModels() {
  static const std::vector<FixtureModel> models = {
      {"MilesWQ", "fixtures/keras/MilesWQ__conv_autoencoder.h5", false},
      {"cae12785_fmnist", "fixtures/anchors/cae12785_fmnist.h5", true},
      {"hiwony7933_unet", "fixtures/keras/hiwony7933__unet_mnist.h5", false},
      {"Qusai1201_denoiser", "fixtures/keras/Qusai1201_Denoising_mnist__autoencoder.h5", false},
      {"Harshit", "fixtures/keras/Harshit-Chabria__autoencoder.h5", false},
      {"kryptologyst_dense", "fixtures/keras/kryptologyst__autoencoder.h5", false},
  };
  return models;
}

inline Model LoadKeras(const std::string& path) { return LowerKerasModel(LoadKerasModel(path)); }

inline std::string MnistTestImages() { return testing::SharedPath("fixtures/mnist/t10k-images-idx3-ubyte.gz"); }

// Images [first, first + count) of an IDX file as float32 [count, 28, 28, 1] in [0, 1].
inline TensorData Images(const std::string& path, int64_t first, int64_t count) {
  LoadOptions o;
  o.limit = first + count;
  TensorData all = LoadData(path, o);
  const int64_t per = all.num_elements() / all.shape[0];
  std::vector<int32_t> shape = all.shape;
  shape[0] = static_cast<int32_t>(count);
  TensorData out(all.type, shape);
  std::memcpy(out.bytes.data(), all.bytes.data() + first * per * 4, out.bytes.size());
  return out;
}

// data reshaped to the model input (batch kept) and converted to the input's type.
inline TensorData FitToInput(const Graph& g, const TensorData& data) {
  const Tensor& in = g.tensors[g.inputs[0]];
  std::vector<int32_t> shape = in.shape;
  shape[0] = data.shape[0];
  TensorData out(in.type, shape);
  const float* v = data.as<float>();
  const int64_t n = out.num_elements();
  if (in.type == DType::kFloat32) {
    std::memcpy(out.bytes.data(), v, static_cast<size_t>(n) * 4);
    return out;
  }
  const float s = in.quant.scale.at(0);
  const int64_t zp = in.quant.zero_point.at(0);
  const double lo = in.type == DType::kInt8 ? -128 : 0, hi = in.type == DType::kInt8 ? 127 : 255;
  for (int64_t i = 0; i < n; ++i) {
    const double q = std::min(hi, std::max(lo, std::round(static_cast<double>(v[i]) / s) + static_cast<double>(zp)));
    if (in.type == DType::kInt8) out.as<int8_t>()[i] = static_cast<int8_t>(q);
    else out.as<uint8_t>()[i] = static_cast<uint8_t>(q);
  }
  return out;
}

// Output 0 of g as float values (dequantized for int8/uint8).
inline std::vector<float> OutputFloats(const Graph& g, const std::vector<uint8_t>& bytes) {
  const Tensor& t = g.tensors[g.outputs[0]];
  std::vector<float> v;
  if (t.type == DType::kFloat32) {
    v.resize(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
  } else if (t.type == DType::kInt8) {
    for (uint8_t b : bytes) v.push_back((static_cast<int8_t>(b) - t.quant.zero_point[0]) * t.quant.scale[0]);
  } else {
    for (uint8_t b : bytes) v.push_back((b - t.quant.zero_point[0]) * t.quant.scale[0]);
  }
  return v;
}

// Runs model on a batch with our interpreter; returns output 0's raw bytes.
inline std::vector<uint8_t> RunOurs(const Model& model, const TensorData& input) {
  InterpreterOptions o;
  o.batch_chunk = 500;  // bounded memory for whole test sets
  Interpreter interp(model, o);
  return interp.Run({input}).at(0).bytes;
}

}  // namespace cae::quanttest
