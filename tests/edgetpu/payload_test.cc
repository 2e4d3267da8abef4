// The payload reader on damaged input: every corruption is a cae::Error naming the file, never a
// crash (this suite also runs under ASan/UBSan).
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "edgetpu/payload.h"
#include "graph/error.h"
#include "support/fixtures.h"
#include "tflite/reader.h"

namespace cae::edgetpu {
namespace {

using ::cae::testing::SharedPath;

std::string Fixture(const std::string& name) { return SharedPath("fixtures/edgetpu/" + name); }

TEST(Payload, ReadsTheCustomOpAndItsTensors) {
  const std::string path = Fixture("posenet_mobilenet_v1_075_353_481_16_quant_decoder_edgetpu.tflite");
  CAE_REQUIRE_FILE(path);
  const std::optional<EdgetpuInfo> info = ReadEdgetpuInfo(ReadTflite(path));
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->custom_ops.size(), 1u);
  const CustomOpInfo& c = info->custom_ops[0];
  EXPECT_EQ(c.inputs, std::vector<std::string>{"sub_2"});
  EXPECT_EQ(c.outputs, (std::vector<std::string>{"float_heatmaps", "float_short_offsets",
                                                 "float_mid_offsets"}));
  ASSERT_EQ(info->cpu_ops.size(), 1u);
  EXPECT_EQ(info->cpu_ops[0].op, "PosenetDecoderOp");
  // The executables name the custom op's tensors in their layers.
  bool found_input = false;
  for (const ExecutableInfo& e : c.payload.package.executables) {
    for (const LayerInfo& l : e.inputs) found_input |= l.name == "sub_2";
  }
  EXPECT_TRUE(found_input);
  const nlohmann::json j = EdgetpuInfoToJson(*info);
  for (const char* key : {"cached_bytes", "streamed_bytes", "token", "min_runtime_version", "cpu_ops"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["cpu_ops"][0]["op"], "PosenetDecoderOp");
  EXPECT_EQ(j["token"].get<std::string>().size(), 18u);
  const std::string text = FormatEdgetpuInfo(*info);
  EXPECT_NE(text.find("PosenetDecoderOp"), std::string::npos);
  EXPECT_NE(text.find("PARAMETER_CACHING"), std::string::npos);
}

TEST(Payload, PlainModelHasNoEdgetpuInfo) {
  const std::string path = Fixture("mobilenet_v1_0.25_128_quant.tflite");
  CAE_REQUIRE_FILE(path);
  EXPECT_FALSE(ReadEdgetpuInfo(ReadTflite(path)).has_value());
}

TEST(Payload, CorruptPayloadsAreErrorsNamingTheFile) {
  const std::string path = Fixture("nrf20_mnist7_edgetpu.tflite");
  CAE_REQUIRE_FILE(path);
  Model model = ReadTflite(path);
  Op* op = nullptr;
  for (Op& o : model.main().ops) {
    if (o.custom_code == kCustomOpCode) op = &o;
  }
  ASSERT_NE(op, nullptr);
  const std::vector<uint8_t> good = op->custom_options;
  ASSERT_GT(good.size(), 1000u);

  auto expect_error_or_ok = [&](const std::vector<uint8_t>& bytes, const std::string& what) {
    op->custom_options = bytes;
    try {
      ReadEdgetpuInfo(model);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << what << ": " << e.what();
    }
  };
  // Truncations: the FlexBuffer root lives at the end, so every cut must be an error.
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{16}, good.size() / 2,
                   good.size() - 1}) {
    op->custom_options.assign(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_THROW(ReadEdgetpuInfo(model), Error) << "truncated to " << n;
    expect_error_or_ok(op->custom_options, "truncated");
  }
  // Random byte damage anywhere (payload headers, package tables, executables): an error or a
  // successful read, never a crash.
  std::mt19937 rng(42);
  for (int i = 0; i < 120; ++i) {
    std::vector<uint8_t> bad = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Half the damage goes to the last 4 KiB, where the tables and the map sit.
      const size_t span = (i % 2 == 0) ? bad.size() : std::min<size_t>(4096, bad.size());
      bad[bad.size() - 1 - rng() % span] ^= static_cast<uint8_t>(1 + rng() % 255);
    }
    expect_error_or_ok(bad, "flipped");
  }
  // A package without the DWN1 identifier.
  std::vector<uint8_t> not_a_package(64, 0);
  EXPECT_THROW(DecodePackage(not_a_package.data(), not_a_package.size(), "x.tflite"), Error);
  op->custom_options = good;
  EXPECT_NO_THROW(ReadEdgetpuInfo(model));
}

}  // namespace
}  // namespace cae::edgetpu
