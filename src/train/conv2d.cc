// Conv2D: per sample, out[Cout, P] = W[Cout, K] x im2col(x)[K, P] + bias, then the activation.
// Stride-1 layers that narrow the channels (and 1x1 layers without padding) use the kn2row form
// instead (see ShiftAddTaps): its buffers are cout/cin the size of im2col's, and a 1x1 layer
// needs none. Internal kernel layout W[co][(ci * kh + ky) * kw + kx]; Keras stores HWIO.
// Conv1D is this layer with a 1 x k kernel along the width of a (C, 1, steps) input: its Keras
// kernel [k, cin, cout] is the 2-D one without the leading 1 (same element order), and its
// padding may also be "causal" (MakeCausalConvGeom).
#include <cstring>

#include <algorithm>
#include "graph/error.h"
#include "train/conv_geometry.h"
#include "train/gemm.h"
#include "train/layers.h"

namespace cae::train {
namespace {

class Conv2D : public Layer {
 public:
  explicit Conv2D(const KerasLayer& kl) {
    const nlohmann::json& c = kl.config;
    RequireChannelsLast(c, kl.name);
    filters_ = c.value("filters", 0);
    Check(filters_ > 0 && filters_ <= 65536, "layer '", kl.name, "': filters must be 1..65536");
    one_d_ = kl.class_name == "Conv1D" || kl.class_name == "Convolution1D";
    if (one_d_) {
      kw_ = ConfigSingle(c, "kernel_size", 1, kl.name);
      sw_ = ConfigSingle(c, "strides", 1, kl.name);
      dw_ = ConfigSingle(c, "dilation_rate", 1, kl.name);
      const std::string pad = c.value("padding", std::string("valid"));
      Check(pad == "same" || pad == "valid" || pad == "causal", "layer '", kl.name,
            "': padding '", pad, "' is not supported (same, valid, causal)");
      causal_ = pad == "causal";
    } else {
      std::tie(kh_, kw_) = ConfigPair(c, "kernel_size", 1, kl.name);
      std::tie(sh_, sw_) = ConfigPair(c, "strides", 1, kl.name);
      std::tie(dh_, dw_) = ConfigPair(c, "dilation_rate", 1, kl.name);
    }
    Check((sh_ == 1 && sw_ == 1) || (dh_ == 1 && dw_ == 1), "layer '", kl.name,
          "': strides and dilation both > 1");
    const int groups = c.value("groups", 1);
    Check(groups == 1, "layer '", kl.name, "': grouped convolution (groups=", groups,
          ") is not supported");
    same_ = !causal_ && ConfigSamePadding(c, kl.name);
    act_ = ParseActivation(ConfigActivation(c, kl.name), kl.name);
    use_bias_ = c.value("use_bias", true);
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    RequireInputRank(*this, one_d_ ? 3 : 4);
    const Dims& d = in[0];
    g_ = causal_ ? MakeCausalConvGeom(d.c, d.w, kw_, sw_, dw_, name)
                 : MakeConvGeom(d.c, d.h, d.w, kh_, kw_, sh_, sw_, dh_, dw_, same_, name);
    params.clear();
    params.push_back({"kernel", std::vector<float>(filters_ * g_.K()), {}, true});
    if (use_bias_) params.push_back({"bias", std::vector<float>(filters_), {}, true});
    for (Param& p : params) p.grad.assign(p.value.size(), 0.0f);
    const int64_t in_pixels = static_cast<int64_t>(g_.ih) * g_.iw;
    kn2row_ = g_.sh == 1 && g_.sw == 1 &&
              (static_cast<int64_t>(filters_) * in_pixels < g_.cin * g_.P() || Pointwise());
    return Dims{filters_, g_.oh, g_.ow};
  }

  void Initialize(uint64_t seed) override {
    GlorotUniform(params[0].value, g_.K(), static_cast<int64_t>(filters_) * kh_ * kw_, seed);
    if (use_bias_) std::fill(params[1].value.begin(), params[1].value.end(), 0.0f);
  }

  // HWIO, or [k, cin, cout] for Conv1D.
  std::vector<int32_t> KerasKernelShape() const {
    if (one_d_) return {kw_, g_.cin, filters_};
    return {kh_, kw_, g_.cin, filters_};
  }

  void LoadKerasWeights(const std::vector<KerasWeight>& w) override {
    Check(w.size() == (use_bias_ ? 2u : 1u), "layer '", name, "': expected ",
          use_bias_ ? 2 : 1, " weights, got ", w.size());
    const KerasWeight& k = FindWeight(w, 0, "kernel", KerasKernelShape(), name);
    std::vector<float>& dst = params[0].value;
    for (int ky = 0; ky < kh_; ++ky)
      for (int kx = 0; kx < kw_; ++kx)
        for (int ci = 0; ci < g_.cin; ++ci)
          for (int co = 0; co < filters_; ++co)
            dst[co * g_.K() + (ci * kh_ + ky) * kw_ + kx] =
                k.values[((ky * kw_ + kx) * g_.cin + ci) * filters_ + co];
    if (use_bias_) params[1].value = FindWeight(w, 1, "bias", {filters_}, name).values;
  }

