// `cae2tpu demo [--out DIR]`: the main job end to end on the built-in default model and data.
//
// The demo is a list of steps over one DemoContext, run in order:
//   1. model     the float model (now: the seed CAE fixture; later: trained here)
//   2. data      the Fashion-MNIST test set from Debian
//   3. variants  models to compare against the float one (the converter adds its variants here)
//   4. evaluate  every variant on the data: time, MAE/MSE/PSNR/SSIM, difference from the float one
//   5. report    table on stdout, DIR/metrics.json, DIR/grid.png (originals above each variant's
//                reconstructions), DIR/<variant>_reconstructions.npy
// A new step is a function taking DemoContext&, added to kSteps.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "data/dataset.h"
#include "data/file_io.h"
#include "data/npy.h"
#include "report/image_grid.h"
#include "report/table.h"

namespace cae::cli {
namespace {

namespace fs = std::filesystem;

struct DemoArgs {
  std::string out = "out/demo";
  std::string model;  // empty: the default fixture
  std::string data = kFashionMnistTestImages;
  int64_t limit = 0;
  int64_t batch = 256;
  int threads = 0;
  bool json = false;
};

struct DemoVariant {
  std::string name;  // file-name friendly: "float", "int8", ...
  LoadedModel model;
};

struct DemoContext {
  DemoArgs args;
  TensorData data;                  // float32 NHWC in [0,1]
  std::vector<DemoVariant> variants;  // variants[0] is the float model, the reference
  std::vector<Evaluation> evals;      // one per variant, same order
  nlohmann::json report;
};

std::string DefaultModelPath() { return SharedFile("fixtures/anchors/cae12785_fmnist.h5"); }

void StepModel(DemoContext& c) {
  const std::string path = c.args.model.empty() ? DefaultModelPath() : c.args.model;
  c.variants.push_back({"float", LoadAnyModel(path)});
}

void StepData(DemoContext& c) {
  LoadOptions o;
  o.limit = c.args.limit;
  o.channels = 1;
  c.data = LoadData(c.args.data, o);
}

void StepEvaluate(DemoContext& c) {
  RunOptions ro;
  ro.batch = c.args.batch;
  ro.threads = c.args.threads;
  for (const DemoVariant& v : c.variants) {
    Evaluation e = EvaluateModel(v.model, c.data, c.args.data, ro);
    e.name = v.name;
    if (!c.evals.empty()) CompareToReference(c.evals.front(), &e);
    c.evals.push_back(std::move(e));
  }
}

void StepReport(DemoContext& c) {
  const fs::path dir(c.args.out);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) Fail(c.args.out, ": cannot create the output folder: ", ec.message());
  nlohmann::json j = {{"data", c.args.data}, {"images", c.data.shape.at(0)}, {"variants", nlohmann::json::array()}};
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
  const std::string text = j.dump(2) + "\n";
  WriteFileAtomic((dir / "metrics.json").string(), reinterpret_cast<const uint8_t*>(text.data()), text.size());
  c.report = std::move(j);
  if (c.args.json) {
    std::cout << text;
    return;
  }
  std::cout << "model: " << c.variants.front().model.path << "\ndata: " << c.args.data << " (" << c.data.shape.at(0)
            << " images)\n\n"
            << EvaluationTable(c.evals) << "\nwrote " << (dir / "metrics.json").string();
  if (c.report.contains("grid")) std::cout << ", " << grid;
  std::cout << ", " << c.variants.size() << " reconstruction file(s) in " << dir.string() << "\n";
}

using Step = void (*)(DemoContext&);
constexpr Step kSteps[] = {StepModel, StepData, StepEvaluate, StepReport};

}  // namespace

void AddDemoCommand(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand("demo", "Reconstruct Fashion-MNIST with the default CAE and report metrics");
  cmd->add_option("--out", args->out, "Output folder (default out/demo)");
  cmd->add_option("--model", args->model, "Model instead of the default (" + DefaultModelPath() + ")");
  cmd->add_option("--data", args->data, "Test images (default: Debian's Fashion-MNIST test set)");
  cmd->add_option("--limit", args->limit, "Use only the first N images")->check(CLI::Range(int64_t{1}, int64_t{1} << 31));
  cmd->add_option("--batch", args->batch, "Images per interpreter call (default 256)")->check(CLI::Range(int64_t{1}, int64_t{1} << 31));
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")->check(CLI::Range(0, 256));
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->callback([args] {
    DemoContext c;
    c.args = *args;
    for (Step step : kSteps) step(c);
  });
}

}  // namespace cae::cli
