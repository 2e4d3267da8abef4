// Fast CONV_2D, int8 activations and int8 weights (per-channel or per-tensor scales, TFLite
// ConvPerChannel): NHWC input, OHWI filter, int32 bias, any stride / dilation / padding, fused
// activation. Bit-exact with kernels/ref/quantized: the int32 accumulator is the same sum (integer
// addition is order-independent) and the output stage is the same single-rounding requantization
// (kernels/quant_math.h) with the same multipliers and clamp.
// Wide path (out_c >= one int32 vector, Highway dynamic dispatch): up to 4 vectors of output
// channels per pixel in registers; on x86 weights are packed as int16 pairs [tap][in_c/2][out_c]
// and two input channels go through one pmaddwd, elsewhere int32 [tap][in_c][out_c] and Mul+Add.
// With AVX-512 VNNI (conv_int8_vnni.h) every shape runs there instead, and so does uint8 CONV_2D
// (registered as fast/uint8/conv_2d, VNNI CPUs only).
// Narrow path (few output channels, dilation_w 1): contiguous runs of input and filter per filter
// row, plain integer loops the compiler vectorizes. Rows are spread over the ThreadPool.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/fast/conv_int8.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/fast/conv_geometry.h"
#include "kernels/fast/fast_kernels.h"
#include "kernels/parallel.h"
#include "kernels/quant_math.h"
#include "kernels/ref/quantized/conv_prepare.h"
#include "kernels/ref/quantized/qutil.h"

#include "kernels/fast/conv_int8_vnni.h"
#include "kernels/fast/int8_output_stage.h"

