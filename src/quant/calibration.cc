#include "quant/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "graph/error.h"
#include "graph/shape.h"
#include "quant/histogram.h"
#include "runtime/interpreter.h"

namespace cae::quant {

CalibrationMethod ParseCalibrationMethod(std::string_view s) {
  if (s == "minmax") return CalibrationMethod::kMinMax;
  if (s == "percentile") return CalibrationMethod::kPercentile;
  if (s == "mse") return CalibrationMethod::kMse;
  Fail("calibration method '", s, "' is not one of minmax, percentile, mse");
}

const char* CalibrationMethodName(CalibrationMethod m) {
  switch (m) {
    case CalibrationMethod::kMinMax: return "minmax";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kMse: return "mse";
  }
  return "?";
}

namespace {

// Runs the first `count` samples through interp in chunks, calling visit(tensor, values, n) for
// the graph input and every float32 op output.
template <typename Visit>
void RunSamples(Interpreter& interp, int input_tensor, const TensorData& samples, int count,
                int64_t per_sample, const CalibrationOptions& options, int pass, Visit visit) {
  const std::vector<int32_t>& stored = interp.input(0).shape;
  const int chunk = std::max(1, options.chunk);
  for (int start = 0; start < count; start += chunk) {
    const int c = std::min(chunk, count - start);
    std::vector<int32_t> shape = stored;
    shape[0] = c;
    TensorData in(DType::kFloat32, shape);
    std::memcpy(in.bytes.data(), samples.bytes.data() + static_cast<size_t>(start * per_sample) * 4,
                in.bytes.size());
    visit(input_tensor, in.as<float>(), in.num_elements());
    interp.Run({in}, [&](int, const std::vector<TensorView*>& outputs) {
      for (const TensorView* v : outputs) {
        if (v && v->type == DType::kFloat32 && v->tensor_index >= 0)
          visit(v->tensor_index, v->as<float>(), v->num_elements());
      }
    });
    if (options.progress) options.progress(start + c, count, pass);
  }
}

}  // namespace

RangeTable Calibrate(const Model& float_model, const TensorData& samples,
                     const CalibrationOptions& options, ChannelMeans* channel_means) {
  const Graph& g = float_model.main();
  const std::string where = float_model.source.empty() ? std::string("model") : float_model.source;
  Check(g.inputs.size() == 1, where, ": calibration needs a model with one input, this one has ",
        g.inputs.size());
  const int input = g.inputs[0];
  Check(input >= 0 && input < static_cast<int>(g.tensors.size()), where, ": input index out of range");
  const Tensor& in = g.tensors[input];
  Check(in.type == DType::kFloat32, where, ": input ", DescribeTensor(g, input), " is ",
        DTypeName(in.type), ", calibration needs a float32 model");
  Check(!in.shape.empty() && in.shape[0] >= 1, where, ": input ", DescribeTensor(g, input),
        " has shape ", ShapeToString(in.shape), ", expected a leading batch dim");
  const int64_t per_sample = NumElements(in.shape) / in.shape[0];
  Check(samples.type == DType::kFloat32, "calibration data is ", DTypeName(samples.type),
        ", expected float32");
  Check(!samples.shape.empty() && samples.shape[0] >= 1 && samples.num_elements() > 0,
        "calibration data is empty (shape ", ShapeToString(samples.shape), ")");
  Check(static_cast<int64_t>(samples.bytes.size()) == samples.num_elements() * 4,
        "calibration data holds ", samples.bytes.size(), " bytes for shape ", ShapeToString(samples.shape));
  const int64_t data_per_sample = samples.num_elements() / samples.shape[0];
  std::vector<int32_t> want = in.shape;
  want[0] = -1;
  Check(data_per_sample == per_sample, "calibration data of shape ", ShapeToString(samples.shape),
        " does not fit the model input ", ShapeToString(want), " (", data_per_sample,
        " values per sample, expected ", per_sample, ")");
  Check(options.max_samples >= 1, "calibration sample count ", options.max_samples, " must be >= 1");
  const int count = static_cast<int>(std::min<int64_t>(samples.shape[0], options.max_samples));
  const float* data = samples.as<float>();
  for (int64_t i = 0; i < count * per_sample; ++i) {
    Check(std::isfinite(data[i]), "calibration data: value ", i, " (sample ", i / per_sample,
          ") is not finite");
  }

  Interpreter interp(float_model);
  const size_t n = g.tensors.size();
  RangeTable ranges(n);
  std::vector<std::vector<double>> sums(n);
  std::vector<int64_t> sum_rows(n, 0);
  RunSamples(interp, input, samples, count, per_sample, options, 1,
             [&](int t, const float* v, int64_t m) {
               if (t < 0 || static_cast<size_t>(t) >= n || m == 0) return;
               TensorRange& r = ranges[t];
               float mn = v[0], mx = v[0];
               for (int64_t i = 0; i < m; ++i) {
                 if (!std::isfinite(v[i]))
                   Fail(DescribeTensor(g, t), ": non-finite value during calibration (check the weights)");
                 mn = std::min(mn, v[i]);
                 mx = std::max(mx, v[i]);
               }
               if (channel_means) {
                 const auto& shape = g.tensors[t].shape;
                 const int64_t c = shape.empty() || shape.back() <= 0 ? 1 : shape.back();
                 if (m % c == 0) {
                   std::vector<double>& s = sums[t];
                   s.resize(static_cast<size_t>(c), 0.0);
                   for (int64_t i = 0; i < m; ++i) s[static_cast<size_t>(i % c)] += v[i];
                   sum_rows[t] += m / c;
                 }
               }
               if (!r.valid) {
                 r = {mn, mx, true};
               } else {
                 r.min = std::min(r.min, mn);
                 r.max = std::max(r.max, mx);
               }
             });
  if (channel_means) {
    channel_means->assign(n, {});
    for (size_t t = 0; t < n; ++t) {
      if (sum_rows[t] == 0) continue;
      for (double v : sums[t]) (*channel_means)[t].push_back(static_cast<float>(v / static_cast<double>(sum_rows[t])));
    }
  }
  if (options.method == CalibrationMethod::kMinMax) return ranges;

  std::vector<std::unique_ptr<Histogram>> hist(n);
  for (size_t t = 0; t < n; ++t) {
    if (ranges[t].valid) hist[t] = std::make_unique<Histogram>(ranges[t].min, ranges[t].max, options.bins);
  }
  RunSamples(interp, input, samples, count, per_sample, options, 2,
             [&](int t, const float* v, int64_t m) {
               if (t >= 0 && static_cast<size_t>(t) < n && hist[t]) hist[t]->Add(v, m);
             });
  for (size_t t = 0; t < n; ++t) {
    if (!hist[t]) continue;
    ranges[t] = options.method == CalibrationMethod::kPercentile ? PercentileRange(*hist[t], options.percentile)
                                                                 : MseRange(*hist[t]);
  }
  return ranges;
}

}  // namespace cae::quant
