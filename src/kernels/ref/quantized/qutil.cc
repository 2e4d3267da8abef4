#include "kernels/ref/quantized/qutil.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "graph/shape_inference.h"

namespace cae::qref {

const TensorView& In(const KernelContext& ctx, size_t i) {
  Check(i < ctx.inputs.size() && ctx.inputs[i] != nullptr, ctx, ": input ", i,
        " is missing");
  return *ctx.inputs[i];
}

TensorView& Out(const KernelContext& ctx, size_t i) {
  Check(i < ctx.outputs.size() && ctx.outputs[i] != nullptr, ctx, ": output ", i,
        " is missing");
  return *ctx.outputs[i];
}

const TensorView* OptIn(const KernelContext& ctx, size_t i) {
  return i < ctx.inputs.size() ? ctx.inputs[i] : nullptr;
}

DType InType(const KernelContext& ctx, size_t i) {
  const TensorView* t = OptIn(ctx, i);
  return t ? t->type : DType::kString;
}

DType OutType(const KernelContext& ctx, size_t i) {
  return i < ctx.outputs.size() && ctx.outputs[i] ? ctx.outputs[i]->type : DType::kString;
}

float Scale(const KernelContext& ctx, const TensorView& t) {
  Check(t.quant != nullptr && !t.quant->scale.empty(), ctx, ": tensor ",
        t.tensor_index, " has no quantization scale");
  const float s = t.quant->scale[0];
  Check(s > 0 && std::isfinite(s), ctx, ": tensor ", t.tensor_index, " has scale ", s,
        ", expected a finite positive number");
  return s;
}

int32_t ZeroPoint(const KernelContext& ctx, const TensorView& t) {
  Check(t.quant != nullptr, ctx, ": tensor ", t.tensor_index, " has no quantization");
  if (t.quant->zero_point.empty()) return 0;
  const int64_t zp = t.quant->zero_point[0];
  const bool is_int32 = t.type == DType::kInt32;
  Check(is_int32 || (zp >= QuantMin(t.type) && zp <= QuantMax(t.type)), ctx,
        ": tensor ", t.tensor_index, " zero point ", zp, " is outside the range of ",
        DTypeName(t.type));
  return static_cast<int32_t>(zp);
}

std::vector<float> ChannelScales(const KernelContext& ctx, const TensorView& t, int n) {
  Check(t.quant != nullptr && !t.quant->scale.empty(), ctx, ": tensor ",
        t.tensor_index, " has no quantization scale");
  const auto& s = t.quant->scale;
  Check(s.size() == 1 || s.size() == static_cast<size_t>(n), ctx, ": tensor ",
        t.tensor_index, " has ", s.size(), " scales, expected 1 or ", n);
  std::vector<float> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    out[i] = s.size() == 1 ? s[0] : s[i];
    Check(out[i] > 0 && std::isfinite(out[i]), ctx, ": tensor ", t.tensor_index,
          " scale ", i, " is ", out[i], ", expected a finite positive number");
  }
  return out;
}

void CheckRank(const KernelContext& ctx, const TensorView& t, int r) {
  Check(t.rank() == r, ctx, ": tensor ", t.tensor_index, " has shape ",
        ShapeToString(t.shape), ", expected rank ", r);
}

void CheckSameShape(const KernelContext& ctx, const TensorView& a, const TensorView& b) {
  Check(a.shape == b.shape, ctx, ": tensor ", b.tensor_index, " has shape ",
        ShapeToString(b.shape), ", expected ", ShapeToString(a.shape));
}

int64_t ConvEffectiveFilter(int32_t filter, int32_t dilation) {
  return (int64_t{filter} - 1) * dilation + 1;
}

int32_t ConvOutSize(Padding p, int32_t in, int32_t filter, int32_t stride, int32_t dilation) {
  if (stride <= 0) return 0;
  const int64_t out = p == Padding::kSame
                          ? (int64_t{in} + stride - 1) / stride
                          : (in - ConvEffectiveFilter(filter, dilation) + stride) / stride;
  return static_cast<int32_t>(std::clamp<int64_t>(out, INT32_MIN, INT32_MAX));
}

int32_t ConvPadding(Padding p, int32_t in, int32_t filter, int32_t stride, int32_t dilation,
                    int32_t out) {
  (void)p;
  return static_cast<int32_t>(
      std::min<int64_t>(cae::ConvTotalPadding(stride, dilation, in, filter, out) / 2, INT32_MAX));
}

int32_t LoadQ(const TensorView& t, int64_t i) {
  switch (t.type) {
    case DType::kInt8: return t.as<int8_t>()[i];
    case DType::kUInt8: return t.as<uint8_t>()[i];
    case DType::kInt16: return t.as<int16_t>()[i];
    default: return t.as<int32_t>()[i];
  }
}

void StoreQ(TensorView& t, int64_t i, int32_t v) {
  switch (t.type) {
    case DType::kInt8: t.as<int8_t>()[i] = static_cast<int8_t>(v); break;
    case DType::kUInt8: t.as<uint8_t>()[i] = static_cast<uint8_t>(v); break;
    case DType::kInt16: t.as<int16_t>()[i] = static_cast<int16_t>(v); break;
    default: t.as<int32_t>()[i] = v; break;
  }
}

std::vector<int64_t> ReadIndexTensor(const KernelContext& ctx, const TensorView& t) {
  Check(t.type == DType::kInt32 || t.type == DType::kInt64, ctx, ": tensor ",
        t.tensor_index, " is ", DTypeName(t.type), ", expected int32 or int64");
  Check(t.data != nullptr || t.num_elements() == 0, ctx, ": tensor ", t.tensor_index,
        " has no data");
  const int64_t n = t.num_elements();
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    v[i] = t.type == DType::kInt32 ? t.as<int32_t>()[i] : t.as<int64_t>()[i];
  }
  return v;
}

std::vector<int64_t> BroadcastStrides(const KernelContext& ctx, const std::vector<int32_t>& shape,
                                      const std::vector<int32_t>& out) {
  const size_t r = out.size();
  Check(shape.size() <= r, ctx, ": cannot broadcast ", ShapeToString(shape), " to ",
        ShapeToString(out));
  std::vector<int64_t> strides(r, 0);
  int64_t stride = 1;
  for (size_t k = 0; k < shape.size(); ++k) {
    const size_t si = shape.size() - 1 - k;
    const size_t oi = r - 1 - k;
    Check(shape[si] == out[oi] || shape[si] == 1, ctx, ": cannot broadcast ",
          ShapeToString(shape), " to ", ShapeToString(out));
    strides[oi] = shape[si] == 1 ? 0 : stride;
    stride *= shape[si];
  }
  return strides;
}

}  // namespace cae::qref
