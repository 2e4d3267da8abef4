// Dense on a flat input: out[n, U] = x[n, In] x W[In, U] + bias, then the activation.
// On a [N, steps, C] or [N, H, W, C] input Keras applies it to the last axis, at every step or
// pixel: per sample out[U, P] = W^T x[In, P] + bias in the trainer's channels-major layout.
// The kernel keeps the Keras layout [In, U].
#include <algorithm>
#include "graph/error.h"
#include "train/gemm.h"
#include "train/layers.h"

namespace cae::train {
namespace {

class Dense : public Layer {
 public:
  explicit Dense(const KerasLayer& kl) {
    units_ = kl.config.value("units", 0);
    Check(units_ > 0 && units_ <= (1 << 20), "layer '", kl.name, "': units must be 1..2^20");
    act_ = ParseActivation(ConfigActivation(kl.config, kl.name), kl.name);
    use_bias_ = kl.config.value("use_bias", true);
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    // Without the Net's ranks a 1 x 1 input is flat (the only form the layer then takes).
    Check((in[0].h == 1 && in[0].w == 1) || (!in_ranks.empty() && in_ranks[0] >= 3), "layer '",
          name, "': Dense on a ", DimsToString(in[0]), " input is not supported (add a Flatten)");
    in_ = in[0].c;
    pixels_ = in[0].pixels();
    Check(static_cast<int64_t>(in_) * units_ <= (int64_t{1} << 28), "layer '", name,
          "': kernel too large");
    params.clear();
    params.push_back({"kernel", std::vector<float>(static_cast<size_t>(in_) * units_), {}, true});
    if (use_bias_) params.push_back({"bias", std::vector<float>(units_), {}, true});
    for (Param& p : params) p.grad.assign(p.value.size(), 0.0f);
    return Dims{units_, in[0].h, in[0].w};
  }

  void Initialize(uint64_t seed) override {
    GlorotUniform(params[0].value, in_, units_, seed);
    if (use_bias_) std::fill(params[1].value.begin(), params[1].value.end(), 0.0f);
  }

  void LoadKerasWeights(const std::vector<KerasWeight>& w) override {
    Check(w.size() == (use_bias_ ? 2u : 1u), "layer '", name, "': expected ",
          use_bias_ ? 2 : 1, " weights, got ", w.size());
    params[0].value = FindWeight(w, 0, "kernel", {in_, units_}, name).values;
    if (use_bias_) params[1].value = FindWeight(w, 1, "bias", {units_}, name).values;
  }

