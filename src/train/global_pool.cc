// GlobalAveragePooling2D (GlobalAvgPool2D) and GlobalMaxPooling2D (GlobalMaxPool2D): one value per
// channel, the mean or the maximum over the feature map's pixels; the output is Dims{c, 1, 1}
// whether keepdims is true ([N, 1, 1, C] in Keras) or false ([N, C]), the trainer keeps both the
// same way. The average spreads dL/dy / pixels over the map. The maximum routes the gradient to
// the first maximal pixel in row-major order (as MaxPooling2D here; TF's reduce_max gradient
// splits it evenly among ties, which only differs on exact ties). The 1-D layers
// (GlobalAveragePooling1D, GlobalMaxPooling1D) pool the steps of a (C, 1, steps) input the same
// way; keepdims=True keeps Keras rank 3 ([N, 1, C]).
#include "graph/error.h"
#include "train/layers.h"

namespace cae::train {
namespace {

class GlobalPool : public Layer {
 public:
  GlobalPool(const KerasLayer& kl, bool max) : max_(max) {
    RequireChannelsLast(kl.config, kl.name);
    one_d_ = kl.class_name.find("1D") != std::string::npos;
    auto it = kl.config.find("keepdims");
    Check(it == kl.config.end() || it->is_null() || it->is_boolean(), "layer '", kl.name,
          "': keepdims must be true or false, got ", it == kl.config.end() ? "" : it->dump());
    keepdims_ = it != kl.config.end() && it->is_boolean() && it->get<bool>();
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    RequireInputRank(*this, one_d_ ? 3 : 4);
    return Dims{in[0].c, 1, 1};
  }

  int OutputRank() const override {
    if (in_ranks.empty()) return 0;
    return keepdims_ ? in_ranks[0] : 2;
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const int64_t P = in_dims[0].pixels();
    const float inv = 1.0f / static_cast<float>(P);
    ForRange(ctx, static_cast<int64_t>(n) * out_dims.c, 64, [&](int64_t b, int64_t e) {
      for (int64_t plane = b; plane < e; ++plane) {
        const float* x = in[0] + plane * P;
        if (max_) {
          out[plane] = x[ArgMax(x, P)];
        } else {
          float sum = 0.0f;
          for (int64_t p = 0; p < P; ++p) sum += x[p];
          out[plane] = sum * inv;
        }
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>& in, const float*,
                float* dout, const std::vector<float*>& din) override {
    if (din[0] == nullptr) return;
    const int64_t P = in_dims[0].pixels();
    const float inv = 1.0f / static_cast<float>(P);
    ForRange(ctx, static_cast<int64_t>(n) * out_dims.c, 64, [&](int64_t b, int64_t e) {
      for (int64_t plane = b; plane < e; ++plane) {
        float* dx = din[0] + plane * P;
        if (max_) {
          dx[ArgMax(in[0] + plane * P, P)] += dout[plane];
        } else {
          const float g = dout[plane] * inv;
          for (int64_t p = 0; p < P; ++p) dx[p] += g;
        }
      }
    });
  }

 private:
  // The first position of the maximum of x[0, P).
  static int64_t ArgMax(const float* x, int64_t P) {
    int64_t best = 0;
    for (int64_t p = 1; p < P; ++p)
      if (x[p] > x[best]) best = p;
    return best;
  }

  bool max_ = false, one_d_ = false, keepdims_ = false;
};

}  // namespace

std::unique_ptr<Layer> MakeGlobalPool(const KerasLayer& kl, bool max) {
  return std::make_unique<GlobalPool>(kl, max);
}

}  // namespace cae::train
