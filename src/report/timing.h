// Wall-clock timing for reports (never asserted in tests).
#pragma once

#include <chrono>

namespace cae {

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void Restart() { start_ = std::chrono::steady_clock::now(); }
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Runs fn once and returns its wall-clock duration in seconds.
template <typename Fn>
double TimeSeconds(Fn&& fn) {
  Stopwatch w;
  fn();
  return w.Seconds();
}

}  // namespace cae
