// BatchNormalization over the channel axis. Training: normalizes with the batch mean and biased
// variance, and moves moving_mean / moving_variance towards the batch mean and unbiased variance
// (moving = moving * momentum + batch * (1 - momentum)). Inference: uses the moving statistics.
// Weights in Keras order: gamma (if scale), beta (if center), moving_mean, moving_variance.
#include <cmath>

#include <algorithm>
#include "graph/error.h"
#include "train/layers.h"

namespace cae::train {
namespace {

class BatchNorm : public Layer {
 public:
  explicit BatchNorm(const KerasLayer& kl) {
    const nlohmann::json& c = kl.config;
    auto axis = c.find("axis");
    int a = -1;
    if (axis != c.end() && axis->is_array() && axis->size() == 1) a = (*axis)[0].get<int>();
    else if (axis != c.end() && axis->is_number_integer()) a = axis->get<int>();
    else if (axis != c.end()) Fail("layer '", kl.name, "': unsupported axis ", axis->dump());
    Check(a == -1 || (a >= 1 && a <= 3), "layer '", kl.name,
          "': BatchNormalization must normalize the channel axis (got axis ", a, ")");
    axis_ = a;
    eps_ = c.value("epsilon", 1e-3);
    momentum_ = c.value("momentum", 0.99);
    center_ = c.value("center", true);
    scale_ = c.value("scale", true);
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    // The channel axis is the last: 1, 2 or 3 for Keras ranks 2, 3, 4 (flat 1 x 1 without ranks).
    const int rank = in_ranks.empty() ? (in[0].h == 1 && in[0].w == 1 ? 2 : 4) : in_ranks[0];
    Check(axis_ == -1 || axis_ == rank - 1 || (in_ranks.empty() && axis_ == 3), "layer '", name,
          "': BatchNormalization must normalize the channel axis ", rank - 1, " (got axis ", axis_,
          ")");
    const int c = in[0].c;
    params.clear();
    if (scale_) params.push_back({"gamma", std::vector<float>(c, 1.0f), {}, true});
    if (center_) params.push_back({"beta", std::vector<float>(c, 0.0f), {}, true});
    params.push_back({"moving_mean", std::vector<float>(c, 0.0f), {}, false});
    params.push_back({"moving_variance", std::vector<float>(c, 1.0f), {}, false});
    for (Param& p : params) p.grad.assign(p.value.size(), 0.0f);
    mean_.assign(c, 0.0f);
    inv_std_.assign(c, 1.0f);
    return in[0];
  }

  void Initialize(uint64_t) override {
    for (Param& p : params) {
      const float v = (p.keras_name == "gamma" || p.keras_name == "moving_variance") ? 1.0f : 0.0f;
      std::fill(p.value.begin(), p.value.end(), v);
    }
  }

  void LoadKerasWeights(const std::vector<KerasWeight>& w) override {
    Check(w.size() == params.size(), "layer '", name, "': expected ", params.size(),
          " weights, got ", w.size());
    for (size_t i = 0; i < params.size(); ++i) {
      params[i].value = FindWeight(w, i, params[i].keras_name, {in_dims[0].c}, name).values;
    }
  }

  std::vector<KerasWeight> StoreKerasWeights() const override {
    std::vector<KerasWeight> out;
    for (const Param& p : params) out.push_back({p.keras_name, {in_dims[0].c}, p.value});
    return out;
  }

