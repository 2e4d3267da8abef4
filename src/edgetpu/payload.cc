#include "edgetpu/payload.h"

#include <flatbuffers/flatbuffers.h>
#include <flatbuffers/flexbuffers.h>

#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "edgetpu/edgetpu_package_generated.h"
#include "graph/error.h"

namespace cae::edgetpu {
namespace {

// FlatBuffers' own limit; anything bigger cannot be a valid buffer.
constexpr size_t kMaxFlatBufferBytes = (size_t{1} << 31) - 1;
// Executables per package and layers per executable: far above anything a compiler writes.
constexpr size_t kMaxExecutables = 64;
constexpr size_t kMaxLayers = 4096;

std::string ExecutableTypeName(fb::ExecutableType t) {
  switch (t) {
    case fb::ExecutableType_STAND_ALONE: return "STAND_ALONE";
    case fb::ExecutableType_PARAMETER_CACHING: return "PARAMETER_CACHING";
    case fb::ExecutableType_EXECUTION_ONLY: return "EXECUTION_ONLY";
  }
  return StrCat("TYPE_", static_cast<int>(t));
}

std::string LayerDataTypeName(fb::LayerDataType t) {
  const char* name = fb::EnumNameLayerDataType(t);
  if (name != nullptr && name[0] != '\0') return name;
  return StrCat("DATA_TYPE_", static_cast<int>(t));
}

std::string Str(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

std::vector<LayerInfo> ReadLayers(const flatbuffers::Vector<flatbuffers::Offset<fb::Layer>>* layers,
                                  const std::string& where) {
  std::vector<LayerInfo> out;
  if (layers == nullptr) return out;
  Check(layers->size() <= kMaxLayers, where, ": ", layers->size(), " layers, expected at most ",
        kMaxLayers);
  for (const fb::Layer* l : *layers) {
    Check(l != nullptr, where, ": null layer");
    LayerInfo info;
    info.name = Str(l->name());
    info.size_bytes = l->size_bytes();
    info.y_dim = l->y_dim();
    info.x_dim = l->x_dim();
    info.z_dim = l->z_dim();
    if (const fb::NumericsConstants* n = l->numerics()) {
      info.zero_point = n->zero_point();
      info.dequantization_factor = n->dequantization_factor();
    }
    info.data_type = LayerDataTypeName(l->data_type());
    out.push_back(std::move(info));
  }
  return out;
}

ExecutableInfo DecodeExecutable(const std::vector<uint8_t>& bytes, const std::string& where) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  Check(verifier.VerifyBuffer<fb::Executable>(nullptr), where,
        ": corrupt Executable (FlatBuffer verification failed)");
  const fb::Executable* e = flatbuffers::GetRoot<fb::Executable>(bytes.data());
  ExecutableInfo info;
  info.type = ExecutableTypeName(e->type());
  info.name = Str(e->name());
  info.chip = Str(e->chip());
  info.parameter_bytes = e->parameters() == nullptr ? 0 : e->parameters()->size();
  info.caching_token = e->parameter_caching_token();
  info.batch_size = e->batch_size();
  info.scratch_size_bytes = e->scratch_size_bytes();
  info.estimated_cycles =
      e->estimated_cycles_64bit() != 0 ? e->estimated_cycles_64bit() : e->estimated_cycles();
  info.inputs = ReadLayers(e->input_layers(), where + " input_layers");
  info.outputs = ReadLayers(e->output_layers(), where + " output_layers");
  return info;
}

// Copies a byte range into its own (suitably aligned) buffer, so nested FlatBuffers are read at
// aligned addresses whatever their offset in the parent.
std::vector<uint8_t> Copy(const uint8_t* data, size_t size) {
  return std::vector<uint8_t>(data, data + size);
}

}  // namespace

PackageInfo DecodePackage(const uint8_t* data, size_t size, const std::string& where) {
  Check(data != nullptr && size >= 8, where, ": package of ", size,
        " bytes is too small for a DWN1 FlatBuffer");
  Check(size <= kMaxFlatBufferBytes, where, ": package of ", size, " bytes exceeds 2 GiB");
  std::vector<uint8_t> bytes = Copy(data, size);
  Check(flatbuffers::BufferHasIdentifier(bytes.data(), fb::PackageIdentifier()), where,
        ": package lacks the DWN1 file identifier");
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  Check(fb::VerifyPackageBuffer(verifier), where,
        ": corrupt DWN1 Package (FlatBuffer verification failed)");
  const fb::Package* p = fb::GetPackage(bytes.data());

  PackageInfo info;
  info.min_runtime_version = p->min_runtime_version();
  info.compiler_version = Str(p->compiler_version());
  info.virtual_chip_id = p->virtual_chip_id();
  info.model_identifier = Str(p->model_identifier());
  info.signature_bytes = p->signature() == nullptr ? 0 : p->signature()->size();

  const auto* multi_bytes = p->serialized_multi_executable();
  Check(multi_bytes != nullptr && multi_bytes->size() >= 8, where,
        ": package has no serialized MultiExecutable");
  std::vector<uint8_t> multi = Copy(multi_bytes->data(), multi_bytes->size());
  flatbuffers::Verifier multi_verifier(multi.data(), multi.size());
  Check(multi_verifier.VerifyBuffer<fb::MultiExecutable>(nullptr), where,
        ": corrupt MultiExecutable (FlatBuffer verification failed)");
  const fb::MultiExecutable* m = flatbuffers::GetRoot<fb::MultiExecutable>(multi.data());
  const auto* serialized = m->serialized_executables();
  Check(serialized != nullptr && serialized->size() > 0, where,
        ": MultiExecutable holds no executables");
  Check(serialized->size() <= kMaxExecutables, where, ": MultiExecutable holds ",
        serialized->size(), " executables, expected at most ", kMaxExecutables);

  bool has_split = false;
  for (flatbuffers::uoffset_t i = 0; i < serialized->size(); ++i) {
    const flatbuffers::String* s = serialized->Get(i);
    Check(s != nullptr && s->size() >= 8, where, ": executable ", i, " is empty");
    std::vector<uint8_t> exe_bytes =
        Copy(reinterpret_cast<const uint8_t*>(s->data()), s->size());
    ExecutableInfo exe = DecodeExecutable(exe_bytes, StrCat(where, ": executable ", i));
    if (exe.type != "STAND_ALONE") has_split = true;
    if (info.caching_token == 0) info.caching_token = exe.caching_token;
    info.executables.push_back(std::move(exe));
  }
  for (const ExecutableInfo& e : info.executables) {
    if (e.type == "PARAMETER_CACHING") info.cached_bytes += e.parameter_bytes;
    if (e.type == "EXECUTION_ONLY" || (!has_split && e.type == "STAND_ALONE")) {
      info.streamed_bytes += e.parameter_bytes;
    }
  }
  return info;
}

CustomOpPayload DecodeCustomOptions(const std::vector<uint8_t>& custom_options,
                                    const std::string& where) {
  Check(custom_options.size() >= 3, where, ": custom_options of ", custom_options.size(),
        " bytes cannot hold a FlexBuffer map");
  Check(custom_options.size() <= kMaxFlatBufferBytes, where, ": custom_options of ",
        custom_options.size(), " bytes exceeds 2 GiB");
  Check(flexbuffers::VerifyBuffer(custom_options.data(), custom_options.size()), where,
        ": corrupt custom_options (FlexBuffer verification failed)");
  flexbuffers::Reference root = flexbuffers::GetRoot(custom_options.data(), custom_options.size());
  Check(root.IsMap(), where, ": custom_options is not a FlexBuffer map");
  flexbuffers::Map map = root.AsMap();

  CustomOpPayload payload;
  flexbuffers::Reference version = map["1"];
  if (version.IsIntOrUint()) payload.version = version.AsInt64();
  flexbuffers::Reference preference = map["5"];
  if (preference.IsIntOrUint()) payload.execution_preference = preference.AsInt64();
  flexbuffers::Reference chips = map["6"];
  if (chips.IsVector() || chips.IsTypedVector()) {
    flexbuffers::Vector v = chips.AsVector();
    Check(v.size() <= kMaxExecutables, where, ": ", v.size(), " chip ids, expected at most ",
          kMaxExecutables);
    for (size_t i = 0; i < v.size(); ++i) payload.chip_ids.push_back(v[i].AsInt64());
  }
  flexbuffers::Reference package = map["4"];
  // Compilers store the package as a FlexBuffer string (seen in every real file) or a blob.
  if (package.IsString()) {
    flexbuffers::String s = package.AsString();
    payload.package =
        DecodePackage(reinterpret_cast<const uint8_t*>(s.c_str()), s.length(), where);
  } else {
    Check(package.IsBlob(), where,
          ": custom_options has no package (key \"4\" is neither a string nor a blob)");
    flexbuffers::Blob blob = package.AsBlob();
    payload.package = DecodePackage(blob.data(), blob.size(), where);
  }
  return payload;
}

void RejectCompiledModel(const Model& model, const std::string& what) {
  if (model.subgraphs.empty()) return;
  const Graph& g = model.main();
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    if (g.ops[i].type != OpType::CUSTOM || g.ops[i].custom_code != kCustomOpCode) continue;
    throw Error(StrCat(model.source.empty() ? "<model>" : model.source,
                       ": already compiled for the Edge TPU (op ", i, " is ", kCustomOpCode, "): ", what,
                       " needs the model given to edgetpu_compiler"));
  }
}

