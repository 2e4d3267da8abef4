#include "data/npy.h"

#include <cctype>
#include <cstring>

#include "data/file_io.h"
#include "graph/error.h"
#include "graph/graph.h"

namespace cae {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kMaxHeader = 1 << 20;

struct DescrEntry {
  const char* code;  // without byte-order character
  DType type;
};
constexpr DescrEntry kDescrs[] = {
    {"f4", DType::kFloat32}, {"f2", DType::kFloat16}, {"f8", DType::kFloat64},
    {"i1", DType::kInt8},    {"u1", DType::kUInt8},   {"i2", DType::kInt16},
    {"i4", DType::kInt32},   {"i8", DType::kInt64},   {"b1", DType::kBool},
};

// A minimal reader of the header's Python dict literal: string keys mapped to a string, True/False
// or a tuple of non-negative integers.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& name) : s_(text), name_(name) {}

  void Parse(std::string* descr, bool* fortran, std::vector<int32_t>* shape) {
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    Expect('{');
    while (true) {
      SkipSpace();
      if (Peek() == '}') break;
      const std::string key = ParseString();
      Expect(':');
      SkipSpace();
      if (key == "descr") {
        *descr = ParseString();
        seen_descr = true;
      } else if (key == "fortran_order") {
        *fortran = ParseBool();
        seen_fortran = true;
      } else if (key == "shape") {
        *shape = ParseTuple();
        seen_shape = true;
      } else {
        Fail(name_, ": .npy header has unexpected key '", key, "'");
      }
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') break;
      Fail(name_, ": .npy header: expected ',' or '}' at offset ", pos_);
    }
    Check(seen_descr && seen_fortran && seen_shape, name_,
          ": .npy header lacks one of 'descr', 'fortran_order', 'shape'");
  }

 private:
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void Expect(char c) {
    SkipSpace();
    if (Peek() != c) Fail(name_, ": .npy header: expected '", c, "' at offset ", pos_);
    ++pos_;
  }
  std::string ParseString() {
    SkipSpace();
    const char q = Peek();
    if (q != '\'' && q != '"') Fail(name_, ": .npy header: expected a quoted string at offset ", pos_);
    const size_t end = s_.find(q, pos_ + 1);
    if (end == std::string::npos) Fail(name_, ": .npy header: unterminated string");
    std::string out = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return out;
  }
  bool ParseBool() {
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    Fail(name_, ": .npy header: expected True or False for 'fortran_order'");
  }
  std::vector<int32_t> ParseTuple() {
    Expect('(');
    std::vector<int32_t> dims;
    while (true) {
      SkipSpace();
      if (Peek() == ')') {
        ++pos_;
        return dims;
      }
      if (!std::isdigit(static_cast<unsigned char>(Peek())))
        Fail(name_, ": .npy header: expected a dimension at offset ", pos_);
      int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(Peek()))) {
        v = v * 10 + (s_[pos_++] - '0');
        if (v > INT32_MAX) Fail(name_, ": .npy header: dimension too large");
      }
      if (dims.size() >= 16) Fail(name_, ": .npy header: more than 16 dimensions");
      dims.push_back(static_cast<int32_t>(v));
      SkipSpace();
      if (Peek() == ',') ++pos_;
      else if (Peek() != ')') Fail(name_, ": .npy header: expected ',' or ')' at offset ", pos_);
    }
  }

  const std::string& s_;
  const std::string& name_;
  size_t pos_ = 0;
};

DType DescrToType(const std::string& descr, const std::string& name) {
  if (descr.size() == 3) {
    const char order = descr[0];
    if (order == '>') Fail(name, ": .npy dtype '", descr, "' is big-endian; only little-endian is supported");
    if (order == '<' || order == '|' || order == '=') {
      for (const auto& e : kDescrs)
        if (descr.compare(1, 2, e.code) == 0) return e.type;
    }
  }
  Fail(name, ": .npy dtype '", descr, "' is not supported (expected one of <f4 <f2 <f8 |i1 |u1 <i2 <i4 <i8 |b1)");
}

}  // namespace

std::string NpyDescr(DType t) {
  for (const auto& e : kDescrs) {
    if (e.type == t) return std::string(DTypeSize(t) == 1 ? "|" : "<") + e.code;
  }
  Fail("type ", DTypeName(t), " cannot be written to .npy");
}

