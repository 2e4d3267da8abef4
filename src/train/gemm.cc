// GemmAcc: 4 rows of C by 4 steps of K at a time, the innermost loop running along a row of B and C
// so that the compiler vectorizes it (no reassociation needed). Compiled twice (AVX2+FMA and
// baseline) and dispatched at load time through GCC's target_clones.
#include <algorithm>
#include "train/gemm.h"

namespace cae::train {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CAE_TRAIN_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define CAE_TRAIN_CLONES
#endif

CAE_TRAIN_CLONES
void GemmRows4(int N, int K, const float* __restrict A, int lda, const float* __restrict B, int ldb,
               float* __restrict C, int ldc) {
  float* __restrict c0 = C;
  float* __restrict c1 = C + ldc;
  float* __restrict c2 = C + 2 * static_cast<int64_t>(ldc);
  float* __restrict c3 = C + 3 * static_cast<int64_t>(ldc);
  const float* a0 = A;
  const float* a1 = A + lda;
  const float* a2 = A + 2 * static_cast<int64_t>(lda);
  const float* a3 = A + 3 * static_cast<int64_t>(lda);
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    const float* __restrict b0 = B + static_cast<int64_t>(k) * ldb;
    const float* __restrict b1 = b0 + ldb;
    const float* __restrict b2 = b1 + ldb;
    const float* __restrict b3 = b2 + ldb;
    const float x00 = a0[k], x01 = a0[k + 1], x02 = a0[k + 2], x03 = a0[k + 3];
    const float x10 = a1[k], x11 = a1[k + 1], x12 = a1[k + 2], x13 = a1[k + 3];
    const float x20 = a2[k], x21 = a2[k + 1], x22 = a2[k + 2], x23 = a2[k + 3];
    const float x30 = a3[k], x31 = a3[k + 1], x32 = a3[k + 2], x33 = a3[k + 3];
    for (int j = 0; j < N; ++j) {
      const float v0 = b0[j], v1 = b1[j], v2 = b2[j], v3 = b3[j];
      c0[j] += x00 * v0 + x01 * v1 + x02 * v2 + x03 * v3;
      c1[j] += x10 * v0 + x11 * v1 + x12 * v2 + x13 * v3;
      c2[j] += x20 * v0 + x21 * v1 + x22 * v2 + x23 * v3;
      c3[j] += x30 * v0 + x31 * v1 + x32 * v2 + x33 * v3;
    }
  }
  for (; k < K; ++k) {
    const float* __restrict b0 = B + static_cast<int64_t>(k) * ldb;
    const float x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
    for (int j = 0; j < N; ++j) {
      c0[j] += x0 * b0[j];
      c1[j] += x1 * b0[j];
      c2[j] += x2 * b0[j];
      c3[j] += x3 * b0[j];
    }
  }
}

CAE_TRAIN_CLONES
void GemmRow1(int N, int K, const float* __restrict a, const float* __restrict B, int ldb,
              float* __restrict c) {
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    const float* __restrict b0 = B + static_cast<int64_t>(k) * ldb;
    const float* __restrict b1 = b0 + ldb;
    const float* __restrict b2 = b1 + ldb;
    const float* __restrict b3 = b2 + ldb;
    const float x0 = a[k], x1 = a[k + 1], x2 = a[k + 2], x3 = a[k + 3];
    for (int j = 0; j < N; ++j) c[j] += x0 * b0[j] + x1 * b1[j] + x2 * b2[j] + x3 * b3[j];
  }
  for (; k < K; ++k) {
    const float* __restrict b0 = B + static_cast<int64_t>(k) * ldb;
    const float x0 = a[k];
    for (int j = 0; j < N; ++j) c[j] += x0 * b0[j];
  }
}

}  // namespace

void GemmAcc(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
             int ldc) {
  if (M <= 0 || N <= 0 || K <= 0) return;
  // Column tiles keep 4 rows of C and 4 rows of B in L1.
  constexpr int kTile = 512;
  for (int j0 = 0; j0 < N; j0 += kTile) {
    const int nt = N - j0 < kTile ? N - j0 : kTile;
    int i = 0;
    for (; i + 4 <= M; i += 4) {
      GemmRows4(nt, K, A + static_cast<int64_t>(i) * lda, lda, B + j0, ldb,
                C + static_cast<int64_t>(i) * ldc + j0, ldc);
    }
    for (; i < M; ++i) {
      GemmRow1(nt, K, A + static_cast<int64_t>(i) * lda, B + j0, ldb,
               C + static_cast<int64_t>(i) * ldc + j0);
    }
  }
}

void Transpose(int rows, int cols, const float* in, float* out) {
  constexpr int kBlock = 32;
  for (int r0 = 0; r0 < rows; r0 += kBlock) {
    const int r1 = r0 + kBlock < rows ? r0 + kBlock : rows;
    for (int c0 = 0; c0 < cols; c0 += kBlock) {
      const int c1 = c0 + kBlock < cols ? c0 + kBlock : cols;
      for (int r = r0; r < r1; ++r) {
        for (int c = c0; c < c1; ++c) {
          out[static_cast<int64_t>(c) * rows + r] = in[static_cast<int64_t>(r) * cols + c];
        }
      }
    }
  }
}

}  // namespace cae::train
