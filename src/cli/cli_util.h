// Helpers every subcommand shares: loading a model of any kind, fitting data to a model's inputs,
// running it in batches with progress, naming output files, and reporting.
#pragma once

#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graph/error.h"
#include "graph/graph.h"
#include "graph/tensor_data.h"
#include "keras/keras_model.h"

namespace CLI {
class App;
}

namespace cae::cli {

// A mistake in how the command was called (exit status 2), as opposed to cae::Error (status 1).
class UsageError : public Error {
 public:
  using Error::Error;
};

// Flags of the top-level app that every subcommand sees.
struct GlobalFlags {
  bool quiet = false;
};
GlobalFlags& Globals();

// True when progress lines should be drawn: stderr is a terminal and --quiet is off.
bool ShowProgress();

// Progress on stderr as one rewritten line "<label> done/total"; silent unless ShowProgress().
class Progress {
 public:
  Progress(std::string label, int64_t total);
  ~Progress();
  void Update(int64_t done);

 private:
  std::string label_;
  int64_t total_;
  bool active_;
};

enum class ModelKind { kKeras, kTflite };

struct LoadedModel {
  std::string path;
  ModelKind kind = ModelKind::kTflite;
  uint64_t file_size = 0;
  std::optional<KerasModel> keras;  // set for Keras files
  Model model;                      // the graph that runs (lowered for Keras)
};

// Loads a Keras file (HDF5 or .keras zip, by content; .h5/.hdf5/.keras by extension) or a .tflite
// file (TFL3 identifier or .tflite extension). arch_json: a model.to_json() file for weights-only
// HDF5; given with any other model file it is a UsageError naming the file (it would be ignored).
// Throws cae::Error naming the file.
LoadedModel LoadAnyModel(const std::string& path, const std::string& arch_json = "");

// UsageError "<path>: --arch-json is only for weights-only Keras HDF5 files (save_weights); ..."
// unless path is a Keras HDF5 without model_config (kind: what path was read as).
void RejectUnusedArchJson(const std::string& path, ModelKind kind);

// How data files become model inputs.
struct FitOptions {
  bool raw = false;  // feed values as they are (type must match); otherwise quantize float data
  // When set: one warning line on stderr (not with --quiet) when data within [0,1] (pixels / 255)
  // is quantized for an int8/uint8/int16 input whose float range, from its scale and zero point
  // over the integer range, is clearly not [0,1] (reaches below -0.05 or above 1.1). The line
  // names `model` and the input and ends with this hint (e.g. "use --raw").
  std::string range_hint;
  std::string model;
};

// Checks data against input `index` of graph g and converts it: shapes must agree except dim 0,
// or hold the same values per item as flat data: a rank-2 input [1,K] takes any data with K
// values per item, rank-2 rows [N,K] fill any input of K values per item, and shapes that differ
// only by trailing 1s agree; float data is quantized with
// the input's scale/zero point for int8/uint8/int16 inputs unless raw. Errors name the input
// tensor, the expected and found shapes and `source` (the data file). Float data with a NaN or an
// infinity is rejected naming `source` and the first such value's index (raw or not).
TensorData FitInput(const Graph& g, int index, TensorData data, const FitOptions& options,
                    const std::string& source);

// "cae2tpu: warning: <text>" on stderr (stdout flushed first), unless --quiet.
void PrintWarning(const std::string& text);

// The warning text FitInput prints for float data in [0,1] meeting an integer input whose float
// range is clearly not [0,1] (see FitOptions::range_hint); empty when there is nothing to warn.
std::string InputRangeWarning(const Graph& g, int index, const TensorData& data, const std::string& source,
                              const FitOptions& options);

// Keras models: every float32 constant (weight) of the lowered graph must be finite, as
// `convert` requires; otherwise cae::Error "<path>: tensor 1 'conv2d_1/kernel': weight value 45
// is not finite (nan)". Nothing to check for .tflite files (they run as TFLite would).
void CheckFiniteWeights(const LoadedModel& model);

// Float data holding NaN or infinity: cae::Error "<source>: value I (item N, index [..]) is not
// finite (nan); models need finite input data".
void CheckFiniteData(const TensorData& data, const std::string& source);

// Output `index` of g as float32: quantized outputs are dequantized, float16 decoded; float32
// data is returned as it is (moved when passed as an rvalue).
TensorData OutputToFloat(const Graph& g, int index, TensorData out);

// Largest --batch (images per interpreter call) of run, compare and demo: 2^20, shown by --help
// as [1 - 1048576] like convert's static --batch. Memory does not set it: the interpreter runs a
// call in chunks whose arena stays near InterpreterOptions::arena_budget_bytes, and a batch larger
// than the data is the data's size; it keeps the count well inside the int32 batch dimension.
inline constexpr int64_t kMaxBatch = int64_t{1} << 20;
// Largest --limit: items are counted by the int32 dim 0 of the data.
inline constexpr int64_t kMaxItems = INT32_MAX;

struct RunOptions {
  int threads = 0;
  int64_t batch = 256;  // images per Interpreter::Run call
  std::string label = "running";
  bool profile = false;  // time every op (RunResult::op_seconds)
};

struct RunResult {
  std::vector<TensorData> outputs;  // in the outputs' own types, concatenated over all items
  double seconds = 0;               // wall time of the Run calls only
  int64_t items = 0;
  std::vector<double> op_seconds;   // with RunOptions::profile: seconds in each op of the main graph
};

// Runs model on inputs (already fitted; equal dim 0), `batch` items at a time, with progress.
// Inputs are read in place and outputs are written into one preallocated result per output.
RunResult RunInBatches(const Model& model, const std::vector<TensorData>& inputs, const RunOptions& options);

// OUT.npy for one output; OUT_0.npy, OUT_1.npy, ... for several (inserted before the extension).
std::vector<std::string> OutputPaths(const std::string& out, int count);

// Throws cae::Error naming path when its folder does not exist or is not writable (so a long run
// fails before it starts).
void CheckWritable(const std::string& path);

// Usage checks of output names, made before any work (exit 2, one line).
// A file option must end in `ext` (any case), else UsageError "-o PATH: <what>, so the name must
// end in <ext>" (what: e.g. "run writes .npy arrays"). Also accepted: a symbolic link whose
// final target ends in ext (WriteOutputFile replaces the target), and, since their names carry no
// type, a path that exists and, links followed, is neither a regular file nor a folder (a device
// or FIFO such as /dev/null), and any path under /dev/ (/dev/stdout, /dev/fd/N).
void CheckOutputExtension(const std::string& path, const std::string& ext, const std::string& what);
// A folder option (`flag`, e.g. "-o"): UsageError when path is empty, exists and is not a folder (links
// followed), or when its name ends in the extension of a file this tool writes (.tflite, .npy,
// .h5, .hdf5, .keras), which is a file name given where a folder was meant.
void CheckOutputFolder(const std::string& path, const std::string& flag);

// Size of a file in bytes (0 if unreadable).
uint64_t FileSize(const std::string& path);

// Where the project's shared fixtures are: CAE_SOURCE_DIR "/../shared/" + relative.
std::string SharedFile(const std::string& relative);

}  // namespace cae::cli
