// Interpreter: batching (batch 1 vs N vs chunks), thread-count independence, memory sharing,
// bounded arena with automatic chunks, RunInto, input checks, observer, kernel names and MAC
// counts, profiling, DEQUANTIZE of constants run once, unsupported ops.
#include "runtime/interpreter.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "graph/error.h"
#include "graph/shape_inference.h"

namespace cae {
namespace {

class GraphBuilder {
 public:
  explicit GraphBuilder(Model& m) : g_(m.subgraphs.emplace_back()) { m.source = "test.tflite"; }

  int Input(std::vector<int32_t> shape, const std::string& name = "input") {
    const int t = Act(std::move(shape), name);
    g_.inputs.push_back(t);
    return t;
  }
  int Act(std::vector<int32_t> shape = {}, const std::string& name = "") {
    Tensor t;
    t.name = name.empty() ? "t" + std::to_string(g_.tensors.size()) : name;
    t.shape = std::move(shape);
    return g_.AddTensor(t);
  }
  int ConstF(std::vector<int32_t> shape, uint32_t seed) {
    Tensor t;
    t.name = "w" + std::to_string(g_.tensors.size());
    t.shape = shape;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
    std::vector<float> v(static_cast<size_t>(NumElements(shape)));
    for (float& x : v) x = dist(rng);
    t.data.resize(v.size() * 4);
    std::memcpy(t.data.data(), v.data(), t.data.size());
    return g_.AddTensor(t);
  }
  int ConstI(std::vector<int32_t> values) {
    Tensor t;
    t.name = "c" + std::to_string(g_.tensors.size());
    t.type = DType::kInt32;
    t.shape = {static_cast<int32_t>(values.size())};
    t.data.resize(values.size() * 4);
    std::memcpy(t.data.data(), values.data(), t.data.size());
    return g_.AddTensor(t);
  }
  int Op1(OpType type, std::vector<int> inputs, OpOptions o = {}) {
    const int out = Act();
    Op op;
    op.type = type;
    op.inputs = std::move(inputs);
    op.outputs = {out};
    op.options = o;
    g_.AddOp(op);
    return out;
  }
  Graph& g() { return g_; }

