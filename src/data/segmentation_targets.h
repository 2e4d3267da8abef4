// Segmentation ground truth (binary masks and class maps), read one way by `train --task segment`
// and `compare --task segment`.
//
// The file is loaded with its integer values kept (LoadOptions::keep_uint8_values: 8-bit images,
// uint8 .npy and IDX hold 0..255, not pixels / 255), never resized. Shapes are written for
// images; 1-D data ([N,L], [N,L,1], [N,L,classes]) works the same way. Per item it holds:
//   class indices [N,H,W] or [N,H,W,1]: integers in [0, classes);
//   one-hot or soft class scores [N,H,W,classes] (classes > 1; a last axis of that size is the
//     class axis);
//   a binary mask (classes == 1, a sigmoid head): values in [0, 1] (soft masks allowed; >= 0.5 is
//     foreground), or 8-bit masks holding only 0 and 255 (read as 0 and 1).
// [N,H,W,3] data whose three channels are equal everywhere (a gray mask saved as RGB) is read as
// [N,H,W,1]; with colour (unless classes == 3) it is an error: colour-coded masks (e.g. Pascal
// VOC palettes) must be mapped to class indices first.
// Every error is a cae::Error naming the file, and for a value, its item and index.
#pragma once

#include <cstdint>
#include <string>

#include "graph/tensor_data.h"

namespace cae {

enum class TargetForm {
  kTraining,  // float32 [N,H,W,classes]: binary masks in [0,1], class maps one-hot
  kIndices,   // float32 [N,H,W] of class indices (binary: 0/1 at >= 0.5; scores: argmax)
};

// Loads path (the first `limit` items; 0 = all) as targets for a model with `classes` output
// channels: 1 for a sigmoid mask, C > 1 for C class scores. classes == 0 (kIndices only): class
// indices of a model that outputs indices (such as ARG_MAX), any integers >= 0.
TensorData LoadSegmentationTargets(const std::string& path, int classes, int64_t limit, TargetForm form);

}  // namespace cae
