// `cae2tpu demo [--out DIR]`: the seed's pipeline end to end on its built-in default.
//
// The demo is a list of steps over one DemoContext, run in order:
//   1. train     the seed CAE (12,785 parameters) on Fashion-MNIST train from Debian's
//                dataset-fashion-mnist, a few epochs, saved as Keras HDF5 (DIR/cae_fmnist.h5) and
//                read back through the importer; or --model MODEL to start from a Keras file
//   2. data      the Fashion-MNIST test set (the first --limit images)
//   3. convert   the float model to .tflite four ways (float32, float16, dynamic-range int8,
//                full-integer int8 with float I/O) plus the Edge TPU form (int8, uint8 I/O),
//                calibrated on the first 100 training images; each file is written, then read
//                back and run from disk
//   3b. qat      quantization-aware training: the float model's last epoch run again from the
//                same start (weights, Adam state, image order) with int8 simulated, converted
//                to int8 with the trained ranges (no calibration): DIR/cae_fmnist_qat.h5 and
//                DIR/cae_fmnist_int8_qat.tflite; skipped with --model or --no-qat
//   4. evaluate  every variant on the data: time, MAE/MSE/PSNR/SSIM vs the input, difference from
//                the float model, file size
//   5. edgetpu   the Edge TPU plan of the uint8 model (ops mapped, parameter bytes)
//   6. report    tables on stdout (the variants, what each costs against the Keras model),
//                DIR/metrics.json, DIR/report.md (Markdown: training, tables, grid, Edge TPU plan),
//                DIR/grid.png (originals above each variant's reconstructions),
//                DIR/<variant>_reconstructions.npy
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/json_output.h"
#include "cli/evaluation.h"
#include "cli/markdown_report.h"
#include "data/dataset.h"
#include "data/file_io.h"
#include "data/npy.h"
#include "edgetpu/planner.h"
#include "keras/keras_builders.h"
#include "keras/keras_import.h"
#include "keras/keras_writer.h"
#include "kernels/parallel.h"
#include "quant/convert.h"
#include "report/image_grid.h"
#include "report/table.h"
#include "tflite/writer.h"
#include "train/trainer.h"

