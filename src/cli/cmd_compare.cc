// `cae2tpu compare REF MODEL... --data DATA [--task reconstruct|denoise|segment] [--targets T]`:
// runs every model on the same data and reports time, quality against the truth (the input, clean
// targets, or segmentation masks / class maps) and difference from REF's output.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/json_output.h"
#include "cli/evaluation.h"
#include "cli/input_data.h"
#include "cli/markdown_report.h"
#include "data/convert.h"
#include "data/dataset.h"
#include "data/file_io.h"
#include "data/segmentation_targets.h"
#include "graph/shape.h"
#include "report/image_grid.h"
#include "report/json_util.h"
#include "train/layer.h"

namespace cae::cli {
namespace {

struct CompareArgs {
  std::vector<std::string> models;
  std::string data, targets, task = "reconstruct", labels, grid, report;
  int64_t limit = 0;
  int64_t batch = 256;
  int threads = 0;
  std::string resize;
  bool json = false, raw = false;
  float noise = 0.2f, threshold = 0.5f;
  uint64_t seed = 1;
  int classes = 0;
  // Which options were given (CLI11 counts), for the usage checks.
  CLI::Option *noise_opt = nullptr, *seed_opt = nullptr, *classes_opt = nullptr, *threshold_opt = nullptr;
};

void CheckUsage(const CompareArgs& a) {
  if (a.models.size() < 2) throw UsageError("compare needs REF and at least one MODEL");
  if (a.task != "reconstruct" && a.task != "denoise" && a.task != "segment")
    throw UsageError(StrCat("--task must be reconstruct, denoise or segment, got '", a.task, "'"));
  const bool segment = a.task == "segment";
  if (segment && a.targets.empty()) throw UsageError("--task segment needs --targets (masks or class maps)");
  if (a.task == "denoise" && !a.targets.empty())
    throw UsageError("--task denoise adds noise to --data and measures against it; --targets is not used (to "
                     "measure noisy data against clean targets, give both with the default task)");
  if (a.task != "denoise" && (a.noise_opt->count() || a.seed_opt->count()))
    throw UsageError("--noise and --seed are used only with --task denoise");
  if (!segment && (a.classes_opt->count() || a.threshold_opt->count() || !a.labels.empty() || a.raw))
    throw UsageError("--classes, --threshold, --labels and --raw are used only with --task segment");
  if (!(a.noise >= 0 && a.noise <= 10)) throw UsageError("--noise must be a sigma in [0, 10]");
  if (!std::isfinite(a.threshold)) throw UsageError("--threshold must be a finite number");
  if (!a.grid.empty()) CheckOutputExtension(a.grid, ".png", "--grid writes a PNG image");
  if (!a.report.empty()) CheckOutputExtension(a.report, ".md", "--report writes Markdown");
}

// The class names of a labels file: one per line, line k naming class k.
std::vector<std::string> ReadLabels(const std::string& path) {
  if (path.empty()) return {};
  const std::vector<uint8_t> bytes = ReadFileBytes(path);
  std::vector<std::string> names;
  std::string line;
  for (uint8_t b : bytes) {
    if (b == '\n') {
      names.push_back(line);
      line.clear();
    } else if (b != '\r') {
      line.push_back(static_cast<char>(b));
    }
  }
  if (!line.empty()) names.push_back(line);
  return names;
}

// clamp(x + sigma N(0,1), 0, 1) per element, from the counter-based generator the trainer uses:
// the same seed gives the same noise on every machine. The data must be pixels in [0, 1] (as
// train --task denoise assumes); otherwise cae::Error naming `source` and the first such value.
TensorData AddNoise(const TensorData& clean, float sigma, uint64_t seed, const std::string& source) {
  CheckFiniteData(clean, source);
  const float* c = clean.as<float>();
  for (int64_t i = 0; i < clean.num_elements(); ++i)
    if (c[i] < 0.0f || c[i] > 1.0f)
      Fail(source, ": value ", c[i], " at ", IndexInShape(i, clean.shape),
           " is outside [0, 1]; --task denoise adds noise to pixel data and clamps it to [0, 1]");
  TensorData noisy = clean;
  float* v = noisy.as<float>();
  for (int64_t i = 0; i < noisy.num_elements(); ++i)
    v[i] = std::clamp(v[i] + sigma * train::StandardNormal(seed, 0x636F6D70ull, static_cast<uint64_t>(i)), 0.0f, 1.0f);
  return noisy;
}

void CheckSameItems(const TensorData& truth, const std::string& truth_path, const TensorData& data,
                    const std::string& data_path) {
  const int64_t n = truth.shape.empty() ? 0 : truth.shape[0];
  if (n != data.shape.at(0))
    Fail(truth_path, ": ", n, " items ", ShapeToString(truth.shape), " for the ", data.shape.at(0), " items of ",
         data_path, " (use --limit on both, or give matching files)");
}

// --- Segmentation ---

// How a model's output 0 holds classes: integer outputs (ARG_MAX) hold indices; otherwise scores.
OutputForm FormOf(const LoadedModel& m) {
  const Graph& g = m.model.main();
  const Tensor& t = g.tensors.at(g.outputs.at(0));
  const bool integer = t.type == DType::kInt32 || t.type == DType::kInt64 ||
                       ((t.type == DType::kUInt8 || t.type == DType::kInt8 || t.type == DType::kInt16) && t.quant.empty());
  return integer ? OutputForm::kIndices : OutputForm::kScores;
}

// Classes a scores output implies: C for C > 1 scores, 2 for one sigmoid score; 0 for indices.
int ImpliedClasses(const LoadedModel& m) {
  if (FormOf(m) == OutputForm::kIndices) return 0;
  const Graph& g = m.model.main();
  const std::vector<int32_t>& s = g.tensors.at(g.outputs.at(0)).shape;
  if (s.empty()) Fail(m.path, ": output 0 is a scalar, not a segmentation map");
  return s.back() == 1 ? 2 : s.back();
}

// The truth of --task segment, read before any model runs so that bad targets fail fast.
struct SegmentationTruth {
  ClassMap classes;
  int count = 0;  // number of classes; 0 until known when every model outputs indices
};

SegmentationTruth LoadTruth(const CompareArgs& a, const std::vector<LoadedModel>& models, const TensorData& data) {
  int known = 0;         // from the models with scores
  bool sigmoid = false;  // some model has one score per position: targets are binary masks
  for (const LoadedModel& m : models) {
    const int c = ImpliedClasses(m);
    const Graph& g = m.model.main();
    sigmoid |= c == 2 && g.tensors.at(g.outputs.at(0)).shape.back() == 1;
    if (c == 0) continue;
    if (known && c != known)
      Fail(m.path, ": predicts ", c, " classes, ", models.front().path, " (or an earlier model) ", known);
    known = c;
  }
  if (a.classes_opt->count() && known && a.classes != known)
    throw UsageError(StrCat("--classes ", a.classes, ": the models' outputs hold ", known, " classes"));
  SegmentationTruth truth;
  truth.count = a.classes_opt->count() ? a.classes : known;
  // Targets in the form of the models' outputs: binary masks, C classes, or indices.
  const TensorData t = LoadSegmentationTargets(a.targets, sigmoid ? 1 : truth.count, a.limit, TargetForm::kIndices);
  CheckSameItems(t, a.targets, data, a.data);
  truth.classes = PredictedClasses(t, OutputForm::kIndices, 0.5f, a.targets.c_str());
  return truth;
}

// Fills every evaluation's segmentation metrics against the truth; returns the class count.
int MeasureSegmentation(const CompareArgs& a, const std::vector<LoadedModel>& models, const SegmentationTruth& truth,
                        std::vector<Evaluation>* evals) {
  int classes = truth.count;
  if (classes == 0) {  // every model outputs indices and --classes was not given
    classes = ClassCount(truth.classes);
    for (const Evaluation& e : *evals) classes = std::max(classes, ClassCount(*e.classes));
    classes = std::max(classes, 1);
  }
  for (size_t i = 0; i < evals->size(); ++i) {
    Evaluation& e = (*evals)[i];
    if (e.classes->shape != truth.classes.shape)
      Fail(models[i].path, ": predicts class maps ", ShapeToString(e.classes->shape), " but ", a.targets, " holds ",
           ShapeToString(truth.classes.shape));
    try {
      e.segmentation = CompareSegmentation(*e.classes, truth.classes, classes);
    } catch (const Error& err) {
      const std::string msg = err.what();
      Fail(models[i].path, ": ", msg.rfind("prediction: ", 0) == 0 ? msg.substr(12) : msg,
           " (give --classes for models that output class indices)");
    }
  }
  return classes;
}

// Pixels for the grid: uint8 data (--raw) / 255, other data as float32.
TensorData GridPixels(const TensorData& t) {
  if (t.type != DType::kUInt8) return ToFloat32(t);
  TensorData f(DType::kFloat32, t.shape);
  for (size_t i = 0; i < t.bytes.size(); ++i) f.as<float>()[i] = t.bytes[i] / 255.0f;
  return f;
}

// A class map as a gray image tensor [N,H,W,channels] in [0,1] (class / (classes - 1)).
TensorData ClassImage(const ClassMap& m, int classes, int channels) {
  std::vector<int32_t> shape = m.shape;
  shape.push_back(channels);
  TensorData t(DType::kFloat32, shape);
  const float scale = classes > 1 ? 1.0f / static_cast<float>(classes - 1) : 1.0f;
  for (size_t i = 0; i < m.classes.size(); ++i)
    for (int c = 0; c < channels; ++c) t.as<float>()[i * channels + c] = m.classes[i] * scale;
  return t;
}

void Execute(const CompareArgs& a) {
  CheckUsage(a);
  const bool segment = a.task == "segment", denoise = a.task == "denoise";
  const std::vector<std::string> labels = ReadLabels(a.labels);
  if (!a.grid.empty()) CheckWritable(a.grid);
  if (!a.report.empty()) CheckWritable(a.report);
  std::vector<LoadedModel> models;
  for (const auto& path : a.models) {
    models.push_back(LoadAnyModel(path));
    CheckFiniteWeights(models.back());
  }
  // Loaded as `run` loads the reference's input 0; every model sees the same data.
  const LoadOptions lo = InputLoadOptions(models.front().model.main(), 0, {a.limit, a.resize, a.raw});
  const TensorData data = LoadData(a.data, lo);
  const TensorData input = denoise ? AddNoise(data, a.noise, a.seed, a.data) : data;
  std::optional<TensorData> targets;
  if (!segment && !a.targets.empty()) {
    LoadOptions tl = lo;
    const Graph& g = models.front().model.main();
    const std::vector<int32_t>& os = g.tensors.at(g.outputs.at(0)).shape;
    tl.channels = os.size() == 4 && (os[3] == 1 || os[3] == 3) ? os[3] : 0;
    targets = LoadData(a.targets, tl);
    CheckFiniteData(*targets, a.targets);
    CheckSameItems(*targets, a.targets, data, a.data);
  }
  const TensorData& truth = targets ? *targets : data;
  const char* truth_name = targets ? "targets" : "data";
  std::optional<SegmentationTruth> seg_truth;
  if (segment) seg_truth = LoadTruth(a, models, data);

  RunOptions ro;
  ro.batch = a.batch;
  ro.threads = a.threads;
  FitOptions fit;
  fit.raw = a.raw;
  fit.range_hint = segment ? "integer image models usually take the pixel bytes: compare with --raw"
                           : "integer image models usually take the pixel bytes, which compare feeds only with "
                             "--task segment --raw (see `cae2tpu run --raw`)";
  std::vector<Evaluation> evals;
  for (const auto& m : models) {
    Evaluation e = RunForEvaluation(m, input, a.data, ro, fit);
    if (segment) {
      e.classes = PredictedClasses(e.output, FormOf(m), a.threshold, m.path.c_str());
    } else {
      MeasureReconstruction(truth, truth_name, &e);
    }
    if (!evals.empty()) CompareToReference(evals.front(), &e);
    evals.push_back(std::move(e));
  }
  const int classes = segment ? MeasureSegmentation(a, models, *seg_truth, &evals) : 0;
  std::optional<Evaluation> noisy;
  if (denoise) {
    noisy.emplace();
    noisy->name = "noisy input";
    noisy->baseline = true;
    noisy->items = data.shape.at(0);
    noisy->output = input;
    MeasureReconstruction(data, "data", &*noisy);
  }

  if (!a.grid.empty()) {
    const bool pixels = data.shape.size() == 4 && (data.shape[3] == 1 || data.shape[3] == 3);
    const int channels = pixels ? data.shape[3] : 1;
    std::vector<TensorData> rows;
    if (pixels) rows.push_back(GridPixels(input));
    if (segment) {
      rows.push_back(ClassImage(seg_truth->classes, classes, channels));
      for (const Evaluation& e : evals) rows.push_back(ClassImage(*e.classes, classes, channels));
    } else {
      if (targets) rows.push_back(*targets);
      for (const Evaluation& e : evals) rows.push_back(e.output);
    }
    std::vector<const TensorData*> ptrs;
    for (const TensorData& r : rows) {
      if (r.shape.size() != 4 || r.shape != rows.front().shape)
        Fail("--grid ", a.grid, ": tensors ", ShapeToString(rows.front().shape), " and ", ShapeToString(r.shape),
             " cannot share an image grid (it needs images of one size and channel count)");
      ptrs.push_back(&r);
    }
    WriteComparisonGrid(a.grid, ptrs, 16, 8);
  }

  const std::string truth_text =
      segment || targets ? a.targets : (denoise ? "the clean data" : "the input");
  if (!a.report.empty()) {
    MarkdownReport r;
    r.title = "cae2tpu compare";
    r.facts = {StrCat("data: ", a.data, " (", evals.front().items, " items)"),
               StrCat("task: ", a.task, denoise ? StrCat(", Gaussian noise sigma ", a.noise, " seed ", a.seed) : ""),
               StrCat("measured against: ", truth_text, segment ? StrCat(" (", classes, " classes)") : ""),
               StrCat("reference: ", a.models.front())};
    r.evals = evals;
    if (noisy) r.evals.push_back(*noisy);
    r.class_names = labels;
    r.grid = a.grid;
    WriteMarkdownReport(a.report, r);
  }

  if (a.json) {
    nlohmann::json j = {{"data", a.data}, {"images", evals.front().items}, {"reference", a.models.front()},
                        {"task", a.task}};
    j["targets"] = a.targets.empty() ? nlohmann::json() : nlohmann::json(a.targets);
    if (denoise) j["noise"] = {{"sigma", a.noise}, {"seed", a.seed}};
    if (segment) {
      j["classes"] = classes;
      if (!labels.empty()) j["labels"] = labels;
    }
    j["models"] = nlohmann::json::array();
    for (const auto& e : evals) j["models"].push_back(EvaluationJson(e));
    if (noisy) j["noisy_input"] = EvaluationJson(*noisy);
    if (!a.grid.empty()) j["grid"] = a.grid;
    if (!a.report.empty()) j["report"] = a.report;
    PrintJson(j);
    return;
  }
  std::cout << "data: " << a.data << " (" << evals.front().items << " images";
  if (denoise) std::cout << ", Gaussian noise sigma " << a.noise << " seed " << a.seed << " added";
  std::cout << "); measured against " << truth_text;
  if (segment) std::cout << " (" << classes << " classes)";
  std::cout << "; reference: " << a.models.front() << "\n";
  std::vector<Evaluation> rows = evals;
  if (noisy) rows.push_back(*noisy);
  std::cout << EvaluationTable(rows);
  std::cout << "\nwhat each model costs against " << a.models.front() << "\n" << CostTableOf(evals).Render();
  if (segment) std::cout << "\nIoU per class (classes in neither the truth nor a prediction left out)\n" << ClassIouTable(evals, labels);
  if (!a.grid.empty()) std::cout << "wrote " << a.grid << "\n";
  if (!a.report.empty()) std::cout << "wrote " << a.report << "\n";
}

}  // namespace

void AddCompareCommand(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Compare models on the same data: speed, error against the input or targets (MAE, MSE, PSNR, SSIM), "
      "segmentation IoU, difference from a reference");
  cmd->add_option("models", args->models, "REF followed by one or more models (Keras or .tflite)")->required();
  cmd->add_option("-d,--data", args->data, "Input data: .npy, IDX, an image or a folder of images")->required();
  cmd->add_option("--task", args->task,
                  "reconstruct (default): outputs against the input, or --targets; denoise: adds Gaussian noise to "
                  "the data and measures against the clean data; segment: IoU against --targets");
  cmd->add_option("--targets", args->targets,
                  "Truth: clean images (reconstruct), or masks / class maps (segment: [N,H,W] class indices, "
                  "[N,H,W,1] 0/1 or 0/255 masks, one-hot [N,H,W,C]; gray mask images keep their values)");
  args->noise_opt = cmd->add_option("--noise", args->noise, "denoise: Gaussian noise sigma (default 0.2, as train)");
  args->seed_opt = cmd->add_option("--seed", args->seed, "denoise: noise seed (default 1)");
  args->classes_opt = cmd->add_option("--classes", args->classes,
                                      "segment: class count, for models that output class indices (default: the "
                                      "largest index seen + 1)")
                          ->check(CLI::Range(1, 65536));
  args->threshold_opt = cmd->add_option("--threshold", args->threshold,
                                        "segment: a sigmoid output above this is foreground (default 0.5)");
  cmd->add_option("--labels", args->labels, "segment: class names, one per line (line k names class k)");
  cmd->add_flag("--raw", args->raw, "segment: feed the data's values to integer inputs unchanged (pixel bytes)");
  cmd->add_option("--grid", args->grid,
                  "Write a PNG: input, truth and every model's output (class maps as gray levels), 16 items");
  cmd->add_option("--report", args->report,
                  "Write a Markdown report: the results, what each model costs against REF (size, time, error), "
                  "IoU per class, the --grid image");
  cmd->add_option("--limit", args->limit, "Use only the first N items")->check(CLI::Range(int64_t{1}, kMaxItems));
  cmd->add_option("--batch", args->batch, "Images per interpreter call (default 256)")->check(CLI::Range(int64_t{1}, kMaxBatch));
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")->check(CLI::Range(0, 256));
  AddResizeOption(cmd, &args->resize, "the data (and reconstruction targets)");
  cmd->add_flag("--json", args->json, "Print JSON instead of a table");
  cmd->callback([args] { Execute(*args); });
}

}  // namespace cae::cli
