// How run, compare and convert read a data file for a model input: one set of LoadOptions
// (channels from the input, --resize, --limit, --raw) and one --resize flag, so the commands
// treat the same file the same way.
#pragma once

#include <cstdint>
#include <string>

#include "data/dataset.h"
#include "graph/graph.h"

namespace CLI {
class App;
}

namespace cae::cli {

struct InputDataFlags {
  int64_t limit = 0;   // the first N items (0 = all)
  std::string resize;  // "HxW" or empty
  bool raw = false;    // keep the file's type (run --raw)
};

// LoadOptions for data fed to input `index` of g: images (and IDX images) get the input's channel
// count when it is NHWC with 1 or 3 channels; --resize HxW sets height and width (UsageError
// "--resize expects HxW (e.g. 28x28), found '...'" otherwise); limit and raw as given. An index
// out of range gives the options without channels.
LoadOptions InputLoadOptions(const Graph& g, int index, const InputDataFlags& flags);

// Adds `--resize HxW` to cmd (the same help everywhere); `what` names the data it applies to.
void AddResizeOption(CLI::App* cmd, std::string* resize, const std::string& what);

}  // namespace cae::cli
