// Evaluating models on a data set (compare, demo): speed, reconstruction error against the input
// or given targets, segmentation IoU against masks or class maps, and difference from a reference
// model; as a table and as JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "graph/tensor_data.h"
#include "report/metrics.h"
#include "report/table.h"
#include "report/segmentation.h"

namespace cae::cli {

// One model run over a data set, with its metrics.
struct Evaluation {
  std::string name;        // what tables show (the path, or a variant name)
  uint64_t file_size = 0;
  int64_t items = 0;
  double seconds = 0;      // wall time of the interpreter calls for the whole set
  bool baseline = false;   // a row that is no model (e.g. the noisy input): no size or time
  TensorData output;       // output 0 as float32, in the truth's shape when sizes agree
  // Reconstruction: against the truth (the input, or --targets), when shapes agree.
  std::optional<ReconstructionMetrics> quality;
  std::optional<double> ref_mean_abs, ref_max_abs;  // vs the reference's output, when shapes agree
  // Segmentation: the predicted classes, their metrics, the share of positions with the
  // reference's class.
  std::optional<ClassMap> classes;
  std::optional<SegmentationMetrics> segmentation;
  std::optional<double> ref_agreement;
  // Why metrics are missing, when they are: "output [10,32] vs data [10,28,28,1]", then
  // "; vs reference [..]" (empty when everything was measured).
  std::string note;
};

// Runs a single-input model on data (float32, quantized for integer inputs; or as it is with
// fit.raw) and keeps output 0 as float32. Throws cae::Error when the model has several inputs or
// the data does not fit. fit.range_hint / fit.model as in FitInput (model defaults to the path).
Evaluation RunForEvaluation(const LoadedModel& model, const TensorData& data, const std::string& data_path,
                            const RunOptions& options, const FitOptions& fit = {});

// Fills e.quality from e.output against truth (the input or the targets; "data" or "targets" in
// the note when the shapes differ). The output takes the truth's shape when sizes agree.
void MeasureReconstruction(const TensorData& truth, const char* truth_name, Evaluation* e);

// RunForEvaluation, then MeasureReconstruction against the data itself (demo and compare).
Evaluation EvaluateModel(const LoadedModel& model, const TensorData& data, const std::string& data_path,
                         const RunOptions& options, const FitOptions& fit = {});

// Fills e.ref_* from the reference's output; when shapes differ, leaves them empty and says so in
// e.note. With class maps on both, also e.ref_agreement.
void CompareToReference(const Evaluation& ref, Evaluation* e);

// JSON of an evaluation: {"model","file_size","images","seconds","seconds_per_image",
// "mae","mse","psnr","ssim","ref_mean_abs_diff","ref_max_abs_diff"} (null when not applicable),
// and "note": e.note, or null when empty. With segmentation: "mean_iou", "foreground_iou",
// "pixel_accuracy", "class_iou" (null for classes in neither map), "ref_agreement".
nlohmann::json EvaluationJson(const Evaluation& e);

// The human table of several evaluations (first row is the reference); a last column "note" when
// some evaluation has one. With segmentation, IoU columns replace the reconstruction ones.
Table EvaluationTableOf(const std::vector<Evaluation>& evals);
std::string EvaluationTable(const std::vector<Evaluation>& evals);  // rendered as text

// What each evaluation after the first costs against the first (the reference), one row each
// (baseline rows left out): file size and time per image as "3.70x smaller" / "1.20x slower"
// ("1.00x" within 0.5%);
// reconstruction: MSE change in % and PSNR change in dB, max |d ref|; segmentation: mean IoU and
// pixel accuracy changes, and agreement with the reference's classes in %.
Table CostTableOf(const std::vector<Evaluation>& evals);

// Per-class IoU of segmentation evaluations: one row per class that occurs, one column per model;
// names[k] labels class k when given (else its index).
Table ClassIouTableOf(const std::vector<Evaluation>& evals, const std::vector<std::string>& names);
std::string ClassIouTable(const std::vector<Evaluation>& evals, const std::vector<std::string>& names);

}  // namespace cae::cli
