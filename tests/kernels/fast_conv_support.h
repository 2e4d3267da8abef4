// Shared by the fast-kernel tests: random CONV_2D cases run through the interpreter twice, once
// with every kernel (fast ones chosen first) and once with reference kernels only; the runner
// that repeats a check on every Highway target and compares fast with reference outputs.
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "fast_options.h"
#include "float_op_runner.h"
#include "hwy/targets.h"
#include "kernels/kernel.h"
#include "runtime/interpreter.h"

namespace cae::testing {

// The fused activations the fast float kernels take, and those of the quantized kernels.
inline constexpr Activation kFloatActivations[] = {Activation::kNone, Activation::kRelu,
                                                   Activation::kRelu6, Activation::kReluN1To1,
                                                   Activation::kTanh};
inline constexpr Activation kQuantActivations[] = {Activation::kNone, Activation::kRelu,
                                                   Activation::kRelu6, Activation::kReluN1To1};

// Runs check() once per Highway target that this CPU supports and this build generated (the fast
// kernels dispatch to it), then restores the normal choice, also when check() fails. A file that
// defines HWY_WANT_AVX3_DL (AVX3_DL among its targets) passes a lambda, so that its instance of
// this template is its own.
template <typename Check>
void ForEveryHwyTarget(Check&& check) {
  struct Restore {
    ~Restore() { hwy::SetSupportedTargetsForTest(0); }
  } restore;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    check();
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// Runs m on inputs with the reference kernels (1 thread) and with the fast ones on 1 and 2
// threads; checks the output shapes and calls check(fast outputs, reference outputs) per run.
template <typename Check>
void CompareFastWithReference(const Model& m, const std::vector<TensorData>& inputs,
                              Check&& check) {
  const std::vector<TensorData> expected = Interpreter(m, {1, 0, true}).Run(inputs);
  for (int threads : {1, 2}) {
    SCOPED_TRACE(StrCat(threads, " thread(s)"));
    const std::vector<TensorData> got = Interpreter(m, FastOptions(threads)).Run(inputs);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].shape, expected[i].shape);
    check(got, expected);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// The same with every output byte-identical to the reference.
inline void ExpectSameBytesAsReference(const Model& m, const std::vector<TensorData>& inputs) {
  CompareFastWithReference(
      m, inputs, [](const std::vector<TensorData>& got, const std::vector<TensorData>& expected) {
        for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].bytes, expected[i].bytes);
      });
}

struct ConvCase {
  int batch, in_h, in_w, in_c, out_c, f_h, f_w, stride_h, stride_w, dil_h, dil_w;
  Padding padding;
  Activation act;
  bool bias;
  std::string Name() const {
    return "b" + std::to_string(batch) + " in" + std::to_string(in_h) + "x" + std::to_string(in_w) +
           "x" + std::to_string(in_c) + " f" + std::to_string(f_h) + "x" + std::to_string(f_w) +
           " oc" + std::to_string(out_c) + " s" + std::to_string(stride_h) + "," +
           std::to_string(stride_w) + " d" + std::to_string(dil_h) + "," + std::to_string(dil_w) +
           (padding == Padding::kSame ? " SAME" : " VALID") + " act" +
           std::to_string(static_cast<int>(act)) + (bias ? " bias" : "");
  }
};

inline OpOptions ConvOptions(const ConvCase& c) {
  OpOptions o;
  o.padding = c.padding;
  o.stride_h = c.stride_h;
  o.stride_w = c.stride_w;
  o.dilation_h = c.dil_h;
  o.dilation_w = c.dil_w;
  o.activation = c.act;
  return o;
}

// Hand-picked shapes (the CAE's layers, channel counts 1 and non-multiples of the vector width,
// strides, dilation, SAME/VALID, batch > 1) followed by random ones from a fixed seed.
inline std::vector<ConvCase> ConvCases(const std::vector<Activation>& acts) {
  std::vector<ConvCase> cases = {
      {2, 28, 28, 1, 32, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu, true},
      {1, 14, 14, 32, 16, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kRelu, true},
      {3, 28, 28, 32, 1, 3, 3, 1, 1, 1, 1, Padding::kSame, Activation::kNone, true},
      {1, 7, 7, 16, 64, 3, 3, 2, 2, 1, 1, Padding::kSame, Activation::kRelu6, false},
      {1, 9, 11, 5, 7, 3, 2, 2, 1, 2, 1, Padding::kValid, Activation::kNone, true},
      {2, 10, 10, 3, 1, 5, 5, 1, 2, 1, 2, Padding::kSame, Activation::kReluN1To1, true},
      {1, 6, 6, 8, 40, 1, 1, 1, 1, 1, 1, Padding::kValid, Activation::kRelu, true},
      {1, 4, 4, 2, 3, 4, 4, 3, 3, 1, 1, Padding::kSame, Activation::kNone, false},
  };
  std::mt19937 rng(12345);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int i = 0; i < 40; ++i) {
    ConvCase c;
    c.batch = pick(1, 3);
    c.in_h = pick(1, 12);
    c.in_w = pick(1, 12);
    c.in_c = pick(0, 3) == 0 ? 1 : pick(1, 40);
    c.out_c = pick(0, 3) == 0 ? 1 : pick(1, 70);
    c.f_h = pick(1, 4);
    c.f_w = pick(1, 4);
    c.stride_h = pick(1, 3);
    c.stride_w = pick(1, 3);
    c.dil_h = pick(1, 2);
    c.dil_w = pick(1, 2);
    c.padding = pick(0, 1) ? Padding::kSame : Padding::kValid;
    c.act = acts[static_cast<size_t>(pick(0, static_cast<int>(acts.size()) - 1))];
    c.bias = pick(0, 1) == 1;
    if (c.padding == Padding::kValid &&
        (c.in_h < (c.f_h - 1) * c.dil_h + 1 || c.in_w < (c.f_w - 1) * c.dil_w + 1))
      c.padding = Padding::kSame;
    cases.push_back(c);
  }
  return cases;
}

// Name of the kernel the default registry picks for op 0 of a one-op model.
inline std::string ChosenKernel(const Model& m, const std::vector<DType>& in_types) {
  const Graph& g = m.main();
  const Op& op = g.ops[0];
  std::vector<TensorView> views(op.inputs.size());
  KernelContext ctx;
  ctx.graph = &g;
  ctx.op_index = 0;
  ctx.op = &op;
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    if (op.inputs[i] < 0) {
      ctx.inputs.push_back(nullptr);
      continue;
    }
    const Tensor& t = g.tensors[static_cast<size_t>(op.inputs[i])];
    views[i].type = i < in_types.size() ? in_types[i] : t.type;
    views[i].shape = t.shape;
    views[i].quant = &t.quant;
    ctx.inputs.push_back(&views[i]);
  }
  TensorView out;
  const Tensor& ot = g.tensors[static_cast<size_t>(op.outputs[0])];
  out.type = ot.type;
  out.shape = ot.shape;
  out.quant = &ot.quant;
  ctx.outputs.push_back(&out);
  return DefaultKernelRegistry().Choose(ctx);
}

}  // namespace cae::testing
