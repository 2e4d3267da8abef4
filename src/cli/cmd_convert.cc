// `cae2tpu convert MODEL -o OUT.tflite --quant float32|float16|dynamic|int8 ...`: converts a Keras
// model (or a float .tflite) to a TFLite file, running the standard passes and the chosen
// quantization (quant/convert.h), and prints what it did.
#include <CLI/CLI.hpp>

#include <filesystem>

#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/json_output.h"
#include "cli/input_data.h"
#include "data/dataset.h"
#include "graph/graph.h"
#include "quant/convert.h"
#include "report/table.h"
#include "tflite/writer.h"
#include "train/qat.h"

namespace cae::cli {
namespace {

struct ConvertArgs {
  std::string model;
  std::string out;
  std::string quant = "float32";
  std::string io = "float32";
  std::string calib;
  int calib_samples = 100;
  std::string calib_method = "minmax";
  double percentile = 99.99;
  bool per_tensor = false;
  int batch = 1;
  std::string arch_json;
  std::string resize;
  bool json = false;
  // Which int8-only options were given on the command line (their defaults are not "given").
  bool calib_samples_given = false, calib_method_given = false, percentile_given = false;
};

// int8 calibration options that the chosen --quant / --calib-method would ignore are usage
// mistakes (exit 2), not silently dropped: the user asked for something that would not happen.
void RejectIgnoredOptions(const ConvertArgs& a, const quant::ConvertOptions& o) {
  if (o.quant != quant::QuantMode::kInt8) {
    for (const auto& [given, flag] : {std::pair{a.calib_samples_given, "--calib-samples"},
                                      std::pair{a.calib_method_given, "--calib-method"},
                                      std::pair{a.percentile_given, "--percentile"},
                                      std::pair{!a.resize.empty(), "--resize"}})
      if (given) throw UsageError(StrCat(flag, " is used only with --quant int8 (calibration)"));
  }
  if (a.per_tensor && o.quant != quant::QuantMode::kInt8 && o.quant != quant::QuantMode::kDynamic)
    throw UsageError("--per-tensor is used only with --quant int8 or dynamic (weights)");
  if (a.percentile_given && o.calibration.method != quant::CalibrationMethod::kPercentile)
    throw UsageError(StrCat("--percentile is used only with --calib-method percentile (found --calib-method ",
                            a.calib_method, ")"));
}

// --percentile accepts what PercentileRange accepts, (50, 100]; NaN is refused too (CLI::Range
// lets it through, as every comparison with NaN is false).
CLI::Validator PercentileCheck() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double v = 0;
        if (CLI::detail::lexical_cast(text, v) && v > 50 && v <= 100) return "";
        return "Value " + text + " not in range (50 - 100] (above 50, at most 100)";
      },
      "FLOAT in (50 - 100]");
}

// "CONV_2D x4, MAX_POOL_2D x2, ..." in order of first appearance.
std::string OpHistogram(const Graph& g) {
  std::vector<std::string> order;
  std::map<std::string, int> count;
  for (const Op& op : g.ops) {
    const std::string name = op.type == OpType::CUSTOM ? op.custom_code : OpTypeName(op.type);
    if (count[name]++ == 0) order.push_back(name);
  }
  std::string s;
  for (const std::string& n : order) s += (s.empty() ? "" : ", ") + n + " x" + std::to_string(count[n]);
  return s;
}

