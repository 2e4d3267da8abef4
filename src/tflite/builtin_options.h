// Conversion between TFLite's BuiltinOptions union (one table per op family) and the flat
// cae::OpOptions. Internal to src/tflite: the reader and writer are the only users.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <string>

#include "graph/op_options.h"
#include "graph/op_type.h"
#include "tflite/tflite_schema_generated.h"

namespace cae::tflite_io {

// Where a reader failure happened, for the one-line message
// "<file>: <what> (<where>): <detail>".
struct Context {
  std::string file;
  std::string where;  // e.g. "op 3 CONV_2D", "tensor 7 'conv/weights'", "buffer 12"
  [[noreturn]] void Fail(const std::string& what, const std::string& detail) const;
};

// The union member TFLite writes for op type t; NONE for ops without an options table and for
// ops this project does not map.
tflite_fb::BuiltinOptions BuiltinOptionsTypeFor(OpType t);

// Fills out from op's builtin_options (whatever member it carries; unknown members leave the
// defaults). Throws cae::Error (through ctx) for enum values outside their range.
void ReadBuiltinOptions(const tflite_fb::Operator& op, const Context& ctx, OpOptions& out);

// Serializes the options of an op of type t as the member BuiltinOptionsTypeFor(t); returns the
// table offset (0 for NONE) and sets *member.
flatbuffers::Offset<void> WriteBuiltinOptions(flatbuffers::FlatBufferBuilder& fbb, OpType t,
                                              const OpOptions& o,
                                              tflite_fb::BuiltinOptions* member);

}  // namespace cae::tflite_io
