#include "graph/shape_inference.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <optional>

#include "graph/error.h"
#include "graph/shape.h"

namespace cae {

int32_t ConvOutputSize(Padding padding, int32_t in, int32_t filter, int32_t stride,
                       int32_t dilation) {
  const int64_t effective = (static_cast<int64_t>(filter) - 1) * dilation + 1;
  if (padding == Padding::kSame) return static_cast<int32_t>((in + static_cast<int64_t>(stride) - 1) / stride);
  const int64_t out = (in + static_cast<int64_t>(stride) - effective) / stride;
  return static_cast<int32_t>(std::max<int64_t>(out, 0));
}

int64_t ConvTotalPadding(int32_t stride, int32_t dilation, int32_t in, int32_t filter, int32_t out) {
  const int64_t effective = (static_cast<int64_t>(filter) - 1) * dilation + 1;
  return std::max<int64_t>((static_cast<int64_t>(out) - 1) * stride + effective - in, 0);
}

int32_t ConvPaddingBefore(int32_t stride, int32_t dilation, int32_t in, int32_t filter,
                          int32_t out) {
  return static_cast<int32_t>(
      std::min<int64_t>(ConvTotalPadding(stride, dilation, in, filter, out) / 2, INT32_MAX));
}

bool PaddedConvImageFits(int64_t padded_h, int64_t padded_w, int32_t channels) {
  if (padded_h < 0 || padded_w < 0) return false;
  return padded_h <= kMaxPaddedConvValues / std::max<int64_t>(1, padded_w) &&
         padded_h * padded_w <= kMaxPaddedConvValues / std::max<int64_t>(1, channels);
}

std::vector<int32_t> BroadcastShapes(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int32_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int32_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int32_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      Fail("shapes ", ShapeToString(a), " and ", ShapeToString(b), " do not broadcast");
    }
  }
  return out;
}

int NormalizeAxis(int64_t axis, int rank) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  Check(a >= 0 && a < rank, "axis ", axis, " out of range for rank ", rank);
  return static_cast<int>(a);
}

bool ConstantInts(const Tensor& t, std::vector<int64_t>* values) {
  if (!t.is_constant()) return false;
  const int64_t n = NumElements(t.shape);
  values->clear();
  if (t.type == DType::kInt32) {
    if (static_cast<int64_t>(t.data.size()) != n * 4) return false;
    for (int64_t i = 0; i < n; ++i) {
      int32_t v;
      std::memcpy(&v, t.data.data() + i * 4, 4);
      values->push_back(v);
    }
    return true;
  }
  if (t.type == DType::kInt64) {
    if (static_cast<int64_t>(t.data.size()) != n * 8) return false;
    for (int64_t i = 0; i < n; ++i) {
      int64_t v;
      std::memcpy(&v, t.data.data() + i * 8, 8);
      values->push_back(v);
    }
    return true;
  }
  return false;
}

namespace {

int32_t Clamp(int32_t v, int32_t lo, int32_t hi) { return std::max(lo, std::min(v, hi)); }

}  // namespace

StridedSliceDims ResolveStridedSlice(const std::vector<int32_t>& input_shape,
                                     const std::vector<int32_t>& begin,
                                     const std::vector<int32_t>& end,
                                     const std::vector<int32_t>& strides, const OpOptions& o) {
  Check(o.ellipsis_mask == 0 && o.new_axis_mask == 0,
        "ellipsis_mask and new_axis_mask are not supported");
  const int rank = static_cast<int>(input_shape.size());
  Check(begin.size() == end.size() && begin.size() == strides.size() &&
            static_cast<int>(begin.size()) <= rank,
        "begin/end/strides sizes (", begin.size(), ",", end.size(), ",", strides.size(),
        ") do not fit input rank ", rank);
  StridedSliceDims r;
  for (int axis = 0; axis < rank; ++axis) {
    const int32_t size = input_shape[axis];
    if (axis >= static_cast<int>(begin.size())) {
      r.start.push_back(0);
      r.stride.push_back(1);
      r.count.push_back(size);
      r.output_shape.push_back(size);
      continue;
    }
    const int32_t stride = strides[axis];
    Check(stride != 0, "stride 0 on axis ", axis);
    const bool shrink = (o.shrink_axis_mask >> axis) & 1;
    int32_t start = begin[axis];
    if (((o.begin_mask >> axis) & 1) && !shrink) {
      start = stride > 0 ? 0 : size - 1;
    } else {
      if (start < 0) start += size;
      start = stride > 0 ? Clamp(start, 0, size) : Clamp(start, -1, size - 1);
    }
    int32_t stop;
    if (shrink) {
      Check(start >= 0 && start < size, "shrink index ", begin[axis], " out of range on axis ", axis);
      stop = start + 1;
    } else if ((o.end_mask >> axis) & 1) {
      stop = stride > 0 ? size : -1;
    } else {
      stop = end[axis];
      if (o.offset) stop += begin[axis] < 0 ? begin[axis] + size : begin[axis];
      else if (stop < 0) stop += size;
      stop = stride > 0 ? Clamp(stop, 0, size) : Clamp(stop, -1, size - 1);
    }
    int64_t count = 0;
    if (shrink) count = 1;
    else if (stride > 0 && stop > start) count = (static_cast<int64_t>(stop) - start + stride - 1) / stride;
    else if (stride < 0 && stop < start) count = (static_cast<int64_t>(start) - stop - stride - 1) / -stride;
    r.start.push_back(count > 0 ? start : 0);
    r.stride.push_back(shrink ? 1 : stride);
    r.count.push_back(static_cast<int32_t>(count));
    if (!shrink) r.output_shape.push_back(static_cast<int32_t>(count));
  }
  return r;
}

