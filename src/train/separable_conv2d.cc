// SeparableConv2D: a DepthwiseConv2D (kernel_size, strides, padding, dilation_rate,
// depth_multiplier; no bias, no activation) followed by a 1x1 Conv2D (filters, bias, activation),
// as the importer lowers it (keras_lower_conv.cc LowerSeparableConv2D). The layer composes the
// trainer's DepthwiseConv2D and Conv2D layers with an intermediate buffer between them.
//
// Its params are the Keras weights in Keras order: depthwise_kernel (Keras layout kh, kw, cin,
// depth_multiplier), pointwise_kernel (in Conv2D's internal layout [filters][cin * multiplier]),
// bias. They are the master copies the optimizer updates: their values are copied into the two
// inner layers before each pass, and the inner layers' gradients are added to them after Backward.
// Initialization: Glorot-uniform for both kernels with Keras's fans (depthwise: kh * kw * cin in,
// kh * kw * multiplier out; pointwise: cin * multiplier in, filters out), zero bias.
#include <algorithm>

#include "graph/error.h"
#include "train/layers.h"

namespace cae::train {
namespace {

class SeparableConv2D : public Layer {
 public:
  explicit SeparableConv2D(const KerasLayer& kl) {
    const nlohmann::json& c = kl.config;
    RequireChannelsLast(c, kl.name);
    const int filters = c.value("filters", 0);
    Check(filters > 0 && filters <= 65536, "layer '", kl.name, "': filters must be 1..65536");
    use_bias_ = c.value("use_bias", true);

    KerasLayer dw;
    dw.name = kl.name;
    dw.class_name = "DepthwiseConv2D";
    dw.config = nlohmann::json::object();
    for (const char* key :
         {"kernel_size", "strides", "padding", "dilation_rate", "depth_multiplier", "data_format"})
      if (c.contains(key)) dw.config[key] = c[key];
    Check(dw.config.contains("kernel_size"), "layer '", kl.name, "': missing kernel_size");
    dw.config["activation"] = "linear";
    dw.config["use_bias"] = false;
    depthwise_ = MakeDepthwiseConv2D(dw);

    KerasLayer pw;
    pw.name = kl.name;
    pw.class_name = "Conv2D";
    pw.config = {{"filters", filters},
                 {"kernel_size", {1, 1}},
                 {"strides", {1, 1}},
                 {"padding", "valid"},
                 {"use_bias", use_bias_}};
    if (c.contains("activation")) pw.config["activation"] = c["activation"];
    pointwise_ = MakeConv2D(pw);
    for (Layer* l : {depthwise_.get(), pointwise_.get()}) {
      l->name = kl.name;
      l->class_name = kl.class_name;
    }
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    RequireInputRank(*this, 4);
    depthwise_->in_dims = in;
    depthwise_->out_dims = depthwise_->Setup(in);
    pointwise_->in_dims = {depthwise_->out_dims};
    pointwise_->out_dims = pointwise_->Setup(pointwise_->in_dims);
    params.clear();
    params.push_back(Master("depthwise_kernel", depthwise_->params[0]));
    params.push_back(Master("pointwise_kernel", pointwise_->params[0]));
    if (use_bias_) params.push_back(Master("bias", pointwise_->params[1]));
    return pointwise_->out_dims;
  }

  void Initialize(uint64_t seed) override {
    depthwise_->Initialize(seed);
    pointwise_->Initialize(Mix(seed, 1, 0x5C));
    CopyInnerValues();
  }

  void LoadKerasWeights(const std::vector<KerasWeight>& w) override {
    Check(w.size() == (use_bias_ ? 3u : 2u), "layer '", name, "': expected ", use_bias_ ? 3 : 2,
          " weights (depthwise_kernel, pointwise_kernel", use_bias_ ? ", bias" : "", "), got ",
          w.size());
    depthwise_->LoadKerasWeights({w[0]});
    const int cm = depthwise_->out_dims.c, filters = pointwise_->out_dims.c;
    std::vector<KerasWeight> pw{FindWeight(w, 1, "pointwise_kernel", {1, 1, cm, filters}, name)};
    if (use_bias_) pw.push_back(FindWeight(w, 2, "bias", {filters}, name));
    pointwise_->LoadKerasWeights(pw);
    CopyInnerValues();
  }

  std::vector<KerasWeight> StoreKerasWeights() const override {
    SyncInner();
    std::vector<KerasWeight> out = depthwise_->StoreKerasWeights();
    std::vector<KerasWeight> pw = pointwise_->StoreKerasWeights();
    pw[0].name = "pointwise_kernel";
    out.insert(out.end(), pw.begin(), pw.end());
    return out;
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    SyncInner();
    mid_.resize(static_cast<size_t>(n * depthwise_->out_dims.size()));
    depthwise_->Forward(ctx, n, in, mid_.data());
    pointwise_->Forward(ctx, n, {mid_.data()}, out);
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>& in, const float* out,
                float* dout, const std::vector<float*>& din) override {
    SyncInner();
    for (Layer* l : {depthwise_.get(), pointwise_.get()})
      for (Param& p : l->params) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
    dmid_.assign(mid_.size(), 0.0f);
    pointwise_->Backward(ctx, n, {mid_.data()}, out, dout, {dmid_.data()});
    depthwise_->Backward(ctx, n, in, mid_.data(), dmid_.data(), din);
    AddGrad(depthwise_->params[0], params[0]);
    AddGrad(pointwise_->params[0], params[1]);
    if (use_bias_) AddGrad(pointwise_->params[1], params[2]);
  }

 private:
  static Param Master(const char* keras_name, const Param& inner) {
    return Param{keras_name, inner.value, std::vector<float>(inner.value.size(), 0.0f), true};
  }
  static void AddGrad(const Param& inner, Param& master) {
    for (size_t i = 0; i < master.grad.size(); ++i) master.grad[i] += inner.grad[i];
  }
  // Master values -> inner layers (the optimizer updates the masters).
  void SyncInner() const {
    depthwise_->params[0].value = params[0].value;
    pointwise_->params[0].value = params[1].value;
    if (use_bias_) pointwise_->params[1].value = params[2].value;
  }
  // Inner layers -> master values (after initialization or loading).
  void CopyInnerValues() {
    params[0].value = depthwise_->params[0].value;
    params[1].value = pointwise_->params[0].value;
    if (use_bias_) params[2].value = pointwise_->params[1].value;
  }

  bool use_bias_ = true;
  std::unique_ptr<Layer> depthwise_, pointwise_;
  std::vector<float> mid_, dmid_;  // the depthwise output of the last Forward and its gradient
};

}  // namespace

std::unique_ptr<Layer> MakeSeparableConv2D(const KerasLayer& kl) {
  return std::make_unique<SeparableConv2D>(kl);
}

}  // namespace cae::train
