// The VNNI int8 conv's per-thread scratch image must be freed when a pool's worker threads exit:
// every Interpreter with threads > 1 has its own pool, so a leak per worker grows with each
// interpreter a process makes (compare, calibration, a library user's loop).
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdint>
#include <vector>

#include "kernels/fast/conv_int8_vnni.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"

#if defined(__SANITIZE_ADDRESS__)
// From the ASan runtime (declared here: Debian's gcc does not ship sanitizer/allocator_interface.h).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace cae::testing {
namespace {

// Bytes the process holds on the heap now.
int64_t HeapBytesInUse() {
#if defined(__SANITIZE_ADDRESS__)
  return static_cast<int64_t>(__sanitizer_get_current_allocated_bytes());
#else
  const struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
#endif
}

TEST(FastConvVnni, WorkerScratchIsFreedWithThePool) {
  if (!fast::VnniAvailable()) GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
  // 2 images of 256x256x16, 3x3 same: each thread pads into a ~1 MiB scratch image.
  fast::ConvGeometry g;
  g.batches = 2;
  g.in_h = g.in_w = 256;
  g.in_c = 16;
  g.f_h = g.f_w = 3;
  g.out_c = 16;
  g.out_h = g.out_w = 256;
  g.pad_h = g.pad_w = 1;
  const int64_t scratch_bytes = int64_t{g.in_h + 2} * (g.in_w + 2) * g.in_c;
  std::vector<QuantizedMultiplier> mult(static_cast<size_t>(g.out_c), QuantizedMultiplier{1 << 30, -8});
  fast::Int8OutputStage stage;
  stage.mult = mult.data();
  stage.act_min = -128;
  stage.act_max = 127;
  fast::VnniConvI8 conv(g, 0, stage);
  std::vector<int8_t> filter(static_cast<size_t>(g.out_c) * g.f_h * g.f_w * g.in_c, 1);
  conv.SetWeights(filter.data(), nullptr);
  std::vector<int8_t> input(static_cast<size_t>(g.batches) * g.in_h * g.in_w * g.in_c, 3);
  std::vector<int8_t> output(static_cast<size_t>(g.batches) * g.out_h * g.out_w * g.out_c);

  auto run_with_new_pool = [&] {
    ThreadPool pool(2);
    conv.Run(input.data(), output.data(), &pool);
  };
  run_with_new_pool();  // the calling thread's scratch stays for the process: not counted
  const int64_t before = HeapBytesInUse();
  constexpr int kPools = 16;
  for (int i = 0; i < kPools; ++i) run_with_new_pool();
  const int64_t grown = HeapBytesInUse() - before;
  // A leaked worker scratch adds scratch_bytes for each pool whose worker took a chunk (the
  // caller runs chunks a worker has not claimed yet, so not every pool's worker does).
  EXPECT_LT(grown, scratch_bytes / 2) << "heap grew by " << grown << " bytes over " << kPools
                                      << " pools (scratch image " << scratch_bytes << " bytes)";
}

}  // namespace
}  // namespace cae::testing
