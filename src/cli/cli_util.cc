#include "cli/cli_util.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>

#include "data/convert.h"
#include "data/file_io.h"
#include "graph/shape.h"
#include "graph/validate.h"
#include "keras/hdf5_reader.h"
#include "keras/keras_import.h"
#include "report/timing.h"
#include "runtime/interpreter.h"
#include "tflite/reader.h"

namespace cae::cli {

namespace fs = std::filesystem;

GlobalFlags& Globals() {
  static GlobalFlags flags;
  return flags;
}

bool ShowProgress() { return !Globals().quiet && isatty(STDERR_FILENO); }

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), active_(ShowProgress()) {}

Progress::~Progress() {
  if (active_) std::fprintf(stderr, "\r\033[K");
}

void Progress::Update(int64_t done) {
  if (!active_) return;
  std::fprintf(stderr, "\r\033[K%s %lld/%lld", label_.c_str(), static_cast<long long>(done),
               static_cast<long long>(total_));
  std::fflush(stderr);
}

namespace {

bool HasTfliteIdentifier(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char buf[8];
  return in.read(buf, 8) && std::memcmp(buf + 4, "TFL3", 4) == 0;
}

}  // namespace

// --arch-json gives the architecture of a weights-only Keras HDF5 (save_weights). A file with an
// architecture of its own (HDF5 with model_config, a .keras zip, a .tflite) would run that one and
// ignore the flag; that is a usage error rather than a warning, since running another architecture
// than the one the user named would be silently wrong, and dropping the flag is the whole fix.
void RejectUnusedArchJson(const std::string& path, ModelKind kind) {
  const bool weights_only = kind == ModelKind::kKeras && h5::HasHdf5Signature(path) &&
                            !h5::File::Open(path).HasAttribute("/", "model_config");
  if (!weights_only)
    throw UsageError(StrCat(path, ": --arch-json is only for weights-only Keras HDF5 files (save_weights); this ",
                            kind == ModelKind::kTflite ? "TFLite file" : "Keras file",
                            " holds its own architecture (drop --arch-json)"));
}

void PrintWarning(const std::string& text) {
  if (Globals().quiet) return;
  std::fflush(stdout);
  std::fprintf(stderr, "cae2tpu: warning: %s\n", text.c_str());
}

LoadedModel LoadAnyModel(const std::string& path, const std::string& arch_json) {
  if (fs::is_directory(ExistingPathStatus(path))) Fail(path, ": is a folder, expected a model file");
  LoadedModel m;
  m.path = path;
  m.file_size = FileSize(path);
  const std::string ext = LowerExtension(path);
  const bool keras_ext = ext == ".h5" || ext == ".hdf5" || ext == ".keras";
  if (HasTfliteIdentifier(path) || (ext == ".tflite" && !LooksLikeKerasFile(path))) {
    m.kind = ModelKind::kTflite;
    m.model = ReadTflite(path);
  } else if (LooksLikeKerasFile(path) || keras_ext) {
    m.kind = ModelKind::kKeras;
    m.keras = LoadKerasModel(path, arch_json);
    m.model = LowerKerasModel(*m.keras);
    if (m.model.source.empty()) m.model.source = path;
  } else {
    Fail(path, ": not a model file (expected Keras HDF5 .h5, Keras .keras, or .tflite)");
  }
  Check(!m.model.subgraphs.empty(), path, ": model has no graph");
  if (!arch_json.empty()) RejectUnusedArchJson(path, m.kind);
  return m;
}

namespace {

std::vector<int32_t> WithBatch(std::vector<int32_t> shape, int32_t n) {
  if (!shape.empty()) shape[0] = n;
  return shape;
}

std::string ExpectedShape(const std::vector<int32_t>& shape) {
  std::string s = "[N";
  for (size_t i = 1; i < shape.size(); ++i) s += "," + std::to_string(shape[i]);
  return s + "]";
}

template <typename T>
TensorData Quantize(const TensorData& f, DType type, float scale, int64_t zp) {
  TensorData q(type, f.shape);
  const float* src = f.as<float>();
  T* dst = q.as<T>();
  const int64_t n = f.num_elements();
  const double lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (int64_t i = 0; i < n; ++i) {
    const double v = std::round(static_cast<double>(src[i]) / scale) + static_cast<double>(zp);
    dst[i] = static_cast<T>(std::isnan(v) ? static_cast<double>(zp) : std::clamp(v, lo, hi));
  }
  return q;
}

template <typename T>
TensorData Dequantize(const TensorData& q, float scale, int64_t zp) {
  TensorData f(DType::kFloat32, q.shape);
  const T* src = q.as<T>();
  float* dst = f.as<float>();
  const int64_t n = q.num_elements();
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>((static_cast<int64_t>(src[i]) - zp) * static_cast<double>(scale));
  return f;
}

}  // namespace