  std::vector<KerasWeight> StoreKerasWeights() const override {
    KerasWeight k{"kernel", KerasKernelShape(), std::vector<float>(params[0].value.size())};
    const std::vector<float>& src = params[0].value;
    for (int ky = 0; ky < kh_; ++ky)
      for (int kx = 0; kx < kw_; ++kx)
        for (int ci = 0; ci < g_.cin; ++ci)
          for (int co = 0; co < filters_; ++co)
            k.values[((ky * kw_ + kx) * g_.cin + ci) * filters_ + co] =
                src[co * g_.K() + (ci * kh_ + ky) * kw_ + kx];
    std::vector<KerasWeight> out{std::move(k)};
    if (use_bias_) out.push_back({"bias", {filters_}, params[1].value});
    return out;
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    if (kn2row_) return ForwardKn2Row(ctx, n, in[0], out);
    const int64_t K = g_.K(), P = g_.P();
    const int64_t in_size = in_dims[0].size(), out_size = out_dims.size();
    const float* W = params[0].value.data();
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      float* col = ScratchFloats(0, static_cast<size_t>(K * P));
      for (int s = begin; s < end; ++s) {
        float* y = out + s * out_size;
        for (int co = 0; co < filters_; ++co) {
          const float b = use_bias_ ? params[1].value[co] : 0.0f;
          std::fill(y + co * P, y + (co + 1) * P, b);
        }
        Im2Col(g_, in[0] + s * in_size, col);
        GemmAcc(filters_, static_cast<int>(P), static_cast<int>(K), W, static_cast<int>(K), col,
                static_cast<int>(P), y, static_cast<int>(P));
        ApplyActivation(act_, DefaultActivationAlpha(act_), y, filters_, P);
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>& in, const float* out,
                float* dout, const std::vector<float*>& din) override {
    if (kn2row_) return BackwardKn2Row(ctx, n, in[0], out, dout, din[0]);
    const int64_t K = g_.K(), P = g_.P();
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
        ActivationBackward(act_, DefaultActivationAlpha(act_), out + s * out_size, dz, filters_, P);
        if (use_bias_) AddBiasGrad(dz, filters_, P, gb);
        // dW[Cout, K] += dz[Cout, P] * col[K, P]^T
        Im2Col(g_, in[0] + s * in_size, col);
        Gemm(Trans::kNo, Trans::kYes, filters_, static_cast<int>(K), static_cast<int>(P), dz,
             static_cast<int>(P), col, static_cast<int>(P), 1.0f, gw, static_cast<int>(K));
        if (din[0] != nullptr) {
          // dcol[K, P] = W[Cout, K]^T * dz[Cout, P], scattered back onto the input.
          Gemm(Trans::kYes, Trans::kNo, static_cast<int>(K), static_cast<int>(P), filters_, W,
               static_cast<int>(K), dz, static_cast<int>(P), 0.0f, col, static_cast<int>(P));
          Col2ImAdd(g_, col, din[0] + s * in_size);
        }
      }
    });
    dw.AddTo(params[0].grad);
    if (use_bias_) db.AddTo(params[1].grad);
  }

  // W[co][ci * taps + t].
  std::optional<BiasedKernelLayout> CenteringLayout() const override {
    if (!use_bias_) return std::nullopt;
    return BiasedKernelLayout{filters_, g_.cin, Taps(), g_.K(), Taps(), 1};
  }

 private:
  // A 1x1 stride-1 layer without padding: out = W x in directly.
  bool Pointwise() const {
    return g_.kh == 1 && g_.kw == 1 && g_.sh == 1 && g_.sw == 1 && g_.oh == g_.ih &&
           g_.ow == g_.iw;
  }
  int Taps() const { return kh_ * kw_; }

  // The kernel as Wr[t * filters + co][ci] (t = ky * kw + kx), the left operand of kn2row.
  // Forward and Backward each build it from the current weights (cout * K floats): Backward does
  // not assume the last Forward saw the same weights.
  const float* TapMajorKernel() {
    const int T = Taps();
    wr_.resize(params[0].value.size());
    const float* W = params[0].value.data();
    for (int co = 0; co < filters_; ++co)
      for (int ci = 0; ci < g_.cin; ++ci)
        for (int t = 0; t < T; ++t)
          wr_[(static_cast<int64_t>(t) * filters_ + co) * g_.cin + ci] = W[co * g_.K() + ci * T + t];
    return wr_.data();
  }

