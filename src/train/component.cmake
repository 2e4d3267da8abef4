# src/train: the training kernels are the hot loop of `cae2tpu train`; let the compiler vectorize
# and contract them even in RelWithDebInfo builds (results stay deterministic for a given binary).
target_compile_options(cae_train PRIVATE -O3 -ffp-contract=fast)
# QAT's fake quantization runs over every activation of every step: without trapping math its
# compare-and-select loops vectorize (no floating-point exceptions are used; results unchanged).
set_source_files_properties(${CMAKE_SOURCE_DIR}/src/train/qat.cc PROPERTIES COMPILE_OPTIONS -fno-trapping-math)

# The trainer's matrix products run on OpenBLAS (Debian libopenblas-pthread-dev), one BLAS thread
# per call: the trainer parallelizes over samples itself. The pthread flavour is used because its
# buffers are locked, so several of our threads may call sgemm at once. Linked by full path from
# its own directory (not the libopenblas.so.0 alternative, which may be the unlocked serial one);
# CMake puts that directory in the binaries' run path.
find_path(CAE_OPENBLAS_INCLUDE cblas.h
  PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread NO_DEFAULT_PATH REQUIRED)
find_library(CAE_OPENBLAS_LIB openblas
  PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread NO_DEFAULT_PATH REQUIRED)
target_include_directories(cae_train PRIVATE ${CAE_OPENBLAS_INCLUDE})
target_link_libraries(cae_train PUBLIC ${CAE_OPENBLAS_LIB})