 private:
  Graph& g_;
};

OpOptions Conv(Activation a = Activation::kRelu) {
  OpOptions o;
  o.padding = Padding::kSame;
  o.activation = a;
  return o;
}

// A small CAE: conv-pool-conv-upsample-conv-sigmoid, plus a flatten (RESHAPE [1,-1] with the
// stored batch as leading dim) and a dense head as a second output.
Model SmallCae() {
  Model m;
  GraphBuilder b(m);
  const int x = b.Input({1, 8, 8, 1});
  int h = b.Op1(OpType::CONV_2D, {x, b.ConstF({4, 3, 3, 1}, 1), b.ConstF({4}, 2)}, Conv());
  OpOptions pool;
  pool.filter_h = pool.filter_w = pool.stride_h = pool.stride_w = 2;
  pool.padding = Padding::kSame;
  const int p = b.Op1(OpType::MAX_POOL_2D, {h}, pool);
  h = b.Op1(OpType::CONV_2D, {p, b.ConstF({2, 3, 3, 4}, 3), b.ConstF({2}, 4)}, Conv());
  h = b.Op1(OpType::RESIZE_NEAREST_NEIGHBOR, {h, b.ConstI({8, 8})});
  h = b.Op1(OpType::CONV_2D, {h, b.ConstF({1, 3, 3, 2}, 5), b.ConstF({1}, 6)}, Conv(Activation::kNone));
  const int y = b.Op1(OpType::LOGISTIC, {h});
  const int flat = b.Op1(OpType::RESHAPE, {p, b.ConstI({1, -1})});
  const int dense = b.Op1(OpType::FULLY_CONNECTED, {flat, b.ConstF({3, 64}, 7), -1});
  b.g().outputs = {y, dense};
  InferShapes(b.g());
  return m;
}

TensorData Images(int n, uint32_t seed) {
  TensorData d(DType::kFloat32, {n, 8, 8, 1});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  for (int64_t i = 0; i < d.num_elements(); ++i) d.as<float>()[i] = dist(rng);
  return d;
}

TensorData Slice(const TensorData& d, int i) {
  std::vector<int32_t> shape = d.shape;
  shape[0] = 1;
  TensorData s(d.type, shape);
  std::memcpy(s.bytes.data(), d.bytes.data() + i * s.bytes.size(), s.bytes.size());
  return s;
}

TEST(Interpreter, StoredShapesAndOutputs) {
  Interpreter interp(SmallCae(), {1, 0, false});
  ASSERT_EQ(interp.num_inputs(), 1);
  ASSERT_EQ(interp.num_outputs(), 2);
  auto out = interp.Run({Images(1, 9)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape, (std::vector<int32_t>{1, 8, 8, 1}));
  EXPECT_EQ(out[1].shape, (std::vector<int32_t>{1, 3}));
  for (int64_t i = 0; i < out[0].num_elements(); ++i) {
    EXPECT_GT(out[0].as<float>()[i], 0.0f);
    EXPECT_LT(out[0].as<float>()[i], 1.0f);
  }
}

TEST(Interpreter, Batch37EqualsOneByOneAndChunks) {
  const TensorData batch = Images(37, 11);
  Interpreter whole(SmallCae(), {1, 0, false});
  const auto all = whole.Run({batch});
  ASSERT_EQ(all[0].shape, (std::vector<int32_t>{37, 8, 8, 1}));
  ASSERT_EQ(all[1].shape, (std::vector<int32_t>{37, 3}));
  Interpreter single(SmallCae(), {1, 0, false});
  for (int i = 0; i < 37; ++i) {
    const auto one = single.Run({Slice(batch, i)});
    for (int o = 0; o < 2; ++o) {
      const size_t bytes = one[o].bytes.size();
      ASSERT_EQ(std::memcmp(one[o].bytes.data(), all[o].bytes.data() + i * bytes, bytes), 0)
          << "image " << i << " output " << o;
    }
  }
  Interpreter chunked(SmallCae(), {1, 5, false});
  const auto parts = chunked.Run({batch});
  for (int o = 0; o < 2; ++o) {
    EXPECT_EQ(parts[o].shape, all[o].shape);
    EXPECT_EQ(parts[o].bytes, all[o].bytes) << "output " << o;
  }
}

TEST(Interpreter, ResultsDoNotDependOnThreadCount) {
  const TensorData batch = Images(9, 12);
  Interpreter one(SmallCae(), {1, 0, false});
  const auto ref = one.Run({batch});
  for (int threads : {2, 3}) {
    Interpreter many(SmallCae(), {threads, 4, false});
    const auto got = many.Run({batch});
    for (int o = 0; o < 2; ++o) EXPECT_EQ(got[o].bytes, ref[o].bytes) << threads << " threads";
  }
}

TEST(Interpreter, ActivationsShareMemory) {
  Interpreter interp(SmallCae(), {1, 0, false});
  EXPECT_GT(interp.arena_bytes(), 0);
  EXPECT_LT(interp.arena_bytes(), interp.unshared_activation_bytes());
  // Repeated runs at the same batch keep the plan.
  const int64_t before = interp.arena_bytes();
  interp.Run({Images(1, 1)});
  interp.Run({Images(1, 2)});
  EXPECT_EQ(interp.arena_bytes(), before);
}

TEST(Interpreter, AutomaticChunksKeepTheArenaAtOneChunk) {
  InterpreterOptions o;
  o.threads = 2;
  o.arena_budget_bytes = 16 << 10;  // a few images of SmallCae per chunk
  Interpreter interp(SmallCae(), o);
  const int32_t chunk = interp.ChunkFor(1000);
  ASSERT_GT(chunk, 1);
  ASSERT_LT(chunk, 1000);
  EXPECT_EQ(chunk % 2, 0) << "a multiple of the thread count";
  const TensorData batch = Images(1000, 21);
  interp.Run({Images(chunk, 22)});
  const int64_t one_chunk = interp.arena_bytes();
  const int64_t allocations = interp.arena_allocations();
  const auto got = interp.Run({batch});
  EXPECT_EQ(interp.arena_bytes(), one_chunk);
  EXPECT_LE(interp.arena_bytes(), 2 * o.arena_budget_bytes);
  EXPECT_EQ(interp.arena_allocations(), allocations) << "the arena was reallocated";
  interp.Run({Images(7, 23)});  // a smaller batch reuses the plan too
  EXPECT_EQ(interp.arena_allocations(), allocations);
  Interpreter whole(SmallCae(), {1, 0, false});
  const auto ref = whole.Run({batch});
  EXPECT_GT(whole.arena_bytes(), 10 * one_chunk);
  for (int o2 = 0; o2 < 2; ++o2) {
    EXPECT_EQ(got[o2].shape, ref[o2].shape);
    EXPECT_EQ(got[o2].bytes, ref[o2].bytes) << "output " << o2;
  }
}

TEST(Interpreter, RunIntoWritesCallerMemory) {
  const TensorData batch = Images(13, 31);
  Interpreter interp(SmallCae(), {2, 4, false});
  const auto ref = interp.Run({batch});
  ASSERT_EQ(interp.OutputShape(0, 13), ref[0].shape);
  ASSERT_EQ(interp.OutputShape(1, 13), ref[1].shape);
  std::vector<uint8_t> out0(ref[0].bytes.size(), 0xAB), out1(ref[1].bytes.size(), 0xAB);
  const void* in[] = {batch.bytes.data()};
  void* out[] = {out0.data(), out1.data()};
  interp.RunInto(13, in, out);
  EXPECT_EQ(out0, ref[0].bytes);
  EXPECT_EQ(out1, ref[1].bytes);
}

TEST(Interpreter, ProfileTimesEveryOp) {
  InterpreterOptions o;
  o.threads = 1;
  o.profile = true;
  Interpreter interp(SmallCae(), o);
  interp.Run({Images(4, 3)});
  ASSERT_EQ(interp.op_seconds().size(), 8u);
  double total = 0;
  for (double s : interp.op_seconds()) {
    EXPECT_GE(s, 0.0);
    total += s;
  }
  EXPECT_GT(total, 0.0);
  interp.ResetProfile();
  for (double s : interp.op_seconds()) EXPECT_EQ(s, 0.0);
}

TEST(Interpreter, ReshapeSharesItsInputsBytes) {
  Interpreter interp(SmallCae(), {1, 0, false});
  std::vector<const void*> data(8, nullptr);
  interp.Run({Images(3, 4)}, [&](int op, const std::vector<TensorView*>& outs) { data[op] = outs[0]->data; });
  EXPECT_EQ(data[6], data[1]) << "RESHAPE output should live in the MAX_POOL output's bytes";
  EXPECT_NE(data[2], data[1]);
}

TEST(Interpreter, RejectsBadInputs) {
  Interpreter interp(SmallCae(), {1, 0, false});
  EXPECT_THROW(interp.Run({}), Error);
  try {
    interp.Run({TensorData(DType::kFloat32, {10, 32, 32, 1})});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "test.tflite: input 0 'input': expected float32 [N,8,8,1], got float32 [10,32,32,1]");
  }
  try {
    interp.Run({TensorData(DType::kUInt8, {1, 8, 8, 1})});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("got uint8 [1,8,8,1]"), std::string::npos) << e.what();
  }
  TensorData short_bytes(DType::kFloat32, {1, 8, 8, 1});
  short_bytes.bytes.resize(10);
  EXPECT_THROW(interp.Run({short_bytes}), Error);
}

TEST(Interpreter, ObserverSeesEveryOpOfEveryChunk) {
  Interpreter interp(SmallCae(), {1, 2, false});
  std::vector<int> seen;
  interp.Run({Images(5, 3)}, [&](int op, const std::vector<TensorView*>& outs) {
    seen.push_back(op);
    ASSERT_EQ(outs.size(), 1u);
    ASSERT_NE(outs[0]->data, nullptr);
  });
  EXPECT_EQ(seen.size(), 3u * 8u);  // 3 chunks (2+2+1) x 8 ops
}

// A float16 model's CONV_2D weights come from DEQUANTIZE of float16 constants (as the converter
// writes them). expose_weights also makes the dequantized weights a graph output, which keeps
// that DEQUANTIZE running every invoke.
Model Float16Conv(bool expose_weights) {
  Model m;
  GraphBuilder b(m);
  const int x = b.Input({1, 6, 6, 2});
  Tensor half;
  half.name = "w16";
  half.type = DType::kFloat16;
  half.shape = {3, 3, 3, 2};
  std::mt19937 rng(5);
  std::vector<uint16_t> h(54);
  for (uint16_t& v : h)  // normal halves between 2^-5 and 2^5, either sign
    v = static_cast<uint16_t>((rng() & 1) << 15 | (10 + rng() % 11) << 10 | (rng() & 0x3FF));
  half.data.resize(h.size() * 2);
  std::memcpy(half.data.data(), h.data(), half.data.size());
  const int w16 = b.g().AddTensor(half);
  const int w = b.Op1(OpType::DEQUANTIZE, {w16});
  const int y = b.Op1(OpType::CONV_2D, {x, w, b.ConstF({3}, 2)}, Conv());
  b.g().outputs = {y};
  if (expose_weights) b.g().outputs.push_back(w);
  InferShapes(b.g());
  return m;
}

TEST(Interpreter, DequantizeOfConstantsRunsOnceAtConstruction) {
  InterpreterOptions o;
  o.threads = 1;
  o.profile = true;
  Interpreter folded(Float16Conv(false), o);
  Interpreter every_invoke(Float16Conv(true), o);
  TensorData x(DType::kFloat32, {3, 6, 6, 2});
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < x.num_elements(); ++i) x.as<float>()[i] = dist(rng);
  std::vector<const void*> weight_data;
  const std::vector<TensorData> a = folded.Run({x}, [&](int op, const std::vector<TensorView*>& outs) {
    if (op == 0) weight_data.push_back(outs[0]->data);
  });
  const std::vector<TensorData> b = every_invoke.Run({x});
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(a[0].bytes, b[0].bytes);
  // The folded DEQUANTIZE took no time, still reported its (constant) output to the observer,
  // and its output is outside the activation arena.
  EXPECT_EQ(folded.op_seconds()[0], 0.0);
  EXPECT_GT(folded.op_seconds()[1], 0.0);
  ASSERT_FALSE(weight_data.empty());
  EXPECT_EQ(std::memcmp(weight_data[0], b[1].bytes.data(), b[1].bytes.size()), 0);
  EXPECT_LT(folded.unshared_activation_bytes(), every_invoke.unshared_activation_bytes());
  EXPECT_EQ(every_invoke.unshared_activation_bytes() - folded.unshared_activation_bytes(),
            static_cast<int64_t>(b[1].bytes.size()));
}

