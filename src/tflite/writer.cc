#include "tflite/writer.h"


#include <cstring>
#include <map>
#include <tuple>

#include "data/file_io.h"
#include "graph/error.h"
#include "graph/shape.h"
#include "tflite/builtin_options.h"
#include "tflite/op_version.h"
#include "tflite/tflite_schema_generated.h"

namespace cae {
namespace {

namespace fb = ::cae::tflite_fb;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

constexpr size_t kDataAlignment = 16;
// Flatbuffers address at most 2 GiB; leave room for the tables around the data.
constexpr uint64_t kMaxDataBytes = (uint64_t{1} << 31) - (uint64_t{64} << 20);
constexpr char kMinRuntimeVersion[] = "min_runtime_version";

void CheckIndex(int idx, size_t n, bool allow_omitted, const Graph& g, size_t sg,
                const std::string& what) {
  if ((allow_omitted && idx == -1) || (idx >= 0 && static_cast<size_t>(idx) < n)) return;
  Fail("TFLite writer: subgraph ", sg, " ", what, ": tensor index ", idx,
       " out of range (expected 0..", static_cast<int64_t>(g.tensors.size()) - 1, ")");
}

// Checks what the file format cannot hold; returns the total bytes of constant data.
uint64_t Validate(const Model& m) {
  Check(!m.subgraphs.empty(), "TFLite writer: model has no subgraphs");
  uint64_t total = 0;
  for (size_t s = 0; s < m.subgraphs.size(); ++s) {
    const Graph& g = m.subgraphs[s];
    const size_t n = g.tensors.size();
    for (size_t t = 0; t < n; ++t) {
      const Tensor& tensor = g.tensors[t];
      const int64_t bytes = NumBytes(tensor.shape, DTypeSize(tensor.type));
      if (tensor.is_constant()) {
        Check(tensor.type != DType::kString,
              "TFLite writer: ", DescribeTensor(g, static_cast<int>(t)),
              ": string constants are not supported");
        Check(static_cast<int64_t>(tensor.data.size()) == bytes,
              "TFLite writer: ", DescribeTensor(g, static_cast<int>(t)), ": data holds ",
              tensor.data.size(), " bytes, expected ", bytes, " for ", ShapeToString(tensor.shape),
              " ", DTypeName(tensor.type));
        total += tensor.data.size() + kDataAlignment;
      }
    }
    for (int i : g.inputs) CheckIndex(i, n, false, g, s, "graph input");
    for (int i : g.outputs) CheckIndex(i, n, false, g, s, "graph output");
    for (size_t o = 0; o < g.ops.size(); ++o) {
      const Op& op = g.ops[o];
      const std::string what = DescribeOp(g, static_cast<int>(o));
      for (int i : op.inputs) CheckIndex(i, n, true, g, s, what + " input");
      for (int i : op.outputs) CheckIndex(i, n, false, g, s, what + " output");
      for (int i : op.intermediates) CheckIndex(i, n, false, g, s, what + " intermediate");
      Check(op.version >= 1, "TFLite writer: ", what, ": version ", op.version, " (expected >= 1)");
      Check(static_cast<int32_t>(op.type) >= 0, "TFLite writer: ", what, ": negative op code");
      Check(op.type != OpType::CUSTOM || !op.custom_code.empty(), "TFLite writer: ", what,
            ": custom op without a custom code");
      const OpOptions& opt = op.options;
      std::vector<int32_t> refs;
      if (op.type == OpType::CALL || op.type == OpType::CALL_ONCE) refs = {opt.call_subgraph_index};
      if (op.type == OpType::IF) refs = {opt.then_subgraph_index, opt.else_subgraph_index};
      if (op.type == OpType::WHILE) refs = {opt.cond_subgraph_index, opt.body_subgraph_index};
      for (int32_t r : refs) {
        Check(r >= 0 && static_cast<size_t>(r) < m.subgraphs.size(), "TFLite writer: ", what,
              ": subgraph index ", r, " out of range (expected 0..", m.subgraphs.size() - 1, ")");
      }
    }
  }
  for (const auto& [name, bytes] : m.metadata) total += bytes.size() + kDataAlignment;
  Check(total < kMaxDataBytes, "TFLite writer: model data of ", total,
        " bytes exceeds what a flatbuffer can hold (2 GiB)");
  return total;
}

class Writer {
 public:
  explicit Writer(const Model& m) : m_(m), fbb_(1 << 16) {}

