// DepthwiseConv2D with direct loops: out[ci * M + m] = sum_{ky,kx} x[ci] * W[ky][kx][ci][m] + bias,
// then the activation. The kernel keeps the Keras layout (kh, kw, cin, depth_multiplier).
#include <algorithm>
#include "graph/error.h"
#include "train/conv_geometry.h"
#include "train/layers.h"

namespace cae::train {
namespace {

class DepthwiseConv2D : public Layer {
 public:
  explicit DepthwiseConv2D(const KerasLayer& kl) {
    const nlohmann::json& c = kl.config;
    RequireChannelsLast(c, kl.name);
    mult_ = c.value("depth_multiplier", 1);
    Check(mult_ > 0 && mult_ <= 1024, "layer '", kl.name, "': depth_multiplier must be 1..1024");
    std::tie(kh_, kw_) = ConfigPair(c, "kernel_size", 1, kl.name);
    std::tie(sh_, sw_) = ConfigPair(c, "strides", 1, kl.name);
    std::tie(dh_, dw_) = ConfigPair(c, "dilation_rate", 1, kl.name);
    same_ = ConfigSamePadding(c, kl.name);
    act_ = ParseActivation(ConfigActivation(c, kl.name), kl.name);
    use_bias_ = c.value("use_bias", true);
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    RequireInputRank(*this, 4);
    g_ = MakeConvGeom(in[0].c, in[0].h, in[0].w, kh_, kw_, sh_, sw_, dh_, dw_, same_, name);
    const int cout = g_.cin * mult_;
    params.clear();
    params.push_back({"depthwise_kernel", std::vector<float>(static_cast<size_t>(kh_) * kw_ * cout),
                      {}, true});
    if (use_bias_) params.push_back({"bias", std::vector<float>(cout), {}, true});
    for (Param& p : params) p.grad.assign(p.value.size(), 0.0f);
    return Dims{cout, g_.oh, g_.ow};
  }

  void Initialize(uint64_t seed) override {
    GlorotUniform(params[0].value, static_cast<int64_t>(kh_) * kw_ * g_.cin,
                  static_cast<int64_t>(kh_) * kw_ * mult_, seed);
    if (use_bias_) std::fill(params[1].value.begin(), params[1].value.end(), 0.0f);
  }

  void LoadKerasWeights(const std::vector<KerasWeight>& w) override {
    Check(w.size() == (use_bias_ ? 2u : 1u), "layer '", name, "': expected ",
          use_bias_ ? 2 : 1, " weights, got ", w.size());
    params[0].value = FindWeight(w, 0, "depthwise_kernel", {kh_, kw_, g_.cin, mult_}, name).values;
    if (use_bias_) params[1].value = FindWeight(w, 1, "bias", {g_.cin * mult_}, name).values;
  }

  std::vector<KerasWeight> StoreKerasWeights() const override {
    std::vector<KerasWeight> out{{"depthwise_kernel", {kh_, kw_, g_.cin, mult_}, params[0].value}};
    if (use_bias_) out.push_back({"bias", {g_.cin * mult_}, params[1].value});
    return out;
  }

  // Calls fn(out_index, in_index, weight_index) for every tap of one sample's convolution.
  template <typename Fn>
  void ForTaps(Fn&& fn) const {
    const int cout = g_.cin * mult_;
    for (int ci = 0; ci < g_.cin; ++ci)
      for (int m = 0; m < mult_; ++m) {
        const int co = ci * mult_ + m;
        for (int oy = 0; oy < g_.oh; ++oy)
          for (int ox = 0; ox < g_.ow; ++ox) {
            const int64_t o = (static_cast<int64_t>(co) * g_.oh + oy) * g_.ow + ox;
            for (int ky = 0; ky < kh_; ++ky) {
              const int iy = oy * sh_ + ky * dh_ - g_.pad_top;
              if (iy < 0 || iy >= g_.ih) continue;
              for (int kx = 0; kx < kw_; ++kx) {
                const int ix = ox * sw_ + kx * dw_ - g_.pad_left;
                if (ix < 0 || ix >= g_.iw) continue;
                fn(o, (static_cast<int64_t>(ci) * g_.ih + iy) * g_.iw + ix,
                   (static_cast<int64_t>(ky) * kw_ + kx) * cout + co);
              }
            }
          }
      }
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const int64_t in_size = in_dims[0].size(), out_size = out_dims.size(), P = g_.P();
    const float* W = params[0].value.data();
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      for (int s = begin; s < end; ++s) {
        const float* x = in[0] + s * in_size;
        float* y = out + s * out_size;
        for (int co = 0; co < out_dims.c; ++co)
          std::fill(y + co * P, y + (co + 1) * P, use_bias_ ? params[1].value[co] : 0.0f);
        ForTaps([&](int64_t o, int64_t i, int64_t w) { y[o] += x[i] * W[w]; });
        ApplyActivation(act_, DefaultActivationAlpha(act_), y, out_dims.c, P);
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>& in, const float* out,
                float* dout, const std::vector<float*>& din) override {
    const int64_t in_size = in_dims[0].size(), out_size = out_dims.size(), P = g_.P();
    const float* W = params[0].value.data();
    const int chunks = SampleChunks(n);
    PartialGrads dw(chunks, params[0].value.size());
    PartialGrads db(chunks, use_bias_ ? out_dims.c : 0);
    ForSampleChunks(ctx, n, [&](int chunk, int begin, int end) {
      float* gw = dw.chunk(chunk);
      float* gb = db.chunk(chunk);
      for (int s = begin; s < end; ++s) {
        const float* x = in[0] + s * in_size;
        float* dz = dout + s * out_size;
        ActivationBackward(act_, DefaultActivationAlpha(act_), out + s * out_size, dz, out_dims.c,
                           P);
        if (use_bias_)
          for (int co = 0; co < out_dims.c; ++co)
            for (int64_t p = 0; p < P; ++p) gb[co] += dz[co * P + p];
        float* dx = din[0] != nullptr ? din[0] + s * in_size : nullptr;
        ForTaps([&](int64_t o, int64_t i, int64_t w) {
          gw[w] += dz[o] * x[i];
          if (dx != nullptr) dx[i] += dz[o] * W[w];
        });
      }
    });
    dw.AddTo(params[0].grad);
    if (use_bias_) db.AddTo(params[1].grad);
  }

 private:
  int mult_ = 1, kh_ = 1, kw_ = 1, sh_ = 1, sw_ = 1, dh_ = 1, dw_ = 1;
  bool same_ = false, use_bias_ = true;
  Act act_ = Act::kLinear;
  ConvGeom g_;
};

}  // namespace

std::unique_ptr<Layer> MakeDepthwiseConv2D(const KerasLayer& kl) {
  return std::make_unique<DepthwiseConv2D>(kl);
}

}  // namespace cae::train
