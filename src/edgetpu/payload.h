// Reading a model compiled by edgetpu_compiler: the `edgetpu-custom-op` CUSTOM ops and the
// package each one carries in its custom_options.
//
// Layers of the payload (all untrusted, all verified and bounded before use):
//   custom_options: a FlexBuffer map; "1" int version, "4" blob = serialized Package,
//                   "5" int execution preference, "6" vector of chip ids.
//   Package (FlatBuffer, identifier "DWN1"): min runtime version, compiler version,
//                   serialized MultiExecutable.
//   MultiExecutable: a vector of serialized Executables (STAND_ALONE, PARAMETER_CACHING,
//                   EXECUTION_ONLY), each with its parameter stream and input/output layers.
// On-chip cached bytes = parameters of PARAMETER_CACHING executables; off-chip streamed bytes =
// parameters of EXECUTION_ONLY executables, or of a STAND_ALONE one when the package has nothing
// else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "graph/graph.h"

namespace cae::edgetpu {

inline constexpr const char* kCustomOpCode = "edgetpu-custom-op";

// An input or output of an executable (a TFLite tensor of the custom op, by name).
struct LayerInfo {
  std::string name;
  int64_t size_bytes = 0;  // including the device's padding, for batch 1
  int32_t y_dim = 0, x_dim = 0, z_dim = 0;
  int32_t zero_point = 0;
  float dequantization_factor = 0.0f;
  std::string data_type;  // "FIXED_POINT8", "SIGNED_FIXED_POINT8", ...
};

struct ExecutableInfo {
  std::string type;  // "STAND_ALONE", "PARAMETER_CACHING", "EXECUTION_ONLY"
  std::string name;
  std::string chip;
  int64_t parameter_bytes = 0;
  uint64_t caching_token = 0;
  int32_t batch_size = 0;
  int64_t scratch_size_bytes = 0;
  int64_t estimated_cycles = 0;
  std::vector<LayerInfo> inputs;
  std::vector<LayerInfo> outputs;
};

struct PackageInfo {
  int32_t min_runtime_version = 0;
  std::string compiler_version;
  int32_t virtual_chip_id = 0;
  std::string model_identifier;
  int64_t signature_bytes = 0;
  std::vector<ExecutableInfo> executables;
  int64_t cached_bytes = 0;
  int64_t streamed_bytes = 0;
  uint64_t caching_token = 0;  // of the first executable that has one; 0 if none
};

// What an `edgetpu-custom-op`'s custom_options hold.
struct CustomOpPayload {
  int64_t version = 0;               // key "1"
  int64_t execution_preference = 0;  // key "5"
  std::vector<int64_t> chip_ids;     // key "6"
  PackageInfo package;               // key "4"
};

struct CustomOpInfo {
  int op_index = 0;
  std::vector<std::string> inputs;   // tensor names
  std::vector<std::string> outputs;  // tensor names
  CustomOpPayload payload;
};

struct CpuOpInfo {
  int op_index = 0;
  std::string op;  // "RESIZE_BILINEAR", or the custom code of a CUSTOM op
  std::vector<std::string> outputs;  // tensor names
};

struct EdgetpuInfo {
  std::vector<CustomOpInfo> custom_ops;
  std::vector<CpuOpInfo> cpu_ops;  // every other op of the main graph, in order
  // Sums over all custom ops; token, versions from the first one.
  int64_t cached_bytes = 0;
  int64_t streamed_bytes = 0;
  uint64_t caching_token = 0;
  int32_t min_runtime_version = 0;
  std::string compiler_version;
};

// Decodes one custom_options blob. `where` names the file and op for messages. Throws cae::Error
// (one line, naming `where` and the layer that is corrupt) on anything malformed.
CustomOpPayload DecodeCustomOptions(const std::vector<uint8_t>& custom_options,
                                    const std::string& where);

// Decodes a serialized Package ("DWN1"). Same error contract.
PackageInfo DecodePackage(const uint8_t* data, size_t size, const std::string& where);

// nullopt when the main graph has no `edgetpu-custom-op`; throws cae::Error naming
// model.source when a payload is corrupt.
std::optional<EdgetpuInfo> ReadEdgetpuInfo(const Model& model);

// Planning and splitting work on the model given to edgetpu_compiler: throws cae::Error
// "<model.source>: already compiled for the Edge TPU (op N is edgetpu-custom-op): <what> needs
// the model given to edgetpu_compiler" when the main graph holds an `edgetpu-custom-op`.
void RejectCompiledModel(const Model& model, const std::string& what);

// The value of `inspect --json`'s "edgetpu" key: {"cached_bytes", "streamed_bytes", "token"
// (hex string), "min_runtime_version", "compiler_version", "cpu_ops": [{"index","op"}],
// "custom_ops": [{"index","inputs","outputs","executables":[...]}]}.
nlohmann::json EdgetpuInfoToJson(const EdgetpuInfo& info);

// Several lines for people, each ending in '\n'.
std::string FormatEdgetpuInfo(const EdgetpuInfo& info);

// "0x0123456789abcdef".
std::string TokenToHex(uint64_t token);

}  // namespace cae::edgetpu
