#include "keras/keras_weights.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "graph/error.h"
#include "keras/keras_config.h"

namespace cae {
namespace {

bool ConfigFlag(const KerasLayer& l, const char* key, bool fallback) {
  if (!l.config.is_object() || !l.config.contains(key) || !l.config[key].is_boolean()) {
    return fallback;
  }
  return l.config[key].get<bool>();
}

// "conv2d/kernel:0" -> "kernel"; "decoder/dense_1/bias" -> "bias".
std::string ShortWeightName(const std::string& full) {
  std::string s = full;
  size_t slash = s.rfind('/');
  if (slash != std::string::npos) s = s.substr(slash + 1);
  size_t colon = s.rfind(':');
  if (colon != std::string::npos) s = s.substr(0, colon);
  return s;
}

std::vector<std::string> SplitPath(const std::string& s) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t next = s.find('/', pos);
    if (next == std::string::npos) next = s.size();
    if (next > pos) parts.push_back(s.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
}

KerasWeight ToWeight(std::string name, h5::FloatArray a) {
  return KerasWeight{std::move(name), std::move(a.shape), std::move(a.values)};
}

struct NamedArray {
  std::vector<std::string> path;  // components of the weight name
  h5::FloatArray array;
};

// Assigns weights of a nested model's group to its layers by the layer name in each weight's
// path (the component before the variable name, searched from the end).
void DistributeNested(KerasModel& sub, std::vector<NamedArray> arrays, const std::string& where) {
  for (NamedArray& a : arrays) {
    if (a.path.empty()) Fail(where, ": empty weight name");
    KerasLayer* target = nullptr;
    size_t match = 0;
    for (size_t i = a.path.size() - 1; i-- > 0 && target == nullptr;) {
      for (KerasLayer& l : sub.layers) {
        if (l.name == a.path[i]) {
          target = &l;
          match = i;
          break;
        }
      }
    }
    if (target == nullptr) {
      Fail(where, ": weight '", a.path.back(), "' names no layer of nested model '", sub.name, "'");
    }
    if (target->submodel) {
      std::vector<NamedArray> rest;
      rest.push_back(NamedArray{std::vector<std::string>(a.path.begin() + match + 1, a.path.end()),
                                std::move(a.array)});
      DistributeNested(*target->submodel, std::move(rest), where);
    } else {
      target->weights.push_back(ToWeight(ShortWeightName(a.path.back()), std::move(a.array)));
    }
  }
}

bool ExpectsWeights(const KerasLayer& l) {
  if (l.submodel) {
    for (const KerasLayer& s : l.submodel->layers) {
      if (ExpectsWeights(s)) return true;
    }
    return false;
  }
  return !ExpectedWeightNames(l).empty();
}

// Numeric order of Keras 3 "vars" children ("0", "1", ..., "10").
std::vector<std::string> SortedVarNames(std::vector<std::string> names, const std::string& where) {
  for (const std::string& n : names) {
    if (n.empty() || n.size() > 6 || !std::all_of(n.begin(), n.end(), ::isdigit)) {
      Fail(where, ": unexpected variable name '", n, "'");
    }
  }
  std::sort(names.begin(), names.end(),
            [](const std::string& a, const std::string& b) { return std::stoi(a) < std::stoi(b); });
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != std::to_string(i)) Fail(where, ": variables are not numbered 0..n-1");
  }
  return names;
}

void LoadKeras3Model(const h5::File& file, const std::string& group, KerasModel& model,
                     bool sequential, int depth) {
  if (depth > 64) Fail(file.label(), ": models nested too deeply");
  std::string container = group + "/layers";
  if (!file.IsGroup(container)) container = group + "/_layer_checkpoint_dependencies";
  const bool have_container = file.IsGroup(container);
  std::vector<std::pair<std::string, int>> used;  // snake name -> times seen
  for (KerasLayer& l : model.layers) {
    if (sequential && l.class_name == "InputLayer") continue;  // Sequential.layers omits it
    std::string name = KerasSnakeCase(l.class_name);
    auto it =
        std::find_if(used.begin(), used.end(), [&](const auto& u) { return u.first == name; });
    if (it == used.end()) {
      used.emplace_back(name, 0);
    } else {
      name += "_" + std::to_string(++it->second);
    }
    const std::string path = container + "/" + name;
    const std::string where =
        StrCat(file.label(), ": layer '", l.name, "' (", l.class_name, ") weights at ", path);
    if (l.submodel) {
      LoadKeras3Model(file, path, *l.submodel, l.class_name == "Sequential", depth + 1);
      continue;
    }
    const std::vector<std::string> expected = ExpectedWeightNames(l);
    const std::string vars = path + "/vars";
    if (!have_container || !file.IsGroup(vars)) {
      if (!expected.empty()) Fail(where, ": missing");
      continue;
    }
    std::vector<std::string> names = SortedVarNames(file.Children(vars), where);
    if (names.empty() && expected.empty()) continue;
    if (names.size() != expected.size()) {
      Fail(where, ": expected ", expected.size(), " variables, found ", names.size());
    }
    for (size_t i = 0; i < names.size(); ++i) {
      l.weights.push_back(ToWeight(expected[i], file.ReadFloatDataset(vars + "/" + names[i])));
    }
  }
}

}  // namespace

