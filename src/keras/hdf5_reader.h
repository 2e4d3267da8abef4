// Read-only access to HDF5 files through the HDF5 C API, with RAII handles and cae::Error on
// every failure. Files are untrusted: sizes are bounded, HDF5's own error printing is silenced,
// and messages name the file and the object path.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cae::h5 {

// Owns one hid_t and closes it with the matching H5*close on destruction.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();

 private:
  hid_t id_ = -1;
  herr_t (*closer_)(hid_t) = nullptr;
};

// A float array read from a dataset: its shape and values (converted to float32).
struct FloatArray {
  std::vector<int32_t> shape;
  std::vector<float> values;
};

// An open HDF5 file (from disk or from an in-memory image). `label` names it in messages.
class File {
 public:
  // Opens path read-only; throws "<path>: not an HDF5 file" / "<path>: cannot open ...".
  static File Open(const std::string& path);
  // Opens an HDF5 image held in memory (e.g. model.weights.h5 inside a .keras zip).
  static File OpenImage(const std::vector<uint8_t>& image, const std::string& label);

  const std::string& label() const { return label_; }
  hid_t id() const { return file_.get(); }

  // True if an object (group or dataset) exists at path ("/a/b"); intermediate links checked.
  bool Exists(const std::string& path) const;
  bool IsGroup(const std::string& path) const;
  // Names of the direct children of the group at path, in HDF5's name order.
  std::vector<std::string> Children(const std::string& path) const;
  bool HasAttribute(const std::string& path, const std::string& attr) const;
  // A string attribute (scalar, fixed or variable length); throws if absent or not a string.
  std::string ReadStringAttribute(const std::string& path, const std::string& attr) const;
  std::optional<std::string> ReadOptionalStringAttribute(const std::string& path,
                                                         const std::string& attr) const;
  // A 1-D string array attribute (e.g. layer_names, weight_names); fixed or variable length.
  std::vector<std::string> ReadStringListAttribute(const std::string& path,
                                                   const std::string& attr) const;
  // A numeric dataset converted to float32. At most 1<<28 elements.
  FloatArray ReadFloatDataset(const std::string& path) const;

 private:
  File(Handle file, std::string label) : file_(std::move(file)), label_(std::move(label)) {}
  std::string Where(const std::string& path) const;

  Handle file_;
  std::string label_;
};

// True if the bytes start with the HDF5 signature (at offset 0, 512, 1024, ... as HDF5 allows).
bool HasHdf5Signature(const std::string& path);

}  // namespace cae::h5
