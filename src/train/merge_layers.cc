// Element-wise merges of inputs of equal dims (no broadcasting), evaluated left to right as the
// importer chains them (keras_lower_layers.cc MergeChain):
//   Add:      ((a + b) + c) ...
//   Subtract (exactly two inputs): a - b
//   Multiply: ((a * b) * c) ...        d/dx_i = dy * product of the other inputs
//   Average:  ((a + b) + c) ... * (1 / k)
//   Maximum / Minimum: the extreme value; the gradient goes to the first input attaining it, as
//   chained tf.maximum / tf.minimum do (their gradients give ties to the first operand).
#include <memory>

#include "graph/error.h"
#include "train/layers.h"

namespace cae::train {
namespace {

enum class Merge { kAdd, kSubtract, kMultiply, kAverage, kMaximum, kMinimum };

class MergeLayer : public Layer {
 public:
  explicit MergeLayer(Merge op) : op_(op) {}

  Dims Setup(const std::vector<Dims>& in) override {
    if (op_ == Merge::kSubtract) {
      Check(in.size() == 2, "layer '", name, "': Subtract expects exactly two inputs, got ",
            in.size());
    } else {
      Check(in.size() >= 2, "layer '", name, "': expects at least two inputs, got ", in.size());
    }
    for (const Dims& x : in)
      Check(x == in[0], "layer '", name, "': inputs ", DimsToString(in[0]), " and ",
            DimsToString(x), " differ (broadcasting is not supported)");
    return in[0];
  }

  void Forward(const RunContext& ctx, int n, const std::vector<const float*>& in,
               float* out) override {
    const size_t k = in.size();
    const float inv = 1.0f / static_cast<float>(k);
    ForRange(ctx, n * out_dims.size(), 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        float acc = in[0][i];
        switch (op_) {
          case Merge::kAdd:
            for (size_t j = 1; j < k; ++j) acc += in[j][i];
            break;
          case Merge::kSubtract:
            acc -= in[1][i];
            break;
          case Merge::kMultiply:
            for (size_t j = 1; j < k; ++j) acc *= in[j][i];
            break;
          case Merge::kAverage:
            for (size_t j = 1; j < k; ++j) acc += in[j][i];
            acc *= inv;
            break;
          case Merge::kMaximum:
          case Merge::kMinimum:
            acc = in[Extreme(in, i)][i];
            break;
        }
        out[i] = acc;
      }
    });
  }

  void Backward(const RunContext& ctx, int n, const std::vector<const float*>& in, const float*,
                float* dout, const std::vector<float*>& din) override {
    const size_t k = in.size();
    const float inv = 1.0f / static_cast<float>(k);
    ForRange(ctx, n * out_dims.size(), 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const float g = dout[i];
        switch (op_) {
          case Merge::kAdd:
            for (size_t j = 0; j < k; ++j)
              if (din[j] != nullptr) din[j][i] += g;
            break;
          case Merge::kSubtract:
            if (din[0] != nullptr) din[0][i] += g;
            if (din[1] != nullptr) din[1][i] -= g;
            break;
          case Merge::kMultiply:
            for (size_t j = 0; j < k; ++j) {
              if (din[j] == nullptr) continue;
              float others = g;
              for (size_t m = 0; m < k; ++m)
                if (m != j) others *= in[m][i];
              din[j][i] += others;
            }
            break;
          case Merge::kAverage:
            for (size_t j = 0; j < k; ++j)
              if (din[j] != nullptr) din[j][i] += g * inv;
            break;
          case Merge::kMaximum:
          case Merge::kMinimum: {
            const size_t j = Extreme(in, i);
            if (din[j] != nullptr) din[j][i] += g;
            break;
          }
        }
      }
    });
  }

 private:
  // The first input holding the maximum (minimum) of element i.
  size_t Extreme(const std::vector<const float*>& in, int64_t i) const {
    size_t best = 0;
    for (size_t j = 1; j < in.size(); ++j) {
      const bool better = op_ == Merge::kMaximum ? in[j][i] > in[best][i] : in[j][i] < in[best][i];
      if (better) best = j;
    }
    return best;
  }

  Merge op_;
};

}  // namespace

std::unique_ptr<Layer> MakeMerge(const KerasLayer& kl) {
  const std::string& c = kl.class_name;
  Merge op = Merge::kAdd;
  if (c == "Add")
    op = Merge::kAdd;
  else if (c == "Subtract")
    op = Merge::kSubtract;
  else if (c == "Multiply")
    op = Merge::kMultiply;
  else if (c == "Average")
    op = Merge::kAverage;
  else if (c == "Maximum")
    op = Merge::kMaximum;
  else if (c == "Minimum")
    op = Merge::kMinimum;
  else
    Fail("layer '", kl.name, "': class ", c, " is not a merge layer");
  return std::make_unique<MergeLayer>(op);
}

}  // namespace cae::train