namespace cae::cli {
namespace {

namespace fs = std::filesystem;

struct DemoArgs {
  std::string out = "out/demo";
  std::string model;  // empty: train the seed CAE here
  std::string train_data = kFashionMnistTrainImages;
  std::string data = kFashionMnistTestImages;
  int epochs = 2;
  int64_t train_limit = 0;
  int64_t limit = 0;
  int64_t batch = 256;
  int calib_samples = 100;
  int threads = 0;
  bool json = false;
  bool no_qat = false;
};

struct DemoVariant {
  std::string name;  // file-name friendly: "keras", "float32", "int8", ...
  LoadedModel model;
};

struct DemoContext {
  DemoArgs args;
  TensorData train;                   // float32 NHWC in [0,1]
  TensorData data;                    // test images, float32 NHWC in [0,1]
  std::vector<DemoVariant> variants;  // variants[0] is the float Keras model, the reference
  std::vector<Evaluation> evals;      // one per variant, same order
  nlohmann::json report = nlohmann::json::object();
  std::string edgetpu_summary;
  // The trained model's weights one epoch before the end (the initial model for one epoch): where
  // quantization-aware training starts. Unset with --model or --no-qat.
  std::optional<KerasModel> qat_start;
  int qat_start_epoch = 0;
  std::unique_ptr<train::Optimizer> qat_optimizer;  // the optimizer's state then (null: fresh)
};

bool Talk(const DemoContext& c) { return !c.args.json && !Globals().quiet; }

fs::path OutDir(const DemoContext& c) {
  const fs::path dir(c.args.out);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) Fail(c.args.out, ": cannot create the output folder: ", ec.message());
  return dir;
}

// Progress on a terminal and one line per epoch ("   <what>epoch 2/2: train MSE ...").
train::TrainCallbacks DemoProgress(const DemoContext& c, const std::string& what, int total) {
  train::TrainCallbacks cb;
  const bool progress = ShowProgress() && !c.args.json;
  if (progress) {
    cb.on_batch = [what, total](const train::BatchProgress& p) {
      std::fprintf(stderr, "\r   %sepoch %d/%d batch %lld/%lld loss %.5f %.0f img/s ETA %.0fs   ", what.c_str(),
                   p.epoch, total, static_cast<long long>(p.batch), static_cast<long long>(p.batches),
                   p.mean_loss, p.images_per_second, p.eta_seconds);
    };
  }
  const bool talk = Talk(c);
  cb.on_epoch = [progress, talk, what, total](const train::EpochStats& s) {
    if (progress) std::fprintf(stderr, "\r\033[K");
    if (!talk) return;
    char buf[200];
    std::snprintf(buf, sizeof(buf), "   %sepoch %d/%d: train MSE %.5f, %.1f s, %.0f images/s", what.c_str(),
                  s.epoch, total, s.train_loss, s.seconds, s.images_per_second);
    std::cout << buf << std::endl;
  };
  return cb;
}

void StepTrain(DemoContext& c) {
  LoadOptions lo;
  lo.channels = 1;
  lo.limit = c.args.train_limit;
  c.train = LoadData(c.args.train_data, lo);
  if (!c.args.model.empty()) {
    c.variants.push_back({"keras", LoadAnyModel(c.args.model)});
    return;
  }
  const fs::path h5 = OutDir(c) / "cae_fmnist.h5";
  KerasModel km = BuildCae(28, 28, 1, {32, 16, 8});
  train::TrainOptions to;
  to.epochs = c.args.epochs;
  to.batch_size = 128;
  to.learning_rate = 1e-3f;
  to.loss = train::Loss::kMse;
  to.seed = 1;
  ThreadPool pool(c.args.threads);
  train::Trainer trainer(km, to, &pool);
  if (Talk(c)) {
    std::cout << "1. train the seed CAE (" << trainer.net().ParamCount() << " parameters) on "
              << c.train.shape[0] << " Fashion-MNIST images, " << c.args.epochs
              << " epochs, Adam 1e-3 (input-centered steps), MSE, batch 128" << std::endl;
  }
  if (!c.args.no_qat) c.qat_start = km;  // no weights: initialized from the same seed
  train::TrainCallbacks cb = DemoProgress(c, "", to.epochs);
  nlohmann::json epochs = nlohmann::json::array();
  const auto line = cb.on_epoch;
  cb.on_epoch = [&](const train::EpochStats& s) {
    line(s);
    if (c.qat_start && s.epoch == to.epochs - 1) {
      trainer.StoreWeights(*c.qat_start);
      c.qat_start_epoch = s.epoch;
      c.qat_optimizer = trainer.CloneOptimizer();
    }
    epochs.push_back({{"epoch", s.epoch}, {"train_mse", s.train_loss}, {"seconds", s.seconds},
                      {"images_per_second", s.images_per_second}});
  };
  trainer.Fit(c.train, c.train, nullptr, nullptr, cb);
  trainer.StoreWeights(km);
  SaveKerasH5(km, h5.string(), trainer.TrainingConfig());
  c.report["training"] = {{"model", h5.string()}, {"parameters", trainer.net().ParamCount()}, {"epochs", epochs}};
  if (Talk(c)) std::cout << "   wrote " << h5.string() << std::endl;
  // From here on the model is what the importer reads back from the file just written.
  c.variants.push_back({"keras", LoadAnyModel(h5.string())});
}

void StepData(DemoContext& c) {
  LoadOptions o;
  o.limit = c.args.limit;
  o.channels = 1;
  c.data = LoadData(c.args.data, o);
}

void StepConvert(DemoContext& c) {
  struct Recipe {
    const char* name;
    quant::QuantMode mode;
    quant::IoType io;
  };
  const Recipe recipes[] = {
      {"float32", quant::QuantMode::kFloat32, quant::IoType::kFloat32},
      {"float16", quant::QuantMode::kFloat16, quant::IoType::kFloat32},
      {"dynamic", quant::QuantMode::kDynamic, quant::IoType::kFloat32},
      {"int8", quant::QuantMode::kInt8, quant::IoType::kFloat32},
      {"edgetpu_uint8", quant::QuantMode::kInt8, quant::IoType::kUInt8},
  };
  const TensorData calib = TakeFirst(c.train, c.args.calib_samples);
  const fs::path dir = OutDir(c);
  if (Talk(c)) std::cout << "2. convert to .tflite (calibration: first " << calib.shape[0] << " training images)" << std::endl;
  const Model float_model = c.variants.front().model.model;  // a copy: variants grows below
  for (const Recipe& r : recipes) {
    quant::ConvertOptions o;
    o.quant = r.mode;
    o.io = r.io;
    const Model m = quant::ConvertModel(float_model, o, &calib);
    const std::string path = (dir / ("cae_fmnist_" + std::string(r.name) + ".tflite")).string();
    WriteTflite(m, path);
    c.variants.push_back({r.name, LoadAnyModel(path)});
    if (Talk(c)) std::cout << "   wrote " << path << " (" << FileSize(path) << " bytes)" << std::endl;
  }
}

void StepQat(DemoContext& c) {
  if (!c.qat_start) return;
  train::TrainOptions to;
  to.epochs = 1;
  to.batch_size = 128;
  to.learning_rate = 1e-3f;
  to.loss = train::Loss::kMse;
  to.seed = 1;
  to.qat = true;
  to.initial_epoch = c.qat_start_epoch;  // the same shuffled order as the float model's last epoch
  ThreadPool pool(c.args.threads);
  KerasModel km = *c.qat_start;
  train::Trainer trainer(km, to, &pool);
  if (c.qat_optimizer) trainer.SetOptimizer(std::move(c.qat_optimizer));  // Adam's moments too
  if (Talk(c)) {
    std::cout << "2b. quantization-aware training: the last epoch again from epoch " << c.qat_start_epoch
              << " (weights, optimizer state, image order), with int8 simulated (the loss is the int8 model's)"
              << std::endl;
  }
  nlohmann::json epochs = nlohmann::json::array();
  train::TrainCallbacks cb = DemoProgress(c, "QAT ", c.qat_start_epoch + 1);
  const auto line = cb.on_epoch;
  cb.on_epoch = [&](const train::EpochStats& s) {
    line(s);
    epochs.push_back({{"epoch", s.epoch}, {"train_mse", s.train_loss},
                      {"seconds", s.seconds}, {"images_per_second", s.images_per_second}});
  };
  trainer.Fit(c.train, c.train, nullptr, nullptr, cb);
  trainer.StoreWeights(km);
  km.qat = trainer.net().qat()->RangesJson();
  const fs::path dir = OutDir(c);
  const std::string h5 = (dir / "cae_fmnist_qat.h5").string();
  SaveKerasH5(km, h5, trainer.TrainingConfig());
  quant::ConvertOptions o;
  o.quant = quant::QuantMode::kInt8;
  o.qat_ranges = train::StoredQatRanges(km.qat);
  const std::string path = (dir / "cae_fmnist_int8_qat.tflite").string();
  WriteTflite(quant::ConvertModel(LowerKerasModel(km), o, nullptr), path);
  auto after_int8 = c.variants.end();  // next to the calibrated int8 row in the table
  for (auto it = c.variants.begin(); it != c.variants.end(); ++it)
    if (it->name == "int8") after_int8 = it + 1;
  c.variants.insert(after_int8, {"int8_qat", LoadAnyModel(path)});
  c.report["qat"] = {{"model", h5}, {"start_epoch", c.qat_start_epoch}, {"epochs", epochs}};
  if (Talk(c)) std::cout << "   wrote " << h5 << ", " << path << " (" << FileSize(path) << " bytes)" << std::endl;
}

void StepEvaluate(DemoContext& c) {
  if (Talk(c)) std::cout << "3. run every variant on " << c.data.shape.at(0) << " test images" << std::endl;
  RunOptions ro;
  ro.batch = c.args.batch;
  ro.threads = c.args.threads;
  for (const DemoVariant& v : c.variants) {
    ro.label = v.name;
    Evaluation e = EvaluateModel(v.model, c.data, c.args.data, ro);
    e.name = v.name;
    if (!c.evals.empty()) CompareToReference(c.evals.front(), &e);
    c.evals.push_back(std::move(e));
  }
}

void StepEdgetpu(DemoContext& c) {
  for (const DemoVariant& v : c.variants) {
    if (v.name != "edgetpu_uint8") continue;
    const edgetpu::ModelPlan plan = edgetpu::PlanModel(v.model.model);
    c.edgetpu_summary = edgetpu::FormatPlan(plan);
    c.report["edgetpu_plan"] = edgetpu::PlanToJson(plan);
  }
}

// The demo's report.md: the pipeline's facts, training per epoch, the variants side by side and
// what each costs against the float Keras model, the grid, the Edge TPU plan.
MarkdownReport DemoReport(const DemoContext& c, const nlohmann::json& j) {
  MarkdownReport r;
  r.title = "cae2tpu demo: " + c.variants.front().model.path;
  r.facts = {StrCat("data: ", c.args.data, " (", c.data.shape.at(0), " images); errors are measured against the input"),
             "variants: float32, float16, dynamic-range int8, full-integer int8 (float I/O), Edge TPU "
             "(int8, uint8 I/O)" + std::string(j.contains("qat") ? ", int8 after quantization-aware training" : ""),
             "reference: the Keras model (first row)"};
  if (j.contains("training")) {
    const nlohmann::json& t = j["training"];
    Table epochs({"epoch", "train MSE", "seconds", "images/s"});
    for (const auto& e : t["epochs"])
      epochs.AddRow({std::to_string(e["epoch"].get<int>()), FormatFixed(e["train_mse"].get<double>(), 6),
                     FormatFixed(e["seconds"].get<double>(), 1), FormatFixed(e["images_per_second"].get<double>(), 0)});
    r.before.push_back({"Training", StrCat("The seed CAE (", t["parameters"].get<int64_t>(),
                                           " parameters) on Fashion-MNIST, Adam 1e-3 with input-centered steps (train --centering), MSE, batch 128.\n\n",
                                           epochs.RenderMarkdown())});
  }
  r.evals = c.evals;
  for (size_t i = 0; i < r.evals.size() && i < c.variants.size(); ++i) r.evals[i].name = c.variants[i].name;
  if (j.contains("grid")) r.grid = j["grid"].get<std::string>();
  if (!c.edgetpu_summary.empty()) r.after.push_back({"Edge TPU plan of the uint8 model", "```\n" + c.edgetpu_summary + "```\n"});
  return r;
}

void StepReport(DemoContext& c) {
  const fs::path dir = OutDir(c);
  nlohmann::json& j = c.report;
  j["data"] = c.args.data;
  j["images"] = c.data.shape.at(0);
  j["variants"] = nlohmann::json::array();
  std::vector<const TensorData*> grid_rows = {&c.data};
  for (size_t i = 0; i < c.evals.size(); ++i) {
    const Evaluation& e = c.evals[i];
    const std::string npy = (dir / (c.variants[i].name + "_reconstructions.npy")).string();
    WriteNpy(npy, e.output);
    nlohmann::json v = EvaluationJson(e);
    v["model"] = c.variants[i].model.path;
    v["variant"] = c.variants[i].name;
    v["reconstructions"] = npy;
    j["variants"].push_back(std::move(v));
    if (e.output.shape == c.data.shape) grid_rows.push_back(&e.output);
  }
  const std::string grid = (dir / "grid.png").string();
  if (c.data.shape.size() == 4) {
    WriteComparisonGrid(grid, grid_rows, 16, 8);
    j["grid"] = grid;
  }
  const std::string text = JsonText(j) + "\n";
  WriteFileAtomic((dir / "metrics.json").string(), reinterpret_cast<const uint8_t*>(text.data()), text.size());
  WriteMarkdownReport((dir / "report.md").string(), DemoReport(c, j));
  if (c.args.json) {
    std::cout << text;
    return;
  }
  if (Globals().quiet) return;
  std::cout << "\nmodel: " << c.variants.front().model.path << "\ndata: " << c.args.data << " (" << c.data.shape.at(0)
            << " images)\n\n"
            << EvaluationTable(c.evals) << "\nwhat each variant costs against " << c.evals.front().name << "\n"
            << CostTableOf(c.evals).Render();
  if (!c.edgetpu_summary.empty()) std::cout << "\n4. Edge TPU plan of the uint8 model\n" << c.edgetpu_summary;
  std::cout << "\nwrote " << (dir / "metrics.json").string() << ", " << (dir / "report.md").string();
  if (j.contains("grid")) std::cout << ", " << grid;
  std::cout << ", " << c.variants.size() << " reconstruction file(s) in " << dir.string() << "\n";
}

using Step = void (*)(DemoContext&);
constexpr Step kSteps[] = {StepTrain, StepData, StepConvert, StepQat, StepEvaluate, StepEdgetpu, StepReport};

}  // namespace

