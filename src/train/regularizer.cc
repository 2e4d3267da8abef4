#include "train/regularizer.h"

#include <cmath>

#include "graph/error.h"

namespace cae::train {

double Regularizer::Penalty(const float* x, int64_t n) const {
  double a = 0.0, s = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    a += std::abs(static_cast<double>(x[i]));
    s += static_cast<double>(x[i]) * x[i];
  }
  return l1 * a + l2 * s;
}

void Regularizer::AddGradient(const float* x, int64_t n, float scale, float* g) const {
  const float a = scale * l1, b = scale * 2.0f * l2;
  for (int64_t i = 0; i < n; ++i) {
    const float sign = x[i] > 0.0f ? 1.0f : (x[i] < 0.0f ? -1.0f : 0.0f);
    g[i] += a * sign + b * x[i];
  }
}

std::optional<Regularizer> ParseRegularizer(const nlohmann::json& config, const std::string& key,
                                            const std::string& layer) {
  if (!config.is_object()) return std::nullopt;
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  const nlohmann::json& r = *it;
  Check(r.is_object() && r.contains("class_name") && r["class_name"].is_string(), "layer '", layer,
        "': cannot read ", key, " ", r.dump());
  const std::string cls = r["class_name"].get<std::string>();
  Check(cls == "L1" || cls == "L2" || cls == "L1L2",
        "layer '", layer, "': ", key, " ", cls,
        " is not supported by the trainer (L1, L2, L1L2)");
  const nlohmann::json cfg = r.contains("config") && r["config"].is_object() ? r["config"]
                                                                              : nlohmann::json::object();
  auto read = [&](const char* name) {
    auto v = cfg.find(name);
    if (v == cfg.end() || v->is_null()) return 0.0f;
    Check(v->is_number() && std::isfinite(v->get<double>()) && v->get<double>() >= 0.0, "layer '",
          layer, "': ", key, " ", name, " must be a non-negative number, got ", v->dump());
    return v->get<float>();
  };
  Regularizer out{read("l1"), read("l2")};
  if (out.l1 == 0.0f && out.l2 == 0.0f) return std::nullopt;
  return out;
}

std::string WeightConfigPrefix(const std::string& keras_weight_name) {
  const std::string suffix = "_kernel";
  if (keras_weight_name.size() > suffix.size() &&
      keras_weight_name.compare(keras_weight_name.size() - suffix.size(), suffix.size(), suffix) == 0)
    return keras_weight_name.substr(0, keras_weight_name.size() - suffix.size());
  return keras_weight_name;
}

void RejectConstraint(const nlohmann::json& config, const std::string& key,
                      const std::string& layer) {
  if (!config.is_object()) return;
  auto it = config.find(key);
  Check(it == config.end() || it->is_null(), "layer '", layer, "': ", key, " ",
        it == config.end() ? std::string() : it->dump(),
        " is not supported by the trainer (weight constraints are not applied)");
}

}  // namespace cae::train
