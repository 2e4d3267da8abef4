// Segmentation metrics over class maps: one class index per position (pixel).
//
// A model output becomes a class map by one of three rules (PredictedClasses):
//   class scores  [..., C] with C > 1: argmax over the last axis (ties go to the lowest class);
//   one score     [..., 1] (a sigmoid head): class 1 where the score > threshold, else 0;
//   class indices (integer outputs, such as ARG_MAX's): taken as they are, a trailing axis of 1
//                 dropped.
// Metrics, as PASCAL VOC and Cityscapes count them: a class's IoU is TP / (TP + FP + FN) summed
// over the whole set (not averaged per image); mean IoU averages the classes that occur in the
// prediction or the truth; pixel accuracy is the share of positions whose class equals the truth's.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "graph/tensor_data.h"

namespace cae {

struct ClassMap {
  std::vector<int32_t> shape;    // the positions, e.g. [N,H,W]
  std::vector<int32_t> classes;  // one class index per position, row-major
};

enum class OutputForm {
  kScores,   // float (or dequantized) scores along the last axis, or one sigmoid score
  kIndices,  // class indices, any numeric type holding integers >= 0
};

// The class map of `output` by the rules above. kIndices: a negative or fractional value is a
// cae::Error naming `what` and the value's position.
ClassMap PredictedClasses(const TensorData& output, OutputForm form, float threshold, const char* what);

struct SegmentationMetrics {
  int classes = 0;
  std::vector<std::optional<double>> class_iou;  // nullopt: the class occurs in neither map
  double mean_iou = 0;        // over the classes that occur; 1 when none does (empty maps)
  double pixel_accuracy = 0;  // 1 for empty maps
  // Binary segmentation (classes == 2): the foreground's (class 1's) IoU, the figure usually
  // quoted; 1 when neither map has foreground.
  std::optional<double> foreground_iou;
};

// Compares pred with truth. Shapes must be equal (cae::Error "prediction [..] vs truth [..]"),
// and every class index must lie in [0, classes) (cae::Error naming "prediction" or "truth", the
// value and its position).
SegmentationMetrics CompareSegmentation(const ClassMap& pred, const ClassMap& truth, int classes);

// Share of positions where a and b hold the same class (shapes must be equal); 1 when empty.
double ClassAgreement(const ClassMap& a, const ClassMap& b);

// The largest class index in m plus one (0 for an empty map).
int ClassCount(const ClassMap& m);

}  // namespace cae
