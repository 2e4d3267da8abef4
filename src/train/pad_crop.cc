// ZeroPadding2D and Cropping2D. ZeroPadding2D puts (top, bottom) zero rows and (left, right) zero
// columns around every feature map; Cropping2D removes them. The amounts are read by the
// importer's own KerasPadPairs (keras_config.h): an int (all four sides), a pair (symmetric
// height, symmetric width) or ((top, bottom), (left, right)); absent means 1 for ZeroPadding2D
// and 0 for Cropping2D. Both are copies, so each backward pass is the adjoint copy.
#include <algorithm>
#include <array>
#include <cstring>

#include "graph/error.h"
#include "keras/keras_config.h"
#include "train/layers.h"

namespace cae::train {
namespace {

// out is the input shifted by (dy, dx) = (top, left) for padding, (-top, -left) for cropping;
// only the overlap is copied. The same code serves both directions of both layers.
class PadCrop : public Layer {
 public:
  PadCrop(const KerasLayer& kl, bool crop) : crop_(crop) {
    RequireChannelsLast(kl.config, kl.name);
    amounts_ = KerasPadPairs(kl.config, crop ? "cropping" : "padding", crop ? 0 : 1,
                             "layer '" + kl.name + "'");
  }

  Dims Setup(const std::vector<Dims>& in) override {
    Check(in.size() == 1, "layer '", name, "': expects one input");
    RequireInputRank(*this, 4);
    const Dims& d = in[0];
    const int sign = crop_ ? -1 : 1;
    const int64_t h = d.h + sign * (static_cast<int64_t>(amounts_[0]) + amounts_[1]);
    const int64_t w = d.w + sign * (static_cast<int64_t>(amounts_[2]) + amounts_[3]);
    Check(h > 0 && w > 0, "layer '", name, "': cropping removes the whole input ", DimsToString(d));
    Check(h <= 65536 && w <= 65536, "layer '", name, "': output too large");
    dy_ = sign * amounts_[0];
    dx_ = sign * amounts_[2];
    return Dims{d.c, static_cast<int>(h), static_cast<int>(w)};
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const Dims& d = in_dims[0];
    ForRange(ctx, static_cast<int64_t>(n) * d.c, 16, [&](int64_t b, int64_t e) {
      for (int64_t plane = b; plane < e; ++plane) {
        float* y = out + plane * out_dims.pixels();
        if (!crop_) std::fill(y, y + out_dims.pixels(), 0.0f);
        const float* x = in[0] + plane * d.pixels();
        ForOverlapRows([&](int iy, int oy, int ix0, int ox0, int len) {
          std::memcpy(y + static_cast<int64_t>(oy) * out_dims.w + ox0,
                      x + static_cast<int64_t>(iy) * d.w + ix0, sizeof(float) * len);
        });
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>&, const float*,
                float* dout, const std::vector<float*>& din) override {
    if (din[0] == nullptr) return;
    const Dims& d = in_dims[0];
    ForRange(ctx, static_cast<int64_t>(n) * d.c, 16, [&](int64_t b, int64_t e) {
      for (int64_t plane = b; plane < e; ++plane) {
        const float* dy = dout + plane * out_dims.pixels();
        float* dx = din[0] + plane * d.pixels();
        ForOverlapRows([&](int iy, int oy, int ix0, int ox0, int len) {
          float* to = dx + static_cast<int64_t>(iy) * d.w + ix0;
          const float* from = dy + static_cast<int64_t>(oy) * out_dims.w + ox0;
          for (int k = 0; k < len; ++k) to[k] += from[k];
        });
      }
    });
  }

 private:
  // fn(input row, output row, first input column, first output column, length) for every row
  // the input and output share.
  template <typename Fn>
  void ForOverlapRows(Fn&& fn) const {
    const Dims& d = in_dims[0];
    const int ix0 = std::max(0, -dx_), ox0 = std::max(0, dx_);
    const int len = std::min(d.w - ix0, out_dims.w - ox0);
    if (len <= 0) return;
    for (int iy = std::max(0, -dy_); iy < d.h && iy + dy_ < out_dims.h; ++iy)
      fn(iy, iy + dy_, ix0, ox0, len);
  }

  bool crop_ = false;
  std::array<int, 4> amounts_{};  // top, bottom, left, right
  int dy_ = 0, dx_ = 0;           // output position of input pixel (0, 0)
};

}  // namespace

std::unique_ptr<Layer> MakeZeroPadding2D(const KerasLayer& kl) {
  return std::make_unique<PadCrop>(kl, false);
}
std::unique_ptr<Layer> MakeCropping2D(const KerasLayer& kl) {
  return std::make_unique<PadCrop>(kl, true);
}

}  // namespace cae::train
