// Gemm on OpenBLAS (cblas_sgemm), pinned to one BLAS thread on first use; ScratchFloats.
#include "train/gemm.h"

#include <cblas.h>

#include <mutex>
#include <vector>

#include "graph/error.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace cae::train {

void Gemm(Trans ta, Trans tb, int M, int N, int K, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // an empty sum: only the beta part remains
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        float& c = C[static_cast<ptrdiff_t>(i) * ldc + j];
        c = beta == 0.0f ? 0.0f : beta * c;
      }
    return;
  }
  static std::once_flag one_thread;
  std::call_once(one_thread, [] { openblas_set_num_threads(1); });
  cblas_sgemm(CblasRowMajor, ta == Trans::kYes ? CblasTrans : CblasNoTrans,
              tb == Trans::kYes ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb, beta,
              C, ldc);
}

float* ScratchFloats(int slot, size_t n) {
  Check(slot >= 0 && slot < 2, "ScratchFloats: slot ", slot, " out of range");
  thread_local std::vector<float> buffers[2];
  std::vector<float>& b = buffers[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

}  // namespace cae::train