void Execute(const ConvertArgs& a) {
  quant::ConvertOptions o;
  try {
    o.quant = quant::ParseQuantMode(a.quant);
    o.io = quant::ParseIoType(a.io);
    o.calibration.method = quant::ParseCalibrationMethod(a.calib_method);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  if (o.quant != quant::QuantMode::kInt8 && !a.calib.empty())
    throw UsageError("--calib is used only with --quant int8");
  if (o.io != quant::IoType::kFloat32 && o.quant != quant::QuantMode::kInt8)
    throw UsageError(StrCat("--io ", a.io, " needs --quant int8"));
  RejectIgnoredOptions(a, o);
  o.per_tensor = a.per_tensor;
  o.batch = a.batch;
  o.calibration.max_samples = a.calib_samples;
  o.calibration.percentile = a.percentile;
  std::error_code same_ec;
  if (std::filesystem::equivalent(a.model, a.out, same_ec))
    throw UsageError(StrCat("-o ", a.out, " is the input model; write the converted model to another file"));
  CheckOutputExtension(a.out, ".tflite", "convert writes a TFLite model");
  CheckWritable(a.out);

  const LoadedModel lm = LoadAnyModel(a.model, a.arch_json);
  const Graph& fg = lm.model.main();
  // A model trained with `train --qat` carries its activation ranges: int8 uses them.
  const bool qat = o.quant == quant::QuantMode::kInt8 && lm.keras && !lm.keras->qat.is_null();
  if (qat) {
    o.qat_ranges = train::StoredQatRanges(lm.keras->qat);
    if (lm.keras->qat.value("per_tensor", false) != a.per_tensor)
      PrintWarning(StrCat(a.model, ": trained (--qat) for ", a.per_tensor ? "per-channel" : "per-tensor",
           " weights; converting ", a.per_tensor ? "per-tensor" : "per-channel",
           " rounds them differently from the training"));
  }
  if (o.quant == quant::QuantMode::kInt8 && a.calib.empty() && !qat)
    throw UsageError("--quant int8 needs calibration data: --calib DATA (images, IDX, .npy or a folder)"
                     " (not needed for a model trained with train --qat)");
  TensorData calib;
  if (o.quant == quant::QuantMode::kInt8 && !a.calib.empty()) {
    // Read as `run` reads data for input 0 (a model with several inputs gets no channel count).
    calib = LoadData(a.calib, InputLoadOptions(fg, fg.inputs.size() == 1 ? 0 : -1, {a.calib_samples, a.resize}));
    if (calib.type != DType::kFloat32) Fail(a.calib, ": calibration data is ", DTypeName(calib.type), ", expected float32");
  }
  std::unique_ptr<Progress> progress;
  o.calibration.progress = [&](int done, int total, int pass) {
    if (!progress || done <= o.calibration.chunk)
      progress = std::make_unique<Progress>(pass == 1 ? "calibrating (ranges)" : "calibrating (histograms)", total);
    progress->Update(done);
  };
  quant::ConvertReport report;
  Model m;
  try {
    m = quant::ConvertModel(lm.model, o,
                            o.quant == quant::QuantMode::kInt8 && !a.calib.empty() ? &calib : nullptr,
                            &report);
  } catch (const Error& e) {
    // Errors about the data name the data file; the rest name the model.
    const std::string msg = e.what();
    if (msg.rfind("calibration data", 0) == 0)
      Fail(a.calib, ": ", msg,
           msg.find("does not fit") != std::string::npos && a.resize.empty()
               ? "; image files and uint8 IDX images are resized by --resize HxW"
               : "");
    if (msg.find(a.model) == std::string::npos) Fail(a.model, ": ", msg);
    throw;
  }
  progress.reset();
  WriteTflite(m, a.out);
  const uint64_t out_size = FileSize(a.out);
  const int64_t const_before = quant::ConstantBytes(lm.model);
  const int64_t const_after = quant::ConstantBytes(m);

  if (a.json) {
    nlohmann::json passes = nlohmann::json::array();
    for (const auto& p : report.passes) passes.push_back({{"name", p.name}, {"changes", p.changes}});
    nlohmann::json j = {{"model", a.model},
                        {"output", a.out},
                        {"quant", a.quant},
                        {"io", a.io},
                        {"per_tensor", a.per_tensor},
                        {"batch", a.batch},
                        {"ops_before", report.ops_before},
                        {"ops_after", report.ops_after},
                        {"ops", OpHistogram(m.main())},
                        {"passes", passes},
                        {"weights_quantized", report.weights_quantized},
                        {"biases_quantized", report.biases_quantized},
                        {"activations_quantized", report.activations_quantized},
                        {"same_scale_groups", report.same_scale_groups},
                        {"calibration_samples", report.calibration_samples},
                        {"qat_ranges_used", report.qat_ranges_used},
                        {"calibration_method", o.quant == quant::QuantMode::kInt8 ? a.calib_method : ""},
                        {"input_file_bytes", lm.file_size},
                        {"output_file_bytes", out_size},
                        {"constant_bytes_before", const_before},
                        {"constant_bytes_after", const_after}};
    PrintJson(j);
    return;
  }
  if (Globals().quiet) return;
  std::cout << a.model << " -> " << a.out << " (" << a.quant;
  if (o.quant == quant::QuantMode::kInt8) std::cout << ", io " << a.io << (a.per_tensor ? ", per-tensor" : ", per-channel");
  std::cout << ", batch " << a.batch << ")\n";
  std::cout << "  passes:";
  for (const auto& p : report.passes) std::cout << " " << p.name << "=" << p.changes;
  std::cout << "\n  ops: " << report.ops_before << " -> " << report.ops_after << " (" << OpHistogram(m.main()) << ")\n";
  switch (o.quant) {
    case quant::QuantMode::kFloat32: break;
    case quant::QuantMode::kFloat16:
      std::cout << "  float16 constants: " << report.weights_quantized << " (each followed by DEQUANTIZE)\n";
      break;
    case quant::QuantMode::kDynamic:
      std::cout << "  int8 hybrid weights: " << report.weights_quantized
                << " (weights under " << o.dynamic_min_elements << " values stay float, as in TFLite)\n";
      break;
    case quant::QuantMode::kInt8:
      if (qat)
        std::cout << "  ranges: " << report.qat_ranges_used
                  << " activations from quantization-aware training (train --qat)\n";
      if (report.calibration_samples > 0)
        std::cout << "  calibration: " << report.calibration_samples << " samples of " << a.calib << ", "
                  << a.calib_method << "\n";
      std::cout << "  int8: " << report.weights_quantized << " weights, " << report.biases_quantized
                << " int32 biases, " << report.activations_quantized << " activations, "
                << report.same_scale_groups << " same-scale groups\n";
      break;
  }
  std::cout << "  constants: " << FormatBytes(static_cast<double>(const_before)) << " -> "
            << FormatBytes(static_cast<double>(const_after)) << "; file " << FormatBytes(static_cast<double>(out_size))
            << "\n";
}

}  // namespace