HWY_BEFORE_NAMESPACE();
namespace cae::fast {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One output row (b, oy), wide path. packed: [f_h*f_w*in_c][ocp] int32; bias: [ocp] int32.
void ConvRowWideI8(const ConvGeometry& g, int ocp, const int8_t* input, int32_t input_offset,
                   const int32_t* packed, const int32_t* bias, const Int8OutputStage& stage,
                   int b, int oy, int8_t* out_row) {
  const hn::ScalableTag<int32_t> d;
  const int N = static_cast<int>(hn::Lanes(d));
  HWY_ALIGN int32_t acc[4 * 64];
  int ky0, ky1;
  ConvGeometry::ValidTaps(oy, g.stride_h, g.pad_h, g.dil_h, g.f_h, g.in_h, &ky0, &ky1);
  const int8_t* img = input + int64_t{b} * g.in_h * g.in_w * g.in_c;
  for (int ox = 0; ox < g.out_w; ++ox) {
    int kx0, kx1;
    ConvGeometry::ValidTaps(ox, g.stride_w, g.pad_w, g.dil_w, g.f_w, g.in_w, &kx0, &kx1);
    int8_t* out = out_row + int64_t{ox} * g.out_c;
    for (int oc0 = 0; oc0 < g.out_c; oc0 += 4 * N) {
      const int nv = std::min(4, (g.out_c - oc0 + N - 1) / N);
      auto a0 = hn::LoadU(d, bias + oc0);
      auto a1 = nv > 1 ? hn::LoadU(d, bias + oc0 + N) : hn::Zero(d);
      auto a2 = nv > 2 ? hn::LoadU(d, bias + oc0 + 2 * N) : hn::Zero(d);
      auto a3 = nv > 3 ? hn::LoadU(d, bias + oc0 + 3 * N) : hn::Zero(d);
      for (int ky = ky0; ky < ky1; ++ky) {
        const int iy = oy * g.stride_h - g.pad_h + ky * g.dil_h;
        for (int kx = kx0; kx < kx1; ++kx) {
          const int ix = ox * g.stride_w - g.pad_w + kx * g.dil_w;
          const int8_t* x = img + (int64_t{iy} * g.in_w + ix) * g.in_c;
          const int32_t* w = packed + (int64_t{ky} * g.f_w + kx) * g.in_c * ocp + oc0;
          if (nv == 4) {
            for (int ic = 0; ic < g.in_c; ++ic, w += ocp) {
              const auto xv = hn::Set(d, static_cast<int32_t>(x[ic]) + input_offset);
              a0 = hn::Add(a0, hn::Mul(xv, hn::LoadU(d, w)));
              a1 = hn::Add(a1, hn::Mul(xv, hn::LoadU(d, w + N)));
              a2 = hn::Add(a2, hn::Mul(xv, hn::LoadU(d, w + 2 * N)));
              a3 = hn::Add(a3, hn::Mul(xv, hn::LoadU(d, w + 3 * N)));
            }
          } else {
            for (int ic = 0; ic < g.in_c; ++ic, w += ocp) {
              const auto xv = hn::Set(d, static_cast<int32_t>(x[ic]) + input_offset);
              a0 = hn::Add(a0, hn::Mul(xv, hn::LoadU(d, w)));
              if (nv > 1) a1 = hn::Add(a1, hn::Mul(xv, hn::LoadU(d, w + N)));
              if (nv > 2) a2 = hn::Add(a2, hn::Mul(xv, hn::LoadU(d, w + 2 * N)));
            }
          }
        }
      }
      hn::Store(a0, d, acc);
      hn::Store(a1, d, acc + N);
      hn::Store(a2, d, acc + 2 * N);
      hn::Store(a3, d, acc + 3 * N);
      const int n = std::min(4 * N, g.out_c - oc0);
      for (int j = 0; j < n; ++j) out[oc0 + j] = stage.Apply(acc[j], oc0 + j);
    }
  }
}

#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
// x86 only: ReorderWidenMulAccumulate on int16 is pmaddwd there, i.e. int32 lane i receives
// a[2i]*b[2i] + a[2i+1]*b[2i+1], which the pair layout below relies on.
inline constexpr bool kPairedMadd = true;

// As ConvRowWideI8, with weights packed as int16 pairs [tap][in_c/2 rounded up][ocp][2] (the odd
// channel's partner weight 0) and two input channels per multiply-add. Inputs plus offset lie in
// [-255, 255] and weights in [-128, 127], so no int16 product sum saturates.
void ConvRowPairedI8(const ConvGeometry& g, int ocp, const int8_t* input, int32_t input_offset,
                     const int16_t* packed, const int32_t* bias, const Int8OutputStage& stage,
                     int b, int oy, int8_t* out_row) {
  const hn::ScalableTag<int32_t> d;
  const hn::Repartition<int16_t, decltype(d)> d16;
  const int N = static_cast<int>(hn::Lanes(d));
  const int pairs = (g.in_c + 1) / 2;
  HWY_ALIGN int32_t acc[4 * 64];
  int ky0, ky1;
  ConvGeometry::ValidTaps(oy, g.stride_h, g.pad_h, g.dil_h, g.f_h, g.in_h, &ky0, &ky1);
  const int8_t* img = input + int64_t{b} * g.in_h * g.in_w * g.in_c;
  auto pair = [&](const int8_t* x, int p) {
    const int32_t lo = static_cast<int32_t>(x[2 * p]) + input_offset;
    const int32_t hi = 2 * p + 1 < g.in_c ? static_cast<int32_t>(x[2 * p + 1]) + input_offset : 0;
    return hn::BitCast(d16, hn::Set(d, static_cast<int32_t>((static_cast<uint32_t>(lo) & 0xFFFFu) |
                                                            (static_cast<uint32_t>(hi) << 16))));
  };
  for (int ox = 0; ox < g.out_w; ++ox) {
    int kx0, kx1;
    ConvGeometry::ValidTaps(ox, g.stride_w, g.pad_w, g.dil_w, g.f_w, g.in_w, &kx0, &kx1);
    int8_t* out = out_row + int64_t{ox} * g.out_c;
    for (int oc0 = 0; oc0 < g.out_c; oc0 += 4 * N) {
      const int nv = std::min(4, (g.out_c - oc0 + N - 1) / N);
      auto a0 = hn::LoadU(d, bias + oc0);
      auto a1 = nv > 1 ? hn::LoadU(d, bias + oc0 + N) : hn::Zero(d);
      auto a2 = nv > 2 ? hn::LoadU(d, bias + oc0 + 2 * N) : hn::Zero(d);
      auto a3 = nv > 3 ? hn::LoadU(d, bias + oc0 + 3 * N) : hn::Zero(d);
      auto unused = hn::Zero(d);
      for (int ky = ky0; ky < ky1; ++ky) {
        const int iy = oy * g.stride_h - g.pad_h + ky * g.dil_h;
        for (int kx = kx0; kx < kx1; ++kx) {
          const int ix = ox * g.stride_w - g.pad_w + kx * g.dil_w;
          const int8_t* x = img + (int64_t{iy} * g.in_w + ix) * g.in_c;
          const int16_t* w = packed + ((int64_t{ky} * g.f_w + kx) * pairs * ocp + oc0) * 2;
          for (int p = 0; p < pairs; ++p, w += 2 * ocp) {
            const auto xv = pair(x, p);
            a0 = hn::ReorderWidenMulAccumulate(d, xv, hn::LoadU(d16, w), a0, unused);
            if (nv > 1) a1 = hn::ReorderWidenMulAccumulate(d, xv, hn::LoadU(d16, w + 2 * N), a1, unused);
            if (nv > 2) a2 = hn::ReorderWidenMulAccumulate(d, xv, hn::LoadU(d16, w + 4 * N), a2, unused);
            if (nv > 3) a3 = hn::ReorderWidenMulAccumulate(d, xv, hn::LoadU(d16, w + 6 * N), a3, unused);
          }
        }
      }
      hn::Store(a0, d, acc);
      hn::Store(a1, d, acc + N);
      hn::Store(a2, d, acc + 2 * N);
      hn::Store(a3, d, acc + 3 * N);
      const int n = std::min(4 * N, g.out_c - oc0);
      for (int j = 0; j < n; ++j) out[oc0 + j] = stage.Apply(acc[j], oc0 + j);
    }
  }
}
#else
inline constexpr bool kPairedMadd = false;
void ConvRowPairedI8(const ConvGeometry&, int, const int8_t*, int32_t, const int16_t*,
                     const int32_t*, const Int8OutputStage&, int, int, int8_t*) {}
#endif

// True if this target has ConvRowPairedI8.
bool HasPairedI8() { return kPairedMadd; }

// Number of int32 lanes of the chosen target.
int LanesI32() { return static_cast<int>(hn::Lanes(hn::ScalableTag<int32_t>())); }

}  // namespace HWY_NAMESPACE
}  // namespace cae::fast
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cae::fast {
HWY_EXPORT(ConvRowWideI8);
HWY_EXPORT(LanesI32);
HWY_EXPORT(ConvRowPairedI8);
HWY_EXPORT(HasPairedI8);

namespace {

using qref::In;
using qref::OptIn;
using qref::Out;

// One output row, narrow path (dil_w == 1). filter: OHWI int8 as stored.
void ConvRowNarrowI8(const ConvGeometry& g, const int8_t* input, int32_t input_offset,
                     const int8_t* filter, const int32_t* bias, const Int8OutputStage& stage,
                     int b, int oy, int8_t* out_row) {
  int ky0, ky1;
  ConvGeometry::ValidTaps(oy, g.stride_h, g.pad_h, g.dil_h, g.f_h, g.in_h, &ky0, &ky1);
  const int8_t* img = input + int64_t{b} * g.in_h * g.in_w * g.in_c;
  for (int ox = 0; ox < g.out_w; ++ox) {
    int kx0, kx1;
    ConvGeometry::ValidTaps(ox, g.stride_w, g.pad_w, 1, g.f_w, g.in_w, &kx0, &kx1);
    const int ix0 = ox * g.stride_w - g.pad_w + kx0;
    const int run = (kx1 - kx0) * g.in_c;
    for (int oc = 0; oc < g.out_c; ++oc) {
      int32_t acc = bias[oc];
      for (int ky = ky0; ky < ky1; ++ky) {
        const int iy = oy * g.stride_h - g.pad_h + ky * g.dil_h;
        const int8_t* x = img + (int64_t{iy} * g.in_w + ix0) * g.in_c;
        const int8_t* w = filter + ((int64_t{oc} * g.f_h + ky) * g.f_w + kx0) * g.in_c;
        int32_t s = 0, sw = 0;
        for (int i = 0; i < run; ++i) {
          s += static_cast<int32_t>(w[i]) * static_cast<int32_t>(x[i]);
          sw += w[i];
        }
        // sum w*(x+off) == sum w*x + off*sum w (mod 2^32, as the reference's int32 sum).
        acc = static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(s) +
                                   static_cast<uint32_t>(sw) * static_cast<uint32_t>(input_offset));
      }
      out_row[int64_t{ox} * g.out_c + oc] = stage.Apply(acc, oc);
    }
  }
}

class FastConvI8 : public OpKernel {
 public:
  void Prepare(const KernelContext& ctx) override {
    const TensorView& in = In(ctx, 0);
    const TensorView& filter = In(ctx, 1);
    const TensorView* bias = OptIn(ctx, 2);
    TensorView& out = Out(ctx, 0);
    const OpOptions& o = ctx.op->options;
    qref::CheckConvGeometry(ctx, /*depthwise=*/false, o.dilation_h, o.dilation_w);
    const int32_t cout = filter.dim(0);
    qref::CheckBias(ctx, bias, DType::kInt32, cout);
    g_ = ConvGeometry::From(ctx);
    input_offset_ = -qref::ZeroPoint(ctx, in);
    const float out_scale = qref::Scale(ctx, out);
    stage_.output_offset = qref::ZeroPoint(ctx, out);
    const bool uint8 = in.type == DType::kUInt8;
    mult_ = qref::ConvOutputMultipliers(ctx, in, filter, out, cout);
    CalculateActivationRangeQuantized(o.activation, out.type, out_scale, stage_.output_offset,
                                      &stage_.act_min, &stage_.act_max);
    stage_.mult = mult_.data();
    const void* bias_data = bias ? bias->data : nullptr;
    // Prepared again for another batch size only: keep the packed weights.
    ConvGeometry same = vnni_geometry_;
    same.batches = g_.batches;
    if (vnni_ && std::memcmp(&same, &g_, sizeof g_) == 0 && filter.is_constant &&
        filter.data == packed_for_ && (!bias || bias->is_constant) && bias_data == vnni_bias_for_) {
      vnni_->set_batches(g_.batches);
      vnni_geometry_ = g_;
      return;
    }
    vnni_.reset();
    packed_for_ = nullptr;
    Check(!uint8 || (g_.pad_h >= 0 && g_.pad_w >= 0), ctx, ": negative padding");
    if (uint8 || (VnniAvailable() && g_.pad_h >= 0 && g_.pad_w >= 0)) {
      vnni_geometry_ = g_;
      vnni_bias_for_ = bias_data;
      vnni_ = std::make_unique<VnniConvI8>(g_, -input_offset_, stage_, uint8,
                                           uint8 ? qref::ZeroPoint(ctx, filter) : 0);
      vnni_->SetWeights(filter.data, bias ? bias->as<int32_t>() : nullptr);
      packed_for_ = filter.data;
      return;
    }
    narrow_ = cout < HWY_DYNAMIC_DISPATCH(LanesI32)() && g_.dil_w == 1;
    paired_ = !narrow_ && HWY_DYNAMIC_DISPATCH(HasPairedI8)();
    ocp_ = RoundUp(cout, kOcAlign);
    bias_.assign(static_cast<size_t>(ocp_), 0);
    if (bias) std::memcpy(bias_.data(), bias->data, sizeof(int32_t) * cout);
    PackWeights(filter);
    packed_for_ = filter.data;
  }

  void Eval(const KernelContext& ctx) override {
    const TensorView& filter = In(ctx, 1);
    if (vnni_) {
      const TensorView* bias = OptIn(ctx, 2);
      if (!filter.is_constant || filter.data != packed_for_ || (bias && !bias->is_constant)) {
        vnni_->SetWeights(filter.data, bias ? bias->as<int32_t>() : nullptr);
        packed_for_ = filter.data;
      }
      vnni_->Run(In(ctx, 0).data, Out(ctx, 0).data, ctx.pool);
      return;
    }
    if (!filter.is_constant || filter.data != packed_for_) {
      PackWeights(filter);
      packed_for_ = filter.data;
    }
    const TensorView* bias = OptIn(ctx, 2);
    if (bias && !bias->is_constant) std::memcpy(bias_.data(), bias->data, sizeof(int32_t) * g_.out_c);
    const int8_t* input = In(ctx, 0).as<int8_t>();
    const int8_t* w = filter.as<int8_t>();
    int8_t* output = Out(ctx, 0).as<int8_t>();
    const int64_t row_elems = int64_t{g_.out_w} * g_.out_c;
    ParallelFor(ctx.pool, int64_t{g_.batches} * g_.out_h, 1, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int b = static_cast<int>(row / g_.out_h), oy = static_cast<int>(row % g_.out_h);
        int8_t* out_row = output + row * row_elems;
        if (narrow_) {
          ConvRowNarrowI8(g_, input, input_offset_, w, bias_.data(), stage_, b, oy, out_row);
        } else if (paired_) {
          HWY_DYNAMIC_DISPATCH(ConvRowPairedI8)(g_, ocp_, input, input_offset_, packed16_.data(),
                                                bias_.data(), stage_, b, oy, out_row);
        } else {
          HWY_DYNAMIC_DISPATCH(ConvRowWideI8)(g_, ocp_, input, input_offset_, packed_.data(),
                                              bias_.data(), stage_, b, oy, out_row);
        }
      }
    });
  }

 private:
  // OHWI int8 -> [ky][kx][ic][oc padded to ocp_] int32 (wide path only).
  void PackWeights(const TensorView& w) {
    if (narrow_) return;
    const int8_t* f = w.as<int8_t>();
    const int taps = g_.f_h * g_.f_w;
    if (paired_) {
      const int pairs = (g_.in_c + 1) / 2;
      packed16_.assign(static_cast<size_t>(taps) * pairs * ocp_ * 2, 0);
      for (int oc = 0; oc < g_.out_c; ++oc)
        for (int t = 0; t < taps; ++t)
          for (int ic = 0; ic < g_.in_c; ++ic)
            packed16_[((static_cast<size_t>(t) * pairs + ic / 2) * ocp_ + oc) * 2 + ic % 2] =
                f[(static_cast<size_t>(oc) * taps + t) * g_.in_c + ic];
      return;
    }
    packed_.assign(static_cast<size_t>(taps) * g_.in_c * ocp_, 0);
    for (int oc = 0; oc < g_.out_c; ++oc)
      for (int t = 0; t < taps; ++t)
        for (int ic = 0; ic < g_.in_c; ++ic)
          packed_[(static_cast<size_t>(t) * g_.in_c + ic) * ocp_ + oc] =
              f[(static_cast<size_t>(oc) * taps + t) * g_.in_c + ic];
  }

  ConvGeometry g_;
  int32_t input_offset_ = 0;
  Int8OutputStage stage_;
  std::vector<QuantizedMultiplier> mult_;
  bool narrow_ = false, paired_ = false;
  int ocp_ = 0;
  std::vector<int32_t> packed_, bias_;
  std::vector<int16_t> packed16_;  // paired layout (x86)
  const void* packed_for_ = nullptr;
  std::unique_ptr<VnniConvI8> vnni_;  // set when the CPU has AVX-512 VNNI
  ConvGeometry vnni_geometry_;         // what vnni_ was built for
  const void* vnni_bias_for_ = nullptr;
};

