// Errors: every failure the user can cause is reported by throwing cae::Error with one line that
// names the file and the layer/op/tensor involved. The CLI catches it, prints it, exits non-zero.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace cae {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Concatenates any streamable values into one string: StrCat("op ", 3, ": ", name).
template <typename... Args>
std::string StrCat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

// Throws cae::Error with the concatenation of args.
template <typename... Args>
[[noreturn]] void Fail(Args&&... args) {
  throw Error(StrCat(std::forward<Args>(args)...));
}

// Throws cae::Error unless cond holds. The message arguments are evaluated even when cond holds:
// on hot paths write `if (!cond) Fail(...)` so that nothing is formatted unless it fails.
template <typename... Args>
void Check(bool cond, Args&&... args) {
  if (!cond) Fail(std::forward<Args>(args)...);
}

}  // namespace cae
