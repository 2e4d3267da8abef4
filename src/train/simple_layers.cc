// Layers without weights: Dropout, activations, Concatenate, Flatten, Reshape.
#include <cstring>

#include <algorithm>
#include "graph/error.h"
#include "train/layers.h"

namespace cae::train {
namespace {

// Dropout: in training, keeps a value with probability 1 - rate and scales it by 1 / (1 - rate).
// The mask is a hash of (step seed, layer name, element index): the same in the backward pass,
// independent of threads. Identity in inference. SpatialDropout2D drops whole feature maps: one
// mask value per (sample, channel), as Keras's noise_shape (batch, 1, 1, channels).
class Dropout : public Layer {
 public:
  explicit Dropout(const KerasLayer& kl) {
    rate_ = kl.config.value("rate", 0.5);
    Check(rate_ >= 0.0 && rate_ < 1.0, "layer '", kl.name, "': rate must be in [0, 1)");
    Check(!kl.config.contains("noise_shape") || kl.config["noise_shape"].is_null(), "layer '",
          kl.name, "': Dropout with noise_shape is not supported");
    salt_ = std::hash<std::string>{}(kl.name);
    if (kl.class_name == "SpatialDropout2D") {
      RequireChannelsLast(kl.config, kl.name);
      per_channel_ = true;
    }
  }
  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    return in[0];
  }
  float Mask(const RunContext& ctx, int64_t i) const {
    const int64_t unit = per_channel_ ? i / out_dims.pixels() : i;  // internal layout: C x H x W
    const float u = UnitFloat(Mix(ctx.step_seed, salt_, static_cast<uint64_t>(unit)));
    return u >= rate_ ? static_cast<float>(1.0 / (1.0 - rate_)) : 0.0f;
  }
  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const int64_t count = n * out_dims.size();
    ForRange(ctx, count, 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[i] = ctx.training ? in[0][i] * Mask(ctx, i) : in[0][i];
    });
  }
  void Backward(const RunContext& ctx, int n, const std::vector<const float*>&, const float*,
                float* dout, const std::vector<float*>& din) override {
    if (din[0] == nullptr) return;
    const int64_t count = n * out_dims.size();
    ForRange(ctx, count, 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) din[0][i] += ctx.training ? dout[i] * Mask(ctx, i) : dout[i];
    });
  }

 private:
  double rate_ = 0.5;
  uint64_t salt_ = 0;
  bool per_channel_ = false;
};

class ActivationLayer : public Layer {
 public:
  explicit ActivationLayer(const KerasLayer& kl) {
    const nlohmann::json& c = kl.config;
    if (kl.class_name == "Activation") {
      act_ = ParseActivation(ConfigActivation(c, kl.name), kl.name);
      alpha_ = DefaultActivationAlpha(act_);
    } else if (kl.class_name == "ReLU") {
      const double slope = c.contains("negative_slope") && !c["negative_slope"].is_null()
                               ? c["negative_slope"].get<double>() : 0.0;
      const double threshold = c.contains("threshold") && !c["threshold"].is_null()
                                   ? c["threshold"].get<double>() : 0.0;
      Check(slope == 0.0 && threshold == 0.0, "layer '", kl.name,
            "': ReLU with negative_slope or threshold is not supported");
      act_ = Act::kRelu;
      if (c.contains("max_value") && !c["max_value"].is_null()) {
        Check(c["max_value"].get<double>() == 6.0, "layer '", kl.name,
              "': ReLU max_value other than 6 is not supported");
        act_ = Act::kRelu6;
      }
    } else if (kl.class_name == "LeakyReLU") {
      act_ = Act::kLeakyRelu;
      alpha_ = c.contains("negative_slope") ? c["negative_slope"].get<float>()
                                            : c.value("alpha", 0.3f);
    } else if (kl.class_name == "ELU") {
      act_ = Act::kElu;
      alpha_ = c.value("alpha", 1.0f);
    } else {  // Softmax
      auto axis = c.find("axis");
      Check(axis == c.end() || axis->is_null() || (axis->is_number_integer() && axis->get<int>() == -1),
            "layer '", kl.name, "': Softmax only over the last axis");
      act_ = Act::kSoftmax;
    }
  }
  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    return in[0];
  }
  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const int64_t size = out_dims.size();
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      std::memcpy(out + begin * size, in[0] + begin * size,
                  sizeof(float) * static_cast<size_t>((end - begin) * size));
      for (int s = begin; s < end; ++s)
        ApplyActivation(act_, alpha_, out + s * size, out_dims.c, out_dims.pixels());
    });
  }
  void Backward(const RunContext& ctx, int n, const std::vector<const float*>&, const float* out,
                float* dout, const std::vector<float*>& din) override {
    if (din[0] == nullptr) return;
    const int64_t size = out_dims.size();
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      for (int s = begin; s < end; ++s) {
        ActivationBackward(act_, alpha_, out + s * size, dout + s * size, out_dims.c,
                           out_dims.pixels());
        for (int64_t i = s * size; i < (s + 1) * size; ++i) din[0][i] += dout[i];
      }
    });
  }

 private:
  Act act_ = Act::kLinear;
  float alpha_ = 0.0f;
};

