#include <cstring>

#include "graph/shape.h"
#include "keras/keras_lowering.h"

namespace cae::keras_lowering {

using nlohmann::json;

int LayerContext::keras_major() const {
  const std::string& v = model_.keras_version;
  if (!v.empty() && v[0] >= '3' && v[0] <= '9') return v[0] - '0';
  return 2;
}

std::string LayerContext::Where() const {
  return StrCat(model_.source, ": layer '", layer_.name, "' (", layer_.class_name, ")");
}

bool LayerContext::Has(const char* key) const {
  return layer_.config.is_object() && layer_.config.contains(key) && !layer_.config[key].is_null();
}

int32_t LayerContext::Int(const char* key, int32_t fallback) const {
  if (!Has(key)) return fallback;
  const json& v = layer_.config[key];
  if (!v.is_number_integer() || v.get<int64_t>() < -(1 << 30) || v.get<int64_t>() > (1 << 30)) {
    Fail("config '", key, "' is not a small integer: ", v.dump());
  }
  return v.get<int32_t>();
}

float LayerContext::Float(const char* key, float fallback) const {
  if (!Has(key)) return fallback;
  const json& v = layer_.config[key];
  if (!v.is_number()) Fail("config '", key, "' is not a number: ", v.dump());
  return v.get<float>();
}

bool LayerContext::Bool(const char* key, bool fallback) const {
  if (!Has(key)) return fallback;
  const json& v = layer_.config[key];
  if (!v.is_boolean()) Fail("config '", key, "' is not a boolean: ", v.dump());
  return v.get<bool>();
}

std::string LayerContext::String(const char* key, const std::string& fallback) const {
  if (!Has(key)) return fallback;
  const json& v = layer_.config[key];
  if (!v.is_string()) Fail("config '", key, "' is not a string: ", v.dump());
  return v.get<std::string>();
}

std::vector<int32_t> LayerContext::IntTuple(const char* key, size_t n,
                                            std::vector<int32_t> fallback,
                                            int32_t min_value) const {
  if (!Has(key)) return fallback;
  const json& v = layer_.config[key];
  std::vector<int32_t> out;
  if (v.is_number_integer()) {
    out.assign(n, 0);
    for (auto& e : out) e = v.get<int32_t>();
  } else if (v.is_array() && v.size() == n) {
    for (const json& e : v) {
      if (!e.is_number_integer()) Fail("config '", key, "' must hold integers: ", v.dump());
      out.push_back(e.get<int32_t>());
    }
  } else {
    Fail("config '", key, "' must be an integer or a list of ", n, ": ", v.dump());
  }
  for (int32_t e : out) {
    if (e < min_value || e > (1 << 20)) Fail("config '", key, "' out of range: ", v.dump());
  }
  return out;
}

int32_t LayerContext::Dim(int64_t v, const char* what) const {
  if (v <= 0 || v > (int64_t{1} << 24)) Fail(what, " ", v, " is out of range (1..2^24)");
  return static_cast<int32_t>(v);
}

std::string LayerContext::ActivationName() const {
  if (!Has("activation")) return "linear";
  const json& v = layer_.config["activation"];
  if (v.is_string()) return v.get<std::string>();
  // Keras 3 may serialize {"module": "keras.activations", "class_name": "function",
  // "config": "relu", ...}.
  if (v.is_object() && v.contains("config") && v["config"].is_string()) {
    return v["config"].get<std::string>();
  }
  Fail("unsupported activation ", v.dump().substr(0, 200));
}

bool LayerContext::HasWeight(const std::string& name) const {
  for (const KerasWeight& w : layer_.weights) {
    if (w.name == name) return true;
  }
  return false;
}

const KerasWeight& LayerContext::Weight(const std::string& name,
                                        const std::vector<int32_t>& expected) const {
  for (const KerasWeight& w : layer_.weights) {
    if (w.name != name) continue;
    if (w.shape != expected) {
      Fail("weight '", name, "' has shape ", ShapeToString(w.shape), ", expected ",
           ShapeToString(expected));
    }
    if (static_cast<int64_t>(w.values.size()) != NumElements(w.shape)) {
      Fail("weight '", name, "' holds ", w.values.size(), " values for shape ",
           ShapeToString(w.shape));
    }
    return w;
  }
  Fail("missing weight '", name, "' (expected shape ", ShapeToString(expected), ")");
}

std::string LayerContext::TensorName(const std::string& what) const {
  return StrCat(prefix_, layer_.name, "/", what);
}

int LayerContext::AddConstFloat(const std::string& what, std::vector<int32_t> shape,
                                const std::vector<float>& values) {
  Check(NumElements(shape) == static_cast<int64_t>(values.size()), "internal: constant '", what,
        "' size mismatch");
  Tensor t;
  t.name = TensorName(what);
  t.type = DType::kFloat32;
  t.shape = std::move(shape);
  t.data.resize(values.size() * sizeof(float));
  if (!values.empty()) std::memcpy(t.data.data(), values.data(), t.data.size());
  return graph_.AddTensor(std::move(t));
}

int LayerContext::AddConstInt32(const std::string& what, std::vector<int32_t> shape,
                                const std::vector<int32_t>& values) {
  Check(NumElements(shape) == static_cast<int64_t>(values.size()), "internal: constant '", what,
        "' size mismatch");
  Tensor t;
  t.name = TensorName(what);
  t.type = DType::kInt32;
  t.shape = std::move(shape);
  t.data.resize(values.size() * sizeof(int32_t));
  if (!values.empty()) std::memcpy(t.data.data(), values.data(), t.data.size());
  return graph_.AddTensor(std::move(t));
}

Value LayerContext::AddOp(OpType type, std::vector<int> inputs, const OpOptions& options,
                          std::vector<int32_t> out_shape, const std::string& what, DType out_type) {
  for (int32_t d : out_shape) Check(d > 0, "output shape ", ShapeToString(out_shape), " is empty");
  NumElements(out_shape);  // bounds the size
  Tensor t;
  t.name = TensorName(what);
  t.type = out_type;
  t.shape = out_shape;
  if (dynamic_batch_ && !out_shape.empty()) {
    t.shape_signature = out_shape;
    t.shape_signature[0] = -1;
  }
  const int out = graph_.AddTensor(std::move(t));
  Op op;
  op.type = type;
  op.version = 1;
  op.inputs = std::move(inputs);
  op.outputs = {out};
  op.options = options;
  op.origin = layer_.name;
  graph_.AddOp(std::move(op));
  return Value{out, std::move(out_shape)};
}

Value LayerContext::AddScalarOp(OpType type, const Value& x, float scalar,
                                const std::string& what) {
  const int c = AddConstFloat(what + "/y", {}, {scalar});
  return AddOp(type, {x.tensor, c}, OpOptions{}, x.shape, what);
}

Value LayerContext::AddUnary(OpType type, const Value& x, const std::string& what) {
  return AddOp(type, {x.tensor}, OpOptions{}, x.shape, what);
}

Value LayerContext::AddBinary(OpType type, const Value& a, const Value& b,
                              const std::string& what) {
  return AddOp(type, {a.tensor, b.tensor}, OpOptions{}, BroadcastShapes(*this, a.shape, b.shape),
               what);
}

std::vector<int32_t> BroadcastShapes(const LayerContext& ctx, const std::vector<int32_t>& a,
                                     const std::vector<int32_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int32_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int32_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int32_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      ctx.Fail("input shapes ", ShapeToString(a), " and ", ShapeToString(b), " are not compatible");
    }
    out[i] = std::max(da, db);
  }
  return out;
}

}  // namespace cae::keras_lowering
