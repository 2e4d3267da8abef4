// `cae2tpu inspect MODEL [--arch-json ARCH.json] [--json]`: what a Keras or TFLite file holds
// (--arch-json: the architecture of a weights-only Keras HDF5, as for run and convert).
//   Keras: layers (output shapes, Keras's parameter counts), totals, file facts, and the lowered
//   graph's ops. TFLite: ops, tensors, quantization, inputs/outputs, parameter bytes, and for
//   Edge TPU compiled files the edgetpu-custom-op payload.
// --json always has "format", "file", "file_size", "params", "inputs" and "outputs" (each
// {"index","name","shape","dtype"[,"quantization"]}) and "ops" ({"index","op","version","inputs",
// "outputs"[,"origin"]}); TFLite files add DescribeTfliteModel's keys and maybe "edgetpu".
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/json_output.h"
#include "edgetpu/payload.h"
#include "graph/graph.h"
#include "graph/op_type.h"
#include "graph/shape.h"
#include "keras/keras_import.h"
#include "report/table.h"
#include "tflite/describe.h"

namespace cae::cli {
namespace {

using nlohmann::json;

std::string OpName(const Op& op) { return op.type == OpType::CUSTOM ? op.custom_code : OpTypeName(op.type); }

json TensorJson(const Graph& g, int index) {
  json j = {{"index", index}};
  if (index < 0 || index >= static_cast<int>(g.tensors.size())) return j;
  const Tensor& t = g.tensors[index];
  j["name"] = t.name;
  j["shape"] = t.shape;
  j["dtype"] = std::string(DTypeName(t.type));
  if (!t.quant.empty()) j["quantization"] = {{"scale", t.quant.scale}, {"zero_point", t.quant.zero_point}};
  return j;
}

json OpsJson(const Graph& g) {
  json ops = json::array();
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    json j = {{"index", i}, {"op", OpName(op)}, {"version", op.version}, {"inputs", op.inputs}, {"outputs", op.outputs}};
    if (!op.origin.empty()) j["origin"] = op.origin;
    ops.push_back(std::move(j));
  }
  return ops;
}

// Parameter values: the constant tensors, except integer index operands (RESIZE sizes, RESHAPE
// shapes, PAD paddings, axes, TRANSPOSE_CONV output shapes...), which Keras does not count; int32
// biases of integer convolutions count.
int64_t ConstantValues(const Model& m) {
  int64_t n = 0;
  for (const Graph& g : m.subgraphs) {
    std::vector<bool> bias(g.tensors.size(), false);
    for (const Op& op : g.ops) {
      const size_t k = op.type == OpType::TRANSPOSE_CONV ? 3 : 2;
      const bool has_bias = op.type == OpType::CONV_2D || op.type == OpType::DEPTHWISE_CONV_2D ||
                            op.type == OpType::FULLY_CONNECTED || op.type == OpType::TRANSPOSE_CONV;
      if (has_bias && op.inputs.size() > k && op.inputs[k] >= 0 &&
          op.inputs[k] < static_cast<int>(g.tensors.size()))
        bias[op.inputs[k]] = true;
    }
    for (size_t i = 0; i < g.tensors.size(); ++i) {
      const Tensor& t = g.tensors[i];
      const bool index_operand = (t.type == DType::kInt32 || t.type == DType::kInt64) && !bias[i];
      if (t.is_constant() && !index_operand) n += NumElements(t.shape);
    }
  }
  return n;
}

std::string TensorLine(const Graph& g, int index) {
  if (index < 0 || index >= static_cast<int>(g.tensors.size())) return "(none)";
  const Tensor& t = g.tensors[index];
  std::string s = "'" + t.name + "' " + ShapeToString(t.shape) + " " + std::string(DTypeName(t.type));
  if (t.quant.scale.size() == 1 && !t.quant.zero_point.empty())
    s += StrCat(" scale ", t.quant.scale[0], " zero_point ", t.quant.zero_point[0]);
  else if (t.quant.scale.size() > 1)
    s += StrCat(" per-channel (", t.quant.scale.size(), " scales, axis ", t.quant.quantized_dimension, ")");
  return s;
}

std::string OpsTable(const Graph& g) {
  Table t({"#", "op", "v", "output", "shape", "type", "from"});
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    std::string out, shape, type;
    if (!op.outputs.empty() && op.outputs[0] >= 0 && op.outputs[0] < static_cast<int>(g.tensors.size())) {
      const Tensor& o = g.tensors[op.outputs[0]];
      out = o.name;
      shape = ShapeToString(o.shape);
      type = std::string(DTypeName(o.type));
    }
    t.AddRow({std::to_string(i), OpName(op), std::to_string(op.version), out, shape, type, op.origin});
  }
  return t.Render();
}

void IoJson(const Graph& g, json* j) {
  (*j)["inputs"] = json::array();
  (*j)["outputs"] = json::array();
  for (int i : g.inputs) (*j)["inputs"].push_back(TensorJson(g, i));
  for (int i : g.outputs) (*j)["outputs"].push_back(TensorJson(g, i));
}

