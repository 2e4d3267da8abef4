#include "cli/evaluation.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "graph/error.h"
#include "graph/graph.h"
#include "report/json_util.h"
#include "report/table.h"

namespace cae::cli {

namespace fs = std::filesystem;

Evaluation RunForEvaluation(const LoadedModel& model, const TensorData& data, const std::string& data_path,
                            const RunOptions& options, const FitOptions& fit) {
  const Graph& g = model.model.main();
  if (g.inputs.size() != 1) Fail(model.path, ": has ", g.inputs.size(), " inputs; evaluation needs one");
  if (g.outputs.empty()) Fail(model.path, ": has no outputs");
  Evaluation e;
  e.name = model.path;
  e.file_size = model.file_size;
  RunOptions o = options;
  o.label = fs::path(model.path).filename().string();
  FitOptions fo = fit;
  if (fo.model.empty()) fo.model = model.path;
  RunResult r = RunInBatches(model.model, {FitInput(g, 0, data, fo, data_path)}, o);
  e.items = r.items;
  e.seconds = r.seconds;
  e.output = OutputToFloat(g, 0, std::move(r.outputs.at(0)));
  return e;
}

void MeasureReconstruction(const TensorData& truth, const char* truth_name, Evaluation* e) {
  if (e->output.num_elements() == truth.num_elements() && e->output.shape != truth.shape) e->output.shape = truth.shape;
  if (e->output.shape == truth.shape) {
    e->quality = CompareReconstruction(e->output, truth);
  } else {
    e->note = StrCat("output ", ShapeToString(e->output.shape), " vs ", truth_name, " ", ShapeToString(truth.shape));
  }
}

Evaluation EvaluateModel(const LoadedModel& model, const TensorData& data, const std::string& data_path,
                         const RunOptions& options, const FitOptions& fit) {
  FitOptions fo = fit;
  fo.raw = false;
  Evaluation e = RunForEvaluation(model, data, data_path, options, fo);
  MeasureReconstruction(data, "data", &e);
  return e;
}

void CompareToReference(const Evaluation& ref, Evaluation* e) {
  if (ref.classes && e->classes && ref.classes->shape == e->classes->shape)
    e->ref_agreement = ClassAgreement(*e->classes, *ref.classes);
  if (ref.output.shape != e->output.shape) {
    e->note += StrCat(e->note.empty() ? StrCat("output ", ShapeToString(e->output.shape)) : ";", " vs reference ",
                      ShapeToString(ref.output.shape));
    return;
  }
  e->ref_mean_abs = MeanAbsError(e->output, ref.output);
  e->ref_max_abs = MaxAbsDiff(e->output, ref.output);
}

nlohmann::json EvaluationJson(const Evaluation& e) {
  nlohmann::json j = {{"model", e.name},
                      {"file_size", e.baseline ? nlohmann::json() : nlohmann::json(e.file_size)},
                      {"images", e.items},
                      {"seconds", e.baseline ? nlohmann::json() : nlohmann::json(e.seconds)},
                      {"seconds_per_image", e.baseline ? nlohmann::json() : nlohmann::json(e.items ? e.seconds / e.items : 0.0)}};
  const auto& q = e.quality;
  j["mae"] = q ? JsonNumber(q->mae) : nullptr;
  j["mse"] = q ? JsonNumber(q->mse) : nullptr;
  j["psnr"] = q ? JsonNumber(q->psnr) : nullptr;
  j["ssim"] = q ? JsonNumber(q->ssim) : nullptr;
  if (const auto& s = e.segmentation) {
    j["mean_iou"] = JsonNumber(s->mean_iou);
    j["foreground_iou"] = JsonNumber(s->foreground_iou);
    j["pixel_accuracy"] = JsonNumber(s->pixel_accuracy);
    j["class_iou"] = nlohmann::json::array();
    for (const auto& c : s->class_iou) j["class_iou"].push_back(JsonNumber(c));
    j["ref_agreement"] = JsonNumber(e.ref_agreement);
  }
  j["ref_mean_abs_diff"] = JsonNumber(e.ref_mean_abs);
  j["ref_max_abs_diff"] = JsonNumber(e.ref_max_abs);
  j["note"] = e.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.note);
  return j;
}

