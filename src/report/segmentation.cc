#include "report/segmentation.h"

#include <algorithm>
#include <cmath>

#include "data/convert.h"
#include "graph/error.h"
#include "graph/graph.h"
#include "graph/shape.h"

namespace cae {
namespace {

void CheckRange(const ClassMap& m, int classes, const char* what) {
  for (size_t i = 0; i < m.classes.size(); ++i) {
    const int32_t c = m.classes[i];
    if (c < 0 || c >= classes)
      Fail(what, ": class ", c, " at ", IndexInShape(static_cast<int64_t>(i), m.shape), " is outside [0, ", classes,
           ")");
  }
}

}  // namespace

ClassMap PredictedClasses(const TensorData& output, OutputForm form, float threshold, const char* what) {
  const TensorData f = ToFloat32(output);
  const float* v = f.as<float>();
  ClassMap m;
  m.shape = output.shape;
  if (form == OutputForm::kIndices) {
    if (m.shape.size() > 1 && m.shape.back() == 1) m.shape.pop_back();
    const int64_t n = f.num_elements();
    m.classes.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      if (!(v[i] >= 0) || v[i] != std::floor(v[i]) || v[i] > INT32_MAX)
        Fail(what, ": value ", v[i], " at ", IndexInShape(i, output.shape), " is not a class index (an integer >= 0)");
      m.classes[static_cast<size_t>(i)] = static_cast<int32_t>(v[i]);
    }
    return m;
  }
  Check(!m.shape.empty(), what, ": a scalar output has no class axis");
  const int c = m.shape.back();
  m.shape.pop_back();
  const int64_t n = c ? f.num_elements() / c : 0;
  m.classes.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float* s = v + i * c;
    m.classes[static_cast<size_t>(i)] =
        c == 1 ? (s[0] > threshold ? 1 : 0) : static_cast<int32_t>(std::max_element(s, s + c) - s);
  }
  return m;
}

SegmentationMetrics CompareSegmentation(const ClassMap& pred, const ClassMap& truth, int classes) {
  Check(pred.shape == truth.shape, "prediction ", ShapeToString(pred.shape), " vs truth ", ShapeToString(truth.shape),
        ": the class maps' shapes differ");
  Check(classes >= 1, "segmentation metrics need at least one class");
  CheckRange(pred, classes, "prediction");
  CheckRange(truth, classes, "truth");
  std::vector<int64_t> inter(static_cast<size_t>(classes), 0), pred_n(inter), truth_n(inter);
  int64_t correct = 0;
  for (size_t i = 0; i < pred.classes.size(); ++i) {
    const int32_t p = pred.classes[i], t = truth.classes[i];
    ++pred_n[static_cast<size_t>(p)];
    ++truth_n[static_cast<size_t>(t)];
    if (p == t) {
      ++inter[static_cast<size_t>(p)];
      ++correct;
    }
  }
  SegmentationMetrics m;
  m.classes = classes;
  double sum = 0;
  int present = 0;
  for (size_t k = 0; k < static_cast<size_t>(classes); ++k) {
    const int64_t uni = pred_n[k] + truth_n[k] - inter[k];
    if (uni == 0) {
      m.class_iou.push_back(std::nullopt);
      continue;
    }
    const double iou = static_cast<double>(inter[k]) / static_cast<double>(uni);
    m.class_iou.push_back(iou);
    sum += iou;
    ++present;
  }
  m.mean_iou = present ? sum / present : 1.0;
  m.pixel_accuracy = pred.classes.empty() ? 1.0 : static_cast<double>(correct) / pred.classes.size();
  if (classes == 2) m.foreground_iou = m.class_iou[1] ? *m.class_iou[1] : 1.0;
  return m;
}

double ClassAgreement(const ClassMap& a, const ClassMap& b) {
  Check(a.shape == b.shape, "class maps ", ShapeToString(a.shape), " vs ", ShapeToString(b.shape), ": shapes differ");
  if (a.classes.empty()) return 1.0;
  int64_t same = 0;
  for (size_t i = 0; i < a.classes.size(); ++i) same += a.classes[i] == b.classes[i];
  return static_cast<double>(same) / static_cast<double>(a.classes.size());
}

int ClassCount(const ClassMap& m) {
  int32_t top = -1;
  for (int32_t c : m.classes) top = std::max(top, c);
  return top + 1;
}

}  // namespace cae
