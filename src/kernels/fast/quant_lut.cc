// Fast LOGISTIC and TANH on int8/uint8 (same type in and out): the reference's 256-entry table
// (qref::BuildActivationTable, TFLite's table built in float) applied to every byte, so the
// output is bit-exact with ref/quantized by construction; only the lookup is faster.
// Highway dynamic dispatch, 1 byte per lane:
//  - AVX3_DL (AVX-512 VBMI; this file opts in to the target with HWY_WANT_AVX3_DL): two vpermi2b
//    look the byte up in the table's lower and upper 128 entries, the byte's top bit picks one;
//  - other vector targets: the table as 16 blocks of 16 entries. For block b the index is the byte
//    minus 16 b plus 0x70 with unsigned saturation: below 0x80 (a valid in-block index) exactly
//    for the bytes of block b, 0x80 or more (TableLookupBytesOr0 gives 0) for all others; the 16
//    lookups are ORed. Off x86 (e.g. Arm SVE) the in-block index is also masked to 0x00-0x0F:
//    Highway defines the lookup only for indices below 16 (x86's pshufb reads the low 4 bits;
//    SVE's and NEON's table instructions give 0 for 0x70-0x7F);
//  - the scalar target and the last partial vector: the table itself.
// The elements are split over the ThreadPool in contiguous chunks.
#define HWY_WANT_AVX3_DL  // compile the AVX3_DL target in this file (Highway 1.0.3 leaves it out)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/quant_lut.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <cstdint>
#include <memory>

#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/ref/quantized/qutil.h"

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The in-block lookup index from the byte minus 16 b plus 0x70 (saturated): x86's pshufb reads
// only bits 7 and 3-0; elsewhere the in-block 0x70-0x7F become 0-15 (0x80 and more keep the top
// bit, so TableLookupBytesOr0 still gives 0 for them).
template <class V>
HWY_INLINE V BlockIndex(V v) {
#if HWY_ARCH_X86
  return v;
#else
  return hn::And(v, hn::Set(hn::DFromV<V>(), 0x8F));
#endif
}

// dst[i] = table[src[i]] for i in [0, n).
void LookupBytes(const uint8_t* HWY_RESTRICT table, const uint8_t* HWY_RESTRICT src, int64_t n,
                 uint8_t* HWY_RESTRICT dst) {
  int64_t i = 0;
#if HWY_TARGET == HWY_AVX3_DL
  const hn::ScalableTag<uint8_t> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));  // 64
  const __m512i t0 = hn::LoadU(d, table).raw, t1 = hn::LoadU(d, table + 64).raw;
  const __m512i t2 = hn::LoadU(d, table + 128).raw, t3 = hn::LoadU(d, table + 192).raw;
  for (; i + N <= n; i += N) {
    const __m512i x = hn::LoadU(d, src + i).raw;
    const __m512i lower = _mm512_permutex2var_epi8(t0, x, t1);  // table[x & 127]
    const __m512i upper = _mm512_permutex2var_epi8(t2, x, t3);  // table[128 + (x & 127)]
    const __m512i y = _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lower, upper);
    hn::StoreU(hn::Vec512<uint8_t>{y}, d, dst + i);
  }
#elif HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
  const hn::ScalableTag<uint8_t> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto block_step = hn::Set(d, 16), to_or0 = hn::Set(d, 0x70);
  // 16 lookups per vector pay only with vectors of 32 bytes or more (measured: 16-byte SSE4
  // vectors are slower than the table loop below).
  for (; N >= 32 && i + 2 * N <= n; i += 2 * N) {
    // The byte minus 16 b (mod 256) for block b; two vectors interleaved.
    auto index0 = hn::LoadU(d, src + i), index1 = hn::LoadU(d, src + i + N);
    auto y0 = hn::Zero(d), y1 = hn::Zero(d);
#pragma GCC unroll 16
    for (int b = 0; b < 16; ++b) {
      const auto block = hn::LoadDup128(d, table + 16 * b);
      y0 = hn::Or(y0, hn::TableLookupBytesOr0(block, BlockIndex(hn::SaturatedAdd(index0, to_or0))));
      y1 = hn::Or(y1, hn::TableLookupBytesOr0(block, BlockIndex(hn::SaturatedAdd(index1, to_or0))));
      index0 = hn::Sub(index0, block_step);
      index1 = hn::Sub(index1, block_step);
    }
    hn::StoreU(y0, d, dst + i);
    hn::StoreU(y1, d, dst + i + N);
  }
#endif
  for (; i < n; ++i) dst[i] = table[src[i]];
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(LookupBytes);

namespace {

// Elements per thread chunk at least: 2^16 take ~5 us on AVX3_DL, ~13 us on AVX2 (measured), well
// above the ~1.5 us a hand-off to a worker costs; smaller tensors run on the calling thread.
constexpr int64_t kMinChunk = int64_t{1} << 16;

class FastLutQ8 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { qref::BuildActivationTable(ctx, table_); }

  void Eval(const KernelContext& ctx) override {
    const auto* src = static_cast<const uint8_t*>(qref::In(ctx, 0).data);
    auto* dst = static_cast<uint8_t*>(qref::Out(ctx, 0).data);
    ParallelFor(ctx.pool, qref::In(ctx, 0).num_elements(), kMinChunk,
                [&](int64_t begin, int64_t end) {
                  HWY_DYNAMIC_DISPATCH(LookupBytes)(table_, src + begin, end - begin, dst + begin);
                });
  }

 private:
  uint8_t table_[256] = {};
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  const DType t = qref::InType(ctx, 0);
  if (!qref::IsQ8(t) || qref::OutType(ctx, 0) != t) return nullptr;
  return std::make_unique<FastLutQ8>();
}

}  // namespace

void RegisterFastLutQ8(KernelRegistry& r) {
  r.Register(OpType::LOGISTIC, "fast/q8/logistic", kFastPriority, Create);
  r.Register(OpType::TANH, "fast/q8/tanh", kFastPriority, Create);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