Table EvaluationTableOf(const std::vector<Evaluation>& evals) {
  const bool notes = std::any_of(evals.begin(), evals.end(), [](const Evaluation& e) { return !e.note.empty(); });
  const bool seg = std::any_of(evals.begin(), evals.end(), [](const Evaluation& e) { return e.segmentation.has_value(); });
  const bool fg = std::any_of(evals.begin(), evals.end(),
                              [](const Evaluation& e) { return e.segmentation && e.segmentation->foreground_iou; });
  std::vector<std::string> header = {"model", "size", "time", "per image"};
  if (seg) {
    header.insert(header.end(), {"mean IoU"});
    if (fg) header.push_back("fg IoU");
    header.insert(header.end(), {"pixel acc", "agree ref"});
  } else {
    header.insert(header.end(), {"MAE", "MSE", "PSNR dB", "SSIM"});
  }
  header.insert(header.end(), {"mean|d ref|", "max|d ref|"});
  if (notes) header.push_back("note");
  Table t(header);
  auto opt = [](const std::optional<double>& v, int digits) { return v ? FormatFixed(*v, digits) : std::string("-"); };
  for (const auto& e : evals) {
    std::vector<std::string> row = {e.name};
    if (e.baseline) {
      row.insert(row.end(), {"-", "-", "-"});
    } else {
      row.insert(row.end(), {FormatBytes(static_cast<double>(e.file_size)), FormatSeconds(e.seconds),
                             FormatSeconds(e.items ? e.seconds / e.items : 0.0)});
    }
    if (seg) {
      const auto& s = e.segmentation;
      row.push_back(s ? FormatFixed(s->mean_iou, 4) : "-");
      if (fg) row.push_back(s ? opt(s->foreground_iou, 4) : "-");
      row.push_back(s ? FormatFixed(s->pixel_accuracy, 4) : "-");
      row.push_back(opt(e.ref_agreement, 4));
    } else {
      const auto& m = e.quality;
      row.insert(row.end(), {m ? FormatFixed(m->mae, 6) : "-", m ? FormatFixed(m->mse, 6) : "-",
                             m ? FormatFixed(m->psnr, 2) : "-", m ? opt(m->ssim, 4) : "-"});
    }
    row.insert(row.end(), {opt(e.ref_mean_abs, 6), opt(e.ref_max_abs, 6)});
    if (notes) row.push_back(e.note);
    t.AddRow(row);
  }
  return t;
}

std::string EvaluationTable(const std::vector<Evaluation>& evals) { return EvaluationTableOf(evals).Render(); }

Table CostTableOf(const std::vector<Evaluation>& evals) {
  const Evaluation& ref = evals.front();
  const bool seg = ref.segmentation.has_value();
  Table t(seg ? std::vector<std::string>{"model", "size", "time per image", "mean IoU", "pixel acc", "agree ref"}
              : std::vector<std::string>{"model", "size", "time per image", "MSE", "PSNR", "max|d ref|"});
  auto times = [](double ratio, const char* less, const char* more) {
    if (!(ratio > 0) || !std::isfinite(ratio)) return std::string("-");
    if (ratio > 0.995 && ratio < 1.005) return std::string("1.00x");
    return ratio >= 1 ? FormatFixed(ratio, 2) + "x " + less : FormatFixed(1 / ratio, 2) + "x " + more;
  };
  // "+0.012", "-0.340"; a change that rounds to zero is "+0.000", never "-0.000".
  auto signed_fixed = [](double v, int digits, const std::string& unit) {
    const std::string magnitude = FormatFixed(std::abs(v), digits);
    const bool zero = magnitude.find_first_not_of("0.") == std::string::npos;
    return (v < 0 && !zero ? "-" : "+") + magnitude + unit;
  };
  const double ref_per = ref.items ? ref.seconds / ref.items : 0;
  for (size_t i = 1; i < evals.size(); ++i) {
    const Evaluation& e = evals[i];
    if (e.baseline) continue;
    const double per = e.items ? e.seconds / e.items : 0;
    std::vector<std::string> row = {
        e.name, times(static_cast<double>(ref.file_size) / static_cast<double>(e.file_size), "smaller", "larger"),
        times(ref_per / per, "faster", "slower")};
    if (seg) {
      const bool both = e.segmentation && ref.segmentation;
      row.push_back(both ? signed_fixed(e.segmentation->mean_iou - ref.segmentation->mean_iou, 4, "") : "-");
      row.push_back(both ? signed_fixed(e.segmentation->pixel_accuracy - ref.segmentation->pixel_accuracy, 4, "")
                         : "-");
      row.push_back(e.ref_agreement ? FormatFixed(100 * *e.ref_agreement, 2) + "%" : "-");
    } else {
      const bool both = e.quality && ref.quality && ref.quality->mse > 0;
      row.push_back(both ? signed_fixed(100 * (e.quality->mse / ref.quality->mse - 1), 2, "%") : "-");
      row.push_back(both && std::isfinite(e.quality->psnr) && std::isfinite(ref.quality->psnr)
                        ? signed_fixed(e.quality->psnr - ref.quality->psnr, 3, " dB")
                        : "-");
      row.push_back(e.ref_max_abs ? FormatFixed(*e.ref_max_abs, 6) : "-");
    }
    t.AddRow(row);
  }
  return t;
}

Table ClassIouTableOf(const std::vector<Evaluation>& evals, const std::vector<std::string>& names) {
  int classes = 0;
  for (const auto& e : evals)
    if (e.segmentation) classes = std::max(classes, e.segmentation->classes);
  std::vector<std::string> header = {"class"};
  for (const auto& e : evals)
    if (e.segmentation) header.push_back(e.name);
  Table t(header);
  for (int k = 0; k < classes; ++k) {
    std::vector<std::string> row = {k < static_cast<int>(names.size()) ? StrCat(k, " ", names[static_cast<size_t>(k)])
                                                                        : std::to_string(k)};
    bool occurs = false;
    for (const auto& e : evals) {
      if (!e.segmentation) continue;
      const auto& iou = e.segmentation->class_iou;
      const bool has = k < static_cast<int>(iou.size()) && iou[static_cast<size_t>(k)];
      occurs |= has;
      row.push_back(has ? FormatFixed(*iou[static_cast<size_t>(k)], 4) : "-");
    }
    if (occurs) t.AddRow(row);
  }
  return t;
}

std::string ClassIouTable(const std::vector<Evaluation>& evals, const std::vector<std::string>& names) {
  return ClassIouTableOf(evals, names).Render();
}

}  // namespace cae::cli