TEST(Interpreter, KernelNamesAndMacs) {
  Interpreter interp(SmallCae(), {1, 0, true});
  ASSERT_EQ(interp.kernel_names().size(), 8u);
  EXPECT_EQ(interp.kernel_names()[0], "ref/float/conv_2d");
  for (const std::string& name : interp.kernel_names()) EXPECT_EQ(name.rfind("ref/", 0), 0u) << name;
  const auto macs = interp.MacsPerImage();
  ASSERT_EQ(macs.size(), 8u);
  EXPECT_EQ(macs[0], 8 * 8 * 4 * 9);
  EXPECT_EQ(macs[1], 0);
  EXPECT_EQ(macs[7], 3 * 64);
}

TEST(Interpreter, FixedBatchReshapeFailsForOtherBatches) {
  Model m;
  GraphBuilder b(m);
  const int x = b.Input({1, 4});
  const int r = b.Op1(OpType::RESHAPE, {x, b.ConstI({2, 2})});
  b.g().outputs = {r};
  InferShapes(b.g());
  Interpreter interp(m, {1, 0, false});
  EXPECT_EQ(interp.Run({TensorData(DType::kFloat32, {1, 4})})[0].shape, (std::vector<int32_t>{2, 2}));
  try {
    interp.Run({TensorData(DType::kFloat32, {3, 4})});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch 3 not supported by op 0 (RESHAPE)"), std::string::npos)
        << e.what();
  }
}

