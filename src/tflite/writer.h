// Writing cae::Model as a .tflite file (TFLite schema v3).
//
// Output: file identifier "TFL3", schema version 3, buffer 0 the empty sentinel, one buffer per
// constant tensor (data 16-byte aligned), operator codes deduplicated by (code, custom code,
// version) in order of first use, builtin options of the member TFLite uses for each op type,
// Op::version written as given (see AssignOpVersions in tflite/op_version.h), the model's
// metadata entries, with "min_runtime_version" (16 bytes, zero padded, as TFLite writes it)
// derived from the ops written (added or replaced; kept as given if no op is in the table). The
// description is Model::description or "cae2tpu <version>". The same model always gives the same
// bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace cae {

// Throws cae::Error if the model cannot be represented (index out of range, constant data of
// the wrong size, more than 2 GiB).
std::vector<uint8_t> WriteTfliteBuffer(const Model& model);

// Writes to a temporary file in the same folder, then renames it to path: on any error nothing
// is left behind and cae::Error names path.
void WriteTflite(const Model& model, const std::string& path);

}  // namespace cae
