#include "keras/keras_model.h"

namespace cae {

int64_t KerasModel::ParamCount() const {
  int64_t total = 0;
  for (const KerasLayer& l : layers) {
    for (const KerasWeight& w : l.weights) total += static_cast<int64_t>(w.values.size());
    if (l.submodel) total += l.submodel->ParamCount();
  }
  return total;
}

const KerasLayer* KerasModel::FindLayer(const std::string& layer_name) const {
  for (const KerasLayer& l : layers) {
    if (l.name == layer_name) return &l;
  }
  return nullptr;
}

}  // namespace cae
