// `cae2tpu compare REF MODEL... --data DATA`: runs every model on the same data and reports time,
// reconstruction error vs the input, and difference from REF's output.
#include <CLI/CLI.hpp>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/input_data.h"
#include "data/dataset.h"

namespace cae::cli {
namespace {

struct CompareArgs {
  std::vector<std::string> models;
  std::string data;
  int64_t limit = 0;
  int64_t batch = 256;
  int threads = 0;
  std::string resize;
  bool json = false;
};

void Execute(const CompareArgs& a) {
  if (a.models.size() < 2) throw UsageError("compare needs REF and at least one MODEL");
  std::vector<LoadedModel> models;
  for (const auto& path : a.models) {
    models.push_back(LoadAnyModel(path));
    CheckFiniteWeights(models.back());
  }
  // Loaded as `run` loads the reference's input 0; every model sees the same float data.
  const TensorData data = LoadData(a.data, InputLoadOptions(models.front().model.main(), 0, {a.limit, a.resize}));
  RunOptions ro;
  ro.batch = a.batch;
  ro.threads = a.threads;
  FitOptions fit;
  fit.range_hint =
      "integer image models usually take the pixel bytes, which compare does not feed (see `cae2tpu run --raw`)";
  std::vector<Evaluation> evals;
  for (const auto& m : models) {
    evals.push_back(EvaluateModel(m, data, a.data, ro, fit));
    if (evals.size() > 1) CompareToReference(evals.front(), &evals.back());
  }
  if (a.json) {
    nlohmann::json j = {{"data", a.data}, {"images", evals.front().items}, {"reference", a.models.front()}};
    j["models"] = nlohmann::json::array();
    for (const auto& e : evals) j["models"].push_back(EvaluationJson(e));
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "data: " << a.data << " (" << evals.front().items << " images); reference: " << a.models.front()
            << "\n"
            << EvaluationTable(evals);
}

}  // namespace

void AddCompareCommand(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand("compare", "Compare models on the same data: speed, reconstruction error, "
                                                "difference from a reference");
  cmd->add_option("models", args->models, "REF followed by one or more models (Keras or .tflite)")->required();
  cmd->add_option("-d,--data", args->data, "Input data: .npy, IDX, an image or a folder of images")->required();
  cmd->add_option("--limit", args->limit, "Use only the first N items")->check(CLI::Range(int64_t{1}, kMaxItems));
  cmd->add_option("--batch", args->batch, "Images per interpreter call (default 256)")->check(CLI::Range(int64_t{1}, kMaxBatch));
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")->check(CLI::Range(0, 256));
  AddResizeOption(cmd, &args->resize, "the data");
  cmd->add_flag("--json", args->json, "Print JSON instead of a table");
  cmd->callback([args] { Execute(*args); });
}

}  // namespace cae::cli
