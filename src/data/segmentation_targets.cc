#include "data/segmentation_targets.h"

#include <algorithm>
#include <cmath>

#include "data/dataset.h"
#include "graph/error.h"
#include "graph/graph.h"
#include "graph/shape.h"

namespace cae {
namespace {

// "item N, index [..]" of flat element i of an [N, ...] shape.
std::string Where(const std::vector<int32_t>& shape, int64_t i) {
  const std::vector<int32_t> item(shape.begin() + 1, shape.end());
  const int64_t per_item = std::max<int64_t>(NumElements(item), 1);
  return StrCat("item ", i / per_item, ", index ", IndexInShape(i % per_item, item));
}

// [N,H,W,3] with equal channels -> [N,H,W,1]; colour is an error.
TensorData GrayFromRgb(const TensorData& t, const std::string& path) {
  const int64_t n = t.num_elements() / 3;
  const float* v = t.as<float>();
  TensorData out(DType::kFloat32, {t.shape[0], t.shape[1], t.shape[2], 1});
  for (int64_t i = 0; i < n; ++i) {
    if (v[3 * i] != v[3 * i + 1] || v[3 * i] != v[3 * i + 2])
      Fail(path, ": holds a colour mask (RGB ", v[3 * i], ",", v[3 * i + 1], ",", v[3 * i + 2], " at ",
           Where({t.shape[0], t.shape[1], t.shape[2]}, i),
           "); segmentation targets must be one channel of class indices (map the colours to indices first)");
    out.as<float>()[i] = v[3 * i];
  }
  return out;
}

// Binary masks: [0,1] as they are, or 0/255 -> 0/1.
void NormalizeBinaryMask(TensorData* t, const std::string& path) {
  float* v = t->as<float>();
  const int64_t n = t->num_elements();
  const bool eight_bit = std::any_of(v, v + n, [](float x) { return x > 1.0f; });
  for (int64_t i = 0; i < n; ++i) {
    const bool ok = eight_bit ? (v[i] == 0.0f || v[i] == 255.0f) : (v[i] >= 0.0f && v[i] <= 1.0f);
    if (!ok)
      Fail(path, ": value ", v[i], " (", Where(t->shape, i),
           ") is not a binary mask value (0..1, or only 0 and 255 in 8-bit masks)");
    if (eight_bit) v[i] /= 255.0f;
  }
}

void CheckClassIndex(float v, int classes, const std::string& path, const std::vector<int32_t>& shape, int64_t i) {
  if (v >= 0 && v == std::floor(v) && (classes == 0 ? v <= 65535.0f : v < static_cast<float>(classes))) return;
  Fail(path, ": class map value ", v, " (", Where(shape, i), ") is not an integer in [0, ",
       classes == 0 ? std::string("65536") : std::to_string(classes), ")");
}

}  // namespace

TensorData LoadSegmentationTargets(const std::string& path, int classes, int64_t limit, TargetForm form) {
  Check(classes >= 1 || (classes == 0 && form == TargetForm::kIndices), "segmentation targets: bad class count ",
        classes);
  LoadOptions lo;
  lo.keep_uint8_values = true;
  lo.limit = limit;
  TensorData t = LoadData(path, lo);
  if (t.shape.size() < 2)
    Fail(path, ": segmentation targets ", ShapeToString(t.shape),
         " are not masks or class maps ([N,H,W], [N,H,W,1] or [N,H,W,classes])");
  for (int64_t i = 0; i < t.num_elements(); ++i)
    if (!std::isfinite(t.as<float>()[i])) Fail(path, ": value ", t.as<float>()[i], " (", Where(t.shape, i), ") is not finite");
  if (t.shape.size() == 4 && t.shape[3] == 3 && classes != 3) t = GrayFromRgb(t, path);
  // The positions, and the class axis when there is one.
  std::vector<int32_t> positions = t.shape;
  int c = 1;
  if (t.shape.size() >= 3 && (t.shape.back() == 1 || (classes > 1 && t.shape.back() == classes))) {
    c = t.shape.back();
    positions.pop_back();
  }
  const int64_t n = NumElements(positions);
  auto with_axis = [&](int size) {
    std::vector<int32_t> s = positions;
    s.push_back(size);
    return s;
  };

  if (classes == 1) {
    NormalizeBinaryMask(&t, path);
    if (form == TargetForm::kTraining) {
      t.shape = with_axis(1);
      return t;
    }
    TensorData out(DType::kFloat32, positions);
    for (int64_t i = 0; i < n; ++i) out.as<float>()[i] = t.as<float>()[i] >= 0.5f ? 1.0f : 0.0f;
    return out;
  }
  if (c > 1) {  // one-hot or soft scores along the last axis
    if (form == TargetForm::kTraining) return t;
    TensorData out(DType::kFloat32, positions);
    for (int64_t i = 0; i < n; ++i) {
      const float* s = t.as<float>() + i * c;
      out.as<float>()[i] = static_cast<float>(std::max_element(s, s + c) - s);
    }
    return out;
  }
  // Class indices, one per position.
  for (int64_t i = 0; i < n; ++i) CheckClassIndex(t.as<float>()[i], classes, path, positions, i);
  if (form == TargetForm::kIndices) {
    t.shape = positions;
    return t;
  }
  TensorData out(DType::kFloat32, with_axis(classes));
  std::fill(out.as<float>(), out.as<float>() + out.num_elements(), 0.0f);
  for (int64_t i = 0; i < n; ++i) out.as<float>()[i * classes + static_cast<int64_t>(t.as<float>()[i])] = 1.0f;
  return out;
}

}  // namespace cae
