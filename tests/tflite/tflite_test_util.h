// Helpers shared by the TFLite reader/writer tests: the fixture list and model comparison.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "support/fixtures.h"

namespace cae::testing {

// Every .tflite fixture (coral/, edgetpu/, keras/tflite_pairs/), as paths relative to
// ../shared, sorted. Empty when the fixtures are absent.
inline std::vector<std::string> TfliteFixtures() {
  std::vector<std::string> out;
  for (const char* dir : {"fixtures/coral", "fixtures/edgetpu", "fixtures/keras/tflite_pairs"}) {
    const std::string abs = SharedPath(dir);
    if (!std::filesystem::is_directory(abs)) continue;
    for (const auto& e : std::filesystem::directory_iterator(abs)) {
      if (e.path().extension() == ".tflite")
        out.push_back(std::string(dir) + "/" + e.path().filename().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A gtest-safe parameter name for a fixture path.
inline std::string FixtureTestName(const std::string& path) {
  std::string s = path.substr(path.find('/') + 1);
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

// "CONV_2D/v3" / "CUSTOM:edgetpu-custom-op/v1" -> count, over every subgraph: the oracle's
// model_info.ops histogram.
inline std::map<std::string, int> OpHistogram(const Model& m) {
  std::map<std::string, int> h;
  for (const Graph& g : m.subgraphs) {
    for (const Op& op : g.ops) {
      const std::string name =
          op.type == OpType::CUSTOM ? "CUSTOM:" + op.custom_code : OpTypeName(op.type);
      ++h[name + "/v" + std::to_string(op.version)];
    }
  }
  return h;
}

inline void ExpectSameOptions(const OpOptions& a, const OpOptions& b, const std::string& where) {
#define CAE_EXPECT_FIELD(f) EXPECT_EQ(a.f, b.f) << where << ": options." #f
  CAE_EXPECT_FIELD(padding);
  CAE_EXPECT_FIELD(stride_w);
  CAE_EXPECT_FIELD(stride_h);
  CAE_EXPECT_FIELD(dilation_w);
  CAE_EXPECT_FIELD(dilation_h);
  CAE_EXPECT_FIELD(depth_multiplier);
  CAE_EXPECT_FIELD(filter_w);
  CAE_EXPECT_FIELD(filter_h);
  CAE_EXPECT_FIELD(activation);
  CAE_EXPECT_FIELD(weights_format);
  CAE_EXPECT_FIELD(keep_num_dims);
  CAE_EXPECT_FIELD(asymmetric_quantize_inputs);
  CAE_EXPECT_FIELD(align_corners);
  CAE_EXPECT_FIELD(half_pixel_centers);
  CAE_EXPECT_FIELD(axis);
  CAE_EXPECT_FIELD(num_splits);
  CAE_EXPECT_FIELD(values_count);
  CAE_EXPECT_FIELD(num);
  CAE_EXPECT_FIELD(new_shape);
  CAE_EXPECT_FIELD(squeeze_dims);
  CAE_EXPECT_FIELD(keep_dims);
  CAE_EXPECT_FIELD(alpha);
  CAE_EXPECT_FIELD(beta);
  CAE_EXPECT_FIELD(approximate);
  CAE_EXPECT_FIELD(output_type);
  CAE_EXPECT_FIELD(in_data_type);
  CAE_EXPECT_FIELD(out_data_type);
  CAE_EXPECT_FIELD(pot_scale_int16);
  CAE_EXPECT_FIELD(block_size);
  CAE_EXPECT_FIELD(mirror_pad_mode);
  CAE_EXPECT_FIELD(begin_mask);
  CAE_EXPECT_FIELD(end_mask);
  CAE_EXPECT_FIELD(ellipsis_mask);
  CAE_EXPECT_FIELD(new_axis_mask);
  CAE_EXPECT_FIELD(shrink_axis_mask);
  CAE_EXPECT_FIELD(offset);
  CAE_EXPECT_FIELD(cell_clip);
  CAE_EXPECT_FIELD(proj_clip);
  CAE_EXPECT_FIELD(time_major);
  CAE_EXPECT_FIELD(call_subgraph_index);
  CAE_EXPECT_FIELD(then_subgraph_index);
  CAE_EXPECT_FIELD(else_subgraph_index);
  CAE_EXPECT_FIELD(cond_subgraph_index);
  CAE_EXPECT_FIELD(body_subgraph_index);
#undef CAE_EXPECT_FIELD
}

// Expects b to hold everything a holds (tensors, ops, graph I/O, description). Metadata is
// compared by the caller (the writer refreshes min_runtime_version).
inline void ExpectSameModel(const Model& a, const Model& b) {
  EXPECT_EQ(a.description, b.description);
  ASSERT_EQ(a.subgraphs.size(), b.subgraphs.size());
  for (size_t s = 0; s < a.subgraphs.size(); ++s) {
    const Graph& ga = a.subgraphs[s];
    const Graph& gb = b.subgraphs[s];
    EXPECT_EQ(ga.name, gb.name);
    EXPECT_EQ(ga.inputs, gb.inputs);
    EXPECT_EQ(ga.outputs, gb.outputs);
    ASSERT_EQ(ga.tensors.size(), gb.tensors.size());
    for (size_t t = 0; t < ga.tensors.size(); ++t) {
      const Tensor& x = ga.tensors[t];
      const Tensor& y = gb.tensors[t];
      const std::string where =
          "subgraph " + std::to_string(s) + " " + DescribeTensor(ga, static_cast<int>(t));
      EXPECT_EQ(x.name, y.name) << where;
      EXPECT_EQ(x.type, y.type) << where;
      EXPECT_EQ(x.shape, y.shape) << where;
      EXPECT_EQ(x.shape_signature, y.shape_signature) << where;
      EXPECT_EQ(x.quant.scale, y.quant.scale) << where;
      EXPECT_EQ(x.quant.zero_point, y.quant.zero_point) << where;
      EXPECT_EQ(x.quant.quantized_dimension, y.quant.quantized_dimension) << where;
      EXPECT_EQ(x.quant.min, y.quant.min) << where;
      EXPECT_EQ(x.quant.max, y.quant.max) << where;
      EXPECT_EQ(x.is_variable, y.is_variable) << where;
      EXPECT_TRUE(x.data == y.data) << where << ": constant data differs";
    }
    ASSERT_EQ(ga.ops.size(), gb.ops.size());
    for (size_t o = 0; o < ga.ops.size(); ++o) {
      const Op& x = ga.ops[o];
      const Op& y = gb.ops[o];
      const std::string where =
          "subgraph " + std::to_string(s) + " " + DescribeOp(ga, static_cast<int>(o));
      EXPECT_EQ(x.type, y.type) << where;
      EXPECT_EQ(x.version, y.version) << where;
      EXPECT_EQ(x.custom_code, y.custom_code) << where;
      EXPECT_TRUE(x.custom_options == y.custom_options) << where << ": custom options differ";
      EXPECT_EQ(x.inputs, y.inputs) << where;
      EXPECT_EQ(x.outputs, y.outputs) << where;
      EXPECT_EQ(x.intermediates, y.intermediates) << where;
      ExpectSameOptions(x.options, y.options, where);
    }
  }
}

}  // namespace cae::testing