  void ForwardKn2Row(const RunContext& ctx, int n, const float* in, float* out) {
    const int T = Taps();
    const int64_t P = g_.P(), in_pixels = static_cast<int64_t>(g_.ih) * g_.iw;
    const int64_t in_size = in_dims[0].size(), out_size = out_dims.size();
    const float* Wr = TapMajorKernel();
    const bool pointwise = Pointwise();
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      float* z = pointwise ? nullptr : ScratchFloats(0, static_cast<size_t>(T * filters_ * in_pixels));
      for (int s = begin; s < end; ++s) {
        float* y = out + s * out_size;
        const float* x = in + s * in_size;
        for (int co = 0; co < filters_; ++co) {
          const float b = use_bias_ ? params[1].value[co] : 0.0f;
          std::fill(y + co * P, y + (co + 1) * P, b);
        }
        if (pointwise) {
          GemmAcc(filters_, static_cast<int>(P), g_.cin, Wr, g_.cin, x, static_cast<int>(P), y,
                  static_cast<int>(P));
        } else {
          Gemm(Trans::kNo, Trans::kNo, T * filters_, static_cast<int>(in_pixels), g_.cin, Wr,
               g_.cin, x, static_cast<int>(in_pixels), 0.0f, z, static_cast<int>(in_pixels));
          ShiftAddTaps(g_, filters_, z, y);
        }
        ApplyActivation(act_, DefaultActivationAlpha(act_), y, filters_, P);
      }
    });
  }

  void BackwardKn2Row(const RunContext& ctx, int n, const float* in, const float* out, float* dout,
                      float* din) {
    const int T = Taps();
    const int64_t P = g_.P(), in_pixels = static_cast<int64_t>(g_.ih) * g_.iw;
    const int64_t in_size = in_dims[0].size(), out_size = out_dims.size();
    const float* Wr = TapMajorKernel();
    const bool pointwise = Pointwise();
    const int chunks = SampleChunks(n);
    const int rows = T * filters_;
    PartialGrads dwr(chunks, params[0].value.size());  // in Wr's layout
    PartialGrads db(chunks, use_bias_ ? filters_ : 0);
    ForSampleChunks(ctx, n, [&](int chunk, int begin, int end) {
      float* spread = pointwise ? nullptr : ScratchFloats(0, static_cast<size_t>(rows * in_pixels));
      float* gw = dwr.chunk(chunk);
      float* gb = db.chunk(chunk);
      for (int s = begin; s < end; ++s) {
        float* dz = dout + s * out_size;
        const float* x = in + s * in_size;
        ActivationBackward(act_, DefaultActivationAlpha(act_), out + s * out_size, dz, filters_, P);
        if (use_bias_) AddBiasGrad(dz, filters_, P, gb);
        // dz per tap over the input pixels: dWr[rows, cin] += dZ x x^T, din += Wr^T x dZ.
        const float* dZ = dz;
        if (!pointwise) {
          SpreadTaps(g_, filters_, dz, spread);
          dZ = spread;
        }
        Gemm(Trans::kNo, Trans::kYes, rows, g_.cin, static_cast<int>(in_pixels), dZ,
             static_cast<int>(in_pixels), x, static_cast<int>(in_pixels), 1.0f, gw, g_.cin);
        if (din != nullptr) {
          Gemm(Trans::kYes, Trans::kNo, g_.cin, static_cast<int>(in_pixels), rows, Wr, g_.cin, dZ,
               static_cast<int>(in_pixels), 1.0f, din + s * in_size, static_cast<int>(in_pixels));
        }
      }
    });
    std::vector<float> grad_r(params[0].value.size(), 0.0f);
    dwr.AddTo(grad_r);
    std::vector<float>& grad = params[0].grad;
    for (int co = 0; co < filters_; ++co)
      for (int ci = 0; ci < g_.cin; ++ci)
        for (int t = 0; t < T; ++t)
          grad[co * g_.K() + ci * T + t] += grad_r[(static_cast<int64_t>(t) * filters_ + co) * g_.cin + ci];
    if (use_bias_) db.AddTo(params[1].grad);
  }

  bool kn2row_ = false;
  std::vector<float> wr_;  // TapMajorKernel's buffer
  int filters_ = 0, kh_ = 1, kw_ = 1, sh_ = 1, sw_ = 1, dh_ = 1, dw_ = 1;
  bool same_ = false, use_bias_ = true;
  bool one_d_ = false, causal_ = false;  // Conv1D; its padding "causal"
  Act act_ = Act::kLinear;
  ConvGeom g_;
};

}  // namespace

std::unique_ptr<Layer> MakeConv2D(const KerasLayer& kl) { return std::make_unique<Conv2D>(kl); }

}  // namespace cae::train
