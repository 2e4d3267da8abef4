// CAST between float32, int32, int64, uint8, int8 and bool. Float to integer truncates toward zero
// and saturates at the target's range (NaN becomes 0); to bool is "value != 0".
#include <cmath>
#include <limits>

#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

bool Castable(DType t) {
  return t == DType::kFloat32 || t == DType::kInt32 || t == DType::kInt64 || t == DType::kUInt8 ||
         t == DType::kInt8 || t == DType::kBool;
}

double Load(const void* p, DType t, int64_t i) {
  switch (t) {
    case DType::kFloat32: return static_cast<const float*>(p)[i];
    case DType::kInt32: return static_cast<const int32_t*>(p)[i];
    case DType::kInt64: return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    case DType::kUInt8: return static_cast<const uint8_t*>(p)[i];
    case DType::kInt8: return static_cast<const int8_t*>(p)[i];
    case DType::kBool: return static_cast<const uint8_t*>(p)[i] != 0 ? 1.0 : 0.0;
    default: return 0.0;
  }
}

template <typename T>
T Saturate(double v) {
  if (std::isnan(v)) return T(0);
  v = std::trunc(v);
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

class Cast : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override { CheckOutputShape(ctx, 0, Input(ctx, 0).shape); }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    const int64_t n = in.num_elements();
    // int64 -> int64 and int32 -> int64 must not round through double.
    if (in.type == DType::kInt64 || in.type == DType::kInt32) {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t v = in.type == DType::kInt64 ? in.as<int64_t>()[i] : in.as<int32_t>()[i];
        switch (out.type) {
          case DType::kFloat32: out.as<float>()[i] = static_cast<float>(v); break;
          case DType::kInt32: out.as<int32_t>()[i] = static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX)); break;
          case DType::kInt64: out.as<int64_t>()[i] = v; break;
          case DType::kUInt8: out.as<uint8_t>()[i] = static_cast<uint8_t>(std::clamp<int64_t>(v, 0, 255)); break;
          case DType::kInt8: out.as<int8_t>()[i] = static_cast<int8_t>(std::clamp<int64_t>(v, -128, 127)); break;
          case DType::kBool: out.as<uint8_t>()[i] = v != 0; break;
          default: break;
        }
      }
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const double v = Load(in.data, in.type, i);
      switch (out.type) {
        case DType::kFloat32: out.as<float>()[i] = static_cast<float>(v); break;
        case DType::kInt32: out.as<int32_t>()[i] = Saturate<int32_t>(v); break;
        case DType::kInt64: out.as<int64_t>()[i] = Saturate<int64_t>(v); break;
        case DType::kUInt8: out.as<uint8_t>()[i] = Saturate<uint8_t>(v); break;
        case DType::kInt8: out.as<int8_t>()[i] = Saturate<int8_t>(v); break;
        case DType::kBool: out.as<uint8_t>()[i] = v != 0.0; break;
        default: break;
      }
    }
  }
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!HasInput(ctx, 0) || ctx.outputs.empty() || ctx.outputs[0] == nullptr) return nullptr;
  if (!Castable(ctx.inputs[0]->type) || !Castable(ctx.outputs[0]->type)) return nullptr;
  return std::make_unique<Cast>();
}

}  // namespace

void RegisterCast(KernelRegistry& r) { r.Register(OpType::CAST, "ref/float/cast", kRefPriority, Create); }

}  // namespace cae::ref
