// `cae2tpu run MODEL --input DATA... -o OUT.npy`: runs a Keras or TFLite model on data files and
// writes its outputs as .npy. `cae2tpu run SEG1 SEG2 ... --pipeline ...` runs the segments of a
// model (`cae2tpu edgetpu segment`, or the compiler's -n) as a pipeline, one thread per segment,
// item by item, and writes the last segment's outputs.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/json_output.h"
#include "cli/input_data.h"
#include "data/dataset.h"
#include "data/npy.h"
#include "edgetpu/pipeline.h"
#include "graph/graph.h"
#include "report/table.h"
#include "runtime/interpreter.h"

namespace cae::cli {
namespace {

struct RunArgs {
  std::vector<std::string> models;
  bool pipeline = false;
  std::vector<std::string> inputs;
  std::string out;
  int64_t batch = 256;
  int threads = 0;
  int64_t limit = 0;
  bool raw = false;
  std::string arch_json;
  std::string resize;
  bool json = false;
  bool profile = false;
};

// Per-op profile of a run: one row per op of the main graph.
struct OpProfileRow {
  int index = 0;
  std::string op, kernel, shape;
  double ms = 0, percent = 0;
  int64_t macs = 0;  // over all items
  double gmacs = 0;  // GMAC/s
};

std::vector<OpProfileRow> ProfileRows(const Model& model, const RunResult& r) {
  // Kernel names and MAC counts (kernel choice does not depend on the thread count).
  InterpreterOptions io;
  io.threads = 1;
  Interpreter interp(model, io);
  const Graph& g = model.main();
  const std::vector<int64_t> macs = interp.MacsPerImage();
  double total = 0;
  for (double s : r.op_seconds) total += s;
  // Tensors computed from the data (dim 0 counts items); the others (e.g. DEQUANTIZE of
  // weights) keep their own shape.
  std::vector<bool> from_data(g.tensors.size(), false);
  for (int t : g.inputs) from_data[t] = true;
  for (const Op& op : g.ops) {
    bool any = false;
    for (int t : op.inputs) any = any || (t >= 0 && from_data[t]);
    for (int t : op.outputs)
      if (t >= 0) from_data[t] = any;
  }
  std::vector<OpProfileRow> rows;
  for (size_t i = 0; i < g.ops.size() && i < r.op_seconds.size(); ++i) {
    OpProfileRow row;
    row.index = static_cast<int>(i);
    row.op = OpTypeName(g.ops[i].type);
    row.kernel = interp.kernel_names()[i];
    if (!g.ops[i].outputs.empty() && g.ops[i].outputs[0] >= 0) {
      const int out = g.ops[i].outputs[0];
      std::vector<int32_t> shape = g.tensors[out].shape;
      if (!shape.empty() && from_data[out]) shape[0] = static_cast<int32_t>(r.items);
      row.shape = ShapeToString(shape);
    }
    row.ms = r.op_seconds[i] * 1e3;
    row.percent = total > 0 ? 100.0 * r.op_seconds[i] / total : 0.0;
    row.macs = macs[i] * r.items;
    row.gmacs = r.op_seconds[i] > 0 ? static_cast<double>(row.macs) / r.op_seconds[i] * 1e-9 : 0.0;
    rows.push_back(row);
  }
  return rows;
}

std::string ProfileTable(const std::vector<OpProfileRow>& rows) {
  Table t({"#", "op", "kernel", "output shape", "ms", "%", "MACs", "GMAC/s"});
  double ms = 0, pct = 0, gm_secs = 0;
  int64_t macs = 0;
  for (const auto& r : rows) {
    t.AddRow({std::to_string(r.index), r.op, r.kernel, r.shape, FormatFixed(r.ms, 2), FormatFixed(r.percent, 1),
              r.macs ? FormatCount(r.macs) : "-", r.macs ? FormatFixed(r.gmacs, 2) : "-"});
    ms += r.ms;
    pct += r.percent;
    macs += r.macs;
  }
  gm_secs = ms > 0 ? static_cast<double>(macs) / (ms * 1e-3) * 1e-9 : 0.0;
  t.AddRow({"", "total", "", "", FormatFixed(ms, 2), FormatFixed(pct, 1), FormatCount(macs), FormatFixed(gm_secs, 2)});
  return t.Render();
}

// Item i of t (dim 0), keeping the other dims: [1, ...].
TensorData Item(const TensorData& t, int64_t i) {
  std::vector<int32_t> shape = t.shape;
  shape[0] = 1;
  TensorData out(t.type, shape);
  std::copy_n(t.bytes.begin() + static_cast<std::ptrdiff_t>(i * out.bytes.size()), out.bytes.size(), out.bytes.begin());
  return out;
}

// Concatenates [1, ...] items along dim 0.
TensorData Stack(const std::vector<TensorData>& items) {
  std::vector<int32_t> shape = items.front().shape;
  shape[0] = static_cast<int32_t>(items.size());
  TensorData out(items.front().type, shape);
  size_t at = 0;
  for (const TensorData& t : items) {
    Check(t.bytes.size() * items.size() == out.bytes.size(), "pipeline: outputs of different sizes");
    std::copy(t.bytes.begin(), t.bytes.end(), out.bytes.begin() + static_cast<std::ptrdiff_t>(at));
    at += t.bytes.size();
  }
  return out;
}

// Runs segments as a pipeline on fitted inputs (named by the first segment's input tensors).
RunResult RunSegments(const std::vector<LoadedModel>& segments, const std::vector<TensorData>& inputs, int threads) {
  const Graph& first = segments.front().model.main();
  const Graph& last = segments.back().model.main();
  std::vector<Model> models;
  for (const LoadedModel& s : segments) models.push_back(s.model);
  const int64_t n = inputs.front().shape.at(0);
  std::vector<std::map<std::string, TensorData>> items(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    for (size_t k = 0; k < inputs.size(); ++k)
      items[static_cast<size_t>(i)][first.tensors.at(first.inputs[k]).name] = Item(inputs[k], i);
  const auto start = std::chrono::steady_clock::now();
  const auto results = edgetpu::RunPipeline(models, items, std::max(1, threads));
  RunResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.items = n;
  for (int out : last.outputs) {
    const std::string& name = last.tensors.at(out).name;
    std::vector<TensorData> parts;
    for (const auto& item : results) parts.push_back(item.at(name));
    r.outputs.push_back(Stack(parts));
  }
  return r;
}

// UsageError when an output file would replace a data file it is computed from (the same file,
// links followed), as convert refuses -o naming its input model.
void RejectOutputOverInput(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs) {
  for (const std::string& out : outputs) {
    for (const std::string& in : inputs) {
      std::error_code ec;
      if (std::filesystem::equivalent(out, in, ec))
        throw UsageError(StrCat("-o ", out, " is the input data file ", in, "; write the outputs to another file"));
    }
  }
}

void Execute(const RunArgs& a) {
  CheckOutputExtension(a.out, ".npy", "run writes .npy arrays");
  CheckWritable(a.out);
  if (a.models.size() > 1 && !a.pipeline)
    throw UsageError("run: several models are run only as a pipeline of segments (--pipeline)");
  std::vector<LoadedModel> segments;
  for (const std::string& m : a.models) {
    segments.push_back(LoadAnyModel(m, a.arch_json));
    CheckFiniteWeights(segments.back());
  }
  const LoadedModel& lm = segments.front();
  const std::string& model_name = a.models.front();
  const Graph& g = lm.model.main();
  const std::string& last_model = a.models.back();
  if (segments.back().model.main().outputs.empty())
    throw Error(StrCat(last_model, ": model has no outputs, so there is nothing to write to ", a.out));
  const std::vector<std::string> paths =
      OutputPaths(a.out, static_cast<int>(segments.back().model.main().outputs.size()));
  RejectOutputOverInput(paths, a.inputs);
  for (const std::string& p : paths) CheckWritable(p);
  if (a.inputs.size() != g.inputs.size())
    throw UsageError(StrCat(model_name, ": model has ", g.inputs.size(), " input(s), ", a.inputs.size(),
                            " --input given"));
  std::vector<TensorData> inputs;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const LoadOptions o = InputLoadOptions(g, static_cast<int>(i), {a.limit, a.resize, a.raw});
    FitOptions fit;
    fit.raw = a.raw;
    fit.model = model_name;
    fit.range_hint = "integer image models usually take the pixel bytes: run with --raw";
    inputs.push_back(FitInput(g, static_cast<int>(i), LoadData(a.inputs[i], o), fit, a.inputs[i]));
  }
  RunOptions ro;
  ro.threads = a.threads;
  ro.batch = a.batch;
  ro.profile = a.profile;
  if (a.profile && a.pipeline) throw UsageError("run: --profile times one model, not a --pipeline");
  RunResult r = a.pipeline ? RunSegments(segments, inputs, a.threads) : RunInBatches(lm.model, inputs, ro);
  const Graph& out_graph = segments.back().model.main();
  nlohmann::json outs = nlohmann::json::array();
  // All or none: a failed write removes the outputs written before it (every path was checked
  // by CheckWritable first, so what remains is a write error such as a full disk).
  size_t written = 0;
  try {
    for (; written < r.outputs.size(); ++written) {
      const size_t k = written;
      TensorData out = a.raw ? std::move(r.outputs[k]) : OutputToFloat(out_graph, static_cast<int>(k), std::move(r.outputs[k]));
      WriteNpy(paths[k], out);
      outs.push_back({{"path", paths[k]}, {"shape", out.shape}, {"dtype", std::string(DTypeName(out.type))}});
    }
  } catch (...) {
    std::error_code ec;
    for (size_t k = 0; k < written; ++k)  // regular files only: never a device or a link
      if (std::filesystem::is_regular_file(std::filesystem::symlink_status(paths[k], ec))) std::filesystem::remove(paths[k], ec);
    throw;
  }
  std::vector<OpProfileRow> profile;
  if (a.profile) profile = ProfileRows(lm.model, r);
  const double per_second = r.seconds > 0 ? r.items / r.seconds : 0.0;
  if (a.json) {
    nlohmann::json j = {{"model", model_name}, {"segments", a.models.size()},        {"inputs", a.inputs},
                        {"images", r.items},       {"seconds", r.seconds},
                        {"images_per_second", per_second}, {"outputs", outs}};
    if (a.profile) {
      nlohmann::json p = nlohmann::json::array();
      for (const auto& row : profile)
        p.push_back({{"index", row.index}, {"op", row.op}, {"kernel", row.kernel}, {"output_shape", row.shape},
                     {"ms", row.ms}, {"percent", row.percent}, {"macs", row.macs}, {"gmac_per_second", row.gmacs}});
      j["profile"] = p;
    }
    PrintJson(j);
  } else if (!Globals().quiet) {
    std::cout << model_name << (a.pipeline ? StrCat(" + ", a.models.size() - 1, " segment(s)") : "") << ": " << FormatCount(r.items) << " images in " << FormatSeconds(r.seconds) << " ("
              << FormatFixed(per_second, 1) << " images/s)\n";
    for (const auto& o : outs)
      std::cout << "  wrote " << o["path"].get<std::string>() << " " << ShapeToString(o["shape"].get<std::vector<int32_t>>())
                << " " << o["dtype"].get<std::string>() << "\n";
    if (a.profile) std::cout << ProfileTable(profile);
  }
}

}  // namespace

void AddRunCommand(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a Keras or TFLite model on data and write its outputs as .npy");
  cmd->add_option("model", args->models, "Model file: Keras .h5/.keras or .tflite (with --pipeline: the segments, in order)")
      ->required();
  cmd->add_flag("--pipeline", args->pipeline, "Run the given segments as a pipeline, one thread per segment");
  cmd->add_option("-i,--input", args->inputs,
                  "Data for each model input, in order: .npy, IDX (.gz or not), an image, or a folder of images")
      ->required();
  cmd->add_option("-o,--output", args->out, "Output .npy (several outputs: OUT_0.npy, OUT_1.npy, ...)")->required();
  cmd->add_option("--batch", args->batch, "Images per interpreter call (default 256)")->check(CLI::Range(int64_t{1}, kMaxBatch));
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")->check(CLI::Range(0, 256));
  cmd->add_option("--limit", args->limit, "Use only the first N items of the data")->check(CLI::Range(int64_t{1}, kMaxItems));
  cmd->add_flag("--raw", args->raw,
                "Feed .npy values to the input tensor unchanged (type must match) and write outputs in their own type");
  cmd->add_option("--arch-json", args->arch_json, "model.to_json() file for a weights-only Keras HDF5");
  AddResizeOption(cmd, &args->resize, "the input data");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  cmd->add_flag("--profile", args->profile,
                "Time every op: index, op, kernel, output shape, ms, % of total, MACs, GMAC/s (in --json too)");
  cmd->callback([args] { Execute(*args); });
}

}  // namespace cae::cli