namespace {

// Runs shape inference for one graph, tracking the values of small int tensors that are derived
// from shapes (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE patterns of dynamic-batch models).
class ShapeInferrer {
 public:
  explicit ShapeInferrer(Graph& g) : g_(g) {
    for (const Tensor& t : g.tensors) stored_.push_back(t.shape);
  }

  void Run() {
    for (size_t i = 0; i < g_.ops.size(); ++i) {
      op_index_ = static_cast<int>(i);
      try {
        InferOp(g_.ops[i]);
      } catch (const Error& e) {
        const std::string msg = e.what();
        const std::string who = DescribeOp(g_, op_index_);
        if (msg.find(who) != std::string::npos) throw;
        Fail(who, ": ", msg);
      }
    }
  }

 private:
  Graph& g_;
  std::vector<std::vector<int32_t>> stored_;
  std::map<int, std::vector<int64_t>> known_;  // int tensor values derived during inference
  int op_index_ = 0;

  const Op& op() const { return g_.ops[op_index_]; }

  Tensor& T(int index) {
    Check(index >= 0 && index < static_cast<int>(g_.tensors.size()), "tensor index ", index,
          " out of range");
    return g_.tensors[index];
  }
  Tensor& In(size_t i) {
    Check(i < op().inputs.size() && op().inputs[i] >= 0, "missing input ", i);
    return T(op().inputs[i]);
  }
  const std::vector<int32_t>& InShape(size_t i) { return In(i).shape; }
  bool HasIn(size_t i) const { return i < op().inputs.size() && op().inputs[i] >= 0; }

  void SetOut(size_t i, std::vector<int32_t> shape) {
    Check(i < op().outputs.size(), "missing output ", i);
    Tensor& t = T(op().outputs[i]);
    if (t.is_constant()) {
      Check(t.shape == shape, "constant output ", DescribeTensor(g_, op().outputs[i]),
            " has shape ", ShapeToString(t.shape), ", op computes ", ShapeToString(shape));
      return;
    }
    NumElements(shape);  // bounds check
    t.shape = std::move(shape);
  }

  // Values of an int input that must be known (constant or derived from shapes).
  std::vector<int64_t> Ints(size_t i, const char* what) {
    Check(HasIn(i), "missing input ", i, " (", what, ")");
    const int index = op().inputs[i];
    std::vector<int64_t> v;
    if (ConstantInts(T(index), &v)) return v;
    auto it = known_.find(index);
    Check(it != known_.end(), "input ", i, " (", what, ", ", DescribeTensor(g_, index),
          ") must be a constant int32/int64 tensor");
    return it->second;
  }
  std::optional<std::vector<int64_t>> MaybeInts(int index) {
    std::vector<int64_t> v;
    if (index >= 0 && ConstantInts(T(index), &v)) return v;
    auto it = known_.find(index);
    if (it != known_.end()) return it->second;
    return std::nullopt;
  }
  static std::vector<int32_t> To32(const std::vector<int64_t>& v, const char* what) {
    std::vector<int32_t> r;
    for (int64_t x : v) {
      Check(x >= INT32_MIN && x <= INT32_MAX, what, " value ", x, " out of range");
      r.push_back(static_cast<int32_t>(x));
    }
    return r;
  }

  void RequireRank(const std::vector<int32_t>& s, size_t rank, const char* what) {
    Check(s.size() == rank, what, " must have rank ", rank, ", got ", ShapeToString(s));
  }

