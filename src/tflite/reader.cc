#include "tflite/reader.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>

#include "graph/error.h"
#include "graph/shape.h"
#include "tflite/builtin_options.h"
#include "tflite/tflite_schema_generated.h"

namespace cae {
namespace {

namespace fb = ::cae::tflite_fb;
using tflite_io::Context;

// Bounds of the verifier: deeper nesting or more tables than this is not a model we write or
// read (the largest real models have a few thousand tables).
constexpr uint32_t kMaxDepth = 64;
constexpr uint32_t kMaxTables = 4'000'000;

struct OpCode {
  OpType type;
  std::string custom_code;
  int32_t version;
};

struct Span {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// Inputs that TFLite lets a model omit (index -1) for op type t at position i.
bool MayOmitInput(OpType t, size_t i) {
  const auto code = static_cast<int32_t>(t);
  if (t == OpType::CUSTOM || code > kMaxKnownOpCode) return true;
  if (i == 0) return false;
  switch (t) {
    case OpType::CONV_2D:
    case OpType::DEPTHWISE_CONV_2D:
    case OpType::FULLY_CONNECTED:
    case OpType::TRANSPOSE_CONV:
    case OpType::LSTM:
    case OpType::UNIDIRECTIONAL_SEQUENCE_LSTM:
    case OpType::BIDIRECTIONAL_SEQUENCE_LSTM:
    case OpType::BIDIRECTIONAL_SEQUENCE_RNN:
    case OpType::RNN:
    case OpType::UNIDIRECTIONAL_SEQUENCE_RNN:
    case OpType::SVDF:
      return true;
    default:
      return false;
  }
}

std::string Printable(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    const char c = static_cast<char>(p[i]);
    s += (c >= 32 && c < 127) ? c : '?';
  }
  return s;
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const std::string& name)
      : data_(data), size_(size), file_(name) {}

  Model Read() {
    CheckEnvelope();
    const fb::Model* m = fb::GetModel(data_);
    At("").Check(m->version() == 3, "unsupported schema version",
                 StrCat("expected 3, found ", m->version()));
    ReadBuffers(*m);
    ReadOpCodes(*m);
    Model model;
    model.source = file_;
    if (m->description()) model.description = m->description()->str();
    ReadMetadata(*m, model);
    const auto* subgraphs = m->subgraphs();
    At("").Check(subgraphs && subgraphs->size() > 0, "no subgraphs",
                 "expected at least 1, found 0");
    num_subgraphs_ = subgraphs->size();
    for (uint32_t s = 0; s < subgraphs->size(); ++s) {
      model.subgraphs.push_back(ReadSubgraph(*subgraphs->Get(s), s));
    }
    return model;
  }

 private:
  struct Where : Context {
    Where(std::string file, std::string where) : Context{std::move(file), std::move(where)} {}
    void Check(bool ok, const std::string& what, const std::string& detail) const {
      if (!ok) Fail(what, detail);
    }
  };
  Where At(const std::string& where) const { return {file_, where}; }

  void CheckEnvelope() {
    auto ctx = At("");
    ctx.Check(size_ >= 8, "not a TFLite file", StrCat("expected at least 8 bytes, found ", size_));
    ctx.Check(size_ < FLATBUFFERS_MAX_BUFFER_SIZE, "file too large",
              StrCat("expected less than 2 GiB, found ", size_, " bytes"));
    ctx.Check(flatbuffers::BufferHasIdentifier(data_, fb::ModelIdentifier()), "not a TFLite file",
              StrCat("expected file identifier 'TFL3', found '", Printable(data_ + 4, 4), "'"));
    flatbuffers::Verifier verifier(data_, size_, kMaxDepth, kMaxTables);
    ctx.Check(fb::VerifyModelBuffer(verifier), "corrupt file",
              "the flatbuffers verifier rejected the TFLite model structure");
  }

  // A byte range inside the file given as an absolute offset and size (data stored outside the
  // flatbuffer, used by models over 2 GB).
  Span External(uint64_t offset, uint64_t size, const Context& ctx, const char* what) const {
    if (offset > size_ || size > size_ - offset)
      ctx.Fail(
          StrCat(what, " outside the file"),
          StrCat("expected offset+size <= ", size_, ", found offset ", offset, " size ", size));
    return {data_ + offset, static_cast<size_t>(size)};
  }