  float Gamma(int c) const { return scale_ ? params[0].value[c] : 1.0f; }
  float Beta(int c) const { return center_ ? params[scale_ ? 1 : 0].value[c] : 0.0f; }
  std::vector<float>& MovingMean() { return params[params.size() - 2].value; }
  std::vector<float>& MovingVar() { return params[params.size() - 1].value; }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const Dims& d = in_dims[0];
    const int64_t P = d.pixels(), m = static_cast<int64_t>(n) * P;
    ForRange(ctx, d.c, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        float mean, inv_std;
        if (ctx.training) {
          double sum = 0.0, sq = 0.0;
          for (int s = 0; s < n; ++s) {
            const float* x = in[0] + s * d.size() + c * P;
            for (int64_t p = 0; p < P; ++p) sum += x[p];
          }
          const double mu = sum / static_cast<double>(m);
          for (int s = 0; s < n; ++s) {
            const float* x = in[0] + s * d.size() + c * P;
            for (int64_t p = 0; p < P; ++p) sq += (x[p] - mu) * (x[p] - mu);
          }
          const double var = sq / static_cast<double>(m);
          mean = static_cast<float>(mu);
          inv_std = static_cast<float>(1.0 / std::sqrt(var + eps_));
          const double unbiased = m > 1 ? sq / static_cast<double>(m - 1) : var;
          MovingMean()[c] = static_cast<float>(MovingMean()[c] * momentum_ + mu * (1.0 - momentum_));
          MovingVar()[c] =
              static_cast<float>(MovingVar()[c] * momentum_ + unbiased * (1.0 - momentum_));
        } else {
          mean = MovingMean()[c];
          inv_std = 1.0f / std::sqrt(MovingVar()[c] + static_cast<float>(eps_));
        }
        mean_[c] = mean;
        inv_std_[c] = inv_std;
        const float scale = Gamma(static_cast<int>(c)) * inv_std;
        const float shift = Beta(static_cast<int>(c)) - mean * scale;
        for (int s = 0; s < n; ++s) {
          const float* x = in[0] + s * d.size() + c * P;
          float* y = out + s * d.size() + c * P;
          for (int64_t p = 0; p < P; ++p) y[p] = x[p] * scale + shift;
        }
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>& in, const float*,
                float* dout, const std::vector<float*>& din) override {
    const Dims& d = in_dims[0];
    const int64_t P = d.pixels(), m = static_cast<int64_t>(n) * P;
    ForRange(ctx, d.c, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const float mean = mean_[c], inv_std = inv_std_[c];
        double sum_dy = 0.0, sum_dy_xhat = 0.0;
        for (int s = 0; s < n; ++s) {
          const float* x = in[0] + s * d.size() + c * P;
          const float* dy = dout + s * d.size() + c * P;
          for (int64_t p = 0; p < P; ++p) {
            sum_dy += dy[p];
            sum_dy_xhat += dy[p] * (x[p] - mean) * inv_std;
          }
        }
        if (scale_) params[0].grad[c] += static_cast<float>(sum_dy_xhat);
        if (center_) params[scale_ ? 1 : 0].grad[c] += static_cast<float>(sum_dy);
        if (din[0] == nullptr) continue;
        const float g = Gamma(static_cast<int>(c)) * inv_std;
        const float mean_dy = ctx.training ? static_cast<float>(sum_dy / m) : 0.0f;
        const float mean_dy_xhat = ctx.training ? static_cast<float>(sum_dy_xhat / m) : 0.0f;
        for (int s = 0; s < n; ++s) {
          const float* x = in[0] + s * d.size() + c * P;
          const float* dy = dout + s * d.size() + c * P;
          float* dx = din[0] + s * d.size() + c * P;
          for (int64_t p = 0; p < P; ++p) {
            const float xhat = (x[p] - mean) * inv_std;
            dx[p] += g * (dy[p] - mean_dy - xhat * mean_dy_xhat);
          }
        }
      }
    });
  }

 private:
  int axis_ = -1;
  double eps_ = 1e-3, momentum_ = 0.99;
  bool center_ = true, scale_ = true;
  std::vector<float> mean_, inv_std_;  // statistics used by the last Forward, per channel
};

}  // namespace

std::unique_ptr<Layer> MakeBatchNorm(const KerasLayer& kl) { return std::make_unique<BatchNorm>(kl); }

}  // namespace cae::train
