#include "keras/keras_writer.h"

#include <hdf5.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "graph/error.h"
#include "graph/shape.h"
#include "data/file_io.h"
#include "keras/hdf5_reader.h"

namespace cae {
namespace {

using json = nlohmann::json;
using h5::Handle;

// HDF5 objects of one file being written; every failure throws naming the file and object.
// Groups and datasets record no modification times, so the same model gives the same bytes.
class Writer {
 public:
  explicit Writer(const std::string& label)
      : label_(label),
        group_props_(UntimedProps(H5P_GROUP_CREATE), H5Pclose),
        dataset_props_(UntimedProps(H5P_DATASET_CREATE), H5Pclose) {
    Check5(group_props_.valid() && dataset_props_.valid(), "HDF5 property lists");
  }

  // A creation property list of class cls whose objects record no times (-1 on failure).
  static hid_t UntimedProps(hid_t cls) {
    const hid_t props = H5Pcreate(cls);
    if (props >= 0 && H5Pset_obj_track_times(props, false) < 0) {
      H5Pclose(props);
      return -1;
    }
    return props;
  }

  void Check5(bool ok, const std::string& what) const {
    Check(ok, label_, ": cannot write ", what);
  }

  Handle Group(hid_t parent, const std::string& name) const {
    Check(!name.empty() && name.find('/') == std::string::npos && name != ".", label_,
          ": layer or weight name '", name, "' cannot be an HDF5 group name");
    hid_t id = H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, group_props_.get(), H5P_DEFAULT);
    Check5(id >= 0, "group '" + name + "'");
    return Handle(id, H5Gclose);
  }

  // A scalar fixed-length NULLPAD ASCII string attribute, as h5py writes Python str values.
  void StringAttr(hid_t obj, const char* name, const std::string& value) const {
    Check5(value.size() < (uint64_t{1} << 30), std::string("attribute ") + name + " (too long)");
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    Check5(type.valid() && H5Tset_size(type.get(), std::max<size_t>(1, value.size())) >= 0 &&
               H5Tset_strpad(type.get(), H5T_STR_NULLPAD) >= 0,
           std::string("attribute ") + name);
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    std::string buf = value;
    if (buf.empty()) buf.push_back('\0');
    Check5(attr.valid() && H5Awrite(attr.get(), type.get(), buf.data()) >= 0,
           std::string("attribute ") + name);
  }

  // A 1-D fixed-length string array attribute; an empty list is an empty float64 array (as Keras).
  void StringListAttr(hid_t obj, const char* name, const std::vector<std::string>& values) const {
    const hsize_t count = values.size();
    if (count == 0) {
      Handle space(H5Screate_simple(1, &count, nullptr), H5Sclose);
      Handle attr(H5Acreate2(obj, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                  H5Aclose);
      Check5(space.valid() && attr.valid(), std::string("attribute ") + name);
      return;
    }
    size_t width = 1;
    for (const std::string& v : values) width = std::max(width, v.size());
    std::vector<char> buf(width * values.size(), '\0');
    for (size_t i = 0; i < values.size(); ++i) values[i].copy(buf.data() + i * width, width);
    Check5(buf.size() < (size_t{60} << 10),
           std::string("attribute ") + name + " (over the 64 KiB HDF5 attribute limit)");
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    Check5(type.valid() && H5Tset_size(type.get(), width) >= 0 &&
               H5Tset_strpad(type.get(), H5T_STR_NULLPAD) >= 0,
           std::string("attribute ") + name);
    Handle space(H5Screate_simple(1, &count, nullptr), H5Sclose);
    Handle attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    Check5(attr.valid() && H5Awrite(attr.get(), type.get(), buf.data()) >= 0,
           std::string("attribute ") + name);
  }

  void FloatDataset(hid_t group, const std::string& name, const KerasWeight& w,
                    const std::string& layer) const {
    Check(static_cast<int64_t>(w.values.size()) == NumElements(w.shape), label_, ": layer '", layer,
          "' weight '", w.name, "' holds ", w.values.size(), " values for its shape");
    std::vector<hsize_t> dims(w.shape.begin(), w.shape.end());
    Handle space(dims.empty()
                     ? H5Screate(H5S_SCALAR)
                     : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 H5Sclose);
    Handle ds(H5Dcreate2(group, name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                         dataset_props_.get(), H5P_DEFAULT),
              H5Dclose);
    Check5(space.valid() && ds.valid() &&
               (w.values.empty() || H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                                             H5P_DEFAULT, w.values.data()) >= 0),
           "dataset '" + layer + "/" + name + "'");
  }

