// PAD, PADV2 and MIRROR_PAD on any element type whose quantization is unchanged. Paddings: input 1
// [rank, 2] (before, after). PAD fills with 0 (the zero point for quantized types), PADV2 with
// input 2, MIRROR_PAD reflects (mode 0, edge excluded) or is symmetric (mode 1, edge included).
#include <cstring>

#include "kernels/ref/float/common.h"
#include "kernels/ref/float/float_kernels.h"

namespace cae::ref {
namespace {

class Pad : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    const std::vector<int64_t> p = ReadInts(ctx, 1, "paddings");
    KCheck(ctx, p.size() == static_cast<size_t>(in.rank()) * 2, "paddings has ", p.size(),
           " values, expected ", in.rank() * 2);
    before_.assign(in.rank(), 0);
    std::vector<int32_t> out(in.rank());
    const bool mirror = ctx.op->type == OpType::MIRROR_PAD;
    const int mode = ctx.op->options.mirror_pad_mode;
    if (mirror) KCheck(ctx, mode == 0 || mode == 1, "unknown mirror pad mode ", mode);
    for (int d = 0; d < in.rank(); ++d) {
      KCheck(ctx, p[2 * d] >= 0 && p[2 * d + 1] >= 0 && p[2 * d] <= INT32_MAX && p[2 * d + 1] <= INT32_MAX,
             "bad padding on dim ", d);
      if (mirror) {
        const int64_t limit = in.dim(d) - (mode == 0 ? 1 : 0);
        KCheck(ctx, p[2 * d] <= limit && p[2 * d + 1] <= limit, "mirror padding on dim ", d,
               " larger than the dim allows");
      }
      before_[d] = static_cast<int32_t>(p[2 * d]);
      const int64_t s = in.dim(d) + p[2 * d] + p[2 * d + 1];
      KCheck(ctx, s <= INT32_MAX, "padded dim too large");
      out[d] = static_cast<int32_t>(s);
    }
    CheckOutputShape(ctx, 0, out);
    const size_t elem = DTypeSize(in.type);
    pad_value_.assign(elem, 0);
    if (ctx.op->type == OpType::PADV2 && HasInput(ctx, 2)) {
      const TensorView& v = Input(ctx, 2);
      KCheck(ctx, v.type == in.type && v.num_elements() == 1, "constant_values must be one ",
             DTypeName(in.type), " value");
      std::memcpy(pad_value_.data(), v.data, elem);
    } else if (in.quant != nullptr && !in.quant->empty() && IsQuantizedType(in.type)) {
      const int64_t zp = in.quant->zero_point.empty() ? 0 : in.quant->zero_point[0];
      if (in.type == DType::kInt8) { int8_t z = static_cast<int8_t>(zp); std::memcpy(pad_value_.data(), &z, 1); }
      if (in.type == DType::kUInt8) { uint8_t z = static_cast<uint8_t>(zp); std::memcpy(pad_value_.data(), &z, 1); }
      if (in.type == DType::kInt16) { int16_t z = static_cast<int16_t>(zp); std::memcpy(pad_value_.data(), &z, 2); }
    }
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& in = Input(ctx, 0);
    TensorView& out = Output(ctx, 0);
    const size_t elem = DTypeSize(in.type);
    const int rank = in.rank();
    const bool mirror = ctx.op->type == OpType::MIRROR_PAD;
    const int mode = ctx.op->options.mirror_pad_mode;
    const std::vector<int64_t> in_strides = Strides(in.shape);
    const uint8_t* x = in.as<uint8_t>();
    uint8_t* y = out.as<uint8_t>();
    std::vector<int32_t> idx(rank, 0);
    const int64_t n = out.num_elements();
    for (int64_t i = 0; i < n; ++i) {
      int64_t src = 0;
      bool inside = true;
      for (int d = 0; d < rank; ++d) {
        int64_t j = int64_t{idx[d]} - before_[d];
        const int64_t size = in.dim(d);
        if (j < 0 || j >= size) {
          if (!mirror) { inside = false; break; }
          if (j < 0) j = mode == 0 ? -j : -j - 1;
          else j = mode == 0 ? 2 * size - 2 - j : 2 * size - 1 - j;
        }
        src += j * in_strides[d];
      }
      std::memcpy(y + i * elem, inside ? x + src * elem : pad_value_.data(), elem);
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[d] < out.dim(d)) break;
        idx[d] = 0;
      }
    }
  }

 private:
  std::vector<int32_t> before_;
  std::vector<uint8_t> pad_value_;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (!IsElementCopy(ctx) || ctx.outputs.size() != 1) return nullptr;
  return std::make_unique<Pad>();
}

}  // namespace

void RegisterPad(KernelRegistry& r) {
  r.Register(OpType::PAD, "ref/float/pad", kRefPriority, Create);
  r.Register(OpType::PADV2, "ref/float/padv2", kRefPriority, Create);
  r.Register(OpType::MIRROR_PAD, "ref/float/mirror_pad", kRefPriority, Create);
}

}  // namespace cae::ref
