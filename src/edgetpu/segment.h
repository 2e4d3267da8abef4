// Splitting a model into N consecutive segments of about equal parameter bytes, for pipelining
// over N Edge TPUs (what `edgetpu_compiler -n N` does before compiling).
//
// Contract:
//  - Segments partition the main graph's ops in execution order; segment k holds ops
//    [cuts[k-1], cuts[k]).
//  - A segment's inputs are the tensors it reads that no op of it writes (original tensors, with
//    their names, shapes and quantization); its outputs are the tensors it writes that a later
//    segment reads or that are outputs of the original model. Original graph outputs keep their
//    order first. Constants and variable tensors travel with the ops that use them.
//  - Running the segments one after another, feeding each input by tensor name from the original
//    inputs and earlier segments' outputs, computes exactly the original model's outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace cae::edgetpu {

struct SegmentPlan {
  std::vector<int> cuts;               // op index where each segment after the first starts
  std::vector<int64_t> parameter_bytes;  // constant bytes per segment (each tensor counted once)
};

// Chooses the cuts: cumulative parameter bytes as close as possible to k/N of the total, each
// segment at least one op; ties go to the cut with the fewest live tensors. Throws cae::Error
// (naming model.source) when num_segments < 1 or exceeds the op count, or when the model is
// already compiled for the Edge TPU (RejectCompiledModel).
SegmentPlan PlanSegments(const Model& model, int num_segments);

// The segment models for a plan (descriptions and metadata copied, graph names "segment_k").
std::vector<Model> SplitModel(const Model& model, const SegmentPlan& plan);

// Plans, splits and writes DIR/NAME_segment_K_of_N.tflite (NAME = the source file's stem, or
// "model"); returns the paths in order. Each file is written atomically by the TFLite writer, and
// the set is all or none: a path that is a folder is refused before anything is written, and a
// failed write removes the segments written before it. Throws cae::Error naming the path.
std::vector<std::string> WriteSegments(const Model& model, int num_segments,
                                       const std::string& out_dir);

}  // namespace cae::edgetpu
