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

const KerasLayer* VisitCallsInDependencyOrder(
    const KerasModel& m, const std::function<bool(const KerasLayer&, size_t)>& try_visit) {
  std::vector<std::pair<const KerasLayer*, size_t>> pending;  // (layer, call) still to visit
  for (const KerasLayer& l : m.layers) {
    if (l.class_name == "InputLayer") continue;
    for (size_t ci = 0; ci < l.calls.size(); ++ci) pending.emplace_back(&l, ci);
  }
  while (!pending.empty()) {
    bool progress = false;
    for (auto it = pending.begin(); it != pending.end();) {
      if (try_visit(*it->first, it->second)) {
        it = pending.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
    if (!progress) return pending.front().first;
  }
  return nullptr;
}

}  // namespace cae
