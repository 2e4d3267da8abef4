#include "cli/input_data.h"

#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "data/image.h"

namespace cae::cli {

LoadOptions InputLoadOptions(const Graph& g, int index, const InputDataFlags& flags) {
  LoadOptions o;
  o.limit = flags.limit;
  o.keep_type = flags.raw;
  if (index >= 0 && index < static_cast<int>(g.inputs.size())) {
    const Tensor& t = g.tensors.at(g.inputs[index]);
    if (t.shape.size() == 4 && (t.shape[3] == 1 || t.shape[3] == 3)) o.channels = t.shape[3];
  }
  if (!flags.resize.empty()) {
    int h = 0, w = 0;
    char x = 0, extra = 0;
    if (std::sscanf(flags.resize.c_str(), "%d%c%d%c", &h, &x, &w, &extra) != 3 || (x != 'x' && x != 'X') ||
        h <= 0 || w <= 0 || h > kMaxImageSide || w > kMaxImageSide)
      throw UsageError(StrCat("--resize expects HxW (e.g. 28x28, sides 1..", kMaxImageSide, "), found '",
                              flags.resize, "'"));
    o.height = h;
    o.width = w;
  }
  return o;
}

void AddResizeOption(CLI::App* cmd, std::string* resize, const std::string& what) {
  cmd->add_option("--resize", *resize,
                  "Resize " + what + " to HxW, bilinear (image files and uint8 IDX images; not .npy)");
}

}  // namespace cae::cli