void AddConvertCommand(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand("convert", "Convert a Keras (or float .tflite) model to TFLite: float32, float16, dynamic or int8");
  cmd->add_option("model", args->model, "Model file: Keras .h5/.keras or a float .tflite")->required();
  cmd->add_option("-o,--output", args->out, "Output .tflite")->required();
  cmd->add_option("--quant", args->quant, "float32 | float16 | dynamic | int8 (default float32)");
  cmd->add_option("--io", args->io, "int8 only: float32 (QUANTIZE/DEQUANTIZE at the edges) | int8 | uint8 (integer-only, Edge TPU)");
  cmd->add_option("--calib", args->calib, "int8: calibration data (images, IDX, .npy or a folder)");
  CLI::Option* samples =
      cmd->add_option("--calib-samples", args->calib_samples, "int8: use the first N samples (default 100)")
          ->check(CLI::Range(1, 1 << 20));
  CLI::Option* method =
      cmd->add_option("--calib-method", args->calib_method, "int8: minmax (as TFLite) | percentile | mse (default minmax)");
  CLI::Option* percentile =
      cmd->add_option("--percentile", args->percentile, "int8 --calib-method percentile: kept percentile (default 99.99)")
          ->check(PercentileCheck());
  AddResizeOption(cmd, &args->resize, "int8 calibration images");
  cmd->add_flag("--per-tensor", args->per_tensor, "int8/dynamic: per-tensor weights instead of per-channel");
  cmd->add_option("--batch", args->batch, "Static batch size (default 1; the Edge TPU needs 1)")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--arch-json", args->arch_json, "model.to_json() file for a weights-only Keras HDF5");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  cmd->callback([args, samples, method, percentile] {
    args->calib_samples_given = samples->count() > 0;
    args->calib_method_given = method->count() > 0;
    args->percentile_given = percentile->count() > 0;
    Execute(*args);
  });
}

}  // namespace cae::cli
