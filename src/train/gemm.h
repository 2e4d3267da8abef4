// Dense float matrix products for the trainer, row-major, on OpenBLAS's sgemm (one BLAS thread per
// call: callers parallelize over samples). Results are deterministic for a given machine: the
// summation order depends only on the shapes and the CPU, never on our thread count.
#pragma once

#include <cstddef>

namespace cae::train {

// Whether an operand is used as stored or transposed.
enum class Trans { kNo, kYes };

// C[M,N] = beta * C + op(A)[M,K] * op(B)[K,N]. lda/ldb/ldc are the row strides of A, B and C as
// stored (op(A) = A^T means A is stored [K, M]). beta 0 ignores C's old contents (even NaN).
void Gemm(Trans ta, Trans tb, int M, int N, int K, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc);

// C[M,N] += A[M,K] * B[K,N].
inline void GemmAcc(int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                    float* C, int ldc) {
  Gemm(Trans::kNo, Trans::kNo, M, N, K, A, lda, B, ldb, 1.0f, C, ldc);
}

// A per-thread scratch buffer of at least n floats, reused across calls (contents unspecified).
// slot 0 and 1 are independent buffers, for callers that need two at once.
float* ScratchFloats(int slot, size_t n);

}  // namespace cae::train
