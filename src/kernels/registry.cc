// KernelRegistry, TensorView and KernelContext helpers, and the process-wide default registry.
#include <algorithm>
#include <mutex>

#include "graph/error.h"
#include "graph/shape.h"
#include "kernels/kernel.h"

namespace cae {

int64_t TensorView::num_elements() const { return NumElements(shape); }

std::string KernelContext::Describe() const {
  if (graph == nullptr) return StrCat("op ", op_index);
  return DescribeOp(*graph, op_index);
}

std::ostream& operator<<(std::ostream& out, const KernelContext& ctx) { return out << ctx.Describe(); }

void KernelRegistry::Register(OpType type, std::string name, int priority, KernelFactory factory) {
  Check(factory != nullptr, "kernel '", name, "': null factory");
  Entry e{type, std::move(name), priority, factory};
  // Stable: among equal priorities, the first registered is tried first.
  auto pos = std::find_if(entries_.begin(), entries_.end(),
                          [&](const Entry& x) { return x.priority < e.priority; });
  entries_.insert(pos, std::move(e));
}

namespace {

std::string InputTypes(const KernelContext& ctx) {
  std::string s = "(";
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    if (i) s += ", ";
    s += ctx.inputs[i] ? std::string(DTypeName(ctx.inputs[i]->type)) : std::string("none");
  }
  return s + ")";
}

// Custom ops are code that lives outside TFLite's builtins (an application's op, a delegate's
// region); none is built in, whatever the input types.
std::string NoKernelMessage(const KernelContext& ctx) {
  if (ctx.op->type == OpType::CUSTOM) {
    return StrCat(ctx.Describe(), ": custom op with no kernel in this interpreter",
                  ctx.op->custom_code == "edgetpu-custom-op"
                      ? " (a model compiled for the Edge TPU runs there, through libedgetpu; run the "
                        "model given to edgetpu_compiler instead)"
                      : "");
  }
  return StrCat(ctx.Describe(), ": no kernel for input types ", InputTypes(ctx));
}

bool IsFloatType(DType t) { return t == DType::kFloat32 || t == DType::kFloat16; }

// The name a chosen kernel is reported under. The float reference family also registers the
// kernels that move elements of any type without reading them as numbers (CONCATENATION, RESHAPE,
// PAD, TRANSPOSE, GATHER, ...) and the integer CAST/ARG_MAX/SHAPE: when such a kernel runs an op
// with no float tensor (e.g. an int8 CONCATENATION, which copies bytes), "float" would be untrue,
// so "ref/float/<op>" is reported as "ref/generic/<op>".
std::string ReportedName(const std::string& registered, const KernelContext& ctx) {
  static const std::string kFloatFamily = "ref/float/";
  if (registered.rfind(kFloatFamily, 0) != 0) return registered;
  for (const std::vector<TensorView*>* views : {&ctx.inputs, &ctx.outputs})
    for (const TensorView* v : *views)
      if (v != nullptr && IsFloatType(v->type)) return registered;
  return "ref/generic/" + registered.substr(kFloatFamily.size());
}

}  // namespace

std::unique_ptr<OpKernel> KernelRegistry::Create(const KernelContext& ctx, int max_priority) const {
  Check(ctx.op != nullptr, ctx, ": kernel context without an op");
  for (const Entry& e : entries_) {
    if (e.type != ctx.op->type || e.priority > max_priority) continue;
    if (std::unique_ptr<OpKernel> k = e.factory(ctx)) return k;
  }
  throw Error(NoKernelMessage(ctx));
}

std::string KernelRegistry::Choose(const KernelContext& ctx, int max_priority) const {
  if (ctx.op == nullptr) return {};
  for (const Entry& e : entries_) {
    if (e.type != ctx.op->type || e.priority > max_priority) continue;
    if (e.factory(ctx) != nullptr) return ReportedName(e.name, ctx);
  }
  return {};
}

const KernelRegistry& DefaultKernelRegistry() {
  static const KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    RegisterRefFloatKernels(*r);
    RegisterRefQuantizedKernels(*r);
    RegisterFastKernels(*r);
    return r;
  }();
  return *registry;
}

}  // namespace cae