 private:
  std::string label_;
  Handle group_props_, dataset_props_;
};

json InboundRef(const KerasInbound& in) {
  return json::array({in.layer, in.node_index, in.tensor_index});
}

void WriteFile(const KerasModel& km, const std::string& tmp, const std::string& path,
               const json* training_config) {
  Writer w(path);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Handle file_props(Writer::UntimedProps(H5P_FILE_CREATE), H5Pclose);  // the root group's
  w.Check5(file_props.valid(), "HDF5 property lists");
  Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, file_props.get(), H5P_DEFAULT), H5Fclose);
  Check(file.valid(), path, ": cannot create the file (folder missing or not writable?)");
  const std::string version = km.keras_version.empty() ? "2.2.4" : km.keras_version;
  const std::string backend = km.backend.empty() ? "tensorflow" : km.backend;
  w.StringAttr(file.get(), "keras_version", version);
  w.StringAttr(file.get(), "backend", backend);
  w.StringAttr(file.get(), "model_config", KerasModelConfig(km).dump());
  if (training_config != nullptr) {
    w.StringAttr(file.get(), "training_config", training_config->dump());
  }
  if (!km.qat.is_null()) w.StringAttr(file.get(), "cae2tpu_qat", km.qat.dump());
  Handle weights = w.Group(file.get(), "model_weights");
  std::vector<std::string> layer_names;
  for (const KerasLayer& l : km.layers) layer_names.push_back(l.name);
  w.StringListAttr(weights.get(), "layer_names", layer_names);
  w.StringAttr(weights.get(), "backend", backend);
  w.StringAttr(weights.get(), "keras_version", version);
  for (const KerasLayer& l : km.layers) {
    Handle group = w.Group(weights.get(), l.name);
    std::vector<std::string> names;
    for (const KerasWeight& kw : l.weights) names.push_back(l.name + "/" + kw.name + ":0");
    w.StringListAttr(group.get(), "weight_names", names);
    if (l.weights.empty()) continue;
    Handle inner = w.Group(group.get(), l.name);
    for (const KerasWeight& kw : l.weights) {
      Check(!kw.name.empty() && kw.name.find('/') == std::string::npos, path, ": layer '", l.name,
            "' has a weight without a valid name ('", kw.name, "')");
      w.FloatDataset(inner.get(), kw.name + ":0", kw, l.name);
    }
  }
  Check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL) >= 0, path, ": cannot flush the file");
}

}  // namespace

json KerasModelConfig(const KerasModel& km) {
  json layers = json::array();
  for (const KerasLayer& l : km.layers) {
    Check(!l.submodel, km.name, ": layer '", l.name,
          "' is a nested model; writing nested models is not supported");
    json inbound = json::array();
    for (const std::vector<KerasInbound>& call : l.calls) {
      json refs = json::array();
      for (const KerasInbound& in : call) {
        json r = InboundRef(in);
        r.push_back(json::object());
        refs.push_back(std::move(r));
      }
      inbound.push_back(std::move(refs));
    }
    json config = l.config;
    if (config.is_object()) config["name"] = l.name;
    layers.push_back({{"name", l.name},
                      {"class_name", l.class_name},
                      {"config", config},
                      {"inbound_nodes", inbound}});
  }
  json inputs = json::array(), outputs = json::array();
  for (const KerasInbound& in : km.inputs) inputs.push_back(InboundRef(in));
  for (const KerasInbound& out : km.outputs) outputs.push_back(InboundRef(out));
  return {{"class_name", "Model"},
          {"config",
           {{"name", km.name.empty() ? "model_1" : km.name},
            {"layers", layers},
            {"input_layers", inputs},
            {"output_layers", outputs}}}};
}

void SaveKerasH5(const KerasModel& km, const std::string& path) { SaveKerasH5(km, path, json()); }

void SaveKerasH5(const KerasModel& km, const std::string& path, const json& training_config) {
  Check(!path.empty(), "SaveKerasH5: empty output path");
  WriteOutputFile(path, [&](const std::string& tmp) {
    WriteFile(km, tmp, path, training_config.is_null() ? nullptr : &training_config);
  });
}

}  // namespace cae