void CheckFiniteData(const TensorData& data, const std::string& source) {
  const int64_t i = FirstNonFinite(data);
  if (i < 0) return;
  const int64_t per_item = data.shape.empty() || data.shape[0] <= 0 ? 1 : std::max<int64_t>(1, data.num_elements() / data.shape[0]);
  float v = 0;
  if (data.type == DType::kFloat32) {
    v = data.as<float>()[i];
  } else if (data.type == DType::kFloat16) {
    uint16_t h;
    std::memcpy(&h, data.bytes.data() + 2 * i, 2);
    v = HalfToFloat(h);
  } else {
    double d;
    std::memcpy(&d, data.bytes.data() + 8 * i, 8);
    v = static_cast<float>(d);
  }
  Fail(source, ": value ", i, " (item ", i / per_item, ", index ", IndexInShape(i, data.shape), ") is not finite (",
       v, "); models need finite input data");
}

std::string InputRangeWarning(const Graph& g, int index, const TensorData& data, const std::string& source,
                              const FitOptions& options) {
  if (options.raw || options.range_hint.empty() || data.type != DType::kFloat32) return "";
  if (index < 0 || index >= static_cast<int>(g.inputs.size())) return "";
  const int ti = g.inputs[index];
  if (ti < 0 || ti >= static_cast<int>(g.tensors.size())) return "";
  const Tensor& t = g.tensors[ti];
  if (t.type != DType::kInt8 && t.type != DType::kUInt8 && t.type != DType::kInt16) return "";
  if (t.quant.scale.size() != 1 || t.quant.zero_point.size() != 1 || !(t.quant.scale[0] > 0)) return "";
  const int64_t n = data.num_elements();
  if (n == 0) return "";
  const float* v = data.as<float>();
  const auto [lo_it, hi_it] = std::minmax_element(v, v + n);
  if (!(*lo_it >= 0.0f && *hi_it <= 1.0f)) return "";
  const double qmin = t.type == DType::kUInt8 ? 0 : t.type == DType::kInt8 ? -128 : -32768;
  const double qmax = t.type == DType::kUInt8 ? 255 : t.type == DType::kInt8 ? 127 : 32767;
  const double s = t.quant.scale[0];
  const double zp = static_cast<double>(t.quant.zero_point[0]);
  const double lo = (qmin - zp) * s, hi = (qmax - zp) * s;
  if (!(lo < -0.05 || hi > 1.1)) return "";
  return StrCat(options.model.empty() ? std::string() : options.model + ": ", "input ", index, " '", t.name,
                "' is ", DTypeName(t.type), " with scale ", s, " and zero point ", t.quant.zero_point[0],
                ", so it takes floats in [", lo, ", ", hi, "], but the data from ", source,
                " is in [0, 1] (pixels / 255); ", options.range_hint);
}

void CheckFiniteWeights(const LoadedModel& model) {
  if (model.kind != ModelKind::kKeras || model.model.subgraphs.empty()) return;
  CheckFiniteFloatConstants(model.model.main(), model.path);
}