  void ReadBuffers(const fb::Model& m) {
    const auto* buffers = m.buffers();
    if (!buffers) return;
    buffers_.reserve(buffers->size());
    for (uint32_t i = 0; i < buffers->size(); ++i) {
      const fb::Buffer* b = buffers->Get(i);
      Span span;
      if (b->data() && b->data()->size() > 0) {
        span = {b->data()->data(), b->data()->size()};
      } else if (b->offset() > 1) {
        span = External(b->offset(), b->size(), At(StrCat("buffer ", i)), "buffer data");
      }
      buffers_.push_back(span);
    }
  }

  void ReadOpCodes(const fb::Model& m) {
    const auto* codes = m.operator_codes();
    if (!codes) return;
    for (uint32_t i = 0; i < codes->size(); ++i) {
      const fb::OperatorCode* c = codes->Get(i);
      auto ctx = At(StrCat("operator code ", i));
      const int32_t code = std::max<int32_t>(c->deprecated_builtin_code(), c->builtin_code());
      ctx.Check(code >= 0, "bad builtin code", StrCat("expected >= 0, found ", code));
      OpCode oc{static_cast<OpType>(code), c->custom_code() ? c->custom_code()->str() : "",
                c->version()};
      ctx.Check(oc.type != OpType::CUSTOM || !oc.custom_code.empty(), "custom op without a name",
                "expected a custom_code");
      ctx.Check(oc.version >= 1, "bad op version", StrCat("expected >= 1, found ", oc.version));
      codes_.push_back(std::move(oc));
    }
  }

  void ReadMetadata(const fb::Model& m, Model& model) {
    const auto* md = m.metadata();
    if (!md) return;
    for (uint32_t i = 0; i < md->size(); ++i) {
      const fb::Metadata* e = md->Get(i);
      const std::string name = e->name() ? e->name()->str() : "";
      auto ctx = At(StrCat("metadata ", i, " '", name, "'"));
      ctx.Check(e->buffer() < buffers_.size(), "metadata buffer index out of range",
                StrCat("expected < ", buffers_.size(), ", found ", e->buffer()));
      const Span s = buffers_[e->buffer()];
      model.metadata.emplace_back(name, std::vector<uint8_t>(s.data, s.data + s.size));
    }
  }

  std::string TensorWhere(uint32_t sg, uint32_t i, const fb::Tensor* t) const {
    const std::string name = t && t->name() ? t->name()->str() : "";
    return StrCat(sg ? StrCat("subgraph ", sg, " ") : "", "tensor ", i, " '", name, "'");
  }

  Tensor ReadTensor(const fb::Tensor& t, uint32_t sg, uint32_t index) {
    auto ctx = At(TensorWhere(sg, index, &t));
    Tensor out;
    if (t.name()) out.name = t.name()->str();
    const int type = static_cast<int>(t.type());
    ctx.Check(type >= 0 && type <= static_cast<int>(DType::kFloat64), "unsupported tensor type",
              StrCat("expected a type 0..10 (float32..float64), found ", type));
    out.type = static_cast<DType>(type);
    if (t.shape()) out.shape.assign(t.shape()->begin(), t.shape()->end());
    int64_t bytes = 0;
    try {
      bytes = NumBytes(out.shape, DTypeSize(out.type));
    } catch (const Error& e) {
      ctx.Fail("bad shape", StrCat(ShapeToString(out.shape), ": ", e.what()));
    }
    if (t.shape_signature()) {
      out.shape_signature.assign(t.shape_signature()->begin(), t.shape_signature()->end());
      ctx.Check(out.shape_signature.size() == out.shape.size(), "bad shape_signature",
                StrCat("expected rank ", out.shape.size(), ", found ",
                       ShapeToString(out.shape_signature)));
      for (int32_t d : out.shape_signature)
        ctx.Check(d >= -1, "bad shape_signature",
                  StrCat("expected dims >= -1, found ", ShapeToString(out.shape_signature)));
    }
    ctx.Check(t.sparsity() == nullptr, "sparse tensors are not supported",
              "expected a dense tensor");
    out.is_variable = t.is_variable();
    ctx.Check(t.buffer() < std::max<size_t>(buffers_.size(), 1), "buffer index out of range",
              StrCat("expected < ", buffers_.size(), ", found ", t.buffer()));
    if (t.buffer() < buffers_.size() && buffers_[t.buffer()].size > 0) {
      const Span s = buffers_[t.buffer()];
      ctx.Check(out.type != DType::kString, "string constants are not supported",
                StrCat("buffer ", t.buffer(), " holds ", s.size, " bytes of strings"));
      ctx.Check(static_cast<int64_t>(s.size) == bytes, "buffer size does not match the tensor",
                StrCat("expected ", bytes, " bytes for ", ShapeToString(out.shape), " ",
                       DTypeName(out.type), ", found ", s.size, " in buffer ", t.buffer()));
      out.data.assign(s.data, s.data + s.size);
    }
    if (const fb::QuantizationParameters* q = t.quantization()) ReadQuant(*q, out, ctx);
    return out;
  }