std::optional<EdgetpuInfo> ReadEdgetpuInfo(const Model& model) {
  if (model.subgraphs.empty()) return std::nullopt;
  const Graph& g = model.main();
  auto tensor_name = [&](int t) -> std::string {
    if (t < 0 || t >= static_cast<int>(g.tensors.size())) return StrCat("#", t);
    return g.tensors[t].name;
  };
  EdgetpuInfo info;
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    const Op& op = g.ops[i];
    std::vector<std::string> outputs;
    for (int t : op.outputs) outputs.push_back(tensor_name(t));
    if (op.type == OpType::CUSTOM && op.custom_code == kCustomOpCode) {
      CustomOpInfo c;
      c.op_index = i;
      for (int t : op.inputs) c.inputs.push_back(tensor_name(t));
      c.outputs = std::move(outputs);
      c.payload = DecodeCustomOptions(
          op.custom_options, StrCat(model.source.empty() ? "<model>" : model.source, ": op ", i,
                                    " (", kCustomOpCode, ")"));
      info.custom_ops.push_back(std::move(c));
    } else {
      info.cpu_ops.push_back(
          {i, op.type == OpType::CUSTOM ? op.custom_code : OpTypeName(op.type), std::move(outputs)});
    }
  }
  if (info.custom_ops.empty()) return std::nullopt;
  for (const CustomOpInfo& c : info.custom_ops) {
    info.cached_bytes += c.payload.package.cached_bytes;
    info.streamed_bytes += c.payload.package.streamed_bytes;
  }
  const PackageInfo& first = info.custom_ops.front().payload.package;
  info.caching_token = first.caching_token;
  info.min_runtime_version = first.min_runtime_version;
  info.compiler_version = first.compiler_version;
  return info;
}

