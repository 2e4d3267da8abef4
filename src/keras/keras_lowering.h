// Internal interface of the Keras lowering: the per-layer context that lowering functions use to
// add tensors and ops, and the registry from Keras class name to lowering function.
// Every tensor carries its shape with the batch stored as 1.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "graph/error.h"
#include "graph/graph.h"
#include "keras/keras_model.h"

namespace cae::keras_lowering {

// A value flowing between layers: a graph tensor and its shape (batch 1 at dim 0).
struct Value {
  int tensor = -1;
  std::vector<int32_t> shape;
};

class LayerContext {
 public:
  LayerContext(Graph& graph, const KerasModel& model, const KerasLayer& layer, std::string prefix,
               bool dynamic_batch)
      : graph_(graph),
        model_(model),
        layer_(layer),
        prefix_(std::move(prefix)),
        dynamic_batch_(dynamic_batch) {}

  const KerasLayer& layer() const { return layer_; }
  const KerasModel& model() const { return model_; }
  // Major version of the Keras that wrote the file (2 when unknown or "2.x"; 3 for "3.x").
  int keras_major() const;

  // Throws cae::Error "<file>: layer '<name>' (<Class>): <message>".
  template <typename... Args>
  [[noreturn]] void Fail(Args&&... args) const {
    cae::Fail(Where(), ": ", std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Check(bool cond, Args&&... args) const {
    if (!cond) Fail(std::forward<Args>(args)...);
  }
  std::string Where() const;

  // Config access with defaults; a present value of the wrong type is an error.
  bool Has(const char* key) const;
  int32_t Int(const char* key, int32_t fallback) const;
  float Float(const char* key, float fallback) const;
  bool Bool(const char* key, bool fallback) const;
  std::string String(const char* key, const std::string& fallback) const;
  // An int or a list of n ints (kernel_size, strides, size, dilation_rate); each >= min_value.
  std::vector<int32_t> IntTuple(const char* key, size_t n, std::vector<int32_t> fallback,
                                int32_t min_value = 1) const;
  // A spatial or channel size computed from config and input sizes: fails unless 0 < v <= 2^24.
  int32_t Dim(int64_t v, const char* what) const;
  // The activation name of the config's "activation" entry ("linear" when absent/null).
  std::string ActivationName() const;

  // The weight with this name; its shape must equal expected (error names both shapes).
  const KerasWeight& Weight(const std::string& name, const std::vector<int32_t>& expected) const;
  bool HasWeight(const std::string& name) const;

  int AddConstFloat(const std::string& what, std::vector<int32_t> shape,
                    const std::vector<float>& values);
  int AddConstInt32(const std::string& what, std::vector<int32_t> shape,
                    const std::vector<int32_t>& values);
  // Adds an op with one output of out_shape (float32 unless out_type says otherwise) named
  // "<prefix><layer>/<what>".
  Value AddOp(OpType type, std::vector<int> inputs, const OpOptions& options,
              std::vector<int32_t> out_shape, const std::string& what,
              DType out_type = DType::kFloat32);
  // Elementwise op with a scalar constant second operand (MUL by 0.5, ADD 3, ...).
  Value AddScalarOp(OpType type, const Value& x, float scalar, const std::string& what);
  Value AddUnary(OpType type, const Value& x, const std::string& what);
  Value AddBinary(OpType type, const Value& a, const Value& b, const std::string& what);

 private:
  std::string TensorName(const std::string& what) const;

  Graph& graph_;
  const KerasModel& model_;
  const KerasLayer& layer_;
  std::string prefix_;
  bool dynamic_batch_;
};

// Lowers one call of a layer: inputs in call order, outputs in Keras order.
using LayerLowering = std::vector<Value> (*)(LayerContext& ctx, const std::vector<Value>& inputs);

// The lowering for a Keras class name, or nullptr when the class is not supported.
LayerLowering FindLayerLowering(const std::string& class_name);

// Applies a Keras activation by name (relu, sigmoid, gelu, ...). "linear" returns x.
// Throws naming the layer for unknown activations.
Value ApplyActivation(LayerContext& ctx, const Value& x, const std::string& name);
// True (and *fused set) when name is linear, relu or relu6, which CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED apply as their fused activation; false when it needs separate ops.
bool FusableActivation(const std::string& name, Activation* fused);

// Broadcast shape of two shapes (NumPy rules); throws via ctx on mismatch.
std::vector<int32_t> BroadcastShapes(const LayerContext& ctx, const std::vector<int32_t>& a,
                                     const std::vector<int32_t>& b);

// Lowering functions, by family (registered in keras_lowering_registry.cc).
std::vector<Value> LowerConv2D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerConv2DTranspose(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerDepthwiseConv2D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerSeparableConv2D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerDense(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerMaxPooling2D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerAveragePooling2D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerGlobalAveragePooling2D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerGlobalMaxPooling2D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerUpSampling2D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerZeroPadding2D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerCropping2D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerFlatten(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerReshape(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerConcatenate(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerAdd(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerSubtract(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerMultiply(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerAverage(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerMaximum(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerMinimum(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerBatchNormalization(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerConv1D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerMaxPooling1D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerAveragePooling1D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerGlobalAveragePooling1D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerGlobalMaxPooling1D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerUpSampling1D(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerRescaling(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerIdentity(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerActivation(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerReLU(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerLeakyReLU(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerPReLU(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerELU(LayerContext&, const std::vector<Value>&);
std::vector<Value> LowerSoftmax(LayerContext&, const std::vector<Value>&);

}  // namespace cae::keras_lowering