std::unique_ptr<OpKernel> Create(const KernelContext& ctx) {
  if (qref::InType(ctx, 0) != DType::kInt8 || qref::InType(ctx, 1) != DType::kInt8 ||
      qref::OutType(ctx, 0) != DType::kInt8)
    return nullptr;
  const TensorView* bias = OptIn(ctx, 2);
  if (bias && bias->type != DType::kInt32) return nullptr;
  return std::make_unique<FastConvI8>();
}

// uint8 (per-tensor weights with a zero point, double rounding): VNNI CPUs only.
std::unique_ptr<OpKernel> CreateUint8(const KernelContext& ctx) {
  if (qref::InType(ctx, 0) != DType::kUInt8 || qref::InType(ctx, 1) != DType::kUInt8 ||
      qref::OutType(ctx, 0) != DType::kUInt8 || !VnniAvailable())
    return nullptr;
  const TensorView* bias = OptIn(ctx, 2);
  if (bias && bias->type != DType::kInt32) return nullptr;
  const TensorView& filter = *ctx.inputs[1];
  if (filter.quant == nullptr || filter.quant->scale.size() != 1) return nullptr;
  return std::make_unique<FastConvI8>();
}

}  // namespace

void RegisterFastConvInt8(KernelRegistry& r) {
  r.Register(OpType::CONV_2D, "fast/int8/conv_2d", kFastPriority, Create);
  r.Register(OpType::CONV_2D, "fast/uint8/conv_2d", kFastPriority, CreateUint8);
}

}  // namespace cae::fast
#endif  // HWY_ONCE