std::string TokenToHex(uint64_t token) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%016llx", static_cast<unsigned long long>(token));
  return buf;
}

namespace {

nlohmann::json LayerToJson(const LayerInfo& l) {
  return {{"name", l.name},         {"size_bytes", l.size_bytes},
          {"dims", {l.y_dim, l.x_dim, l.z_dim}},
          {"data_type", l.data_type}, {"zero_point", l.zero_point},
          {"dequantization_factor", l.dequantization_factor}};
}

}  // namespace

nlohmann::json EdgetpuInfoToJson(const EdgetpuInfo& info) {
  nlohmann::json j;
  j["cached_bytes"] = info.cached_bytes;
  j["streamed_bytes"] = info.streamed_bytes;
  j["token"] = TokenToHex(info.caching_token);
  j["min_runtime_version"] = info.min_runtime_version;
  j["compiler_version"] = info.compiler_version;
  nlohmann::json cpu = nlohmann::json::array();
  for (const CpuOpInfo& c : info.cpu_ops) {
    cpu.push_back({{"index", c.op_index}, {"op", c.op}, {"outputs", c.outputs}});
  }
  j["cpu_ops"] = std::move(cpu);
  nlohmann::json customs = nlohmann::json::array();
  for (const CustomOpInfo& c : info.custom_ops) {
    nlohmann::json exes = nlohmann::json::array();
    for (const ExecutableInfo& e : c.payload.package.executables) {
      nlohmann::json ins = nlohmann::json::array(), outs = nlohmann::json::array();
      for (const LayerInfo& l : e.inputs) ins.push_back(LayerToJson(l));
      for (const LayerInfo& l : e.outputs) outs.push_back(LayerToJson(l));
      exes.push_back({{"type", e.type},
                      {"parameter_bytes", e.parameter_bytes},
                      {"token", TokenToHex(e.caching_token)},
                      {"chip", e.chip},
                      {"batch_size", e.batch_size},
                      {"scratch_size_bytes", e.scratch_size_bytes},
                      {"input_layers", std::move(ins)},
                      {"output_layers", std::move(outs)}});
    }
    customs.push_back({{"index", c.op_index},
                       {"inputs", c.inputs},
                       {"outputs", c.outputs},
                       {"version", c.payload.version},
                       {"min_runtime_version", c.payload.package.min_runtime_version},
                       {"compiler_version", c.payload.package.compiler_version},
                       {"cached_bytes", c.payload.package.cached_bytes},
                       {"streamed_bytes", c.payload.package.streamed_bytes},
                       {"executables", std::move(exes)}});
  }
  j["custom_ops"] = std::move(customs);
  return j;
}