  static void ReadQuant(const fb::QuantizationParameters& q, Tensor& t, const Where& ctx) {
    ctx.Check(q.details() == nullptr, "custom quantization is not supported",
              "expected scale/zero_point quantization");
    QuantParams& p = t.quant;
    if (q.scale()) p.scale.assign(q.scale()->begin(), q.scale()->end());
    if (q.zero_point()) p.zero_point.assign(q.zero_point()->begin(), q.zero_point()->end());
    if (q.min()) p.min.assign(q.min()->begin(), q.min()->end());
    if (q.max()) p.max.assign(q.max()->begin(), q.max()->end());
    p.quantized_dimension = q.quantized_dimension();
    if (p.scale.empty()) return;
    if (p.zero_point.empty()) p.zero_point.assign(p.scale.size(), 0);
    ctx.Check(p.zero_point.size() == p.scale.size(), "bad quantization",
              StrCat("expected as many zero points as scales (", p.scale.size(), "), found ",
                     p.zero_point.size()));
    if (p.scale.size() > 1) {
      const int dim = p.quantized_dimension;
      ctx.Check(dim >= 0 && dim < static_cast<int>(t.shape.size()), "bad quantized_dimension",
                StrCat("expected 0..", static_cast<int>(t.shape.size()) - 1, ", found ", dim));
      ctx.Check(static_cast<int64_t>(p.scale.size()) == t.shape[dim],
                "bad per-channel quantization",
                StrCat("expected ", t.shape[dim], " scales along dimension ", dim, ", found ",
                       p.scale.size()));
    }
  }

  std::vector<int> ReadIndices(const flatbuffers::Vector<int32_t>* v, size_t num_tensors,
                               const Where& ctx, const char* what, OpType type,
                               bool allow_omitted) const {
    std::vector<int> out;
    if (!v) return out;
    out.reserve(v->size());
    for (uint32_t i = 0; i < v->size(); ++i) {
      const int32_t idx = v->Get(i);
      const bool omitted = idx == -1 && allow_omitted && MayOmitInput(type, i);
      ctx.Check(omitted || (idx >= 0 && static_cast<size_t>(idx) < num_tensors),
                StrCat(what, " ", i, " out of range"),
                StrCat("expected a tensor index 0..", static_cast<int64_t>(num_tensors) - 1,
                       allow_omitted && MayOmitInput(type, i) ? " or -1" : "", ", found ", idx));
      out.push_back(idx);
    }
    return out;
  }