TensorData FitInput(const Graph& g, int index, TensorData data, const FitOptions& options, const std::string& source) {
  Check(index >= 0 && index < static_cast<int>(g.inputs.size()), "model has no input ", index);
  const int ti = g.inputs[index];
  Check(ti >= 0 && ti < static_cast<int>(g.tensors.size()), "model input ", index, " refers to a missing tensor");
  const Tensor& t = g.tensors[ti];
  const std::string who = StrCat("input ", index, " '", t.name, "'");
  if (data.shape.empty()) Fail(source, ": data is a scalar; ", who, " expects shape ", ExpectedShape(t.shape));
  const int32_t n = data.shape[0];
  if (n < 1) Fail(source, ": data holds no items");
  std::vector<int32_t> want = WithBatch(t.shape, n);
  if (data.shape != want) {
    // Same values per item, read in row-major order, in three unambiguous cases (train accepts
    // the same): a flat input [1,K] takes any data with K values per item (e.g. 28x28 images for
    // Dense AEs); flat rows [N,K] fill any input with K values per item (e.g. [N,32] rows for a
    // [1,16,2] sequence input); and shapes that differ only by trailing 1s ([N,28,28,1] IDX
    // images for a [1,28,28] sequence input).
    auto without_trailing_ones = [](std::vector<int32_t> s) {
      while (s.size() > 1 && s.back() == 1) s.pop_back();
      return s;
    };
    const int64_t per_item = NumElements(WithBatch(t.shape, 1));
    const bool same_count = per_item > 0 && NumElements(data.shape) == int64_t{n} * per_item;
    const bool flat = same_count && (t.shape.size() == 2 || data.shape.size() == 2 ||
                                     without_trailing_ones(data.shape) == without_trailing_ones(want));
    // Images of another size: point to --resize (run, compare and convert have it).
    const bool other_size = t.shape.size() == 4 && data.shape.size() == 4 && data.shape[3] == t.shape[3] &&
                            t.shape[1] > 0 && t.shape[2] > 0;
    if (!flat)
      Fail(who, " expects shape ", ExpectedShape(t.shape), ", found ", ShapeToString(data.shape), " in ", source,
           other_size ? StrCat("; images and IDX images are resized by --resize ", t.shape[1], "x", t.shape[2]) : "");
    data.shape = want;
  }
  if (options.raw) {
    if (data.type != t.type)
      Fail(who, " has type ", DTypeName(t.type), " but ", source, " holds ", DTypeName(data.type),
           " (--raw feeds values unchanged)");
    CheckFiniteData(data, source);
    return data;
  }
  if (data.type != DType::kFloat32) data = ToFloat32(data);
  CheckFiniteData(data, source);
  if (const std::string w = InputRangeWarning(g, index, data, source, options); !w.empty())
    PrintWarning(w);
  switch (t.type) {
    case DType::kFloat32: return data;
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kInt16: {
      if (t.quant.scale.size() != 1 || t.quant.zero_point.size() != 1 || !(t.quant.scale[0] > 0))
        Fail(who, " is ", DTypeName(t.type), " without one per-tensor scale; use --raw to feed integer data");
      const float s = t.quant.scale[0];
      const int64_t zp = t.quant.zero_point[0];
      if (t.type == DType::kInt8) return Quantize<int8_t>(data, t.type, s, zp);
      if (t.type == DType::kUInt8) return Quantize<uint8_t>(data, t.type, s, zp);
      return Quantize<int16_t>(data, t.type, s, zp);
    }
    default:
      Fail(who, " has type ", DTypeName(t.type), "; float data can only be converted for float32 and "
           "quantized int8/uint8/int16 inputs (use --raw)");
  }
}

TensorData OutputToFloat(const Graph& g, int index, TensorData out) {
  const Tensor& t = g.tensors.at(g.outputs.at(index));
  if (out.type == DType::kFloat32) return out;
  if (IsQuantizedType(out.type) && t.quant.scale.size() == 1 && t.quant.zero_point.size() == 1) {
    const float s = t.quant.scale[0];
    const int64_t zp = t.quant.zero_point[0];
    if (out.type == DType::kInt8) return Dequantize<int8_t>(out, s, zp);
    if (out.type == DType::kUInt8) return Dequantize<uint8_t>(out, s, zp);
    return Dequantize<int16_t>(out, s, zp);
  }
  return ToFloat32(out);
}

