// Prints the Highway targets this CPU supports among those compiled here (the targets the kernel
// tests compare on), best first, and the lanes of a float vector on each; for
// tests/tools/neon_qemu.sh, which runs it under qemu-aarch64 with each emulated CPU.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "print_targets.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <cstddef>
#include <cstdio>

HWY_BEFORE_NAMESPACE();
namespace cae_tools {
namespace HWY_NAMESPACE {
size_t FloatLanes() { return hwy::HWY_NAMESPACE::Lanes(hwy::HWY_NAMESPACE::ScalableTag<float>()); }
}  // namespace HWY_NAMESPACE
}  // namespace cae_tools
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae_tools {
HWY_EXPORT(FloatLanes);
}  // namespace cae_tools

int main() {
  std::printf("Highway targets:");
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    std::printf(" %s (%zu float lanes)", hwy::TargetName(target),
                HWY_DYNAMIC_DISPATCH(cae_tools::FloatLanes)());
  }
  hwy::SetSupportedTargetsForTest(0);
  std::printf("\n");
  return 0;
}
#endif
