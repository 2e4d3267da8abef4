// Conv2DTranspose: the adjoint of a Conv2D ("C") that maps the transposed conv's output
// (filters x OH x OW) back to its input (cin x H x W). Per sample:
//   out = col2im(Wc^T[K, cin] x x[cin, P]) + bias, then the activation,
// with Wc[ci][(f * kh + ky) * kw + kx] = keras_kernel[ky][kx][f][ci] (Keras stores HW O I).
// Output size as Keras's deconv_output_length: without output_padding, same -> in * stride,
// valid -> in * stride + max(kernel - stride, 0); with output_padding op (< stride),
// (in - 1) * stride + kernel - 2 * pad + op, pad = kernel / 2 (same) or 0 (valid). The padding of
// the adjoint Conv2D then follows TensorFlow's rule for that output size.
#include <algorithm>
#include "graph/error.h"
#include "train/conv_geometry.h"
#include "train/gemm.h"
#include "train/layers.h"

namespace cae::train {
namespace {

class Conv2DTranspose : public Layer {
 public:
  explicit Conv2DTranspose(const KerasLayer& kl) {
    const nlohmann::json& c = kl.config;
    RequireChannelsLast(c, kl.name);
    filters_ = c.value("filters", 0);
    Check(filters_ > 0 && filters_ <= 65536, "layer '", kl.name, "': filters must be 1..65536");
    std::tie(kh_, kw_) = ConfigPair(c, "kernel_size", 1, kl.name);
    std::tie(sh_, sw_) = ConfigPair(c, "strides", 1, kl.name);
    auto [dh, dw] = ConfigPair(c, "dilation_rate", 1, kl.name);
    Check(dh == 1 && dw == 1, "layer '", kl.name, "': dilated Conv2DTranspose is not supported");
    same_ = ConfigSamePadding(c, kl.name);
    has_output_padding_ = c.contains("output_padding") && !c["output_padding"].is_null();
    if (has_output_padding_) {
      std::tie(oph_, opw_) = ConfigPair(c, "output_padding", 0, kl.name);
      Check(oph_ >= 0 && opw_ >= 0 && oph_ < sh_ && opw_ < sw_, "layer '", kl.name,
            "': output_padding must be in [0, strides)");
    }
    act_ = ParseActivation(ConfigActivation(c, kl.name), kl.name);
    use_bias_ = c.value("use_bias", true);
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    RequireInputRank(*this, 4);
    cin_ = in[0].c;
    Check(kh_ > 0 && kw_ > 0 && sh_ > 0 && sw_ > 0 && kh_ <= 1024 && kw_ <= 1024 && sh_ <= 1024 &&
              sw_ <= 1024,
          "layer '", name, "': kernel/stride must be in 1..1024");
    const int oh = OutputLength(in[0].h, kh_, sh_, oph_);
    const int ow = OutputLength(in[0].w, kw_, sw_, opw_);
    Check(oh > 0 && ow > 0 && oh <= 65536 && ow <= 65536, "layer '", name, "': output size ", oh,
          "x", ow, " out of range");
    g_ = MakeConvGeom(filters_, oh, ow, kh_, kw_, sh_, sw_, 1, 1, same_, name);
    Check(g_.oh == in[0].h && g_.ow == in[0].w, "layer '", name, "': output ", oh, "x", ow,
          " does not map back to the input ", in[0].h, "x", in[0].w,
          " with this kernel, stride and output_padding (TensorFlow rejects it too)");
    params.clear();
    params.push_back({"kernel", std::vector<float>(cin_ * g_.K()), {}, true});
    if (use_bias_) params.push_back({"bias", std::vector<float>(filters_), {}, true});
    for (Param& p : params) p.grad.assign(p.value.size(), 0.0f);
    return Dims{filters_, oh, ow};
  }

  void Initialize(uint64_t seed) override {
    // Keras computes fans from the kernel shape (kh, kw, filters, cin) as if it were HWIO.
    GlorotUniform(params[0].value, static_cast<int64_t>(kh_) * kw_ * filters_,
                  static_cast<int64_t>(kh_) * kw_ * cin_, seed);
    if (use_bias_) std::fill(params[1].value.begin(), params[1].value.end(), 0.0f);
  }

  int OutputLength(int in, int k, int s, int op) const {
    const int64_t len = !has_output_padding_
                            ? (same_ ? int64_t{in} * s : int64_t{in} * s + std::max(k - s, 0))
                            : int64_t{in - 1} * s + k - 2 * (same_ ? k / 2 : 0) + op;
    return static_cast<int>(std::clamp<int64_t>(len, -1, 1 << 20));
  }

  std::vector<int32_t> KerasKernelShape() const { return {kh_, kw_, filters_, cin_}; }