TEST(Interpreter, UnsupportedOpsAreNamed) {
  {
    Model m;
    GraphBuilder b(m);
    const int x = b.Input({1});
    OpOptions o;
    o.cond_subgraph_index = 0;
    o.body_subgraph_index = 0;
    const int y = b.Op1(OpType::WHILE, {x}, o);
    b.g().outputs = {y};
    b.g().tensors[y].shape = {1};
    try {
      Interpreter interp(m);
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("op 0 (WHILE)"), std::string::npos) << e.what();
    }
  }
  {
    Model m;
    GraphBuilder b(m);
    const int x = b.Input({1, 2});
    b.g().tensors[x].type = DType::kInt64;
    const int y = b.Op1(OpType::ELU, {x});
    b.g().tensors[y].type = DType::kInt64;
    b.g().outputs = {y};
    InferShapes(b.g());
    try {
      Interpreter interp(m);
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "test.tflite: op 0 (ELU): no kernel for input types (int64)");
    }
  }
}

TEST(Interpreter, InvalidGraphIsRejectedBeforeRunning) {
  Model m = SmallCae();
  m.main().ops[2].inputs[0] = 999;
  EXPECT_THROW(Interpreter interp(m), Error);
  Model late = SmallCae();
  std::swap(late.main().ops[0], late.main().ops[1]);  // pool now reads before conv writes
  EXPECT_THROW(Interpreter interp(late), Error);
}

}  // namespace
}  // namespace cae
