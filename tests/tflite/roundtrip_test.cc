// Read -> write -> read is lossless for every fixture, and writing is deterministic.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <tuple>

#include "graph/error.h"
#include "tflite/builtin_options.h"
#include "tflite/op_version.h"
#include "tflite/reader.h"
#include "tflite/tflite_schema_generated.h"
#include "tflite/writer.h"
#include "tflite_test_util.h"

namespace cae {
namespace {

using testing::SharedPath;

std::string MetadataString(const Model& m, const std::string& name) {
  for (const auto& [n, bytes] : m.metadata) {
    if (n == name)
      return std::string(reinterpret_cast<const char*>(bytes.data()),
                         strnlen(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  return "";
}

class FixtureRoundTripTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureRoundTripTest, ReadWriteReadIsLossless) {
  const std::string path = SharedPath(GetParam());
  CAE_REQUIRE_FILE(path);
  const Model a = ReadTflite(path);
  const std::vector<uint8_t> bytes = WriteTfliteBuffer(a);
  const Model b = ReadTfliteBuffer(bytes.data(), bytes.size(), "rewritten.tflite");
  testing::ExpectSameModel(a, b);

  // Metadata: every entry kept with its bytes, except min_runtime_version, which the writer
  // derives from the ops (equal to the converter's for all fixtures but nrf20_mnist7, whose
  // metadata predates its re-quantized op versions).
  for (const auto& [name, data] : a.metadata) {
    bool found = false;
    for (const auto& [n2, d2] : b.metadata) {
      if (n2 != name) continue;
      found = true;
      if (name == "min_runtime_version") {
        EXPECT_EQ(MetadataString(b, name), MinRuntimeVersion(a));
        if (GetParam().find("nrf20_mnist7") == std::string::npos) {
          EXPECT_EQ(MetadataString(b, name), MetadataString(a, name));
        }
      } else {
        EXPECT_TRUE(data == d2) << "metadata '" << name << "' differs";
      }
    }
    EXPECT_TRUE(found) << "metadata '" << name << "' lost";
  }

  // Deterministic and idempotent: writing the re-read model gives the same bytes.
  EXPECT_TRUE(WriteTfliteBuffer(b) == bytes);
  EXPECT_TRUE(WriteTfliteBuffer(a) == bytes);
}

TEST_P(FixtureRoundTripTest, WrittenFileLayout) {
  const std::string path = SharedPath(GetParam());
  CAE_REQUIRE_FILE(path);
  const Model a = ReadTflite(path);
  const std::vector<uint8_t> bytes = WriteTfliteBuffer(a);
  ASSERT_GE(bytes.size(), 8u);
  EXPECT_EQ(std::memcmp(bytes.data() + 4, "TFL3", 4), 0);
  const auto* fm = tflite_fb::GetModel(bytes.data());
  EXPECT_EQ(fm->version(), 3u);
  // Buffer 0 is the empty sentinel; every data block starts 16-byte aligned in the file.
  ASSERT_NE(fm->buffers(), nullptr);
  ASSERT_GE(fm->buffers()->size(), 1u);
  EXPECT_TRUE(fm->buffers()->Get(0)->data() == nullptr ||
              fm->buffers()->Get(0)->data()->size() == 0);
  for (uint32_t i = 0; i < fm->buffers()->size(); ++i) {
    const auto* data = fm->buffers()->Get(i)->data();
    if (data && data->size() > 0) {
      EXPECT_EQ((data->data() - bytes.data()) % 16, 0) << "buffer " << i;
    }
  }
  // Operator codes: unique, deprecated code = min(code, 127).
  std::set<std::tuple<int32_t, std::string, int32_t>> seen;
  for (const auto* c : *fm->operator_codes()) {
    EXPECT_EQ(c->deprecated_builtin_code(), std::min(c->builtin_code(), 127));
    auto key = std::make_tuple(c->builtin_code(), c->custom_code() ? c->custom_code()->str() : "",
                               c->version());
    EXPECT_TRUE(seen.insert(key).second) << "duplicate operator code " << std::get<0>(key);
  }
  // Each op carries the options member TFLite uses for its type.
  for (const auto* op : *fm->subgraphs()->Get(0)->operators()) {
    const auto* code = fm->operator_codes()->Get(op->opcode_index());
    const auto type = static_cast<OpType>(code->builtin_code());
    EXPECT_EQ(op->builtin_options_type(), tflite_io::BuiltinOptionsTypeFor(type))
        << OpTypeName(type);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureRoundTripTest,
                         ::testing::ValuesIn(testing::TfliteFixtures()),
                         [](const auto& info) { return testing::FixtureTestName(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FixtureRoundTripTest);

TEST(TfliteWriter, WriteTfliteReplacesAtomicallyAndFailsCleanly) {
  const std::string path = SharedPath("fixtures/keras/tflite_pairs/henrikcmf_autoencoder.tflite");
  CAE_REQUIRE_FILE(path);
  const Model m = ReadTflite(path);
  testing::TempDir dir;
  const std::string out = dir.File("model.tflite");
  WriteTflite(m, out);
  EXPECT_TRUE(testing::ReadBytes(out) == WriteTfliteBuffer(m));
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    files += e.is_regular_file();
  EXPECT_EQ(files, 1u);  // no temporary left behind

  // A model the format cannot hold: nothing is written, the error names the path.
  Model bad = m;
  bad.main().ops[0].inputs[0] = 9999;
  const std::string bad_out = dir.File("bad.tflite");
  try {
    WriteTflite(bad, bad_out);
    FAIL() << "expected cae::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(bad_out), std::string::npos) << e.what();
  }
  EXPECT_FALSE(testing::FileExists(bad_out));
  // An unwritable folder.
  EXPECT_THROW(WriteTflite(m, dir.File("missing/sub/model.tflite")), Error);
  files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST(TfliteWriter, SubgraphsAndControlFlowReferences) {
  Model m;
  m.subgraphs.resize(2);
  for (Graph& g : m.subgraphs) {
    Tensor t;
    t.name = "x";
    t.shape = {1, 4};
    g.inputs = {g.AddTensor(t)};
    t.name = "y";
    g.outputs = {g.AddTensor(t)};
  }
  m.subgraphs[0].name = "main";
  m.subgraphs[1].name = "callee";
  Op relu;
  relu.type = OpType::RELU;
  relu.inputs = {0};
  relu.outputs = {1};
  m.subgraphs[1].AddOp(relu);
  Op call;
  call.type = OpType::CALL;
  call.inputs = {0};
  call.outputs = {1};
  call.options.call_subgraph_index = 1;
  m.subgraphs[0].AddOp(call);
  m.description = "two subgraphs";
  const std::vector<uint8_t> bytes = WriteTfliteBuffer(m);
  const Model back = ReadTfliteBuffer(bytes.data(), bytes.size(), "call.tflite");
  testing::ExpectSameModel(m, back);

  m.subgraphs[0].ops[0].options.call_subgraph_index = 5;
  try {
    WriteTfliteBuffer(m);
    FAIL() << "expected cae::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("subgraph index 5 out of range"), std::string::npos)
        << e.what();
  }
}

TEST(TfliteWriter, RejectsConstantOfWrongSize) {
  Model m;
  m.subgraphs.emplace_back();
  Tensor t;
  t.name = "w";
  t.shape = {2, 2};
  t.data.assign(15, 0);  // 16 expected
  m.main().AddTensor(t);
  try {
    WriteTfliteBuffer(m);
    FAIL() << "expected cae::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 0 'w'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cae
