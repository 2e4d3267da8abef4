// A JSON description of a model read from (or about to be written to) a .tflite file, for
// `cae2tpu inspect --json`.
#pragma once

#include <nlohmann/json.hpp>

#include "graph/graph.h"

namespace cae {

// {"source", "description", "metadata": [names], "parameter_bytes", "subgraphs": [{"name",
//  "inputs", "outputs", "tensors": [{"index", "name", "shape", "type", "quantization":
//  {"scale", "zero_point", "quantized_dimension"}, "constant_bytes"}], "ops": [{"index", "op",
//  "version", "inputs", "outputs", "options": {...}}]}], "inputs"/"outputs" of the main graph as
//  tensor indices}. parameter_bytes is the sum of all constant tensor sizes. Options list the
//  fields the op's TFLite options table has. Strings from the file are made valid UTF-8 (invalid
//  bytes become '?'), so dump() never throws.
nlohmann::json DescribeTfliteModel(const Model& model);

}  // namespace cae
