// Rescaling: y = x * scale + offset with scalar scale and offset (defaults 1 and 0), as the
// importer lowers it (keras_lower_layers.cc LowerRescaling: MUL by scale unless 1, then ADD of
// offset unless 0). Per-channel (list) scales or offsets are rejected, as the importer does.
#include "graph/error.h"
#include "train/layers.h"

namespace cae::train {
namespace {

float ScalarConfig(const KerasLayer& kl, const char* key, float fallback) {
  auto it = kl.config.find(key);
  if (it == kl.config.end() || it->is_null()) return fallback;
  Check(it->is_number(), "layer '", kl.name, "': Rescaling ", key,
        " must be a scalar number for the trainer (as for the importer), got ", it->dump());
  return it->get<float>();
}

class Rescaling : public Layer {
 public:
  explicit Rescaling(const KerasLayer& kl)
      : scale_(ScalarConfig(kl, "scale", 1.0f)), offset_(ScalarConfig(kl, "offset", 0.0f)) {}

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    return in[0];
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    ForRange(ctx, n * out_dims.size(), 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[i] = in[0][i] * scale_ + offset_;
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>&, const float*,
                float* dout, const std::vector<float*>& din) override {
    if (din[0] == nullptr) return;
    ForRange(ctx, n * out_dims.size(), 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) din[0][i] += dout[i] * scale_;
    });
  }

 private:
  float scale_ = 1.0f, offset_ = 0.0f;
};

}  // namespace

std::unique_ptr<Layer> MakeRescaling(const KerasLayer& kl) {
  return std::make_unique<Rescaling>(kl);
}

}  // namespace cae::train
