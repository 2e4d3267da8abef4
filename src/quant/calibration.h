// Calibration: run the float model over sample inputs and choose a float range for every float32
// activation tensor (graph inputs included), for the int8 quantizer.
//
// Contract: the model has one float32 input; samples is float32 [N, ...] whose per-sample element
// count equals the input's (minus its batch dim), N >= 1, all values finite (else cae::Error
// naming what is wrong). The first min(N, max_samples) samples are run through the interpreter,
// `chunk` at a time. Methods:
//  - kMinMax: the absolute min and max over all samples (what the TFLite converter records);
//  - kPercentile: a 2048-bin histogram over the observed [min, max], tails beyond `percentile`
//    trimmed (quant/histogram.h PercentileRange);
//  - kMse: the same histogram, the range minimizing the expected 8-bit quantization error
//    (MseRange).
// Histogram methods run the samples twice (min/max first, then histograms). Ranges are indexed by
// the model's tensor indices; tensors never written (constants) stay invalid.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "graph/graph.h"
#include "graph/tensor_data.h"
#include "quant/tensor_range.h"

namespace cae::quant {

enum class CalibrationMethod { kMinMax, kPercentile, kMse };

// "minmax" | "percentile" | "mse"; throws cae::Error listing the choices otherwise.
CalibrationMethod ParseCalibrationMethod(std::string_view s);
const char* CalibrationMethodName(CalibrationMethod m);

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::kMinMax;
  int max_samples = 100;
  double percentile = 99.99;
  int bins = 2048;
  int chunk = 16;
  // Called after each chunk with (samples done, samples total, pass 1 or 2); may be empty.
  std::function<void(int, int, int)> progress;
};

// channel_means (optional): for every float32 activation, the mean over all samples and positions
// of each slice along its last dim (empty for tensors never seen), for bias correction.
RangeTable Calibrate(const Model& float_model, const TensorData& samples,
                     const CalibrationOptions& options, ChannelMeans* channel_means = nullptr);

}  // namespace cae::quant