RunResult RunInBatches(const Model& model, const std::vector<TensorData>& inputs, const RunOptions& options) {
  InterpreterOptions io;
  io.threads = options.threads;
  io.profile = options.profile;
  Interpreter interp(model, io);
  Check(static_cast<int>(inputs.size()) == interp.num_inputs(), model.source, ": model has ", interp.num_inputs(),
        " inputs, ", inputs.size(), " data files given");
  RunResult r;
  r.items = inputs.empty() ? 0 : inputs[0].shape.at(0);
  for (const auto& in : inputs)
    Check(!in.shape.empty() && in.shape[0] == r.items, "all inputs must hold the same number of items (",
          r.items, " vs ", in.shape.empty() ? 0 : in.shape[0], ")");
  const int64_t batch = options.batch > 0 ? std::min(options.batch, r.items) : r.items;
  // Inputs are read in place and outputs written in place: no per-batch copies.
  if (r.items == batch) {  // one call: Run checks the inputs and returns the outputs
    Stopwatch w;
    r.outputs = interp.Run(inputs);
    r.seconds = w.Seconds();
    if (options.profile) r.op_seconds = interp.op_seconds();
    return r;
  }
  for (int i = 0; i < interp.num_inputs(); ++i) {
    const Tensor& t = interp.input(i);
    std::vector<int32_t> want = t.shape;
    if (!want.empty()) want[0] = inputs[i].shape[0];
    Check(inputs[i].type == t.type && inputs[i].shape == want &&
              static_cast<int64_t>(inputs[i].bytes.size()) == NumBytes(want, DTypeSize(t.type)),
          model.source, ": input ", i, " '", t.name, "' expects ", DTypeName(t.type), " ",
          ShapeToString(want), ", got ", DTypeName(inputs[i].type), " ", ShapeToString(inputs[i].shape));
  }
  std::vector<int64_t> in_item_bytes, out_item_bytes;
  for (const auto& in : inputs) in_item_bytes.push_back(static_cast<int64_t>(in.bytes.size()) / r.items);
  for (int o = 0; o < interp.num_outputs(); ++o) {
    std::vector<int32_t> shape = interp.OutputShape(o, static_cast<int32_t>(batch));
    Check(!shape.empty() && shape[0] % batch == 0, model.source, ": output ", o, " has shape ", ShapeToString(shape),
          " for a batch of ", batch, "; it does not grow with the batch (run with --batch ", r.items, ")");
    const int64_t rows = shape[0] / batch;
    const int64_t bytes = NumBytes(shape, DTypeSize(interp.output(o).type));
    out_item_bytes.push_back(bytes / batch);
    shape[0] = static_cast<int32_t>(rows * r.items);
    try {
      r.outputs.emplace_back(interp.output(o).type, shape);
    } catch (const std::bad_alloc&) {
      Fail(model.source, ": out of memory allocating output ", o, " '", interp.output(o).name, "' ",
           ShapeToString(shape), " (", out_item_bytes.back() * r.items, " bytes); run on fewer items (--limit)");
    }
  }
  std::vector<const void*> in_ptrs(inputs.size());
  std::vector<void*> out_ptrs(r.outputs.size());
  Progress progress(options.label, r.items);
  for (int64_t b = 0; b < r.items; b += batch) {
    const int64_t count = std::min(batch, r.items - b);
    for (size_t i = 0; i < inputs.size(); ++i) in_ptrs[i] = inputs[i].bytes.data() + b * in_item_bytes[i];
    for (size_t o = 0; o < r.outputs.size(); ++o) out_ptrs[o] = r.outputs[o].bytes.data() + b * out_item_bytes[o];
    if (count != batch) {
      for (int o = 0; o < interp.num_outputs(); ++o) {
        const std::vector<int32_t> shape = interp.OutputShape(o, static_cast<int32_t>(count));
        Check(NumBytes(shape, DTypeSize(interp.output(o).type)) == out_item_bytes[o] * count, model.source,
              ": output ", o, " has shape ", ShapeToString(shape), " for a batch of ", count,
              "; it does not grow with the batch");
      }
    }
    Stopwatch w;
    interp.RunInto(static_cast<int32_t>(count), in_ptrs.data(), out_ptrs.data());
    r.seconds += w.Seconds();
    progress.Update(b + count);
  }
  if (options.profile) r.op_seconds = interp.op_seconds();
  return r;
}

std::vector<std::string> OutputPaths(const std::string& out, int count) {
  if (count == 1) return {out};
  const fs::path p(out);
  const std::string stem = (p.parent_path() / p.stem()).string();
  const std::string ext = p.has_extension() ? p.extension().string() : ".npy";
  std::vector<std::string> paths;
  for (int i = 0; i < count; ++i) paths.push_back(stem + "_" + std::to_string(i) + ext);
  return paths;
}

void CheckWritable(const std::string& path) {
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) Fail(path, ": cannot write: folder '", dir.string(), "' does not exist");
  if (fs::is_directory(p, ec)) Fail(path, ": cannot write: it is a folder");
  if (access(dir.c_str(), W_OK) != 0) Fail(path, ": cannot write: folder '", dir.string(), "' is not writable");
}

void CheckOutputExtension(const std::string& path, const std::string& ext, const std::string& what) {
  if (LowerExtension(path) == ext || path.rfind("/dev/", 0) == 0) return;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!ec && fs::exists(st) && !fs::is_regular_file(st) && !fs::is_directory(st)) return;
  // A link's final target (which need not exist yet) is what WriteOutputFile replaces.
  fs::path target = path;
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(target, ec)); ++hops) {
    const fs::path next = fs::read_symlink(target, ec);
    if (ec) break;
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  if (target != fs::path(path) && LowerExtension(target.string()) == ext) return;
  throw UsageError(StrCat("-o ", path, ": ", what, ", so the name must end in ", ext));
}

void CheckOutputFolder(const std::string& path, const std::string& flag) {
  if (path.empty()) throw UsageError(StrCat(flag, " is empty; give a folder for the output files"));
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!ec && fs::exists(st) && !fs::is_directory(st))
    throw UsageError(StrCat(flag, " ", path, ": exists and is not a folder; give a folder for the output files"));
  const std::string ext = LowerExtension(path);
  for (const char* file_ext : {".tflite", ".npy", ".h5", ".hdf5", ".keras"})
    if (ext == file_ext)
      throw UsageError(StrCat(flag, " ", path, ": names a folder for the output files, not a ", ext, " file"));
}

uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  const uint64_t s = fs::file_size(path, ec);
  return ec ? 0 : s;
}

std::string SharedFile(const std::string& relative) {
  return fs::weakly_canonical(fs::path(CAE_SOURCE_DIR) / ".." / "shared" / relative).string();
}

}  // namespace cae::cli