  Op ReadOp(const fb::Operator& o, uint32_t sg, uint32_t index, size_t num_tensors) {
    auto ctx = At(StrCat(sg ? StrCat("subgraph ", sg, " ") : "", "op ", index));
    ctx.Check(o.opcode_index() < codes_.size(), "opcode index out of range",
              StrCat("expected < ", codes_.size(), ", found ", o.opcode_index()));
    const OpCode& code = codes_[o.opcode_index()];
    Op op;
    op.type = code.type;
    op.version = code.version;
    op.custom_code = code.custom_code;
    ctx.where += " " + (op.type == OpType::CUSTOM ? StrCat("CUSTOM '", op.custom_code, "'")
                                                  : OpTypeName(op.type));
    op.inputs = ReadIndices(o.inputs(), num_tensors, ctx, "input", op.type, true);
    op.outputs = ReadIndices(o.outputs(), num_tensors, ctx, "output", op.type, false);
    op.intermediates =
        ReadIndices(o.intermediates(), num_tensors, ctx, "intermediate", op.type, false);
    if (o.custom_options() && o.custom_options()->size() > 0) {
      op.custom_options.assign(o.custom_options()->begin(), o.custom_options()->end());
    } else if (o.large_custom_options_offset() > 1) {
      const Span s = External(o.large_custom_options_offset(), o.large_custom_options_size(), ctx,
                              "custom options");
      op.custom_options.assign(s.data, s.data + s.size);
    }
    tflite_io::ReadBuiltinOptions(o, ctx, op.options);
    CheckSubgraphRefs(op, ctx);
    return op;
  }

  void CheckSubgraphRef(int32_t idx, const Where& ctx, const char* what) const {
    ctx.Check(idx >= 0 && static_cast<uint32_t>(idx) < num_subgraphs_,
              StrCat(what, " out of range"),
              StrCat("expected a subgraph index 0..", num_subgraphs_ - 1, ", found ", idx));
  }

  void CheckSubgraphRefs(const Op& op, const Where& ctx) const {
    const OpOptions& o = op.options;
    switch (op.type) {
      case OpType::CALL:
        CheckSubgraphRef(o.call_subgraph_index, ctx, "called subgraph");
        break;
      case OpType::CALL_ONCE:
        CheckSubgraphRef(o.call_subgraph_index, ctx, "init subgraph");
        break;
      case OpType::IF:
        CheckSubgraphRef(o.then_subgraph_index, ctx, "then subgraph");
        CheckSubgraphRef(o.else_subgraph_index, ctx, "else subgraph");
        break;
      case OpType::WHILE:
        CheckSubgraphRef(o.cond_subgraph_index, ctx, "cond subgraph");
        CheckSubgraphRef(o.body_subgraph_index, ctx, "body subgraph");
        break;
      default:
        break;
    }
  }

  Graph ReadSubgraph(const fb::SubGraph& s, uint32_t sg) {
    Graph g;
    if (s.name()) g.name = s.name()->str();
    if (const auto* tensors = s.tensors()) {
      g.tensors.reserve(tensors->size());
      for (uint32_t i = 0; i < tensors->size(); ++i)
        g.tensors.push_back(ReadTensor(*tensors->Get(i), sg, i));
    }
    const size_t n = g.tensors.size();
    auto ctx = At(sg ? StrCat("subgraph ", sg) : "");
    g.inputs = ReadIndices(s.inputs(), n, ctx, "graph input", OpType::ADD, false);
    g.outputs = ReadIndices(s.outputs(), n, ctx, "graph output", OpType::ADD, false);
    if (const auto* ops = s.operators()) {
      g.ops.reserve(ops->size());
      for (uint32_t i = 0; i < ops->size(); ++i) g.ops.push_back(ReadOp(*ops->Get(i), sg, i, n));
    }
    return g;
  }

  const uint8_t* data_;
  size_t size_;
  std::string file_;
  std::vector<Span> buffers_;
  std::vector<OpCode> codes_;
  uint32_t num_subgraphs_ = 0;
};

}  // namespace

Model ReadTfliteBuffer(const uint8_t* data, size_t size, const std::string& name) {
  return Reader(data, size, name).Read();
}

Model ReadTflite(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) Fail(path, ": cannot open: ", std::strerror(errno));
  const std::streamoff size = in.tellg();
  if (size < 0) Fail(path, ": cannot read: ", std::strerror(errno));
  if (static_cast<uint64_t>(size) >= FLATBUFFERS_MAX_BUFFER_SIZE)
    Fail(path, ": file too large: expected less than 2 GiB, found ", size, " bytes");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    Fail(path, ": cannot read ", size, " bytes");
  return ReadTfliteBuffer(bytes.data(), bytes.size(), path);
}

}  // namespace cae
