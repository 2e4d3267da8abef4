#include <algorithm>
#include "train/optimizer.h"

#include <cmath>

#include "graph/error.h"

namespace cae::train {
namespace {

class Adam : public Optimizer {
 public:
  explicit Adam(float lr) : lr_(lr) {}
  void Step(const std::vector<Param*>& params) override {
    if (m_.empty()) {
      for (Param* p : params) {
        m_.emplace_back(p->value.size(), 0.0f);
        v_.emplace_back(p->value.size(), 0.0f);
      }
    }
    Check(m_.size() == params.size(), "Adam: the parameter list changed between steps");
    ++t_;
    const double lr_t = lr_ * std::sqrt(1.0 - std::pow(kBeta2, t_)) / (1.0 - std::pow(kBeta1, t_));
    const float step = static_cast<float>(lr_t);
    for (size_t k = 0; k < params.size(); ++k) {
      Param& p = *params[k];
      if (!p.trainable) continue;
      float* m = m_[k].data();
      float* v = v_[k].data();
      for (size_t i = 0; i < p.value.size(); ++i) {
        const float g = p.grad[i];
        m[i] = kBeta1 * m[i] + (1.0f - kBeta1) * g;
        v[i] = kBeta2 * v[i] + (1.0f - kBeta2) * g * g;
        p.value[i] -= step * m[i] / (std::sqrt(v[i]) + kEps);
      }
    }
  }
  nlohmann::json KerasConfig() const override {
    return {{"class_name", "Adam"},
            {"config",
             {{"lr", lr_}, {"learning_rate", lr_}, {"beta_1", kBeta1}, {"beta_2", kBeta2},
              {"decay", 0.0}, {"epsilon", kEps}, {"amsgrad", false}}}};
  }
  std::unique_ptr<Optimizer> Clone() const override { return std::make_unique<Adam>(*this); }

 private:
  static constexpr float kBeta1 = 0.9f, kBeta2 = 0.999f, kEps = 1e-7f;
  float lr_;
  int64_t t_ = 0;
  std::vector<std::vector<float>> m_, v_;
};

class Sgd : public Optimizer {
 public:
  Sgd(float lr, float momentum) : lr_(lr), momentum_(momentum) {}
  void Step(const std::vector<Param*>& params) override {
    if (velocity_.empty())
      for (Param* p : params) velocity_.emplace_back(p->value.size(), 0.0f);
    Check(velocity_.size() == params.size(), "SGD: the parameter list changed between steps");
    for (size_t k = 0; k < params.size(); ++k) {
      Param& p = *params[k];
      if (!p.trainable) continue;
      float* vel = velocity_[k].data();
      for (size_t i = 0; i < p.value.size(); ++i) {
        vel[i] = momentum_ * vel[i] - lr_ * p.grad[i];
        p.value[i] += vel[i];
      }
    }
  }
  nlohmann::json KerasConfig() const override {
    return {{"class_name", "SGD"},
            {"config",
             {{"lr", lr_}, {"learning_rate", lr_}, {"momentum", momentum_}, {"decay", 0.0},
              {"nesterov", false}}}};
  }
  std::unique_ptr<Optimizer> Clone() const override { return std::make_unique<Sgd>(*this); }

 private:
  float lr_, momentum_;
  std::vector<std::vector<float>> velocity_;
};

}  // namespace

std::unique_ptr<Optimizer> MakeOptimizer(const std::string& name, float learning_rate,
                                         float momentum) {
  Check(std::isfinite(learning_rate) && learning_rate > 0.0f,
        "learning rate must be positive and finite, got ", learning_rate);
  Check(std::isfinite(momentum) && momentum >= 0.0f && momentum < 1.0f,
        "momentum must be in [0, 1), got ", momentum);
  if (name == "adam") return std::make_unique<Adam>(learning_rate);
  if (name == "sgd") return std::make_unique<Sgd>(learning_rate, momentum);
  Fail("unknown optimizer '", name, "' (adam, sgd)");
}

}  // namespace cae::train
