// `cae2tpu edgetpu plan|compile|segment`: the Edge TPU planner, the edgetpu_compiler driver and the
// pipelining splitter.
//   plan MODEL... [--json]        what maps to the TPU and why, parameter cache estimate
//                                 (several models: co-compiled, first gets cache priority)
//   compile MODEL... [-o DIR] [--num-segments N] [--min-runtime N] [--compiler PATH] [-- FLAGS]
//                                 runs edgetpu_compiler, prints its figures beside the plan and
//                                 every disagreement; without a compiler: exit status 3, how to
//                                 install it, and the plan. Models must be .tflite files (the
//                                 compiler reads nothing else): a Keras file is a usage error
//   segment MODEL --num-segments N -o DIR [--json]
//                                 N .tflite segments of about equal parameter bytes
// --quiet (global): compile and segment print nothing but errors and --json (the exit status
// says how it went; compile without a compiler still prints the install hint on stderr). plan
// prints its report anyway: the report is what it was asked for.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/json_output.h"
#include "edgetpu/compiler_driver.h"
#include "edgetpu/compiler_log.h"
#include "edgetpu/planner.h"
#include "edgetpu/segment.h"

namespace cae::cli {
namespace {

using nlohmann::json;

// Exit status when edgetpu_compiler is not installed (the plan is still printed).
constexpr int kNoCompilerExit = 3;

std::vector<edgetpu::ModelPlan> PlanFiles(const std::vector<std::string>& paths,
                                          std::vector<LoadedModel>* loaded) {
  for (const std::string& p : paths) loaded->push_back(LoadAnyModel(p));
  std::vector<const Model*> models;
  for (LoadedModel& lm : *loaded) {
    lm.model.source = lm.path;
    models.push_back(&lm.model);
  }
  return edgetpu::PlanModels(models);
}

// The compiler's stdout and stderr as it wrote them, with a note when the driver cut them.
void PrintCompilerOutput(const edgetpu::CompileRun& run) {
  std::cout << run.output;
  if (run.output_truncated)
    std::cout << "\n[the compiler wrote more than " << (edgetpu::kMaxCompilerText >> 20)
              << " MiB of output; the rest is not shown]\n";
}

void PrintPlans(const std::vector<edgetpu::ModelPlan>& plans, bool as_json) {
  if (as_json) {
    json j = json::array();
    for (const auto& p : plans) j.push_back(edgetpu::PlanToJson(p));
    PrintJson(plans.size() == 1 ? j[0] : j);
    return;
  }
  for (size_t i = 0; i < plans.size(); ++i) {
    if (i > 0) std::cout << "\n";
    std::cout << edgetpu::FormatPlan(plans[i]);
  }
}

// Only `compile` passes extra arguments on (to edgetpu_compiler).
void RefuseExtras(const CLI::App& cmd) {
  if (!cmd.get_parent()->remaining().empty()) {
    throw UsageError(StrCat("edgetpu ", cmd.get_name(), ": unexpected argument ",
                            cmd.get_parent()->remaining().front()));
  }
}

std::string Figure(int64_t v) { return v < 0 ? "?" : std::to_string(v); }

void AddPlan(CLI::App& parent) {
  auto models = std::make_shared<std::vector<std::string>>();
  auto as_json = std::make_shared<bool>(false);
  CLI::App* cmd = parent.add_subcommand(
      "plan", "Which ops the Edge TPU compiler maps, why the rest stays on the CPU, and the "
              "parameter cache estimate");
  cmd->add_option("models", *models, "Model files (.tflite or Keras); several = co-compiled")
      ->required();
  cmd->add_flag("--json", *as_json, "Print JSON (a list for several models)");
  cmd->callback([cmd, models, as_json] {
    RefuseExtras(*cmd);
    std::vector<LoadedModel> loaded;
    PrintPlans(PlanFiles(*models, &loaded), *as_json);
  });
}

void AddCompile(CLI::App& parent) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto out_dir = std::make_shared<std::string>(".");
  auto segments = std::make_shared<int>(0);
  auto min_runtime = std::make_shared<int>(0);
  auto compiler = std::make_shared<std::string>();
  CLI::App* cmd = parent.add_subcommand(
      "compile", "Run edgetpu_compiler and compare what it did with our plan");
  cmd->add_option("models", *args,
                  "Model files (.tflite), then optionally -- and flags passed to edgetpu_compiler")
      ->required()
      ->allow_extra_args(true);  // keeps taking arguments after --
  cmd->add_option("-o,--out-dir", *out_dir, "Folder for the compiled models and logs");
  cmd->add_option("--num-segments", *segments, "Split into N segments for pipelining (-n)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--min-runtime", *min_runtime, "Lowest Edge TPU runtime version to target (-m)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--compiler", *compiler, "Path of edgetpu_compiler (default: from PATH)");
  cmd->allow_extras();  // flags after -- go to the compiler
  cmd->callback([=] {
    CheckOutputFolder(*out_dir, "-o");
    // Everything from the first argument that starts with '-' goes to the compiler.
    edgetpu::CompileOptions options;
    options.out_dir = *out_dir;
    options.num_segments = *segments;
    options.min_runtime = *min_runtime;
    std::vector<std::string> all = *args;
    // CLI11 hands arguments after -- to the parent command once the models are given.
    std::vector<std::string> extras = cmd->remaining();
    for (const std::string& a : cmd->get_parent()->remaining()) extras.push_back(a);
    for (const std::string& a : extras) {
      if (a != "--") all.push_back(a);
    }
    for (const std::string& a : all) {
      if (!options.extra_flags.empty() || (!a.empty() && a[0] == '-')) {
        options.extra_flags.push_back(a);
      } else {
        options.models.push_back(a);
      }
    }
    if (options.models.empty()) throw UsageError("edgetpu compile: no model file given");
    std::vector<LoadedModel> loaded;
    const std::vector<edgetpu::ModelPlan> plans = PlanFiles(options.models, &loaded);
    for (const LoadedModel& lm : loaded) {
      if (lm.kind == ModelKind::kTflite) continue;
      throw UsageError(StrCat(lm.path, ": edgetpu_compiler reads .tflite files, not Keras; convert it first (cae2tpu ",
                              "convert ", lm.path, " -o MODEL.tflite --quant int8 --calib DATA)"));
    }

    const std::string path = edgetpu::FindCompiler(*compiler);
    const bool quiet = Globals().quiet;
    if (path.empty()) {
      std::cerr << edgetpu::kCompilerInstallHint << "\n";
      if (!quiet) {
        std::cout << "edgetpu_compiler not found; our plan:\n\n";
        PrintPlans(plans, false);
      }
      std::cout.flush();
      std::fflush(stdout);
      std::exit(kNoCompilerExit);
    }
    const edgetpu::CompileRun run = edgetpu::RunCompiler(path, options);
    if (run.exit_code != 0) {
      PrintCompilerOutput(run);  // the compiler's own account of the failure, even with --quiet
      const std::string how = run.signal != 0
                                  ? StrCat("was killed by signal ", run.signal, " (", strsignal(run.signal), ")")
                                  : StrCat("failed with exit status ", run.exit_code);
      throw Error(StrCat(path, " ", how, " on ", options.models.front()));
    }
    if (quiet) return;
    PrintCompilerOutput(run);
    int disagreements = 0;
    for (size_t i = 0; i < plans.size(); ++i) {
      const edgetpu::ModelPlan& p = plans[i];
      std::cout << "\n== " << options.models[i] << ": compiler vs plan\n";
      if (i >= run.reports.size()) {
        std::cout << "  the compiler reported nothing for this model\n";
        ++disagreements;
        continue;
      }
      const edgetpu::CompilerModelReport& r = run.reports[i];
      std::cout << "  operations on the Edge TPU: " << Figure(r.ops_on_tpu) << " / "
                << Figure(r.total_ops) << " (plan " << p.mapped << " / " << p.total << ")\n"
                << "  Edge TPU subgraphs: " << Figure(r.tpu_subgraphs) << " (plan "
                << p.tpu_subgraphs << ")\n"
                << "  on-chip cached parameter bytes: " << Figure(r.cached_bytes) << " (plan "
                << p.cached_bytes << ")\n"
                << "  off-chip streamed parameter bytes: " << Figure(r.streamed_bytes)
                << " (plan " << p.streamed_bytes << ")\n";
      const std::vector<std::string> diffs = edgetpu::CompareWithPlan(p, r);
      for (const std::string& d : diffs) std::cout << "  DISAGREE: " << d << "\n";
      if (diffs.empty()) std::cout << "  plan and compiler agree\n";
      disagreements += static_cast<int>(diffs.size());
    }
    if (options.num_segments > 1 && run.reports.size() != plans.size()) {
      std::cout << "\n(" << run.reports.size() << " compiler reports for "
                << options.num_segments << " segments)\n";
    }
    std::cout << "\n" << disagreements << " disagreement(s) between plan and compiler\n";
  });
}

void AddSegment(CLI::App& parent) {
  auto model = std::make_shared<std::string>();
  auto segments = std::make_shared<int>(2);
  auto out_dir = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  CLI::App* cmd = parent.add_subcommand(
      "segment", "Split a model into N segments of about equal parameter bytes (pipelining)");
  cmd->add_option("model", *model, "Model file (.tflite or Keras)")->required();
  cmd->add_option("--num-segments,-n", *segments, "Number of segments")
      ->required()
      ->check(CLI::Range(1, 64));
  cmd->add_option("-o,--out-dir", *out_dir, "Folder for the segment files")->required();
  cmd->add_flag("--json", *as_json, "Print JSON");
  cmd->callback([=] {
    RefuseExtras(*cmd);
    CheckOutputFolder(*out_dir, "-o");
    LoadedModel lm = LoadAnyModel(*model);
    lm.model.source = lm.path;
    const edgetpu::SegmentPlan plan = edgetpu::PlanSegments(lm.model, *segments);
    const std::vector<std::string> paths = edgetpu::WriteSegments(lm.model, *segments, *out_dir);
    if (*as_json) {
      json j = json::array();
      for (size_t k = 0; k < paths.size(); ++k) {
        j.push_back({{"file", paths[k]},
                     {"first_op", k == 0 ? 0 : plan.cuts[k - 1]},
                     {"parameter_bytes", plan.parameter_bytes[k]}});
      }
      PrintJson(json{{"segments", j}});
      return;
    }
    if (Globals().quiet) return;
    for (size_t k = 0; k < paths.size(); ++k) {
      std::cout << paths[k] << ": ops from " << (k == 0 ? 0 : plan.cuts[k - 1]) << ", "
                << plan.parameter_bytes[k] << " parameter bytes\n";
    }
  });
}

}  // namespace

void AddEdgetpuCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("edgetpu", "Coral Edge TPU: plan, compile, segment");
  cmd->require_subcommand(1);
  cmd->allow_extras();  // arguments after `compile ... --`; other subcommands refuse them
  AddPlan(*cmd);
  AddCompile(*cmd);
  AddSegment(*cmd);
  // Arguments after `compile MODEL --` reach this command; keep them here instead of letting
  // them fall through to the top level (which refuses extras). Global flags stay usable.
  cmd->add_flag("-q,--quiet", Globals().quiet, "No progress output");
  cmd->fallthrough(false);
}

}  // namespace cae::cli