  void LoadKerasWeights(const std::vector<KerasWeight>& w) override {
    Check(w.size() == (use_bias_ ? 2u : 1u), "layer '", name, "': expected ",
          use_bias_ ? 2 : 1, " weights, got ", w.size());
    const KerasWeight& k = FindWeight(w, 0, "kernel", KerasKernelShape(), name);
    for (int ky = 0; ky < kh_; ++ky)
      for (int kx = 0; kx < kw_; ++kx)
        for (int f = 0; f < filters_; ++f)
          for (int ci = 0; ci < cin_; ++ci)
            params[0].value[ci * g_.K() + (f * kh_ + ky) * kw_ + kx] =
                k.values[((ky * kw_ + kx) * filters_ + f) * cin_ + ci];
    if (use_bias_) params[1].value = FindWeight(w, 1, "bias", {filters_}, name).values;
  }

  std::vector<KerasWeight> StoreKerasWeights() const override {
    KerasWeight k{"kernel", KerasKernelShape(), std::vector<float>(params[0].value.size())};
    for (int ky = 0; ky < kh_; ++ky)
      for (int kx = 0; kx < kw_; ++kx)
        for (int f = 0; f < filters_; ++f)
          for (int ci = 0; ci < cin_; ++ci)
            k.values[((ky * kw_ + kx) * filters_ + f) * cin_ + ci] =
                params[0].value[ci * g_.K() + (f * kh_ + ky) * kw_ + kx];
    std::vector<KerasWeight> out{std::move(k)};
    if (use_bias_) out.push_back({"bias", {filters_}, params[1].value});
    return out;
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const int64_t K = g_.K(), P = g_.P(), OP = out_dims.pixels();
    const int64_t in_size = in_dims[0].size(), out_size = out_dims.size();
    const float* W = params[0].value.data();  // [cin, K]
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      float* col = ScratchFloats(0, static_cast<size_t>(K * P));
      for (int s = begin; s < end; ++s) {
        float* y = out + s * out_size;
        // col[K, P] = W[cin, K]^T * x[cin, P], scattered onto the output.
        Gemm(Trans::kYes, Trans::kNo, static_cast<int>(K), static_cast<int>(P), cin_, W,
             static_cast<int>(K), in[0] + s * in_size, static_cast<int>(P), 0.0f, col,
             static_cast<int>(P));
        for (int f = 0; f < filters_; ++f) {
          const float b = use_bias_ ? params[1].value[f] : 0.0f;
          std::fill(y + f * OP, y + (f + 1) * OP, b);
        }
        Col2ImAdd(g_, col, y);
        ApplyActivation(act_, DefaultActivationAlpha(act_), y, filters_, OP);
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>& in, const float* out,
                float* dout, const std::vector<float*>& din) override {
    const int64_t K = g_.K(), P = g_.P(), OP = out_dims.pixels();
    const int64_t in_size = in_dims[0].size(), out_size = out_dims.size();
    const float* W = params[0].value.data();
    const int chunks = SampleChunks(n);
    PartialGrads dw(chunks, params[0].value.size());
    PartialGrads db(chunks, use_bias_ ? filters_ : 0);
    ForSampleChunks(ctx, n, [&](int chunk, int begin, int end) {
      float* col = ScratchFloats(0, static_cast<size_t>(K * P));
      float* gw = dw.chunk(chunk);
      float* gb = db.chunk(chunk);
      for (int s = begin; s < end; ++s) {
        float* dz = dout + s * out_size;
        ActivationBackward(act_, DefaultActivationAlpha(act_), out + s * out_size, dz, filters_,
                           OP);
        if (use_bias_) AddBiasGrad(dz, filters_, OP, gb);
        Im2Col(g_, dz, col);
        if (din[0] != nullptr) {
          GemmAcc(cin_, static_cast<int>(P), static_cast<int>(K), W, static_cast<int>(K), col,
                  static_cast<int>(P), din[0] + s * in_size, static_cast<int>(P));
        }
        // dW[cin, K] += x[cin, P] * col[K, P]^T
        Gemm(Trans::kNo, Trans::kYes, cin_, static_cast<int>(K), static_cast<int>(P),
             in[0] + s * in_size, static_cast<int>(P), col, static_cast<int>(P), 1.0f, gw,
             static_cast<int>(K));
      }
    });
    dw.AddTo(params[0].grad);
    if (use_bias_) db.AddTo(params[1].grad);
  }

 private:
  int filters_ = 0, cin_ = 0, kh_ = 1, kw_ = 1, sh_ = 1, sw_ = 1;
  int oph_ = 0, opw_ = 0;  // output_padding (used when has_output_padding_)
  bool same_ = false, use_bias_ = true, has_output_padding_ = false;
  Act act_ = Act::kLinear;
  ConvGeom g_;
};

}  // namespace

std::unique_ptr<Layer> MakeConv2DTranspose(const KerasLayer& kl) {
  return std::make_unique<Conv2DTranspose>(kl);
}

}  // namespace cae::train
