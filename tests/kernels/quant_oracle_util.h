// Test helpers for the integer kernels: run a Model in our interpreter (reference kernels) and in
// the real TFLite runtime (--no-xnnpack) on the same input bytes, and locate the first op whose
// output differs (every op output is made a model output, so one oracle run shows them all).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor_data.h"
#include "runtime/interpreter.h"
#include "support/fixtures.h"
#include "tflite/writer.h"

namespace cae::testing {

// Random bytes for each model input (uniform over the byte range; floats uniform in [-1, 1]).
inline std::vector<TensorData> RandomInputs(const Model& m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<TensorData> in;
  for (int t : m.main().inputs) {
    const Tensor& tensor = m.main().tensors[t];
    TensorData d(tensor.type, tensor.shape);
    if (tensor.type == DType::kFloat32) {
      std::uniform_real_distribution<float> u(-1.0f, 1.0f);
      for (int64_t i = 0; i < d.num_elements(); ++i) d.as<float>()[i] = u(rng);
    } else {
      for (auto& b : d.bytes) b = static_cast<uint8_t>(rng() & 0xFF);
    }
    in.push_back(std::move(d));
  }
  return in;
}

// Writes inputs to files in dir and returns their paths.
inline std::vector<std::string> WriteInputs(const TempDir& dir, const std::vector<TensorData>& in) {
  std::vector<std::string> files;
  for (size_t i = 0; i < in.size(); ++i) {
    files.push_back(dir.File("in" + std::to_string(i) + ".bin"));
    WriteBytes(files.back(), in[i].bytes);
  }
  return files;
}

inline std::vector<TensorData> RunOurs(const Model& m, const std::vector<TensorData>& in) {
  InterpreterOptions o;
  o.reference_kernels = true;
  o.threads = 1;
  Interpreter interp(m, o);
  return interp.Run(in);
}

// Number of differing elements of two raw tensors of element size es, and the largest absolute
// difference when they are integers of that size (int8/uint8 by type).
struct ByteDiff {
  int64_t count = 0;
  int64_t elements = 0;
  int max_abs = 0;
};

inline ByteDiff CompareRaw(DType type, const std::vector<uint8_t>& a,
                           const std::vector<uint8_t>& b) {
  ByteDiff d;
  const size_t es = DTypeSize(type);
  if (a.size() != b.size() || es == 0) {
    d.count = -1;
    return d;
  }
  d.elements = static_cast<int64_t>(a.size() / es);
  for (size_t i = 0; i < a.size(); i += es) {
    if (std::memcmp(&a[i], &b[i], es) == 0) continue;
    ++d.count;
    int diff = 0;
    if (type == DType::kInt8) diff = std::abs(int(int8_t(a[i])) - int(int8_t(b[i])));
    if (type == DType::kUInt8) diff = std::abs(int(a[i]) - int(b[i]));
    d.max_abs = std::max(d.max_abs, diff);
  }
  return d;
}

// Per-op comparison of every op's first output. Returns a report line per differing op (empty
// when all match) and sets *first_bad to the first differing op index (-1 if none).
inline std::string CompareAllOps(const Model& model, const std::vector<TensorData>& in,
                                 int* first_bad) {
  *first_bad = -1;
  const Graph& g = model.main();
  // Our outputs of every op.
  std::vector<std::vector<uint8_t>> ours(g.ops.size());
  {
    InterpreterOptions o;
    o.reference_kernels = true;
    o.threads = 1;
    Interpreter interp(model, o);
    interp.Run(in, [&](int op_index, const std::vector<TensorView*>& outs) {
      if (outs.empty() || outs[0] == nullptr) return;
      const auto* p = static_cast<const uint8_t*>(outs[0]->data);
      ours[static_cast<size_t>(op_index)].assign(
          p, p + outs[0]->num_elements() * static_cast<int64_t>(DTypeSize(outs[0]->type)));
    });
  }
  // TFLite's: a copy whose outputs are every op's first output.
  Model probe = model;
  Graph& pg = probe.main();
  pg.outputs.clear();
  for (const Op& op : pg.ops) pg.outputs.push_back(op.outputs.at(0));
  TempDir dir;
  WriteTflite(probe, dir.File("probe.tflite"));
  const OracleRun run = RunOracle(dir.File("probe.tflite"), WriteInputs(dir, in));
  if (run.exit_code != 0 || run.outputs.size() != g.ops.size()) {
    *first_bad = -2;
    return "oracle failed on the probe model: exit " + std::to_string(run.exit_code) + " " +
           run.json.substr(0, 400);
  }
  std::string report;
  for (size_t k = 0; k < g.ops.size(); ++k) {
    const Tensor& t = g.tensors[g.ops[k].outputs[0]];
    const ByteDiff d = CompareRaw(t.type, ours[k], run.outputs[k]);
    if (d.count == 0) continue;
    if (*first_bad < 0) *first_bad = static_cast<int>(k);
    report += DescribeOp(g, static_cast<int>(k)) + ": " + std::to_string(d.count) + " of " +
              std::to_string(d.elements) + " differ, max " + std::to_string(d.max_abs) + "\n";
  }
  return report;
}

}  // namespace cae::testing
