// Highway (per-target) helper of the FULLY_CONNECTED register tiles (fully_connected_float.cc,
// fully_connected_q8.cc): a tile is R (1..4) input rows times two vectors of output units, one
// pair of accumulator vectors per row. ForEachTileRow<R>(f, c00, c01, ..., c30, c31) calls
// f(j, cj0, cj1) for rows j = 0..R-1 in order, the accumulators by reference; after inlining it
// is the same straight-line code as writing the R calls out. The accumulators are separate
// variables (no array or struct of vectors) so that sizeless SVE vectors work too.
// StoreTilePair writes one row's two vectors of results, or the part of them within n units.
// Included after hwy/highway.h inside a foreach_target translation unit.
#if defined(CAE_KERNELS_FAST_FC_TILE_HWY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CAE_KERNELS_FAST_FC_TILE_HWY_INL_H_
#undef CAE_KERNELS_FAST_FC_TILE_HWY_INL_H_
#else
#define CAE_KERNELS_FAST_FC_TILE_HWY_INL_H_
#endif

#include <cstddef>
#include <cstring>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {

template <int R, class V, class F>
HWY_INLINE void ForEachTileRow(F&& f, V& c00, V& c01, V& c10, V& c11, V& c20, V& c21, V& c30,
                               V& c31) {
  static_assert(R >= 1 && R <= 4, "a tile has 1 to 4 rows");
  f(0, c00, c01);
  if constexpr (R > 1) f(1, c10, c11);
  if constexpr (R > 2) f(2, c20, c21);
  if constexpr (R > 3) f(3, c30, c31);
}

// Stores two vectors of D (2N lanes) at y, or only their first n lanes when n < 2N: through
// tile, an aligned buffer of at least 2N lanes.
template <class D, typename T = hwy::HWY_NAMESPACE::TFromD<D>>
HWY_INLINE void StoreTilePair(D d, hwy::HWY_NAMESPACE::Vec<D> v0, hwy::HWY_NAMESPACE::Vec<D> v1,
                              int n, T* HWY_RESTRICT tile, T* y) {
  namespace hn = hwy::HWY_NAMESPACE;
  const int N = static_cast<int>(hn::Lanes(d));
  if (n == 2 * N) {
    hn::StoreU(v0, d, y);
    hn::StoreU(v1, d, y + N);
  } else {
    hn::Store(v0, d, tile);
    hn::Store(v1, d, tile + N);
    std::memcpy(y, tile, static_cast<size_t>(n) * sizeof(T));
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#endif  // include guard
