// MaxPooling2D and AveragePooling2D. Padded positions never win a max and are not counted in an
// average (as TensorFlow and TFLite). Max pooling routes the gradient to the first maximum of each
// window in row-major window order. UpSampling2D: nearest, or bilinear with half-pixel centers
// (tf.keras since TF 2.0, Keras 3) or without (standalone Keras before 2.4), as the importer
// lowers it; the gradient spreads back with the same weights. The 1-D layers (MaxPooling1D,
// AveragePooling1D, UpSampling1D) are the same code with a window of height 1 on (C, 1, steps).
#include <cmath>
#include <limits>

#include <algorithm>
#include "graph/error.h"
#include "train/conv_geometry.h"
#include "train/layers.h"

namespace cae::train {
namespace {

class Pool : public Layer {
 public:
  Pool(const KerasLayer& kl, bool max) : max_(max) {
    RequireChannelsLast(kl.config, kl.name);
    one_d_ = kl.class_name.find("1D") != std::string::npos;
    if (one_d_) {
      ph_ = sh_ = 1;
      pw_ = ConfigSingle(kl.config, "pool_size", 2, kl.name);
      sw_ = ConfigSingle(kl.config, "strides", 0, kl.name);
    } else {
      std::tie(ph_, pw_) = ConfigPair(kl.config, "pool_size", 2, kl.name);
      std::tie(sh_, sw_) = ConfigPair(kl.config, "strides", 0, kl.name);
    }
    if (sh_ == 0) sh_ = ph_;
    if (sw_ == 0) sw_ = pw_;
    same_ = ConfigSamePadding(kl.config, kl.name);
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    RequireInputRank(*this, one_d_ ? 3 : 4);
    g_ = MakeConvGeom(in[0].c, in[0].h, in[0].w, ph_, pw_, sh_, sw_, 1, 1, same_, name);
    return Dims{in[0].c, g_.oh, g_.ow};
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const int64_t in_size = in_dims[0].size(), out_size = out_dims.size();
    if (max_) argmax_.resize(static_cast<size_t>(n * out_size));
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      for (int s = begin; s < end; ++s) {
        const float* x = in[0] + s * in_size;
        float* y = out + s * out_size;
        int32_t* arg = max_ ? argmax_.data() + s * out_size : nullptr;
        for (int c = 0; c < g_.cin; ++c)
          for (int oy = 0; oy < g_.oh; ++oy) {
            // The window's rows and columns clipped to the input once per row/column of outputs.
            const int iy0 = std::max(oy * sh_ - g_.pad_top, 0);
            const int iy1 = std::min(oy * sh_ - g_.pad_top + ph_, g_.ih);
            const int64_t o0 = (static_cast<int64_t>(c) * g_.oh + oy) * g_.ow;
            int ox = 0;
            if (max_ && ph_ == 2 && pw_ == 2 && sh_ == 2 && sw_ == 2 && iy1 - iy0 == 2) {
              // 2x2 windows inside the image, [first, last): their four values in row-major
              // order; the clipped windows before and after go the general way.
              const int first = std::min(g_.ow, (g_.pad_left + 1) / 2);
              const int last = std::min(g_.ow, (g_.iw + g_.pad_left) / 2);
              for (; ox < first; ++ox) MaxWindow(x, c, iy0, iy1, ox, y + o0 + ox, arg + o0 + ox);
              const int32_t row = (c * g_.ih + iy0) * g_.iw;
              for (; ox < last; ++ox) {
                const int32_t i = row + 2 * ox - g_.pad_left;
                const int32_t at[4] = {i, i + 1, i + g_.iw, i + g_.iw + 1};
                float best = x[i];
                int32_t best_i = i;
                for (int j = 1; j < 4; ++j) {
                  const bool more = x[at[j]] > best;
                  best_i = more ? at[j] : best_i;
                  best = more ? x[at[j]] : best;
                }
                y[o0 + ox] = best;
                arg[o0 + ox] = best_i;
              }
            }
            for (; ox < g_.ow; ++ox) {
              if (max_) {
                MaxWindow(x, c, iy0, iy1, ox, y + o0 + ox, arg + o0 + ox);
              } else {
                const int ix0 = std::max(ox * sw_ - g_.pad_left, 0);
                const int ix1 = std::min(ox * sw_ - g_.pad_left + pw_, g_.iw);
                float sum = 0.0f;
                for (int iy = iy0; iy < iy1; ++iy) {
                  const int32_t r = (c * g_.ih + iy) * g_.iw;
                  for (int ix = ix0; ix < ix1; ++ix) sum += x[r + ix];
                }
                y[o0 + ox] = sum / static_cast<float>((iy1 - iy0) * (ix1 - ix0));
              }
            }
          }
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>&, const float*,
                float* dout, const std::vector<float*>& din) override {
    if (din[0] == nullptr) return;
    const int64_t in_size = in_dims[0].size(), out_size = out_dims.size();
    ForSampleChunks(ctx, n, [&](int, int begin, int end) {
      for (int s = begin; s < end; ++s) {
        float* dx = din[0] + s * in_size;
        const float* dy = dout + s * out_size;
        if (max_) {
          const int32_t* arg = argmax_.data() + s * out_size;
          for (int64_t o = 0; o < out_size; ++o) dx[arg[o]] += dy[o];
          continue;
        }
        for (int c = 0; c < g_.cin; ++c)
          for (int oy = 0; oy < g_.oh; ++oy)
            for (int ox = 0; ox < g_.ow; ++ox) {
              const int64_t o = (static_cast<int64_t>(c) * g_.oh + oy) * g_.ow + ox;
              const int y0 = std::max(oy * sh_ - g_.pad_top, 0);
              const int y1 = std::min(oy * sh_ - g_.pad_top + ph_, g_.ih);
              const int x0 = std::max(ox * sw_ - g_.pad_left, 0);
              const int x1 = std::min(ox * sw_ - g_.pad_left + pw_, g_.iw);
              const float g = dy[o] / static_cast<float>((y1 - y0) * (x1 - x0));
              for (int iy = y0; iy < y1; ++iy)
                for (int ix = x0; ix < x1; ++ix) dx[(c * g_.ih + iy) * g_.iw + ix] += g;
            }
      }
    });
  }

 private:
  // The maximum of window (c, rows [iy0, iy1), output column ox) and its first position.
  void MaxWindow(const float* x, int c, int iy0, int iy1, int ox, float* y, int32_t* arg) const {
    const int ix0 = std::max(ox * sw_ - g_.pad_left, 0);
    const int ix1 = std::min(ox * sw_ - g_.pad_left + pw_, g_.iw);
    int32_t best_i = (c * g_.ih + iy0) * g_.iw + ix0;
    float best = x[best_i];
    for (int iy = iy0; iy < iy1; ++iy) {
      const int32_t r = (c * g_.ih + iy) * g_.iw;
      for (int ix = ix0; ix < ix1; ++ix) {
        const bool more = x[r + ix] > best;
        best_i = more ? r + ix : best_i;
        best = more ? x[r + ix] : best;
      }
    }
    *y = best;
    *arg = best_i;
  }

  bool max_ = true, same_ = false, one_d_ = false;
  int ph_ = 2, pw_ = 2, sh_ = 2, sw_ = 2;
  ConvGeom g_;
  std::vector<int32_t> argmax_;  // per output of the last Forward: input index of the maximum
};

class UpSampling2D : public Layer {
 public:
  explicit UpSampling2D(const KerasLayer& kl) {
    RequireChannelsLast(kl.config, kl.name);
    one_d_ = kl.class_name == "UpSampling1D";
    if (one_d_) {
      fh_ = 1;
      fw_ = ConfigSingle(kl.config, "size", 2, kl.name);
    } else {
      std::tie(fh_, fw_) = ConfigPair(kl.config, "size", 2, kl.name);
    }
    Check(fh_ > 0 && fw_ > 0 && fh_ <= 1024 && fw_ <= 1024, "layer '", kl.name,
          "': size must be 1..1024");
    const std::string interp = kl.config.value("interpolation", std::string("nearest"));
    Check(interp == "nearest" || interp == "bilinear", "layer '", kl.name,
          "': UpSampling2D interpolation '", interp,
          "' is not supported by the trainer (nearest, bilinear)");
    bilinear_ = interp == "bilinear";
    // Not a Keras key: Net sets it to false for standalone Keras before 2.4 (TF1 resize_bilinear).
    half_pixel_ = kl.config.value("half_pixel_centers", true);
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    RequireInputRank(*this, one_d_ ? 3 : 4);
    Check(static_cast<int64_t>(in[0].h) * fh_ <= 65536 && static_cast<int64_t>(in[0].w) * fw_ <= 65536,
          "layer '", name, "': output too large");
    if (bilinear_) {
      rows_ = BilinearTaps(in[0].h, in[0].h * fh_, half_pixel_);
      cols_ = BilinearTaps(in[0].w, in[0].w * fw_, half_pixel_);
    }
    return Dims{in[0].c, in[0].h * fh_, in[0].w * fw_};
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const Dims& d = in_dims[0];
    if (bilinear_) {
      ForRange(ctx, static_cast<int64_t>(n) * d.c, 16, [&](int64_t b, int64_t e) {
        for (int64_t plane = b; plane < e; ++plane) {
          const float* x = in[0] + plane * d.pixels();
          float* y = out + plane * out_dims.pixels();
          for (int oy = 0; oy < out_dims.h; ++oy) {
            const Tap& r = rows_[oy];
            for (int ox = 0; ox < out_dims.w; ++ox) {
              const Tap& c = cols_[ox];
              y[oy * out_dims.w + ox] = x[r.lo * d.w + c.lo] * (1 - r.t) * (1 - c.t) +
                                        x[r.hi * d.w + c.lo] * r.t * (1 - c.t) +
                                        x[r.lo * d.w + c.hi] * (1 - r.t) * c.t +
                                        x[r.hi * d.w + c.hi] * r.t * c.t;
            }
          }
        }
      });
      return;
    }
    ForRange(ctx, static_cast<int64_t>(n) * d.c, 16, [&](int64_t b, int64_t e) {
      for (int64_t plane = b; plane < e; ++plane) {
        const float* x = in[0] + plane * d.pixels();
        float* y = out + plane * out_dims.pixels();
        // Each input row widened once, then repeated fh times.
        for (int iy = 0; iy < d.h; ++iy) {
          float* row = y + static_cast<int64_t>(iy) * fh_ * out_dims.w;
          const float* src = x + iy * d.w;
          if (fw_ == 2) {
            for (int ix = 0; ix < d.w; ++ix) row[2 * ix] = row[2 * ix + 1] = src[ix];
          } else {
            for (int ix = 0; ix < d.w; ++ix)
              std::fill(row + ix * fw_, row + (ix + 1) * fw_, src[ix]);
          }
          for (int r = 1; r < fh_; ++r) std::copy(row, row + out_dims.w, row + r * out_dims.w);
        }
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>&, const float*,
                float* dout, const std::vector<float*>& din) override {
    if (din[0] == nullptr) return;
    const Dims& d = in_dims[0];
    if (bilinear_) {
      ForRange(ctx, static_cast<int64_t>(n) * d.c, 16, [&](int64_t b, int64_t e) {
        for (int64_t plane = b; plane < e; ++plane) {
          float* dx = din[0] + plane * d.pixels();
          const float* dy = dout + plane * out_dims.pixels();
          for (int oy = 0; oy < out_dims.h; ++oy) {
            const Tap& r = rows_[oy];
            for (int ox = 0; ox < out_dims.w; ++ox) {
              const Tap& c = cols_[ox];
              const float g = dy[oy * out_dims.w + ox];
              dx[r.lo * d.w + c.lo] += g * (1 - r.t) * (1 - c.t);
              dx[r.hi * d.w + c.lo] += g * r.t * (1 - c.t);
              dx[r.lo * d.w + c.hi] += g * (1 - r.t) * c.t;
              dx[r.hi * d.w + c.hi] += g * r.t * c.t;
            }
          }
        }
      });
      return;
    }
    ForRange(ctx, static_cast<int64_t>(n) * d.c, 16, [&](int64_t b, int64_t e) {
      for (int64_t plane = b; plane < e; ++plane) {
        float* dx = din[0] + plane * d.pixels();
        const float* dy = dout + plane * out_dims.pixels();
        // Each input pixel gathers its fh x fw block, added in row-major order.
        for (int iy = 0; iy < d.h; ++iy) {
          if (fh_ == 2 && fw_ == 2) {  // the common case, unrolled (same order)
            const float* g0 = dy + static_cast<int64_t>(iy) * 2 * out_dims.w;
            const float* g1 = g0 + out_dims.w;
            float* dxr = dx + iy * d.w;
            for (int ix = 0; ix < d.w; ++ix)
              dxr[ix] = dxr[ix] + g0[2 * ix] + g0[2 * ix + 1] + g1[2 * ix] + g1[2 * ix + 1];
            continue;
          }
          for (int ix = 0; ix < d.w; ++ix) {
            float acc = dx[iy * d.w + ix];
            for (int ky = 0; ky < fh_; ++ky) {
              const float* g = dy + (static_cast<int64_t>(iy) * fh_ + ky) * out_dims.w + ix * fw_;
              for (int kx = 0; kx < fw_; ++kx) acc += g[kx];
            }
            dx[iy * d.w + ix] = acc;
          }
        }
      }
    });
  }

 private:
  // Bilinear source taps of one output row/column, as tf.image.resize and TFLite's
  // RESIZE_BILINEAR: pos = (i + 0.5) * in / out - 0.5 with half-pixel centers, else i * in / out;
  // lo = max(floor(pos), 0), hi = min(ceil(pos), in - 1), weights 1 - t on lo, t = pos - lo on hi.
  struct Tap {
    int lo = 0, hi = 0;
    float t = 0.0f;
  };
  static std::vector<Tap> BilinearTaps(int in, int out, bool half_pixel) {
    std::vector<Tap> taps(static_cast<size_t>(out));
    const float scale = static_cast<float>(in) / static_cast<float>(out);
    for (int i = 0; i < out; ++i) {
      const float pos = half_pixel ? (static_cast<float>(i) + 0.5f) * scale - 0.5f
                                   : static_cast<float>(i) * scale;
      Tap& tap = taps[static_cast<size_t>(i)];
      tap.lo = std::max(static_cast<int>(std::floor(pos)), 0);
      tap.hi = std::min(static_cast<int>(std::ceil(pos)), in - 1);
      tap.t = pos - static_cast<float>(tap.lo);
    }
    return taps;
  }

  int fh_ = 2, fw_ = 2;
  bool bilinear_ = false, half_pixel_ = true, one_d_ = false;
  std::vector<Tap> rows_, cols_;
};

}  // namespace

std::unique_ptr<Layer> MakePool(const KerasLayer& kl, bool max) {
  return std::make_unique<Pool>(kl, max);
}
std::unique_ptr<Layer> MakeUpSampling2D(const KerasLayer& kl) {
  return std::make_unique<UpSampling2D>(kl);
}

}  // namespace cae::train
