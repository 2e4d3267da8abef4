// PReLU: y = x if x > 0 else alpha * x, with one learned alpha per element of the per-sample input
// shape, shared (size 1) along the Keras axes in shared_axes (1 = H, 2 = W, 3 = C for image
// inputs; 1 = steps, 2 = C for sequences; 1 = D for flat ones), as the importer's LowerPReLU reads
// it. The weight "alpha" keeps the Keras layout (H, W, C), (steps, C) or (D); its default
// initializer is zeros (Keras's alpha_initializer). dL/dalpha sums x * dL/dy over the negative
// inputs that share the alpha, per sample chunk.
//
// The input's Keras rank comes from the Net (in_ranks). A layer built without it cannot tell a flat
// [N, D] input from a [N, 1, 1, C] image: for 1 x 1 inputs it then takes the flat form unless
// shared_axes names axis 2 or 3, and loaded weights of rank 3 switch it to the image form.
#include <algorithm>

#include "graph/error.h"
#include "graph/shape.h"
#include "train/layers.h"

namespace cae::train {
namespace {

class PReLU : public Layer {
 public:
  explicit PReLU(const KerasLayer& kl) {
    auto it = kl.config.find("shared_axes");
    if (it != kl.config.end() && !it->is_null()) {
      std::vector<nlohmann::json> axes;
      if (it->is_array())
        axes.assign(it->begin(), it->end());
      else
        axes.push_back(*it);
      for (const nlohmann::json& a : axes) {
        Check(a.is_number_integer() && a.get<int64_t>() >= 1 && a.get<int64_t>() <= 3, "layer '",
              kl.name, "': shared_axes must hold axes 1..3, got ", it->dump());
        shared_.push_back(a.get<int>());
      }
    }
    ReadInitializer(kl);
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    int rank = in[0].h == 1 && in[0].w == 1 ? 2 : 4;
    for (int a : shared_) rank = a >= 2 ? 4 : rank;
    Shape(in[0], in_ranks.empty() ? rank : in_ranks[0]);
    return in[0];
  }

  void Initialize(uint64_t) override {
    Check(init_ok_, "layer '", name, "': alpha_initializer ", init_name_,
          " is not supported by the trainer (zeros, ones, constant); load weights instead");
    std::fill(params[0].value.begin(), params[0].value.end(), init_value_);
  }

  void LoadKerasWeights(const std::vector<KerasWeight>& w) override {
    Check(w.size() == 1, "layer '", name, "': expected 1 weight (alpha), got ", w.size());
    const Dims& d = in_dims[0];
    if (in_ranks.empty() && d.h == 1 && d.w == 1)  // the weight tells the rank
      Shape(d, w[0].shape.size() == 3 ? 4 : 2);
    params[0].value = FindWeight(w, 0, "alpha", keras_shape_, name).values;
  }

  std::vector<KerasWeight> StoreKerasWeights() const override {
    return {{"alpha", keras_shape_, params[0].value}};
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const int64_t size = out_dims.size();
    const float* alpha = params[0].value.data();
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      for (int64_t i = begin * size; i < end * size; ++i) {
        const float x = in[0][i];
        out[i] = x > 0.0f ? x : alpha[index_[i % size]] * x;
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>& in, const float*,
                float* dout, const std::vector<float*>& din) override {
    const int64_t size = out_dims.size();
    const float* alpha = params[0].value.data();
    PartialGrads da(SampleChunks(n), params[0].value.size());
    ForSampleChunks(ctx, n, [&](int chunk, int begin, int end) {
      float* ga = da.chunk(chunk);
      for (int64_t i = begin * size; i < end * size; ++i) {
        const float x = in[0][i], g = dout[i];
        const int32_t a = index_[i % size];
        if (x > 0.0f) {
          if (din[0] != nullptr) din[0][i] += g;
        } else {
          ga[a] += g * x;
          if (din[0] != nullptr) din[0][i] += g * alpha[a];
        }
      }
    });
    da.AddTo(params[0].grad);
  }

 private:
  // Sets the Keras alpha shape for input d of Keras rank 4 (H, W, C), 3 (steps, C) or 2 (D), the
  // alpha index of every element of a sample, and the param (resized, values kept when the size
  // is unchanged).
  void Shape(const Dims& d, int rank) {
    int ah = d.h, aw = d.w, ac = d.c;
    for (int a : shared_) {
      Check(a < rank, "layer '", name, "': shared axis ", a, " is out of range for a rank ", rank,
            " input");
      const int from_end = rank - 1 - a;  // 0: channels, 1: width (steps), 2: height
      if (from_end == 0)
        ac = 1;
      else if (from_end == 1)
        aw = 1;
      else
        ah = 1;
    }
    keras_shape_ = rank == 4   ? std::vector<int32_t>{ah, aw, ac}
                   : rank == 3 ? std::vector<int32_t>{aw, ac}
                               : std::vector<int32_t>{ac};
    index_.resize(static_cast<size_t>(d.size()));
    for (int c = 0; c < d.c; ++c)
      for (int y = 0; y < d.h; ++y)
        for (int x = 0; x < d.w; ++x)
          index_[(static_cast<size_t>(c) * d.h + y) * d.w + x] =
              ((ah > 1 ? y : 0) * aw + (aw > 1 ? x : 0)) * ac + (ac > 1 ? c : 0);
    const size_t count = static_cast<size_t>(ah) * aw * ac;
    if (params.empty()) params.push_back({"alpha", {}, {}, true});
    params[0].value.resize(count, 0.0f);
    params[0].grad.assign(count, 0.0f);
  }

  // alpha_initializer: absent/zeros, ones, or Constant(value) (a string or a serialized object).
  void ReadInitializer(const KerasLayer& kl) {
    auto it = kl.config.find("alpha_initializer");
    if (it == kl.config.end() || it->is_null()) return;
    std::string cls;
    if (it->is_string())
      cls = it->get<std::string>();
    else if (it->is_object() && it->contains("class_name") && (*it)["class_name"].is_string())
      cls = (*it)["class_name"].get<std::string>();
    init_name_ = it->dump();
    if (cls == "zeros" || cls == "Zeros") {
      init_value_ = 0.0f;
    } else if (cls == "ones" || cls == "Ones") {
      init_value_ = 1.0f;
    } else if (cls == "Constant" || cls == "constant") {
      const nlohmann::json* cfg =
          it->is_object() && it->contains("config") ? &(*it)["config"] : nullptr;
      init_value_ = cfg != nullptr && cfg->is_object() && cfg->contains("value") &&
                            (*cfg)["value"].is_number()
                        ? (*cfg)["value"].get<float>()
                        : 0.0f;
    } else {
      init_ok_ = false;  // reported by Initialize: only a layer without weights needs it
    }
  }

  std::vector<int> shared_;
  std::vector<int32_t> keras_shape_;
  std::vector<int32_t> index_;  // per element of a sample (C, H, W): its alpha
  float init_value_ = 0.0f;
  bool init_ok_ = true;
  std::string init_name_;
};

}  // namespace

std::unique_ptr<Layer> MakePReLU(const KerasLayer& kl) { return std::make_unique<PReLU>(kl); }

}  // namespace cae::train
