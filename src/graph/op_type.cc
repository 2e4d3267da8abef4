#include "graph/op_type.h"

#include <array>

namespace cae {
namespace {

constexpr std::array<std::string_view, kMaxKnownOpCode + 1> kNames = {
#define CAE_OP_NAME(name, code) #name,
    CAE_OP_TYPES(CAE_OP_NAME)
#undef CAE_OP_NAME
};

}  // namespace

std::string OpTypeName(OpType t) {
  const auto code = static_cast<int32_t>(t);
  if (code >= 0 && code <= kMaxKnownOpCode) return std::string(kNames[code]);
  return "BUILTIN_" + std::to_string(code);
}

std::optional<OpType> OpTypeFromName(std::string_view name) {
  for (int32_t i = 0; i <= kMaxKnownOpCode; ++i) {
    if (kNames[i] == name) return static_cast<OpType>(i);
  }
  return std::nullopt;
}

}  // namespace cae