std::string KerasSnakeCase(const std::string& class_name) {
  std::string s;
  for (char c : class_name) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') s += c;
  }
  // (.)([A-Z][a-z]+) -> \1_\2
  std::string a;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && std::isupper(static_cast<unsigned char>(s[i])) && i + 1 < s.size() &&
        std::islower(static_cast<unsigned char>(s[i + 1]))) {
      a += '_';
    }
    a += s[i];
  }
  // ([a-z])([A-Z]) -> \1_\2, then lower case.
  std::string b;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && std::islower(static_cast<unsigned char>(a[i - 1])) &&
        std::isupper(static_cast<unsigned char>(a[i]))) {
      b += '_';
    }
    b += static_cast<char>(std::tolower(static_cast<unsigned char>(a[i])));
  }
  return b;
}

std::vector<std::string> ExpectedWeightNames(const KerasLayer& l) {
  const std::string& c = l.class_name;
  const bool bias = ConfigFlag(l, "use_bias", true);
  if (c == "Conv2D" || c == "Conv2DTranspose" || c == "Dense" || c == "Conv1D") {
    return bias ? std::vector<std::string>{"kernel", "bias"} : std::vector<std::string>{"kernel"};
  }
  if (c == "DepthwiseConv2D") {
    return bias ? std::vector<std::string>{"depthwise_kernel", "bias"}
                : std::vector<std::string>{"depthwise_kernel"};
  }
  if (c == "SeparableConv2D") {
    std::vector<std::string> v = {"depthwise_kernel", "pointwise_kernel"};
    if (bias) v.push_back("bias");
    return v;
  }
  if (c == "BatchNormalization") {
    std::vector<std::string> v;
    if (ConfigFlag(l, "scale", true)) v.push_back("gamma");
    if (ConfigFlag(l, "center", true)) v.push_back("beta");
    v.push_back("moving_mean");
    v.push_back("moving_variance");
    return v;
  }
  if (c == "PReLU") return {"alpha"};
  return {};
}

void LoadLegacyWeights(const h5::File& file, const std::string& root, KerasModel& model) {
  for (KerasLayer& l : model.layers) {
    const std::string group = (root == "/" ? "" : root) + "/" + l.name;
    const std::string where = StrCat(file.label(), ": layer '", l.name, "' (", l.class_name, ")");
    if (!file.IsGroup(group)) {
      if (ExpectsWeights(l)) Fail(where, ": no weights group ", group);
      continue;
    }
    std::vector<std::string> names;
    if (file.HasAttribute(group, "weight_names")) {
      names = file.ReadStringListAttribute(group, "weight_names");
    }
    if (names.empty() && ExpectsWeights(l)) Fail(where, ": group ", group, " lists no weights");
    std::vector<NamedArray> arrays;
    for (const std::string& n : names) {
      arrays.push_back(NamedArray{SplitPath(n), file.ReadFloatDataset(group + "/" + n)});
    }
    if (l.submodel) {
      DistributeNested(*l.submodel, std::move(arrays), where);
    } else {
      for (size_t i = 0; i < arrays.size(); ++i) {
        l.weights.push_back(ToWeight(ShortWeightName(names[i]), std::move(arrays[i].array)));
      }
    }
  }
}

void LoadKeras3Weights(const h5::File& file, KerasModel& model, bool sequential) {
  LoadKeras3Model(file, "", model, sequential, 0);
}

}  // namespace cae
