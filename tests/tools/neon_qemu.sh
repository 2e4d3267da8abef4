#!/usr/bin/env bash
# Cross-builds the kernel tests for aarch64 and runs them under qemu-aarch64 (user mode) on x86:
# the fast kernels' Arm NEON and SVE/SVE2 Highway targets against the reference kernels, and the
# Coral models and TFLite-oracle tests (every tests/kernels/*_test.cc but the Keras one;
# tests/tools/neon_kernels/).
#   tests/tools/neon_qemu.sh [gtest args...]    e.g. --gtest_filter='FastConv*'
# Installs what it needs with apt-get (root or sudo): the cross compiler, qemu-user and the arm64
# multiarch packages libhwy-dev:arm64, libgtest-dev:arm64 and libflatbuffers-dev:arm64,
# co-installable with the amd64 ones (flatc and nlohmann-json come from the host's packages).
# Build dir: build-arm64 (CAE_ARM64_BUILD); jobs: CAE_JOBS (default 2).
# Runs on emulated CPUs: qemu's `max` (SVE2, SVE and NEON at 512-bit SVE vectors) and `max`
# with 128-, 256- and 2048-bit SVE vectors (SVE2_128, SVE_256 and 64-lane targets; there without
# the *Heavy* model tests unless gtest args are given). For each it
# prints the Highway targets the tests compare on and gtest's summary. Exits non-zero when a test
# fails on any of them.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
build=${CAE_ARM64_BUILD:-$here/build-arm64}
jobs=${CAE_JOBS:-2}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "neon_qemu: installing Debian packages: ${missing[*]}" >&2
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    as_root dpkg --add-architecture arm64
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
}

install_pkgs cmake pkg-config g++-aarch64-linux-gnu qemu-user libhwy-dev:arm64 libgtest-dev:arm64 \
  libflatbuffers-dev:arm64 flatbuffers-compiler nlohmann-json3-dev

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S tests/tools/neon_kernels -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE="$here/cmake/aarch64-toolchain.cmake" >&2
fi
nice -n 10 cmake --build "$build" -j "$jobs" --target test_kernels_neon print_hwy_targets >&2

# The arm64 libraries come from the multiarch root (/lib/aarch64-linux-gnu, qemu's default
# prefix /). Note: with -L /usr/aarch64-linux-gnu (the cross toolchain's libc next to the
# multiarch libhwy) the first test never finished (100% CPU for 5 minutes).
status=0
for cpu in max max,sve-default-vector-length=16 max,sve-default-vector-length=32 \
           max,sve-default-vector-length=256; do
  echo "== qemu-aarch64 -cpu $cpu"
  qemu-aarch64 -cpu "$cpu" "$build/print_hwy_targets"
  start=$(date +%s)
  log="$build/last_${cpu//[,=]/_}.log"
  filter=()
  [ "$cpu" = max ] || filter=(--gtest_filter=-*Heavy*)
  if qemu-aarch64 -cpu "$cpu" "$build/test_kernels_neon" --gtest_brief=1 "${filter[@]}" "$@" \
      > "$log" 2>&1; then
    result=passed
  else
    result=FAILED
    status=1
  fi
  grep -E '^\[  (FAILED|PASSED)  \]|tests? from .* ran' "$log" || tail -20 "$log"
  [ "$result" = FAILED ] && grep -B3 -A12 'Failure' "$log" | head -60
  echo "-- $result in $(( $(date +%s) - start )) s (log: $log)"
done
exit $status
