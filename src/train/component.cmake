# src/train: the training kernels are the hot loop of `cae2tpu train`; let the compiler vectorize
# and contract them even in RelWithDebInfo builds (results stay deterministic for a given binary).
target_compile_options(cae_train PRIVATE -O3 -ffp-contract=fast)