  void InferOp(const Op& o);
  void Conv(const Op& o);
  void DepthwiseConv(const Op& o);
  void TransposeConv(const Op& o);
  void FullyConnected(const Op& o);
  void Pool(const Op& o);
  void Reduce(const Op& o);
  void Resize(const Op& o);
  void Concat(const Op& o);
  void Reshape(const Op& o);
  void Squeeze(const Op& o);
  void ExpandDims(const Op& o);
  void Pad(const Op& o);
  void Slice(const Op& o);
  void StridedSlice(const Op& o);
  void Transpose(const Op& o);
  void ArgMinMax(const Op& o);
  void Tile(const Op& o);
  void Split(const Op& o);
  void SplitV(const Op& o);
  void Pack(const Op& o);
  void Unpack(const Op& o);
  void Gather(const Op& o);
  void BatchMatMul(const Op& o);
  void DepthToSpace(const Op& o, bool to_space);
  void Unknown(const Op& o);
};

void ShapeInferrer::InferOp(const Op& o) {
  switch (o.type) {
    case OpType::CONV_2D: return Conv(o);
    case OpType::DEPTHWISE_CONV_2D: return DepthwiseConv(o);
    case OpType::TRANSPOSE_CONV: return TransposeConv(o);
    case OpType::FULLY_CONNECTED: return FullyConnected(o);
    case OpType::MAX_POOL_2D:
    case OpType::AVERAGE_POOL_2D:
    case OpType::L2_POOL_2D: return Pool(o);
    case OpType::MEAN:
    case OpType::SUM:
    case OpType::REDUCE_MAX:
    case OpType::REDUCE_MIN:
    case OpType::REDUCE_PROD:
    case OpType::REDUCE_ANY:
    case OpType::REDUCE_ALL: return Reduce(o);
    case OpType::RESIZE_BILINEAR:
    case OpType::RESIZE_NEAREST_NEIGHBOR: return Resize(o);
    case OpType::CONCATENATION: return Concat(o);
    case OpType::RESHAPE: return Reshape(o);
    case OpType::SQUEEZE: return Squeeze(o);
    case OpType::EXPAND_DIMS: return ExpandDims(o);
    case OpType::PAD:
    case OpType::PADV2:
    case OpType::MIRROR_PAD: return Pad(o);
    case OpType::SLICE: return Slice(o);
    case OpType::STRIDED_SLICE: return StridedSlice(o);
    case OpType::TRANSPOSE: return Transpose(o);
    case OpType::ARG_MAX:
    case OpType::ARG_MIN: return ArgMinMax(o);
    case OpType::TILE: return Tile(o);
    case OpType::SPLIT: return Split(o);
    case OpType::SPLIT_V: return SplitV(o);
    case OpType::PACK: return Pack(o);
    case OpType::UNPACK: return Unpack(o);
    case OpType::GATHER: return Gather(o);
    case OpType::BATCH_MATMUL: return BatchMatMul(o);
    case OpType::DEPTH_TO_SPACE: return DepthToSpace(o, true);
    case OpType::SPACE_TO_DEPTH: return DepthToSpace(o, false);
    case OpType::SHAPE: {
      const std::vector<int32_t>& s = InShape(0);
      SetOut(0, {static_cast<int32_t>(s.size())});
      known_[o.outputs[0]] = std::vector<int64_t>(s.begin(), s.end());
      return;
    }
    case OpType::ADD:
    case OpType::SUB:
    case OpType::MUL:
    case OpType::DIV:
    case OpType::MAXIMUM:
    case OpType::MINIMUM:
    case OpType::SQUARED_DIFFERENCE:
    case OpType::POW:
    case OpType::FLOOR_DIV:
    case OpType::FLOOR_MOD:
    case OpType::LESS:
    case OpType::LESS_EQUAL:
    case OpType::GREATER:
    case OpType::GREATER_EQUAL:
    case OpType::EQUAL:
    case OpType::NOT_EQUAL:
    case OpType::LOGICAL_AND:
    case OpType::LOGICAL_OR:
    case OpType::PRELU: {
      SetOut(0, BroadcastShapes(InShape(0), InShape(1)));
      // Shape arithmetic on known int values (e.g. batch * 16).
      auto a = MaybeInts(o.inputs[0]);
      auto b = MaybeInts(o.inputs[1]);
      if (a && b && (o.type == OpType::MUL || o.type == OpType::ADD || o.type == OpType::SUB) &&
          (a->size() == b->size() || a->size() == 1 || b->size() == 1)) {
        const size_t n = std::max(a->size(), b->size());
        std::vector<int64_t> r(n);
        for (size_t k = 0; k < n; ++k) {
          const int64_t x = (*a)[a->size() == 1 ? 0 : k], y = (*b)[b->size() == 1 ? 0 : k];
          r[k] = o.type == OpType::MUL ? x * y : o.type == OpType::ADD ? x + y : x - y;
        }
        if (NumElements(T(o.outputs[0]).shape) == static_cast<int64_t>(n)) known_[o.outputs[0]] = r;
      }
      return;
    }
    case OpType::SELECT:
    case OpType::SELECT_V2:
      SetOut(0, BroadcastShapes(BroadcastShapes(InShape(0), InShape(1)), InShape(2)));
      return;
    case OpType::LOGISTIC:
    case OpType::TANH:
    case OpType::RELU:
    case OpType::RELU6:
    case OpType::RELU_N1_TO_1:
    case OpType::RELU_0_TO_1:
    case OpType::LEAKY_RELU:
    case OpType::ELU:
    case OpType::HARD_SWISH:
    case OpType::GELU:
    case OpType::EXP:
    case OpType::LOG:
    case OpType::SQRT:
    case OpType::RSQRT:
    case OpType::NEG:
    case OpType::ABS:
    case OpType::SQUARE:
    case OpType::SIN:
    case OpType::COS:
    case OpType::SIGN:
    case OpType::FLOOR:
    case OpType::CEIL:
    case OpType::ROUND:
    case OpType::SOFTMAX:
    case OpType::LOG_SOFTMAX:
    case OpType::L2_NORMALIZATION:
    case OpType::LOCAL_RESPONSE_NORMALIZATION:
    case OpType::QUANTIZE:
    case OpType::DEQUANTIZE:
    case OpType::FAKE_QUANT:
    case OpType::ZEROS_LIKE:
    case OpType::LOGICAL_NOT:
    case OpType::CAST: {
      SetOut(0, InShape(0));
      if (o.type == OpType::CAST) {
        if (auto v = MaybeInts(o.inputs[0])) {
          const DType ot = T(o.outputs[0]).type;
          if (ot == DType::kInt32 || ot == DType::kInt64) known_[o.outputs[0]] = *v;
        }
      }
      return;
    }
    default: return Unknown(o);
  }
}

void ShapeInferrer::Conv(const Op& o) {
  const auto& in = InShape(0);
  const auto& w = InShape(1);
  RequireRank(in, 4, "input");
  RequireRank(w, 4, "filter");
  Check(w[3] > 0 && in[3] % w[3] == 0, "input channels ", in[3],
        " are not a multiple of the filter's input channels ", w[3]);
  Check(o.options.stride_h > 0 && o.options.stride_w > 0 && o.options.dilation_h > 0 &&
            o.options.dilation_w > 0,
        "strides and dilations must be positive");
  if (HasIn(2)) Check(NumElements(InShape(2)) == w[0], "bias has ", NumElements(InShape(2)),
                      " elements, expected ", w[0]);
  SetOut(0, {in[0],
             ConvOutputSize(o.options.padding, in[1], w[1], o.options.stride_h, o.options.dilation_h),
             ConvOutputSize(o.options.padding, in[2], w[2], o.options.stride_w, o.options.dilation_w),
             w[0]});
}

void ShapeInferrer::DepthwiseConv(const Op& o) {
  const auto& in = InShape(0);
  const auto& w = InShape(1);
  RequireRank(in, 4, "input");
  RequireRank(w, 4, "filter");
  Check(o.options.stride_h > 0 && o.options.stride_w > 0 && o.options.dilation_h > 0 &&
            o.options.dilation_w > 0,
        "strides and dilations must be positive");
  Check(w[0] == 1 && in[3] > 0 && w[3] % in[3] == 0, "filter ", ShapeToString(w),
        " does not fit input channels ", in[3]);
  if (HasIn(2)) Check(NumElements(InShape(2)) == w[3], "bias has ", NumElements(InShape(2)),
                      " elements, expected ", w[3]);
  SetOut(0, {in[0],
             ConvOutputSize(o.options.padding, in[1], w[1], o.options.stride_h, o.options.dilation_h),
             ConvOutputSize(o.options.padding, in[2], w[2], o.options.stride_w, o.options.dilation_w),
             w[3]});
}

void ShapeInferrer::TransposeConv(const Op& o) {
  // Inputs: output_shape, weights [O,KH,KW,I], input, optional bias.
  std::vector<int32_t> out = To32(Ints(0, "output_shape"), "output_shape");
  const auto& w = InShape(1);
  const auto& in = InShape(2);
  RequireRank(out, 4, "output_shape");
  RequireRank(w, 4, "filter");
  RequireRank(in, 4, "input");
  Check(in[3] == w[3], "input channels ", in[3], " differ from the filter's ", w[3]);
  Check(out[3] == w[0], "output_shape channels ", out[3], " differ from the filter's ", w[0]);
  Check(o.options.stride_h > 0 && o.options.stride_w > 0, "strides must be positive");
  out[0] = in[0];  // the batch follows the input
  // The input must be what a convolution of the output would produce.
  const int32_t eh = ConvOutputSize(o.options.padding, out[1], w[1], o.options.stride_h, 1);
  const int32_t ew = ConvOutputSize(o.options.padding, out[2], w[2], o.options.stride_w, 1);
  Check(eh == in[1] && ew == in[2], "output_shape ", ShapeToString(out), " does not match input ",
        ShapeToString(in), " (expected input spatial ", eh, "x", ew, ")");
  if (HasIn(3)) Check(NumElements(InShape(3)) == w[0], "bias has ", NumElements(InShape(3)),
                      " elements, expected ", w[0]);
  SetOut(0, out);
}

void ShapeInferrer::FullyConnected(const Op& o) {
  const auto& in = InShape(0);
  const auto& w = InShape(1);
  RequireRank(w, 2, "weights");
  const int32_t k = w[1];
  Check(k > 0 && !in.empty() && NumElements(in) % k == 0, "input ", ShapeToString(in),
        " does not fit weights ", ShapeToString(w));
  if (HasIn(2)) Check(NumElements(InShape(2)) == w[0], "bias has ", NumElements(InShape(2)),
                      " elements, expected ", w[0]);
  if (o.options.keep_num_dims) {
    Check(in.back() == k, "input ", ShapeToString(in), " last dim must be ", k);
    std::vector<int32_t> out = in;
    out.back() = w[0];
    SetOut(0, out);
  } else {
    SetOut(0, {static_cast<int32_t>(NumElements(in) / k), w[0]});
  }
}

void ShapeInferrer::Pool(const Op& o) {
  const auto& in = InShape(0);
  RequireRank(in, 4, "input");
  const OpOptions& p = o.options;
  Check(p.stride_h > 0 && p.stride_w > 0 && p.filter_h > 0 && p.filter_w > 0,
        "strides and filter sizes must be positive");
  SetOut(0, {in[0], ConvOutputSize(p.padding, in[1], p.filter_h, p.stride_h, 1),
             ConvOutputSize(p.padding, in[2], p.filter_w, p.stride_w, 1), in[3]});
}

void ShapeInferrer::Reduce(const Op& o) {
  const auto& in = InShape(0);
  const int rank = static_cast<int>(in.size());
  std::vector<bool> reduced(rank, false);
  for (int64_t a : Ints(1, "axes")) reduced[NormalizeAxis(a, rank)] = true;
  std::vector<int32_t> out;
  for (int d = 0; d < rank; ++d) {
    if (!reduced[d]) out.push_back(in[d]);
    else if (o.options.keep_dims) out.push_back(1);
  }
  SetOut(0, out);
}

void ShapeInferrer::Resize(const Op& /*o*/) {
  const auto& in = InShape(0);
  RequireRank(in, 4, "input");
  std::vector<int32_t> size = To32(Ints(1, "size"), "size");
  Check(size.size() == 2 && size[0] > 0 && size[1] > 0, "size must be 2 positive values");
  SetOut(0, {in[0], size[0], size[1], in[3]});
}

void ShapeInferrer::Concat(const Op& o) {
  Check(!o.inputs.empty(), "no inputs");
  std::vector<int32_t> out = InShape(0);
  const int rank = static_cast<int>(out.size());
  const int axis = NormalizeAxis(o.options.axis, rank);
  int64_t total = out[axis];
  for (size_t i = 1; i < o.inputs.size(); ++i) {
    const auto& s = InShape(i);
    Check(static_cast<int>(s.size()) == rank, "input ", i, " ", ShapeToString(s),
          " has a different rank than input 0 ", ShapeToString(out));
    for (int d = 0; d < rank; ++d) {
      if (d != axis) Check(s[d] == out[d], "input ", i, " ", ShapeToString(s),
                           " differs from input 0 ", ShapeToString(out), " outside axis ", axis);
    }
    total += s[axis];
  }
  Check(total <= INT32_MAX, "concatenated dim too large");
  out[axis] = static_cast<int32_t>(total);
  // Concatenating known 1-D int values (e.g. a dynamic shape).
  if (rank == 1) {
    std::vector<int64_t> values;
    bool all = true;
    for (int index : o.inputs) {
      auto v = MaybeInts(index);
      if (!v) { all = false; break; }
      values.insert(values.end(), v->begin(), v->end());
    }
    if (all) known_[o.outputs[0]] = values;
  }
  SetOut(0, out);
}

void ShapeInferrer::Reshape(const Op& o) {
  const auto& in = InShape(0);
  std::vector<int32_t> target;
  if (HasIn(1) && (MaybeInts(o.inputs[1]) || o.options.new_shape.empty())) {
    target = To32(Ints(1, "shape"), "shape");
  } else {
    target = o.options.new_shape;
  }
  const int64_t in_elems = NumElements(in);
  const std::vector<int32_t>& stored_in = stored_[o.inputs[0]];
  const std::vector<int32_t>& stored_out = stored_[o.outputs[0]];
  // A leading dim equal to the stored batch follows the new batch.
  const bool batch_changed = !in.empty() && !stored_in.empty() && in[0] != stored_in[0];
  if (batch_changed && !target.empty() && !stored_out.empty() && target[0] == stored_out[0] &&
      stored_out[0] == stored_in[0]) {
    target[0] = in[0];
  }
  int unknown = -1;
  int64_t known = 1;
  for (size_t d = 0; d < target.size(); ++d) {
    if (target[d] == -1) {
      Check(unknown < 0, "shape ", ShapeToString(target), " has more than one -1");
      unknown = static_cast<int>(d);
    } else {
      Check(target[d] >= 0, "shape ", ShapeToString(target), " has a negative dim");
      known *= target[d];
      Check(known <= (int64_t{1} << 40), "shape ", ShapeToString(target), " too large");
    }
  }
  if (unknown >= 0) {
    Check(known > 0 && in_elems % known == 0, "cannot reshape ", ShapeToString(in), " to ",
          ShapeToString(target));
    target[unknown] = static_cast<int32_t>(in_elems / known);
  } else if (known != in_elems) {
    if (batch_changed) Fail("batch ", in[0], " not supported by ", DescribeOp(g_, op_index_),
                            ": RESHAPE of ", ShapeToString(in), " to ", ShapeToString(target));
    Fail("cannot reshape ", ShapeToString(in), " (", in_elems, " elements) to ",
         ShapeToString(target));
  }
  if (auto v = MaybeInts(o.inputs[0])) known_[o.outputs[0]] = *v;
  SetOut(0, target);
}

void ShapeInferrer::Squeeze(const Op& o) {
  const auto& in = InShape(0);
  const int rank = static_cast<int>(in.size());
  std::vector<bool> drop(rank, false);
  if (o.options.squeeze_dims.empty()) {
    for (int d = 0; d < rank; ++d) drop[d] = in[d] == 1;
  } else {
    for (int32_t a : o.options.squeeze_dims) {
      const int d = NormalizeAxis(a, rank);
      Check(in[d] == 1, "cannot squeeze dim ", d, " of ", ShapeToString(in));
      drop[d] = true;
    }
  }
  std::vector<int32_t> out;
  for (int d = 0; d < rank; ++d) if (!drop[d]) out.push_back(in[d]);
  SetOut(0, out);
}

void ShapeInferrer::ExpandDims(const Op& /*o*/) {
  std::vector<int32_t> out = InShape(0);
  const std::vector<int64_t> axis = Ints(1, "axis");
  Check(axis.size() == 1, "axis must hold one value");
  const int d = NormalizeAxis(axis[0], static_cast<int>(out.size()) + 1);
  out.insert(out.begin() + d, 1);
  SetOut(0, out);
}

void ShapeInferrer::Pad(const Op& o) {
  std::vector<int32_t> out = InShape(0);
  const std::vector<int64_t> p = Ints(1, "paddings");
  Check(p.size() == out.size() * 2, "paddings has ", p.size(), " values, expected ",
        out.size() * 2);
  for (size_t d = 0; d < out.size(); ++d) {
    Check(p[2 * d] >= 0 && p[2 * d + 1] >= 0, "negative padding");
    if (o.type == OpType::MIRROR_PAD) {
      const int64_t limit = out[d] - (o.options.mirror_pad_mode == 0 ? 1 : 0);
      Check(p[2 * d] <= limit && p[2 * d + 1] <= limit, "mirror padding larger than dim ", d);
    }
    const int64_t s = out[d] + p[2 * d] + p[2 * d + 1];
    Check(s <= INT32_MAX, "padded dim too large");
    out[d] = static_cast<int32_t>(s);
  }
  SetOut(0, out);
}

void ShapeInferrer::Slice(const Op& /*o*/) {
  const auto& in = InShape(0);
  const std::vector<int64_t> begin = Ints(1, "begin");
  const std::vector<int64_t> size = Ints(2, "size");
  Check(begin.size() == in.size() && size.size() == in.size(), "begin/size must have ",
        in.size(), " values");
  std::vector<int32_t> out(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    const int64_t s = size[d] == -1 ? in[d] - begin[d] : size[d];
    Check(begin[d] >= 0 && s >= 0 && begin[d] + s <= in[d], "slice begin ", begin[d], " size ",
          size[d], " out of range for dim ", d, " of ", ShapeToString(in));
    out[d] = static_cast<int32_t>(s);
  }
  SetOut(0, out);
}

void ShapeInferrer::StridedSlice(const Op& o) {
  const auto& in = InShape(0);
  const StridedSliceDims r =
      ResolveStridedSlice(in, To32(Ints(1, "begin"), "begin"), To32(Ints(2, "end"), "end"),
                          To32(Ints(3, "strides"), "strides"), o.options);
  if (auto v = MaybeInts(o.inputs[0]); v && in.size() == 1) {
    std::vector<int64_t> values;
    for (int32_t k = 0; k < r.count[0]; ++k) values.push_back((*v)[r.start[0] + k * r.stride[0]]);
    known_[o.outputs[0]] = values;
  }
  SetOut(0, r.output_shape);
}

void ShapeInferrer::Transpose(const Op& /*o*/) {
  const auto& in = InShape(0);
  const std::vector<int64_t> perm = Ints(1, "perm");
  Check(perm.size() == in.size(), "perm has ", perm.size(), " values, expected ", in.size());
  std::vector<int32_t> out(in.size());
  std::vector<bool> used(in.size(), false);
  for (size_t d = 0; d < in.size(); ++d) {
    const int p = NormalizeAxis(perm[d], static_cast<int>(in.size()));
    Check(!used[p], "perm repeats axis ", p);
    used[p] = true;
    out[d] = in[p];
  }
  SetOut(0, out);
}

void ShapeInferrer::ArgMinMax(const Op& /*o*/) {
  const auto& in = InShape(0);
  const std::vector<int64_t> axis = Ints(1, "axis");
  Check(axis.size() == 1, "axis must hold one value");
  const int a = NormalizeAxis(axis[0], static_cast<int>(in.size()));
  std::vector<int32_t> out = in;
  out.erase(out.begin() + a);
  SetOut(0, out);
}

void ShapeInferrer::Tile(const Op& /*o*/) {
  std::vector<int32_t> out = InShape(0);
  const std::vector<int64_t> m = Ints(1, "multiples");
  Check(m.size() == out.size(), "multiples has ", m.size(), " values, expected ", out.size());
  for (size_t d = 0; d < out.size(); ++d) {
    Check(m[d] >= 0 && m[d] <= INT32_MAX && out[d] * m[d] <= INT32_MAX, "bad multiple ", m[d]);
    out[d] = static_cast<int32_t>(out[d] * m[d]);
  }
  SetOut(0, out);
}

void ShapeInferrer::Split(const Op& o) {
  // Inputs: axis, input.
  const std::vector<int64_t> axis = Ints(0, "axis");
  Check(axis.size() == 1, "axis must hold one value");
  std::vector<int32_t> out = InShape(1);
  const int a = NormalizeAxis(axis[0], static_cast<int>(out.size()));
  const int n = static_cast<int>(o.outputs.size());
  Check(n > 0 && out[a] % n == 0, "dim ", out[a], " does not split into ", n, " parts");
  out[a] /= n;
  for (int i = 0; i < n; ++i) SetOut(i, out);
}

void ShapeInferrer::SplitV(const Op& o) {
  // Inputs: input, size_splits, axis.
  const auto& in = InShape(0);
  std::vector<int64_t> sizes = Ints(1, "size_splits");
  const std::vector<int64_t> axis = Ints(2, "axis");
  Check(axis.size() == 1, "axis must hold one value");
  const int a = NormalizeAxis(axis[0], static_cast<int>(in.size()));
  Check(sizes.size() == o.outputs.size(), "size_splits has ", sizes.size(), " values for ",
        o.outputs.size(), " outputs");
  int64_t sum = 0;
  int unknown = -1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) {
      Check(unknown < 0, "more than one -1 in size_splits");
      unknown = static_cast<int>(i);
    } else {
      Check(sizes[i] >= 0, "negative split size");
      sum += sizes[i];
    }
  }
  if (unknown >= 0) {
    Check(sum <= in[a], "split sizes exceed dim ", in[a]);
    sizes[unknown] = in[a] - sum;
  } else {
    Check(sum == in[a], "split sizes sum to ", sum, ", dim is ", in[a]);
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::vector<int32_t> out = in;
    out[a] = static_cast<int32_t>(sizes[i]);
    SetOut(i, out);
  }
}