  std::vector<KerasWeight> StoreKerasWeights() const override {
    std::vector<KerasWeight> out{{"kernel", {in_, units_}, params[0].value}};
    if (use_bias_) out.push_back({"bias", {units_}, params[1].value});
    return out;
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    if (pixels_ > 1) return ForwardPerPixel(ctx, n, in[0], out);
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      for (int s = begin; s < end; ++s) {
        float* y = out + static_cast<int64_t>(s) * units_;
        for (int u = 0; u < units_; ++u) y[u] = use_bias_ ? params[1].value[u] : 0.0f;
      }
      GemmAcc(end - begin, units_, in_, in[0] + static_cast<int64_t>(begin) * in_, in_,
              params[0].value.data(), units_, out + static_cast<int64_t>(begin) * units_, units_);
      for (int s = begin; s < end; ++s) {
        ApplyActivation(act_, DefaultActivationAlpha(act_), out + static_cast<int64_t>(s) * units_,
                        units_, 1);
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>& in, const float* out,
                float* dout, const std::vector<float*>& din) override {
    if (pixels_ > 1) return BackwardPerPixel(ctx, n, in[0], out, dout, din[0]);
    const int chunks = SampleChunks(n);
    PartialGrads dw(chunks, params[0].value.size());
    PartialGrads db(chunks, use_bias_ ? units_ : 0);
    ForSampleChunks(ctx, n, [&](int chunk, int begin, int end) {
      const int m = end - begin;
      float* dz = dout + static_cast<int64_t>(begin) * units_;
      for (int s = 0; s < m; ++s) {
        ActivationBackward(act_, DefaultActivationAlpha(act_),
                           out + static_cast<int64_t>(begin + s) * units_,
                           dz + static_cast<int64_t>(s) * units_, units_, 1);
      }
      if (use_bias_) {
        float* gb = db.chunk(chunk);
        for (int s = 0; s < m; ++s)
          for (int u = 0; u < units_; ++u) gb[u] += dz[static_cast<int64_t>(s) * units_ + u];
      }
      const float* x = in[0] + static_cast<int64_t>(begin) * in_;
      // dW[In, U] += x[m, In]^T * dz[m, U]
      Gemm(Trans::kYes, Trans::kNo, in_, units_, m, x, in_, dz, units_, 1.0f, dw.chunk(chunk),
           units_);
      if (din[0] != nullptr) {
        // dx[m, In] += dz[m, U] * W[In, U]^T
        Gemm(Trans::kNo, Trans::kYes, m, in_, units_, dz, units_, params[0].value.data(), units_,
             1.0f, din[0] + static_cast<int64_t>(begin) * in_, in_);
      }
    });
    dw.AddTo(params[0].grad);
    if (use_bias_) db.AddTo(params[1].grad);
  }

  // The kernel [In, U]: element (u, i) at i * units + u.
  std::optional<BiasedKernelLayout> CenteringLayout() const override {
    if (!use_bias_) return std::nullopt;
    return BiasedKernelLayout{units_, in_, 1, 1, units_, 0};
  }

 private:

  void ForwardPerPixel(const RunContext& ctx, int n, const float* in, float* out) {
    const int P = static_cast<int>(pixels_);
    const float* W = params[0].value.data();
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      for (int s = begin; s < end; ++s) {
        float* y = out + static_cast<int64_t>(s) * units_ * P;
        for (int u = 0; u < units_; ++u)
          std::fill(y + static_cast<int64_t>(u) * P, y + static_cast<int64_t>(u + 1) * P,
                    use_bias_ ? params[1].value[u] : 0.0f);
        // y[U, P] += W[In, U]^T x[In, P]
        Gemm(Trans::kYes, Trans::kNo, units_, P, in_, W, units_,
             in + static_cast<int64_t>(s) * in_ * P, P, 1.0f, y, P);
        ApplyActivation(act_, DefaultActivationAlpha(act_), y, units_, P);
      }
    });
  }

  void BackwardPerPixel(const RunContext& ctx, int n, const float* in, const float* out,
                        float* dout, float* din) {
    const int P = static_cast<int>(pixels_);
    const float* W = params[0].value.data();
    const int chunks = SampleChunks(n);
    PartialGrads dw(chunks, params[0].value.size());
    PartialGrads db(chunks, use_bias_ ? units_ : 0);
    ForSampleChunks(ctx, n, [&](int chunk, int begin, int end) {
      for (int s = begin; s < end; ++s) {
        float* dz = dout + static_cast<int64_t>(s) * units_ * P;
        const float* x = in + static_cast<int64_t>(s) * in_ * P;
        ActivationBackward(act_, DefaultActivationAlpha(act_),
                           out + static_cast<int64_t>(s) * units_ * P, dz, units_, P);
        if (use_bias_) AddBiasGrad(dz, units_, P, db.chunk(chunk));
        // dW[In, U] += x[In, P] dz[U, P]^T;  dx[In, P] += W[In, U] dz[U, P]
        Gemm(Trans::kNo, Trans::kYes, in_, units_, P, x, P, dz, P, 1.0f, dw.chunk(chunk), units_);
        if (din != nullptr)
          Gemm(Trans::kNo, Trans::kNo, in_, P, units_, W, units_, dz, P, 1.0f,
               din + static_cast<int64_t>(s) * in_ * P, P);
      }
    });
    dw.AddTo(params[0].grad);
    if (use_bias_) db.AddTo(params[1].grad);
  }

  int units_ = 0, in_ = 0;
  int64_t pixels_ = 1;  // steps or pixels the kernel applies at (1 for a flat input)
  bool use_bias_ = true;
  Act act_ = Act::kLinear;
};

}  // namespace

std::unique_ptr<Layer> MakeDense(const KerasLayer& kl) { return std::make_unique<Dense>(kl); }

}  // namespace cae::train