  std::vector<uint8_t> Write() {
    Validate(m_);
    buffers_.push_back(fb::CreateBuffer(fbb_));  // buffer 0: the empty sentinel

    std::vector<Offset<fb::SubGraph>> subgraphs;
    for (size_t s = 0; s < m_.subgraphs.size(); ++s)
      subgraphs.push_back(WriteSubgraph(m_.subgraphs[s]));

    // min_runtime_version follows the ops as written: derived from them when the table knows
    // one of them (replacing a stale entry), otherwise kept as given.
    std::vector<uint8_t> min_runtime;
    if (const std::string v = MinRuntimeVersion(m_); !v.empty() && v.size() < 16) {
      min_runtime.assign(16, 0);  // TFLite reserves 16 bytes and zero-pads the string
      std::memcpy(min_runtime.data(), v.data(), v.size());
    }
    std::vector<Offset<fb::Metadata>> metadata;
    bool has_min_runtime = false;
    for (const auto& [name, bytes] : m_.metadata) {
      const bool is_min_runtime = name == kMinRuntimeVersion;
      has_min_runtime |= is_min_runtime;
      const auto& data = is_min_runtime && !min_runtime.empty() ? min_runtime : bytes;
      metadata.push_back(fb::CreateMetadata(fbb_, fbb_.CreateString(name), AddBuffer(data)));
    }
    if (!has_min_runtime && !min_runtime.empty()) {
      metadata.push_back(
          fb::CreateMetadata(fbb_, fbb_.CreateString(kMinRuntimeVersion), AddBuffer(min_runtime)));
    }

    std::vector<Offset<fb::OperatorCode>> codes;
    for (const auto& c : code_list_) {
      const int32_t code = static_cast<int32_t>(std::get<0>(c));
      const auto deprecated = static_cast<int8_t>(std::min<int32_t>(code, 127));
      codes.push_back(fb::CreateOperatorCode(
          fbb_, deprecated, std::get<1>(c).empty() ? 0 : fbb_.CreateString(std::get<1>(c)),
          std::get<2>(c), code));
    }

    const std::string description =
        m_.description.empty() ? std::string("cae2tpu ") + CAE_VERSION : m_.description;
    auto model = fb::CreateModel(fbb_, 3, fbb_.CreateVector(codes), fbb_.CreateVector(subgraphs),
                                 fbb_.CreateString(description), fbb_.CreateVector(buffers_), 0,
                                 fbb_.CreateVector(metadata));
    fb::FinishModelBuffer(fbb_, model);
    return std::vector<uint8_t>(fbb_.GetBufferPointer(), fbb_.GetBufferPointer() + fbb_.GetSize());
  }

 private:
  uint32_t AddBuffer(const std::vector<uint8_t>& bytes) {
    fbb_.ForceVectorAlignment(bytes.size(), sizeof(uint8_t), kDataAlignment);
    auto data = fbb_.CreateVector(bytes);
    buffers_.push_back(fb::CreateBuffer(fbb_, data));
    return static_cast<uint32_t>(buffers_.size() - 1);
  }

  uint32_t CodeIndex(const Op& op) {
    auto key = std::make_tuple(op.type, op.type == OpType::CUSTOM ? op.custom_code : std::string(),
                               op.version);
    auto it = code_index_.find(key);
    if (it != code_index_.end()) return it->second;
    const auto idx = static_cast<uint32_t>(code_list_.size());
    code_list_.push_back(key);
    code_index_.emplace(key, idx);
    return idx;
  }

