// A minimal HDF5 writer for tests (HDF5 C API): builds small Keras-like files with chosen
// attributes, groups and float datasets, so error paths can be exercised on real HDF5 files.
#pragma once

#include <hdf5.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace cae::testing {

class H5TestWriter {
 public:
  explicit H5TestWriter(const std::string& path) {
    file_ = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file_ < 0) throw std::runtime_error("cannot create " + path);
  }
  ~H5TestWriter() {
    if (file_ >= 0) H5Fclose(file_);
  }
  H5TestWriter(const H5TestWriter&) = delete;
  H5TestWriter& operator=(const H5TestWriter&) = delete;

  void Group(const std::string& path) {
    hid_t g = H5Gcreate2(file_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) throw std::runtime_error("cannot create group " + path);
    H5Gclose(g);
  }

  // A scalar variable-length string attribute (as h5py writes model_config).
  void StringAttr(const std::string& obj, const std::string& name, const std::string& value) {
    hid_t o = H5Oopen(file_, obj.c_str(), H5P_DEFAULT);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(o, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char* p = value.c_str();
    H5Awrite(a, type, &p);
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    H5Oclose(o);
  }

  // A 1-D fixed-length string array attribute (as Keras writes layer_names / weight_names).
  void StringListAttr(const std::string& obj, const std::string& name,
                      const std::vector<std::string>& values) {
    size_t len = 1;
    for (const auto& v : values) len = std::max(len, v.size());
    std::vector<char> buf(len * values.size(), '\0');
    for (size_t i = 0; i < values.size(); ++i) values[i].copy(buf.data() + i * len, len);
    hid_t o = H5Oopen(file_, obj.c_str(), H5P_DEFAULT);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, len);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    hsize_t n = values.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t a = H5Acreate2(o, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (n > 0) H5Awrite(a, type, buf.data());
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    H5Oclose(o);
  }

  void FloatDataset(const std::string& path, const std::vector<hsize_t>& dims,
                    const std::vector<float>& values) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t d =
        H5Dcreate2(file_, path.c_str(), H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0) throw std::runtime_error("cannot create dataset " + path);
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(d);
    H5Sclose(space);
    H5Pclose(lcpl);
  }

 private:
  hid_t file_ = -1;
};

}  // namespace cae::testing