// Concatenate along channels (the only axis the trainer's layout keeps contiguous per input).
class Concatenate : public Layer {
 public:
  explicit Concatenate(const KerasLayer& kl) : axis_(kl.config.value("axis", -1)) {}
  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() >= 2, "layer '", name, "': expects at least two inputs");
    const int rank = in_ranks.empty() ? 4 : in_ranks[0];
    Check(axis_ == -1 || axis_ == rank - 1, "layer '", name,
          "': Concatenate only along the channel axis (-1 or ", rank - 1, "), got ", axis_);
    Dims d{0, in[0].h, in[0].w};
    for (const Dims& x : in) {
      Check(x.h == d.h && x.w == d.w, "layer '", name, "': inputs ", DimsToString(in[0]), " and ",
            DimsToString(x), " differ in height/width");
      d.c += x.c;
    }
    return d;
  }
  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      for (int s = begin; s < end; ++s) {
        float* y = out + s * out_dims.size();
        for (size_t i = 0; i < in.size(); ++i) {
          const int64_t sz = in_dims[i].size();
          std::memcpy(y, in[i] + s * sz, sizeof(float) * static_cast<size_t>(sz));
          y += sz;
        }
      }
    });
  }
  void Backward(const RunContext& ctx, int n, const std::vector<const float*>&, const float*,
                float* dout, const std::vector<float*>& din) override {
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      for (int s = begin; s < end; ++s) {
        const float* dy = dout + s * out_dims.size();
        for (size_t i = 0; i < din.size(); ++i) {
          const int64_t sz = in_dims[i].size();
          if (din[i] != nullptr)
            for (int64_t k = 0; k < sz; ++k) din[i][s * sz + k] += dy[k];
          dy += sz;
        }
      }
    });
  }

 private:
  int axis_ = -1;
};

// Flatten and Reshape: Keras orders values H, W, C; the trainer C, H, W. Both become a fixed
// permutation out[i] = in[source_[i]] within a sample.
class Reshape : public Layer {
 public:
  explicit Reshape(const KerasLayer& kl) {
    if (kl.class_name == "Flatten") {
      RequireChannelsLast(kl.config, kl.name);
      target_ = {-1};
      return;
    }
    auto it = kl.config.find("target_shape");
    Check(it != kl.config.end() && it->is_array() && it->size() >= 1 && it->size() <= 3,
          "layer '", kl.name, "': Reshape target_shape must have 1, 2 or 3 dims");
    for (const auto& v : *it) {
      Check(v.is_number_integer(), "layer '", kl.name, "': target_shape must hold integers");
      target_.push_back(v.get<int>());
    }
  }
  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    const Dims& d = in[0];
    Dims o{static_cast<int>(d.size()), 1, 1};
    const int rank = static_cast<int>(target_.size());
    if (rank >= 2) {
      int64_t known = 1;
      int unknown = -1;
      for (int i = 0; i < rank; ++i) {
        if (target_[i] == -1 && unknown < 0) unknown = i;
        else {
          Check(target_[i] > 0, "layer '", name, "': bad target_shape entry ", target_[i]);
          known *= target_[i];
        }
      }
      std::vector<int> t = target_;
      if (unknown >= 0) t[unknown] = static_cast<int>(d.size() / known);
      o = rank == 3 ? Dims{t[2], t[0], t[1]} : Dims{t[1], 1, t[0]};  // (H, W, C) or (steps, C)
    } else if (target_.size() == 1 && target_[0] != -1) {
      o = Dims{target_[0], 1, 1};
    }
    Check(o.size() == d.size(), "layer '", name, "': cannot reshape ", DimsToString(d), " (",
          d.size(), " values) to ", DimsToString(o));
    source_.resize(static_cast<size_t>(o.size()));
    // Keras's flat index of an element is (y * w + x) * c + channel in both (h = 1 for 1-D).
    for (int c = 0; c < o.c; ++c)
      for (int y = 0; y < o.h; ++y)
        for (int x = 0; x < o.w; ++x) {
          const int64_t k = (static_cast<int64_t>(y) * o.w + x) * o.c + c;  // Keras flat index
          const int64_t ic = k % d.c, pix = k / d.c;
          source_[(static_cast<int64_t>(c) * o.h + y) * o.w + x] = ic * d.pixels() + pix;
        }
    return o;
  }
  int OutputRank() const override { return static_cast<int>(target_.size()) + 1; }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const int64_t sz = out_dims.size();
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      for (int s = begin; s < end; ++s)
        for (int64_t i = 0; i < sz; ++i) out[s * sz + i] = in[0][s * sz + source_[i]];
    });
  }
  void Backward(const RunContext& ctx, int n, const std::vector<const float*>&, const float*,
                float* dout, const std::vector<float*>& din) override {
    if (din[0] == nullptr) return;
    const int64_t sz = out_dims.size();
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      for (int s = begin; s < end; ++s)
        for (int64_t i = 0; i < sz; ++i) din[0][s * sz + source_[i]] += dout[s * sz + i];
    });
  }

 private:
  std::vector<int> target_;      // per-sample target shape; {-1} for Flatten
  std::vector<int64_t> source_;  // per output index: the input index
};

}  // namespace

std::unique_ptr<Layer> MakeDropout(const KerasLayer& kl) { return std::make_unique<Dropout>(kl); }
std::unique_ptr<Layer> MakeActivationLayer(const KerasLayer& kl) {
  return std::make_unique<ActivationLayer>(kl);
}
std::unique_ptr<Layer> MakeConcatenate(const KerasLayer& kl) {
  return std::make_unique<Concatenate>(kl);
}
std::unique_ptr<Layer> MakeFlatten(const KerasLayer& kl) { return std::make_unique<Reshape>(kl); }
std::unique_ptr<Layer> MakeReshape(const KerasLayer& kl) { return std::make_unique<Reshape>(kl); }

}  // namespace cae::train