void ShapeInferrer::Pack(const Op& o) {
  Check(!o.inputs.empty(), "no inputs");
  const auto& first = InShape(0);
  for (size_t i = 1; i < o.inputs.size(); ++i)
    Check(InShape(i) == first, "input ", i, " ", ShapeToString(InShape(i)), " differs from input 0 ",
          ShapeToString(first));
  std::vector<int32_t> out = first;
  const int a = NormalizeAxis(o.options.axis, static_cast<int>(first.size()) + 1);
  out.insert(out.begin() + a, static_cast<int32_t>(o.inputs.size()));
  if (first.empty()) {  // packing scalars: maybe a dynamic shape vector
    std::vector<int64_t> values;
    bool all = true;
    for (int index : o.inputs) {
      auto v = MaybeInts(index);
      if (!v || v->size() != 1) { all = false; break; }
      values.push_back((*v)[0]);
    }
    if (all) known_[o.outputs[0]] = values;
  }
  SetOut(0, out);
}

void ShapeInferrer::Unpack(const Op& o) {
  std::vector<int32_t> out = InShape(0);
  const int a = NormalizeAxis(o.options.axis, static_cast<int>(out.size()));
  Check(out[a] == static_cast<int32_t>(o.outputs.size()), "dim ", out[a], " unpacks into ",
        o.outputs.size(), " outputs");
  out.erase(out.begin() + a);
  for (size_t i = 0; i < o.outputs.size(); ++i) SetOut(i, out);
}