void PrintIo(const Graph& g, std::ostream& os) {
  for (size_t i = 0; i < g.inputs.size(); ++i) os << "input " << i << ": " << TensorLine(g, g.inputs[i]) << "\n";
  for (size_t i = 0; i < g.outputs.size(); ++i) os << "output " << i << ": " << TensorLine(g, g.outputs[i]) << "\n";
}

std::string ShapeWithNone(const std::vector<int32_t>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + (s[i] < 0 ? std::string("None") : std::to_string(s[i]));
  return out + (s.size() == 1 ? ",)" : ")");
}

void InspectKeras(const LoadedModel& lm, bool as_json) {
  const KerasModel& km = *lm.keras;
  const Graph& g = lm.model.main();
  const auto layers = SummarizeKerasModel(km);
  const int64_t params = km.ParamCount();
  if (as_json) {
    json j = {{"format", "keras"}, {"file", lm.path}, {"file_size", lm.file_size}, {"keras_version", km.keras_version},
              {"backend", km.backend}, {"name", km.name}, {"params", params}};
    json ls = json::array();
    for (const auto& l : layers)
      ls.push_back({{"name", l.name}, {"class", l.class_name}, {"output_shapes", l.output_shapes}, {"params", l.params}});
    j["layers"] = std::move(ls);
    IoJson(g, &j);
    j["ops"] = OpsJson(g);
    PrintJson(j);
    return;
  }
  std::cout << lm.path << ": Keras model '" << km.name << "'"
            << (km.keras_version.empty() ? "" : ", Keras " + km.keras_version)
            << (km.backend.empty() ? "" : ", backend " + km.backend) << ", " << FormatBytes(static_cast<double>(lm.file_size))
            << "\n\n";
  Table t({"layer", "class", "output shape", "params"});
  for (const auto& l : layers) {
    std::string shapes;
    for (const auto& s : l.output_shapes) shapes += (shapes.empty() ? "" : " ") + ShapeWithNone(s);
    t.AddRow({l.name, l.class_name, shapes, FormatCount(l.params)});
  }
  std::cout << t.Render() << "total params: " << FormatCount(params) << "\n\n";
  std::cout << "lowered graph: " << g.ops.size() << " ops, " << g.tensors.size() << " tensors\n";
  PrintIo(g, std::cout);
  std::cout << "\n" << OpsTable(g);
}

void InspectTflite(const LoadedModel& lm, bool as_json) {
  const Graph& g = lm.model.main();
  const std::optional<edgetpu::EdgetpuInfo> tpu = edgetpu::ReadEdgetpuInfo(lm.model);
  json d = DescribeTfliteModel(lm.model);
  const int64_t params = ConstantValues(lm.model);
  if (as_json) {
    d["format"] = "tflite";
    d["file"] = lm.path;
    d["file_size"] = lm.file_size;
    d["params"] = params;
    d["input_tensors"] = d.value("inputs", json::array());
    d["output_tensors"] = d.value("outputs", json::array());
    IoJson(g, &d);
    d["ops"] = OpsJson(g);
    if (tpu) d["edgetpu"] = edgetpu::EdgetpuInfoToJson(*tpu);
    PrintJson(d);
    return;
  }
  std::cout << lm.path << ": TFLite model, " << FormatBytes(static_cast<double>(lm.file_size)) << ", "
            << lm.model.subgraphs.size() << " subgraph(s)";
  if (!lm.model.description.empty()) std::cout << ", description '" << lm.model.description << "'";
  std::cout << "\n";
  std::cout << "parameters: " << FormatCount(params) << " values, "
            << FormatBytes(d.value("parameter_bytes", 0.0)) << "\n";
  std::map<std::string, int> histogram;
  for (const Op& op : g.ops) histogram[OpName(op) + "/v" + std::to_string(op.version)]++;
  std::cout << "ops (" << g.ops.size() << "):";
  for (const auto& [name, n] : histogram) std::cout << " " << name << " x" << n;
  std::cout << "\n" << g.tensors.size() << " tensors\n";
  PrintIo(g, std::cout);
  std::cout << "\n" << OpsTable(g);
  if (tpu) std::cout << "\n" << edgetpu::FormatEdgetpuInfo(*tpu);
}

}  // namespace

void AddInspectCommand(CLI::App& app) {
  auto model = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto arch_json = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show what a Keras or TFLite model file holds");
  cmd->add_option("model", *model, "Model file: Keras .h5/.keras or .tflite (Edge TPU compiled too)")->required();
  cmd->add_option("--arch-json", *arch_json, "model.to_json() file for a weights-only Keras HDF5");
  cmd->add_flag("--json", *as_json, "Print JSON instead of tables");
  cmd->callback([model, as_json, arch_json] {
    const LoadedModel lm = LoadAnyModel(*model, *arch_json);
    if (lm.kind == ModelKind::kKeras) InspectKeras(lm, *as_json);
    else InspectTflite(lm, *as_json);
  });
}

}  // namespace cae::cli
