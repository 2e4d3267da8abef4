// Running the segments of a model (see segment.h) as a pipeline, the way several Edge TPUs run
// `-n` segments: stage k runs segment k on its own thread with its own Interpreter, and items flow
// from stage to stage through queues. Tensors are passed by name, so a segment may read original
// inputs as well as any earlier segment's outputs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor_data.h"

namespace cae::edgetpu {

// items[i] maps the original model's input tensor names to item i's values. Returns, per item,
// every segment output by tensor name (the original model's outputs among them). Results equal
// running the segments one after another, whatever the thread timing. threads_per_stage is the
// interpreter thread count of each stage. Before any item runs, the chain is checked against
// items[0]'s names: a segment input that is neither an item value nor an earlier segment's output
// throws cae::Error naming the segment, its source file and the tensor. Otherwise throws
// cae::Error (the first one met) when a segment cannot run.
std::vector<std::map<std::string, TensorData>> RunPipeline(
    const std::vector<Model>& segments,
    const std::vector<std::map<std::string, TensorData>>& items, int threads_per_stage = 1);

}  // namespace cae::edgetpu
