// machine_peak: measures this machine's peak multiply-accumulate rate, so that bench/run_all.sh
// can print the achieved GMAC/s as a share of it. Runs one thread per core, each a loop of
// independent vector multiply-accumulate chains (8 accumulators: enough to cover the latency),
// for the widest instruction set the CPU has:
//   float32: AVX-512F or AVX2 FMA (one MAC per lane per instruction);
//   int8:    AVX-512 VNNI vpdpbusd (4 MACs per 32-bit lane) or AVX2 vpmaddubsw + vpmaddwd.
// Prints "f32 GMACS int8 GMACS THREADS ISA_F32 ISA_INT8" on one line. Prints "0" for a kind it
// cannot measure (non-x86). A figure to compare with, never asserted.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

std::atomic<int64_t> g_sink{0};  // the accumulators end here, so the loops cannot be dropped

#if defined(__x86_64__)
constexpr int64_t kIters = 60'000'000;  // ~0.15-0.3 s per kernel

__attribute__((target("avx512f"))) int64_t F32Avx512() {
  __m512 acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < kIters; ++it)
    for (int i = 0; i < 8; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
  float v[16];
  float s = 0.0f;
  for (int i = 0; i < 8; ++i) {
    _mm512_storeu_ps(v, acc[i]);
    for (float x : v) s += x;
  }
  g_sink += static_cast<int64_t>(s);
  return kIters * 8 * 16;
}

__attribute__((target("avx2,fma"))) int64_t F32Avx2() {
  __m256 acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < kIters; ++it)
    for (int i = 0; i < 8; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, a);
  float v[8];
  float s = 0.0f;
  for (int i = 0; i < 8; ++i) {
    _mm256_storeu_ps(v, acc[i]);
    for (float x : v) s += x;
  }
  g_sink += static_cast<int64_t>(s);
  return kIters * 8 * 8;
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) int64_t Int8Vnni() {
  __m512i acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = _mm512_set1_epi32(i);
  const __m512i u = _mm512_set1_epi8(3), s8 = _mm512_set1_epi8(-2);
  for (int64_t it = 0; it < kIters; ++it)
    for (int i = 0; i < 8; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], u, s8);
  int32_t v[16];
  int64_t s = 0;
  for (int i = 0; i < 8; ++i) {
    _mm512_storeu_si512(v, acc[i]);
    for (int32_t x : v) s += x;
  }
  g_sink += s;
  return kIters * 8 * 64;
}

__attribute__((target("avx2"))) int64_t Int8Avx2() {
  __m256i acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = _mm256_set1_epi32(i);
  const __m256i u = _mm256_set1_epi8(3), s8 = _mm256_set1_epi8(-2), ones = _mm256_set1_epi16(1);
  for (int64_t it = 0; it < kIters; ++it)
    for (int i = 0; i < 8; ++i)
      acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(_mm256_maddubs_epi16(u, s8), ones));
  int32_t v[8];
  int64_t s = 0;
  for (int i = 0; i < 8; ++i) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(v), acc[i]);
    for (int32_t x : v) s += x;
  }
  g_sink += s;
  return kIters * 8 * 32;
}
#endif

// Runs kernel on `threads` threads at once; returns their total MACs per second in G.
double Measure(const std::function<int64_t()>& kernel, int threads) {
  std::vector<std::thread> pool;
  std::atomic<int64_t> macs{0};
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) pool.emplace_back([&] { macs += kernel(); });
  for (std::thread& t : pool) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(macs.load()) / seconds / 1e9;
}

}  // namespace

int main() {
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  double f32 = 0.0, int8 = 0.0;
  const char* isa_f32 = "none";
  const char* isa_int8 = "none";
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    f32 = Measure(F32Avx512, threads);
    isa_f32 = "avx512-fma";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    f32 = Measure(F32Avx2, threads);
    isa_f32 = "avx2-fma";
  }
  if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw")) {
    int8 = Measure(Int8Vnni, threads);
    isa_int8 = "avx512-vnni";
  } else if (__builtin_cpu_supports("avx2")) {
    int8 = Measure(Int8Avx2, threads);
    isa_int8 = "avx2-maddubs";
  }
#endif
  std::printf("%.1f %.1f %d %s %s\n", f32, int8, threads, isa_f32, isa_int8);
  return 0;
}