TensorData DecodeNpy(const std::vector<uint8_t>& bytes, const std::string& name) {
  if (bytes.size() < kMagicSize + 4 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0)
    Fail(name, ": not a .npy file (missing \\x93NUMPY magic)");
  const int major = bytes[6];
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = bytes[8] | (size_t{bytes[9]} << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) Fail(name, ": truncated .npy header");
    header_len = bytes[8] | (size_t{bytes[9]} << 8) | (size_t{bytes[10]} << 16) | (size_t{bytes[11]} << 24);
    header_start = 12;
  } else {
    Fail(name, ": .npy format version ", major, ".", int{bytes[7]}, " is not supported (1, 2 or 3)");
  }
  if (header_len > kMaxHeader) Fail(name, ": .npy header of ", header_len, " bytes is too long");
  if (bytes.size() < header_start + header_len) Fail(name, ": truncated .npy header");
  const std::string header(reinterpret_cast<const char*>(bytes.data() + header_start), header_len);
  std::string descr;
  bool fortran = false;
  std::vector<int32_t> shape;
  HeaderParser(header, name).Parse(&descr, &fortran, &shape);
  if (fortran) Fail(name, ": .npy array is in Fortran order; only C order is supported");
  const DType type = DescrToType(descr, name);
  int64_t expected = 0;
  try {
    expected = NumBytes(shape, DTypeSize(type));
  } catch (const Error& e) {
    Fail(name, ": .npy ", e.what());
  }
  const size_t data_start = header_start + header_len;
  const uint64_t found = bytes.size() - data_start;
  if (found != static_cast<uint64_t>(expected))
    Fail(name, ": .npy data has ", found, " bytes, expected ", expected, " for shape ",
         ShapeToString(shape), " of ", descr);
  TensorData t(type, shape);
  if (expected > 0) std::memcpy(t.bytes.data(), bytes.data() + data_start, static_cast<size_t>(expected));
  return t;
}

std::vector<uint8_t> EncodeNpyHeader(const TensorData& t) {
  const int64_t expected = NumBytes(t.shape, DTypeSize(t.type));
  Check(static_cast<uint64_t>(expected) == t.bytes.size(), "EncodeNpy: tensor holds ", t.bytes.size(),
        " bytes, its shape needs ", expected);
  std::string dict = "{'descr': '" + NpyDescr(t.type) + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    dict += std::to_string(t.shape[i]);
    if (t.shape.size() == 1 || i + 1 < t.shape.size()) dict += ",";
    if (i + 1 < t.shape.size()) dict += " ";
  }
  dict += "), }";
  // Total of magic + version + length field + header (ending in '\n') is a multiple of 64.
  size_t prefix = 10;
  size_t total = prefix + dict.size() + 1;
  if ((total + 63) / 64 * 64 - prefix > 65535) prefix = 12;
  total = prefix + dict.size() + 1;
  const size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  std::vector<uint8_t> out(kMagic, kMagic + kMagicSize);
  const size_t len = dict.size();
  if (prefix == 10) {
    out.insert(out.end(), {1, 0, static_cast<uint8_t>(len & 0xff), static_cast<uint8_t>(len >> 8)});
  } else {
    out.insert(out.end(), {2, 0, static_cast<uint8_t>(len & 0xff), static_cast<uint8_t>((len >> 8) & 0xff),
                           static_cast<uint8_t>((len >> 16) & 0xff), static_cast<uint8_t>(len >> 24)});
  }
  out.insert(out.end(), dict.begin(), dict.end());
  return out;
}

std::vector<uint8_t> EncodeNpy(const TensorData& t) {
  std::vector<uint8_t> out = EncodeNpyHeader(t);
  out.insert(out.end(), t.bytes.begin(), t.bytes.end());
  return out;
}

TensorData ReadNpy(const std::string& path) { return DecodeNpy(ReadFileBytes(path), path); }

void WriteNpy(const std::string& path, const TensorData& t) {
  const std::vector<uint8_t> header = EncodeNpyHeader(t);
  WriteFileAtomic(path, std::vector<ByteSpan>{{header.data(), header.size()}, {t.bytes.data(), t.bytes.size()}});
}

}  // namespace cae
