// Corrupted files, generated deterministically from real fixtures: each must be rejected with a
// cae::Error (never a crash, never a hang). Also run under ASan + UBSan, so kept small and fast.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "graph/error.h"
#include "tflite/describe.h"
#include "tflite/op_version.h"
#include "tflite/reader.h"
#include "tflite/tflite_schema_generated.h"
#include "tflite/writer.h"
#include "tflite_test_util.h"

namespace cae {
namespace {

namespace fb = ::cae::tflite_fb;
using testing::SharedPath;

// Reads bytes; returns the cae::Error message, or "" if the file was accepted. Any other
// exception fails the test. An accepted file must also be usable by every other entry point.
std::string TryRead(const std::vector<uint8_t>& bytes) {
  try {
    Model m = ReadTfliteBuffer(bytes.data(), bytes.size(), "corrupt.tflite");
    AssignOpVersions(m);
    (void)DescribeTfliteModel(m).dump();
    (void)WriteTfliteBuffer(m);
    return "";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
    EXPECT_EQ(msg.rfind("corrupt.tflite: ", 0), 0u) << "message does not name the file: " << msg;
    return msg.empty() ? "(empty message)" : msg;
  }
}

void ExpectRejected(const std::vector<uint8_t>& bytes, const std::string& expected,
                    const std::string& what) {
  const std::string msg = TryRead(bytes);
  EXPECT_NE(msg, "") << what << ": accepted";
  EXPECT_NE(msg.find(expected), std::string::npos)
      << what << ": got '" << msg << "', expected '" << expected << "'";
}

// Overwrites the scalar at addr (a pointer into original) in the copy bytes.
template <typename T>
void Poke(std::vector<uint8_t>& bytes, const std::vector<uint8_t>& original, const void* addr,
          T value) {
  ASSERT_NE(addr, nullptr);
  const size_t at = static_cast<const uint8_t*>(addr) - original.data();
  ASSERT_LE(at + sizeof(T), bytes.size());
  std::memcpy(bytes.data() + at, &value, sizeof(T));
}

// Address of a field inside a flatbuffer table (nullptr when the field holds its default).
template <typename T>
const uint8_t* FieldAddress(const T* table, flatbuffers::voffset_t field) {
  return reinterpret_cast<const flatbuffers::Table*>(table)->GetAddressOf(field);
}

std::vector<uint8_t> LoadFixture(const std::string& rel) {
  return testing::ReadBytes(SharedPath(rel));
}

constexpr char kLstm[] = "fixtures/edgetpu/keras_lstm_mnist_ptq.tflite";
constexpr char kHybrid[] = "fixtures/keras/tflite_pairs/autoencoder_int8.tflite";

TEST(TfliteCorrupt, Truncations) {
  for (const char* rel : {kLstm, kHybrid}) {
    CAE_REQUIRE_FILE(SharedPath(rel));
    const std::vector<uint8_t> original = LoadFixture(rel);
    ASSERT_EQ(TryRead(original), "");
    std::vector<size_t> lengths;
    for (size_t n = 0; n < 64; ++n) lengths.push_back(n);
    for (size_t i = 1; i < 64; ++i) lengths.push_back(original.size() * i / 64);
    for (size_t n = original.size() - 16; n < original.size(); ++n) lengths.push_back(n);
    for (size_t n : lengths) {
      std::vector<uint8_t> cut(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_NE(TryRead(cut), "") << rel << " truncated to " << n << " bytes was accepted";
    }
  }
}

TEST(TfliteCorrupt, RandomBitFlips) {
  int rejected = 0, total = 0;
  for (const char* rel : {kLstm, kHybrid}) {
    CAE_REQUIRE_FILE(SharedPath(rel));
    const std::vector<uint8_t> original = LoadFixture(rel);
    std::mt19937 rng(1234);
    for (int trial = 0; trial < 150; ++trial) {
      std::vector<uint8_t> bytes = original;
      const int flips = 1 + trial % 4;
      // Half the trials hit the first 2 KiB (root, vtables, tables), half anywhere.
      const size_t range = trial % 2 ? bytes.size() : std::min<size_t>(bytes.size(), 2048);
      for (int f = 0; f < flips; ++f) {
        const size_t at = rng() % range;
        bytes[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
      }
      rejected += TryRead(bytes) != "";
      ++total;
    }
  }
  // Flips in weights or names are legitimately accepted; most flips in structure are not.
  EXPECT_GT(rejected, total / 5) << "of " << total;
}

TEST(TfliteCorrupt, WrongIdentifierAndVersion) {
  CAE_REQUIRE_FILE(SharedPath(kLstm));
  const std::vector<uint8_t> original = LoadFixture(kLstm);
  std::vector<uint8_t> bytes = original;
  std::memcpy(bytes.data() + 4, "TFL2", 4);
  ExpectRejected(bytes, "expected file identifier 'TFL3', found 'TFL2'", "identifier");
  const auto* m = fb::GetModel(original.data());
  bytes = original;
  Poke<uint32_t>(bytes, original, FieldAddress(m, fb::Model::VT_VERSION), 2);
  ExpectRejected(bytes, "unsupported schema version", "version");
  ExpectRejected(std::vector<uint8_t>(original.begin(), original.begin() + 7),
                 "expected at least 8 bytes", "tiny");
}

TEST(TfliteCorrupt, IndicesOutOfRange) {
  CAE_REQUIRE_FILE(SharedPath(kLstm));
  const std::vector<uint8_t> original = LoadFixture(kLstm);
  const auto* m = fb::GetModel(original.data());
  const auto* sg = m->subgraphs()->Get(0);
  const int32_t n = static_cast<int32_t>(sg->tensors()->size());
  int cases = 0;
  for (uint32_t i = 0; i < sg->operators()->size(); ++i) {
    const auto* op = sg->operators()->Get(i);
    const auto* code = m->operator_codes()->Get(op->opcode_index());
    std::vector<uint8_t> bytes = original;
    Poke<int32_t>(bytes, original, op->inputs()->Data(), n + 5);
    ExpectRejected(bytes, "input 0 out of range", "op input");
    bytes = original;
    Poke<int32_t>(bytes, original, op->inputs()->Data(), -1);  // never optional at position 0
    ExpectRejected(bytes, "input 0 out of range", "op input -1");
    bytes = original;
    Poke<int32_t>(bytes, original, op->outputs()->Data(), -7);
    ExpectRejected(bytes,
                   StrCat("op ", i, " ", OpTypeName(static_cast<OpType>(code->builtin_code()))),
                   "op output");
    if (const void* idx = FieldAddress(op, fb::Operator::VT_OPCODE_INDEX)) {
      bytes = original;
      Poke<uint32_t>(bytes, original, idx, 1000);
      ExpectRejected(bytes, "opcode index out of range", "opcode index");
    }
    cases += 4;
  }
  for (uint32_t t = 0; t < sg->tensors()->size(); ++t) {
    const auto* tensor = sg->tensors()->Get(t);
    if (const void* b = FieldAddress(tensor, fb::Tensor::VT_BUFFER)) {
      std::vector<uint8_t> bytes = original;
      Poke<uint32_t>(bytes, original, b, 1'000'000);
      ExpectRejected(bytes, StrCat("buffer index out of range (tensor ", t, " '"), "tensor buffer");
      ++cases;
    }
  }
  std::vector<uint8_t> bytes = original;
  Poke<int32_t>(bytes, original, sg->inputs()->Data(), 99999);
  ExpectRejected(bytes, "graph input 0 out of range", "graph input");
  bytes = original;
  Poke<int32_t>(bytes, original, sg->outputs()->Data(), -2);
  ExpectRejected(bytes, "graph output 0 out of range", "graph output");
  const auto* md = m->metadata();
  ASSERT_NE(md, nullptr);
  bytes = original;
  Poke<uint32_t>(bytes, original, FieldAddress(md->Get(0), fb::Metadata::VT_BUFFER), 77777);
  ExpectRejected(bytes, "metadata buffer index out of range", "metadata buffer");
  const auto* code = m->operator_codes()->Get(0);
  bytes = original;
  Poke<int8_t>(bytes, original, FieldAddress(code, fb::OperatorCode::VT_DEPRECATED_BUILTIN_CODE),
               -5);
  if (const void* bc = FieldAddress(code, fb::OperatorCode::VT_BUILTIN_CODE))
    Poke<int32_t>(bytes, original, bc, -5);
  ExpectRejected(bytes, "bad builtin code", "builtin code");
  EXPECT_GT(cases, 40);
}

TEST(TfliteCorrupt, ShapesAndBufferSizes) {
  CAE_REQUIRE_FILE(SharedPath(kHybrid));
  const std::vector<uint8_t> original = LoadFixture(kHybrid);
  const auto* m = fb::GetModel(original.data());
  const auto* sg = m->subgraphs()->Get(0);
  int overflow = 0, negative = 0, short_buffer = 0;
  for (uint32_t t = 0; t < sg->tensors()->size(); ++t) {
    const auto* tensor = sg->tensors()->Get(t);
    const auto* shape = tensor->shape();
    if (!shape || shape->size() < 2) continue;
    std::vector<uint8_t> bytes = original;
    for (uint32_t d = 0; d < shape->size(); ++d)
      Poke<int32_t>(bytes, original, shape->Data() + d * 4, 0x7fffffff);
    ExpectRejected(bytes, StrCat("bad shape (tensor ", t, " '"), "overflowing shape");
    ++overflow;
    bytes = original;
    Poke<int32_t>(bytes, original, shape->Data() + 4, -3);
    ExpectRejected(bytes, "bad shape", "negative dim");
    ++negative;
    const uint32_t b = tensor->buffer();
    if (b > 0 && m->buffers()->Get(b)->data() && m->buffers()->Get(b)->data()->size() > 0) {
      bytes = original;
      Poke<int32_t>(bytes, original, shape->Data(), shape->Get(0) + 1);
      ExpectRejected(bytes, "buffer size does not match the tensor", "buffer shorter than tensor");
      ++short_buffer;
    }
  }
  EXPECT_GT(overflow, 5);
  EXPECT_GT(negative, 5);
  EXPECT_GT(short_buffer, 3);
}

TEST(TfliteCorrupt, BadEnumsAndPerChannelQuantization) {
  CAE_REQUIRE_FILE(SharedPath(kHybrid));
  const std::vector<uint8_t> original = LoadFixture(kHybrid);
  const auto* m = fb::GetModel(original.data());
  const auto* sg = m->subgraphs()->Get(0);
  int activations = 0;
  for (uint32_t i = 0; i < sg->operators()->size(); ++i) {
    const auto* conv = sg->operators()->Get(i)->builtin_options_as_Conv2DOptions();
    if (!conv) continue;
    if (const void* a = FieldAddress(conv, fb::Conv2DOptions::VT_FUSED_ACTIVATION_FUNCTION)) {
      std::vector<uint8_t> bytes = original;
      Poke<int8_t>(bytes, original, a, 9);
      ExpectRejected(bytes,
                     StrCat("bad fused activation (op ", i, " CONV_2D): expected 0..5, found 9"),
                     "activation");
      ++activations;
    }
  }
  EXPECT_GT(activations, 0);
  int per_channel = 0;
  for (uint32_t t = 0; t < sg->tensors()->size(); ++t) {
    const auto* q = sg->tensors()->Get(t)->quantization();
    if (!q || !q->scale() || q->scale()->size() < 2) continue;
    std::vector<uint8_t> bytes = original;
    if (const void* qd = FieldAddress(q, fb::QuantizationParameters::VT_QUANTIZED_DIMENSION)) {
      Poke<int32_t>(bytes, original, qd, 9);
      ExpectRejected(bytes, "bad quantized_dimension", "quantized dimension");
    }
    bytes = original;
    Poke<uint32_t>(bytes, original, reinterpret_cast<const uint8_t*>(q->scale()),
                   q->scale()->size() - 1);
    ExpectRejected(bytes, "", "scale count");
    ++per_channel;
  }
  EXPECT_GT(per_channel, 0);
}

// A minimal model built with the flatbuffers API: lets the test set fields real files never have.
std::vector<uint8_t> TinyModel(uint64_t buffer_offset, uint64_t buffer_size, int call_subgraph) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers = {
      fb::CreateBuffer(fbb), fb::CreateBuffer(fbb, 0, buffer_offset, buffer_size)};
  std::vector<int32_t> shape = {4};
  auto t0 = fb::CreateTensor(fbb, fbb.CreateVector(shape), fb::TensorType::FLOAT32, 1,
                             fbb.CreateString("c"));
  auto t1 = fb::CreateTensor(fbb, fbb.CreateVector(shape), fb::TensorType::FLOAT32, 0,
                             fbb.CreateString("y"));
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors = {t0, t1};
  std::vector<int32_t> ins = {0}, outs = {1};
  auto call = fb::CreateOperator(
      fbb, 0, fbb.CreateVector(ins), fbb.CreateVector(outs), fb::BuiltinOptions::CallOptions,
      fb::CreateCallOptions(fbb, static_cast<uint32_t>(call_subgraph)).Union());
  std::vector<flatbuffers::Offset<fb::Operator>> ops = {call};
  std::vector<int32_t> none;
  auto sg0 = fb::CreateSubGraph(fbb, fbb.CreateVector(tensors), fbb.CreateVector(none),
                                fbb.CreateVector(outs), fbb.CreateVector(ops));
  auto sg1 =
      fb::CreateSubGraph(fbb, fbb.CreateVector(std::vector<flatbuffers::Offset<fb::Tensor>>{}));
  std::vector<flatbuffers::Offset<fb::SubGraph>> sgs = {sg0, sg1};
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes = {
      fb::CreateOperatorCode(fbb, 31, 0, 1, 31)};
  auto model = fb::CreateModel(fbb, 3, fbb.CreateVector(codes), fbb.CreateVector(sgs),
                               fbb.CreateString("tiny"), fbb.CreateVector(buffers));
  fb::FinishModelBuffer(fbb, model);
  std::vector<uint8_t> bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  bytes.resize(bytes.size() + 64, 0xab);  // data "outside the flatbuffer", as in > 2 GB files
  return bytes;
}

TEST(TfliteCorrupt, ExternalBuffersAndSubgraphReferences) {
  // A valid file: buffer 1 lives in the last 16 of the 64 appended bytes; CALL subgraph 1.
  // (The file size does not depend on the values of the offset/size fields once they are set.)
  const uint64_t offset = TinyModel(1, 1, 1).size() - 16;
  const std::vector<uint8_t> ok = TinyModel(offset, 16, 1);
  ASSERT_EQ(ok.size(), offset + 16);
  const Model m = ReadTfliteBuffer(ok.data(), ok.size(), "tiny.tflite");
  ASSERT_EQ(m.subgraphs.size(), 2u);
  EXPECT_EQ(m.main().tensors[0].data, std::vector<uint8_t>(16, 0xab));
  EXPECT_EQ(m.main().ops[0].type, OpType::CALL);
  EXPECT_EQ(m.main().ops[0].options.call_subgraph_index, 1);

  ExpectRejected(TinyModel(offset, 17, 1), "buffer data outside the file (buffer 1)",
                 "external buffer");
  ExpectRejected(TinyModel(~uint64_t{0} - 4, 16, 1), "buffer data outside the file",
                 "offset overflow");
  ExpectRejected(
      TinyModel(offset, 16, 2),
      "called subgraph out of range (op 0 CALL): expected a subgraph index 0..1, found 2",
      "call subgraph");
  ExpectRejected(TinyModel(offset, 8, 1), "buffer size does not match the tensor", "external size");
}

}  // namespace
}  // namespace cae
