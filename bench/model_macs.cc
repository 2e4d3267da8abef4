// model_macs MODEL (.h5/.keras or .tflite): prints the multiply-accumulates of one inference
// (batch 1) counted from the graph: CONV_2D out*fh*fw*in_c, DEPTHWISE_CONV_2D out*fh*fw,
// TRANSPOSE_CONV in*fh*fw*out_c, FULLY_CONNECTED out*in_features. Other ops count 0.
// Output: one line "MACS <n>". Exit 1 with a one-line message on error.
#include <cstdint>
#include <iostream>
#include <string>

#include "graph/error.h"
#include "graph/graph.h"
#include "graph/shape.h"
#include "graph/shape_inference.h"
#include "keras/keras_import.h"
#include "tflite/reader.h"

namespace {

int64_t CountMacs(const cae::Graph& g) {
  using cae::OpType;
  int64_t macs = 0;
  for (const cae::Op& op : g.ops) {
    if (op.inputs.size() < 2 || op.outputs.empty() || op.inputs[1] < 0) continue;
    const auto& out = g.tensors.at(static_cast<size_t>(op.outputs[0])).shape;
    const auto& w = g.tensors.at(static_cast<size_t>(op.inputs[1])).shape;
    const int64_t out_n = cae::NumElements(out);
    switch (op.type) {
      case OpType::CONV_2D:
        if (w.size() == 4) macs += out_n * w[1] * w[2] * w[3];
        break;
      case OpType::DEPTHWISE_CONV_2D:
        if (w.size() == 4) macs += out_n * w[1] * w[2];
        break;
      case OpType::FULLY_CONNECTED:
        if (w.size() == 2) macs += out_n * w[1];
        break;
      case OpType::TRANSPOSE_CONV: {
        // inputs: output_shape, weights [out_c, fh, fw, in_c], input
        if (w.size() == 4 && op.inputs.size() > 2 && op.inputs[2] >= 0)
          macs += cae::NumElements(g.tensors.at(static_cast<size_t>(op.inputs[2])).shape) * w[0] *
                  w[1] * w[2];
        break;
      }
      default: break;
    }
  }
  return macs;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: model_macs MODEL\n";
    return 1;
  }
  try {
    const std::string path = argv[1];
    const bool tflite = path.size() > 7 && path.substr(path.size() - 7) == ".tflite";
    cae::Model m = tflite ? cae::ReadTflite(path) : cae::LowerKerasModel(cae::LoadKerasModel(path));
    cae::Graph& g = m.main();
    cae::InferShapesForBatch(g, 1);
    std::cout << "MACS " << CountMacs(g) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "model_macs: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
