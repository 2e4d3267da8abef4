#include "train/input_centering.h"

#include "graph/error.h"

namespace cae::train {

namespace {

// The sum of n floats in 16 fixed lanes (the compiler makes them one vector add per 16 values;
// a single running sum would be one dependent add per value), then the lanes and the tail in order.
double ChannelSum(const float* p, int64_t n) {
  constexpr int kLanes = 16;
  float lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; ++k) lane[k] += p[i + k];
  double sum = 0.0;
  for (int k = 0; k < kLanes; ++k) sum += lane[k];
  for (; i < n; ++i) sum += p[i];
  return sum;
}

}  // namespace

void InputCentering::Measure(const RunContext& ctx, int n, const float* x, int64_t pixels) {
  if (!ctx.training || !ctx.center_inputs || n <= 0) return;
  const int channels = layout_.cin;
  const int chunks = SampleChunks(n);
  // Per-chunk sums in double, added in chunk order: the same mean for any thread count.
  std::vector<double> partial(static_cast<size_t>(chunks) * channels, 0.0);
  const int64_t sample = static_cast<int64_t>(channels) * pixels;
  ForSampleChunks(ctx, n, [&](int chunk, int begin, int end) {
    double* sums = partial.data() + static_cast<size_t>(chunk) * channels;
    for (int s = begin; s < end; ++s) {
      const float* xs = x + s * sample;
      for (int c = 0; c < channels; ++c) sums[c] += ChannelSum(xs + c * pixels, pixels);
    }
  });
  mean_.assign(static_cast<size_t>(channels), 0.0f);
  const double count = static_cast<double>(n) * static_cast<double>(pixels);
  for (int c = 0; c < channels; ++c) {
    double total = 0.0;
    for (int k = 0; k < chunks; ++k) total += partial[static_cast<size_t>(k) * channels + c];
    mean_[c] = static_cast<float>(total / count);
  }
  measured_ = true;
}

bool InputCentering::Applies(const Param& kernel, const Param& bias) const {
  if (!measured_ || !kernel.trainable || !bias.trainable) return false;
  Check(static_cast<int>(bias.value.size()) == layout_.cout && bias.grad.size() == bias.value.size(),
        "input centering: the bias does not match the kernel's ", layout_.cout, " outputs");
  return true;
}

void InputCentering::BeforeStep(Param& kernel, const Param& bias) {
  const BiasedKernelLayout& layout = layout_;
  stepping_ = Applies(kernel, bias);
  measured_ = false;
  if (!stepping_) return;
  float* gw = kernel.grad.data();
  for (int co = 0; co < layout.cout; ++co) {
    const float gb = bias.grad[co];
    for (int ci = 0; ci < layout.cin; ++ci) {
      const float shift = mean_[ci] * gb;
      float* g = gw + co * layout.co_stride + ci * layout.ci_stride;
      for (int t = 0; t < layout.taps; ++t) g[t * layout.tap_stride] -= shift;
    }
  }
  kernel_before_ = kernel.value;
}

void InputCentering::AfterStep(const Param& kernel, Param& bias) {
  const BiasedKernelLayout& layout = layout_;
  if (!stepping_) return;
  stepping_ = false;
  for (int co = 0; co < layout.cout; ++co) {
    double shift = 0.0;
    for (int ci = 0; ci < layout.cin; ++ci) {
      const int64_t base = co * layout.co_stride + ci * layout.ci_stride;
      double moved = 0.0;
      for (int t = 0; t < layout.taps; ++t) {
        const int64_t i = base + t * layout.tap_stride;
        moved += static_cast<double>(kernel.value[i]) - kernel_before_[i];
      }
      shift += mean_[ci] * moved;
    }
    bias.value[co] -= static_cast<float>(shift);
  }
}

}  // namespace cae::train