std::string FormatEdgetpuInfo(const EdgetpuInfo& info) {
  std::ostringstream out;
  out << "Edge TPU: " << info.custom_ops.size() << " edgetpu-custom-op, compiler "
      << (info.compiler_version.empty() ? "?" : info.compiler_version)
      << ", needs runtime >= " << info.min_runtime_version << "\n";
  out << "  on-chip cached parameters:    " << info.cached_bytes << " bytes\n";
  out << "  off-chip streamed parameters: " << info.streamed_bytes << " bytes\n";
  out << "  caching token: " << TokenToHex(info.caching_token) << "\n";
  for (const CustomOpInfo& c : info.custom_ops) {
    out << "  op " << c.op_index << " edgetpu-custom-op: " << c.inputs.size() << " inputs, "
        << c.outputs.size() << " outputs\n";
    for (const std::string& n : c.inputs) out << "    in:  " << n << "\n";
    for (const std::string& n : c.outputs) out << "    out: " << n << "\n";
    for (const ExecutableInfo& e : c.payload.package.executables) {
      out << "    executable " << e.type << ": " << e.parameter_bytes << " parameter bytes, token "
          << TokenToHex(e.caching_token) << (e.chip.empty() ? "" : ", chip " + e.chip) << "\n";
    }
  }
  if (info.cpu_ops.empty()) {
    out << "  ops on the CPU: none\n";
  } else {
    out << "  ops on the CPU (" << info.cpu_ops.size() << "):\n";
    for (const CpuOpInfo& c : info.cpu_ops) out << "    op " << c.op_index << " " << c.op << "\n";
  }
  return out.str();
}

}  // namespace cae::edgetpu
