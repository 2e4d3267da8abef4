// Interpreter options for tests that compare fast kernels with the reference on several threads:
// every op goes to the pool (min_parallel_nanos 0), so the kernels' thread splits are exercised
// even on the small shapes tests use (the automatic rule runs those on the calling thread).
#pragma once

#include "runtime/interpreter.h"

namespace cae {

inline InterpreterOptions FastOptions(int threads) {
  InterpreterOptions o;
  o.threads = threads;
  o.batch_chunk = 0;
  o.reference_kernels = false;
  o.min_parallel_nanos = 0;
  return o;
}

}  // namespace cae
