// Layers that act only in training and are the identity in inference (the importer lowers them
// to nothing): with z ~ N(0, 1) and u ~ U[0, 1) drawn per element,
//   GaussianNoise(stddev):   y = x + stddev * z
//   GaussianDropout(rate):   y = x * (1 + sqrt(rate / (1 - rate)) * z)
//   AlphaDropout(rate):      keep = u >= rate (probability 1 - rate), alpha' = -1.7580993408473766
//                            (-SELU alpha * scale), a = ((1 - rate) * (1 + rate * alpha'^2))^-0.5,
//                            b = -a * alpha' * rate, y = a * (x * keep + alpha' * (1 - keep)) + b
//                            (Keras's formula)
//   ActivityRegularization:  y = x; its l1/l2 penalty on y is added by the Net, not here.
// Random numbers follow Dropout (simple_layers.cc): a counter-based hash of (step seed, a salt
// from the layer name, element index), so they do not depend on threads and the backward pass
// regenerates the same noise.
#include <algorithm>
#include <cmath>
#include <functional>

#include "graph/error.h"
#include "train/layers.h"

namespace cae::train {
namespace {

enum class Noise { kGaussianNoise, kGaussianDropout, kAlphaDropout, kActivityRegularization };

double RateConfig(const KerasLayer& kl) {
  auto it = kl.config.find("rate");
  Check(it != kl.config.end() && it->is_number(), "layer '", kl.name, "': ", kl.class_name,
        " needs a numeric rate");
  const double rate = it->get<double>();
  Check(rate >= 0.0 && rate < 1.0, "layer '", kl.name, "': rate must be in [0, 1), got ", rate);
  return rate;
}

class NoiseLayer : public Layer {
 public:
  NoiseLayer(const KerasLayer& kl, Noise kind) : kind_(kind) {
    salt_ = std::hash<std::string>{}(kl.name);
    switch (kind) {
      case Noise::kGaussianNoise: {
        auto it = kl.config.find("stddev");
        Check(it != kl.config.end() && it->is_number() && std::isfinite(it->get<double>()) &&
                  it->get<double>() >= 0.0,
              "layer '", kl.name, "': GaussianNoise needs a stddev >= 0");
        stddev_ = it->get<float>();
        break;
      }
      case Noise::kGaussianDropout: {
        const double rate = RateConfig(kl);
        stddev_ = static_cast<float>(std::sqrt(rate / (1.0 - rate)));
        break;
      }
      case Noise::kAlphaDropout: {
        Check(!kl.config.contains("noise_shape") || kl.config["noise_shape"].is_null(), "layer '",
              kl.name, "': AlphaDropout with noise_shape is not supported");
        rate_ = RateConfig(kl);
        constexpr double kAlphaP = -1.7580993408473766;
        const double a = std::pow((1.0 - rate_) * (1.0 + rate_ * kAlphaP * kAlphaP), -0.5);
        a_ = static_cast<float>(a);
        dropped_ = static_cast<float>(a * kAlphaP - a * kAlphaP * rate_);  // a * alpha' + b
        b_ = static_cast<float>(-a * kAlphaP * rate_);
        break;
      }
      case Noise::kActivityRegularization:
        break;  // the penalty is applied by the Net; values pass through unchanged here
    }
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    return in[0];
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const float* x = in[0];
    const bool active = ctx.training && kind_ != Noise::kActivityRegularization;
    ForRange(ctx, n * out_dims.size(), 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (!active) {
          out[i] = x[i];
          continue;
        }
        switch (kind_) {
          case Noise::kGaussianNoise:
            out[i] = x[i] + stddev_ * Normal(ctx, i);
            break;
          case Noise::kGaussianDropout:
            out[i] = x[i] * (1.0f + stddev_ * Normal(ctx, i));
            break;
          case Noise::kAlphaDropout:
            out[i] = Kept(ctx, i) ? a_ * x[i] + b_ : dropped_;
            break;
          case Noise::kActivityRegularization:
            break;
        }
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>&, const float*,
                float* dout, const std::vector<float*>& din) override {
    if (din[0] == nullptr) return;
    float* dx = din[0];
    const bool active = ctx.training && kind_ != Noise::kActivityRegularization;
    ForRange(ctx, n * out_dims.size(), 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (!active || kind_ == Noise::kGaussianNoise) {
          dx[i] += dout[i];
        } else if (kind_ == Noise::kGaussianDropout) {
          dx[i] += dout[i] * (1.0f + stddev_ * Normal(ctx, i));
        } else if (Kept(ctx, i)) {  // AlphaDropout: dropped elements are constants
          dx[i] += dout[i] * a_;
        }
      }
    });
  }

 private:
  float Normal(const RunContext& ctx, int64_t i) const {
    return StandardNormal(ctx.step_seed, salt_, static_cast<uint64_t>(i));
  }
  bool Kept(const RunContext& ctx, int64_t i) const {
    return UnitFloat(Mix(ctx.step_seed, salt_, static_cast<uint64_t>(i))) >= rate_;
  }

  Noise kind_;
  uint64_t salt_ = 0;
  float stddev_ = 0.0f;                         // GaussianNoise, GaussianDropout
  double rate_ = 0.0;                           // AlphaDropout
  float a_ = 1.0f, b_ = 0.0f, dropped_ = 0.0f;  // AlphaDropout: kept a * x + b, dropped value
};

}  // namespace

std::unique_ptr<Layer> MakeNoiseLayer(const KerasLayer& kl) {
  const std::string& c = kl.class_name;
  Noise kind = Noise::kActivityRegularization;
  if (c == "GaussianNoise")
    kind = Noise::kGaussianNoise;
  else if (c == "GaussianDropout")
    kind = Noise::kGaussianDropout;
  else if (c == "AlphaDropout")
    kind = Noise::kAlphaDropout;
  else if (c == "ActivityRegularization")
    kind = Noise::kActivityRegularization;
  else
    Fail("layer '", kl.name, "': class ", c, " is not a noise layer");
  return std::make_unique<NoiseLayer>(kl, kind);
}

}  // namespace cae::train