void AddDemoCommand(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "demo", "The whole pipeline on Fashion-MNIST: train the seed CAE, convert it four ways and for the Edge TPU, compare");
  cmd->add_option("--out", args->out, "Output folder (default out/demo)");
  cmd->add_option("--model", args->model, "Start from this Keras model instead of training the seed CAE");
  cmd->add_option("--epochs", args->epochs, "Training epochs (default 2)")->check(CLI::Range(1, 1000));
  cmd->add_option("--train-data", args->train_data, "Training images (default: Debian's Fashion-MNIST train set)");
  cmd->add_option("--train-limit", args->train_limit, "Train on the first N images only")
      ->check(CLI::Range(int64_t{1}, kMaxItems));
  cmd->add_option("--data", args->data, "Test images (default: Debian's Fashion-MNIST test set)");
  cmd->add_option("--limit", args->limit, "Evaluate on the first N test images only")
      ->check(CLI::Range(int64_t{1}, kMaxItems));
  cmd->add_option("--calib-samples", args->calib_samples, "Calibration images for int8 (default 100)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--batch", args->batch, "Images per interpreter call (default 256)")
      ->check(CLI::Range(int64_t{1}, kMaxBatch));
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")->check(CLI::Range(0, 256));
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->add_flag("--no-qat", args->no_qat, "Skip the quantization-aware training variant (int8_qat)");
  cmd->callback([args] {
    CheckOutputFolder(args->out, "--out");
    DemoContext c;
    c.args = *args;
    for (Step step : kSteps) step(c);
  });
}

}  // namespace cae::cli