  Offset<fb::QuantizationParameters> WriteQuant(const QuantParams& q) {
    if (q.scale.empty() && q.zero_point.empty() && q.min.empty() && q.max.empty()) return 0;
    auto vec_f = [&](const std::vector<float>& v) { return v.empty() ? 0 : fbb_.CreateVector(v); };
    auto min = vec_f(q.min);
    auto max = vec_f(q.max);
    auto scale = vec_f(q.scale);
    auto zp = q.zero_point.empty() ? 0 : fbb_.CreateVector(q.zero_point);
    return fb::CreateQuantizationParameters(
        fbb_, min, max, scale, zp, fb::QuantizationDetails::NONE, 0, q.quantized_dimension);
  }

  Offset<fb::Tensor> WriteTensor(const Tensor& t) {
    const uint32_t buffer = t.is_constant() ? AddBuffer(t.data) : 0;
    auto shape = fbb_.CreateVector(t.shape);
    auto name = fbb_.CreateString(t.name);
    auto quant = WriteQuant(t.quant);
    auto signature = t.shape_signature.empty() ? 0 : fbb_.CreateVector(t.shape_signature);
    return fb::CreateTensor(fbb_, shape, static_cast<fb::TensorType>(t.type), buffer, name, quant,
                            t.is_variable, 0, signature);
  }

  Offset<fb::Operator> WriteOp(const Op& op) {
    const uint32_t code = CodeIndex(op);
    auto inputs = fbb_.CreateVector(op.inputs);
    auto outputs = fbb_.CreateVector(op.outputs);
    fb::BuiltinOptions member = fb::BuiltinOptions::NONE;
    auto options = tflite_io::WriteBuiltinOptions(fbb_, op.type, op.options, &member);
    auto custom = op.custom_options.empty() ? 0 : fbb_.CreateVector(op.custom_options);
    auto intermediates = op.intermediates.empty() ? 0 : fbb_.CreateVector(op.intermediates);
    return fb::CreateOperator(fbb_, code, inputs, outputs, member, options, custom,
                              fb::CustomOptionsFormat::FLEXBUFFERS, 0, intermediates);
  }

  Offset<fb::SubGraph> WriteSubgraph(const Graph& g) {
    std::vector<Offset<fb::Tensor>> tensors;
    tensors.reserve(g.tensors.size());
    for (const Tensor& t : g.tensors) tensors.push_back(WriteTensor(t));
    std::vector<Offset<fb::Operator>> ops;
    ops.reserve(g.ops.size());
    for (const Op& op : g.ops) ops.push_back(WriteOp(op));
    auto t = fbb_.CreateVector(tensors);
    auto in = fbb_.CreateVector(g.inputs);
    auto out = fbb_.CreateVector(g.outputs);
    auto o = fbb_.CreateVector(ops);
    auto name = g.name.empty() ? 0 : fbb_.CreateString(g.name);
    return fb::CreateSubGraph(fbb_, t, in, out, o, name);
  }

  const Model& m_;
  FlatBufferBuilder fbb_;
  std::vector<Offset<fb::Buffer>> buffers_;
  using CodeKey = std::tuple<OpType, std::string, int32_t>;
  std::vector<CodeKey> code_list_;
  std::map<CodeKey, uint32_t> code_index_;
};

}  // namespace

std::vector<uint8_t> WriteTfliteBuffer(const Model& model) { return Writer(model).Write(); }

void WriteTflite(const Model& model, const std::string& path) {
  std::vector<uint8_t> bytes;
  try {
    bytes = WriteTfliteBuffer(model);
  } catch (const Error& e) {
    Fail(path, ": ", e.what());
  }
  WriteFileAtomic(path, bytes);
}

}  // namespace cae