void ShapeInferrer::Gather(const Op& o) {
  const auto& params = InShape(0);
  const auto& indices = InShape(1);
  const int a = NormalizeAxis(o.options.axis, static_cast<int>(params.size()));
  std::vector<int32_t> out(params.begin(), params.begin() + a);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), params.begin() + a + 1, params.end());
  auto p = MaybeInts(o.inputs[0]);
  auto idx = MaybeInts(o.inputs[1]);
  if (p && idx && params.size() == 1) {
    std::vector<int64_t> values;
    for (int64_t i : *idx) {
      Check(i >= 0 && i < static_cast<int64_t>(p->size()), "gather index ", i, " out of range");
      values.push_back((*p)[i]);
    }
    known_[o.outputs[0]] = values;
  }
  SetOut(0, out);
}

void ShapeInferrer::BatchMatMul(const Op& /*o*/) {
  const auto& a = InShape(0);
  const auto& b = InShape(1);
  Check(a.size() >= 2 && b.size() >= 2, "operands must have rank >= 2");
  Check(a.back() == b[b.size() - 2], "cannot multiply ", ShapeToString(a), " by ",
        ShapeToString(b));
  std::vector<int32_t> out = BroadcastShapes(std::vector<int32_t>(a.begin(), a.end() - 2),
                                             std::vector<int32_t>(b.begin(), b.end() - 2));
  out.push_back(a[a.size() - 2]);
  out.push_back(b.back());
  SetOut(0, out);
}

