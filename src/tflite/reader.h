// Reading .tflite files (TFLite schema v3) into cae::Model.
//
// The file is untrusted: it is checked by the flatbuffers verifier, then every index, shape,
// buffer size and subgraph reference is checked before data is touched. Every failure throws
// cae::Error with one line "<file>: <what> (<tensor/op/buffer>): <expected vs found>".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "graph/graph.h"

namespace cae {

// Reads every subgraph, op (options, version, custom code and options, intermediates), tensor
// (shape, type, quantization, constant data), the description and the metadata entries.
// Unsupported features (sparse tensors, string constants, tensor types beyond float64) are
// rejected with a cae::Error.
Model ReadTflite(const std::string& path);

// Same from memory; name is used in messages and as Model::source. data must stay valid during
// the call only (everything is copied).
Model ReadTfliteBuffer(const uint8_t* data, size_t size, const std::string& name);

}  // namespace cae
