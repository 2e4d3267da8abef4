# cae_kernels: no floating-point contraction on targets whose baseline has FMA (Arm NEON/SVE).
# The x86-64 baseline has no FMA, so GCC never fuses a*b+c into one rounding in the reference
# kernels there; on aarch64 it does by default in C++, and the reference kernels' results would
# then differ from x86's and from the fast kernels' (tests compare bytes). x86 builds are unchanged.
if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|i[3-6]86)$")
  target_compile_options(cae_kernels PRIVATE -ffp-contract=off)
endif()