void ShapeInferrer::DepthToSpace(const Op& o, bool to_space) {
  const auto& in = InShape(0);
  RequireRank(in, 4, "input");
  const int32_t b = o.options.block_size;
  Check(b > 0, "block_size must be positive");
  if (to_space) {
    Check(in[3] % (b * b) == 0, "channels ", in[3], " not divisible by block_size^2");
    SetOut(0, {in[0], in[1] * b, in[2] * b, in[3] / (b * b)});
  } else {
    Check(in[1] % b == 0 && in[2] % b == 0, "spatial dims not divisible by block_size");
    SetOut(0, {in[0], in[1] / b, in[2] / b, in[3] * b * b});
  }
}

void ShapeInferrer::Unknown(const Op& o) {
  for (int index : o.inputs) {
    if (index < 0) continue;
    Check(T(index).shape == stored_[index], "shape inference does not know this op; its input ",
          DescribeTensor(g_, index), " changed from ", ShapeToString(stored_[index]), " to ",
          ShapeToString(T(index).shape));
  }
}

}  // namespace

void InferShapes(Graph& g) {
  ShapeInferrer(g).Run();
}

void InferShapesForBatch(Graph& g, int32_t batch) {
  Check(batch >= 1, "batch ", batch, " must be at least 1");
  ShapeInferrer inferrer(g);  // records the stored shapes first
  for (int t : g.inputs) {
    Check(t >= 0 && t < static_cast<int>(g.tensors.size()), "graph input tensor ", t, " out of range");
    if (!g.tensors[t].shape.empty()) g.tensors[t].shape[0] = batch;
  }
  inferrer.Run();
}

}  // namespace cae
