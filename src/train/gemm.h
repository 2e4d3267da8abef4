// Dense float matrix products for the trainer: row-major, no transposes (callers transpose the
// small operand themselves). Results are deterministic: the summation order depends only on the
// shapes, never on threads (these functions are single-threaded; callers parallelize over samples).
#pragma once

#include <cstdint>

namespace cae::train {

// C[M,N] += A[M,K] * B[K,N]. Leading dimensions are the row strides (>= the row length).
void GemmAcc(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
             int ldc);

// out[cols, rows] = in[rows, cols] transposed.
void Transpose(int rows, int cols, const float* in, float* out);

}  // namespace cae::train
