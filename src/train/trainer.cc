#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "data/convert.h"
#include "graph/error.h"
#include "graph/graph.h"

namespace cae::train {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Trainer::Trainer(const KerasModel& km, const TrainOptions& options, ThreadPool* pool)
    : options_(options), pool_(pool), source_(km.source.empty() ? km.name : km.source) {
  Check(options.epochs >= 0 && options.epochs <= 100000, "epochs must be 0..100000");
  Check(options.batch_size >= 1 && options.batch_size <= 65536, "batch size must be 1..65536");
  Check(std::isfinite(options.noise_stddev) && options.noise_stddev >= 0.0f,
        "noise sigma must be >= 0");
  net_ = std::make_unique<Net>(km, options.seed, options.qat ? &options.qat_options : nullptr);
  if (options.qat && !km.qat.is_null()) net_->qat()->LoadRanges(km.qat);
  optimizer_ = MakeOptimizer(options.optimizer, options.learning_rate, options.momentum);
}

nlohmann::json Trainer::TrainingConfig() const {
  return {{"optimizer_config", optimizer_->KerasConfig()},
          {"loss", KerasLossName(options_.loss)},
          {"metrics", nlohmann::json::array()},
          {"sample_weight_mode", nullptr},
          {"loss_weights", nullptr}};
}

int64_t Trainer::CheckData(const TensorData& t, const std::vector<int32_t>& shape,
                           const char* what) const {
  Check(t.type == DType::kFloat32, what, ": expected float32 data, got ", DTypeName(t.type));
  Check(!t.shape.empty() && t.shape[0] > 0, what, ": no samples");
  std::vector<int32_t> expect{t.shape[0]};
  expect.insert(expect.end(), shape.begin(), shape.end());
  int64_t size = 1, per_sample = 1;
  for (int32_t d : shape) size *= d;
  for (size_t i = 1; i < t.shape.size(); ++i) per_sample *= t.shape[i];
  // Also accept flat rows [N, size] for any model, [N, H, W] for single-channel image models, and
  // any [N, ...] of the same size for a flat model (Keras users feed x.reshape(-1, H * W * C) or
  // the images: the same bytes).
  const bool rows = t.shape.size() == 2 && per_sample == size;
  const bool hw_only = shape.size() == 3 && shape[2] == 1 && t.shape.size() == 3 &&
                       t.shape[1] == shape[0] && t.shape[2] == shape[1];
  const bool flattened = shape.size() == 1 && t.shape.size() >= 3 && per_sample == size;
  std::string sample;  // "28x28x1", "100x3" or "12", as Keras users read shapes
  for (int32_t d : shape) {
    if (!sample.empty()) sample += 'x';
    sample += std::to_string(d);
  }
  Check(t.shape == expect || rows || hw_only || flattened, what, ": shape ",
        ShapeToString(t.shape), " does not fit the model's ", sample, " per sample (", source_,
        ")");
  Check(static_cast<int64_t>(t.bytes.size()) == t.shape[0] * size * 4, what,
        ": data size does not match its shape");
  return t.shape[0];
}

void Trainer::CheckFinite(const TensorData& t, const Dims& dims, const char* what) const {
  const int64_t bad = FirstNonFinite(t);
  Check(bad < 0, what, ": value ", bad, " (sample ", bad / std::max<int64_t>(1, dims.size()),
        ") is not finite (", bad < 0 ? 0.0f : t.as<float>()[bad], "); the trainer needs finite data (",
        source_, ")");
}

std::vector<EpochStats> Trainer::Fit(const TensorData& x, const TensorData& y,
                                     const TensorData* val_x, const TensorData* val_y,
                                     const TrainCallbacks& cb) {
  const Dims in = net_->input_dims(), out = net_->output_dims();
  const std::vector<int32_t> in_shape = net_->input_shape(), out_shape = net_->output_shape();
  const int64_t n = CheckData(x, in_shape, "training inputs");
  const int64_t ny = CheckData(y, out_shape, "training targets");
  Check(ny == n, "training targets: ", ny, " samples for ", n, " inputs");
  if (val_x != nullptr) {
    Check(val_y != nullptr, "validation inputs without targets");
    const int64_t vn = CheckData(*val_x, in_shape, "validation inputs");
    Check(CheckData(*val_y, out_shape, "validation targets") == vn,
          "validation targets: count differs from validation inputs");
  }
  // Once per Fit (the per-epoch Evaluate does not rescan); y and val_y are often the inputs.
  CheckFinite(x, in, "training inputs");
  if (&y != &x) CheckFinite(y, out, "training targets");
  if (val_x != nullptr) {
    CheckFinite(*val_x, in, "validation inputs");
    if (val_y != val_x) CheckFinite(*val_y, out, "validation targets");
  }
  const int bs = static_cast<int>(std::min<int64_t>(options_.batch_size, n));
  const int64_t batches = (n + bs - 1) / bs;
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::vector<float> bx(static_cast<size_t>(bs * in.size())), by_keras(static_cast<size_t>(bs * out.size()));
  std::vector<float> by(by_keras.size()), grad;
  const float* xs = x.as<float>();
  const float* ys = y.as<float>();
  RunContext ctx{pool_, true, 0, options_.center_inputs};
  std::vector<EpochStats> history;
  Check(options_.initial_epoch >= 0 && options_.initial_epoch <= 1000000, "initial epoch must be 0..1000000");
  const int last_epoch = options_.initial_epoch + options_.epochs;
  for (int epoch = options_.initial_epoch + 1; epoch <= last_epoch; ++epoch) {
    for (int64_t i = 0; i < n; ++i) order[i] = i;
    if (options_.shuffle) {
      for (int64_t i = n - 1; i > 0; --i) {
        const int64_t j = static_cast<int64_t>(Mix(options_.seed, epoch, i) % (i + 1));
        std::swap(order[i], order[j]);
      }
    }
    const double start = Now();
    double loss_sum = 0.0;
    for (int64_t b = 0; b < batches; ++b) {
      const int64_t first = b * bs;
      const int m = static_cast<int>(std::min<int64_t>(bs, n - first));
      for (int s = 0; s < m; ++s) {
        const int64_t k = order[first + s];
        std::memcpy(bx.data() + s * in.size(), xs + k * in.size(), sizeof(float) * in.size());
        std::memcpy(by_keras.data() + s * out.size(), ys + k * out.size(),
                    sizeof(float) * out.size());
        if (options_.noise_stddev > 0.0f) {
          float* v = bx.data() + s * in.size();
          for (int64_t i = 0; i < in.size(); ++i) {
            const float noisy = v[i] + options_.noise_stddev *
                                           StandardNormal(options_.seed ^ 0x6E6F697365ull,
                                                    static_cast<uint64_t>(epoch) << 32 | 0, k * in.size() + i);
            v[i] = std::clamp(noisy, 0.0f, 1.0f);
          }
        }
      }
      KerasToInternal(by_keras.data(), out, m, by.data());
      ++step_;
      ctx.step_seed = Mix(options_.seed, step_, 0x5354);
      net_->Forward(ctx, bx.data(), m);
      // As Keras reports it: the data loss plus the regularization penalties (per sample here).
      const double batch_loss =
          LossSum(options_.loss, net_->output().data(), by.data(), out, m, &grad) +
          m * net_->RegularizationLoss();
      Check(std::isfinite(batch_loss), "training diverged: the loss is ", batch_loss, " at epoch ",
            epoch, ", batch ", b + 1, " of ", batches, " (try a lower --lr)");
      net_->Backward(ctx, grad);
      net_->BeforeOptimizerStep();
      optimizer_->Step(net_->params());
      net_->AfterOptimizerStep();
      net_->EndQatStep();
      loss_sum += batch_loss;
      if (cb.on_batch) {
        const double elapsed = Now() - start;
        const double done = static_cast<double>(first + m);
        BatchProgress p{epoch, last_epoch, b + 1, batches, loss_sum / done,
                        elapsed > 0 ? done / elapsed : 0.0,
                        elapsed > 0 ? elapsed * (static_cast<double>(n) - done) / done : 0.0};
        cb.on_batch(p);
      }
    }
    EpochStats st;
    st.epoch = epoch;
    st.seconds = Now() - start;
    st.train_loss = loss_sum / static_cast<double>(n);
    st.images_per_second = st.seconds > 0 ? static_cast<double>(n) / st.seconds : 0.0;
    if (val_x != nullptr) st.val_loss = Evaluate(*val_x, *val_y);
    history.push_back(st);
    if (cb.on_epoch) cb.on_epoch(st);
  }
  return history;
}

double Trainer::Evaluate(const TensorData& x, const TensorData& y, int batch_size) {
  const Dims in = net_->input_dims(), out = net_->output_dims();
  const int64_t n = CheckData(x, net_->input_shape(), "evaluation inputs");
  Check(CheckData(y, net_->output_shape(), "evaluation targets") == n,
        "evaluation targets: count differs from inputs");
  RunContext ctx{pool_, false, 0};
  std::vector<float> target(static_cast<size_t>(batch_size * out.size()));
  double sum = 0.0;
  for (int64_t first = 0; first < n; first += batch_size) {
    const int m = static_cast<int>(std::min<int64_t>(batch_size, n - first));
    net_->Forward(ctx, x.as<float>() + first * in.size(), m);
    KerasToInternal(y.as<float>() + first * out.size(), out, m, target.data());
    sum += LossSum(options_.loss, net_->output().data(), target.data(), out, m, nullptr) +
           m * net_->RegularizationLoss();
  }
  return sum / static_cast<double>(n);
}

TensorData Trainer::Predict(const TensorData& x, int batch_size) {
  const Dims in = net_->input_dims(), out = net_->output_dims();
  const int64_t n = CheckData(x, net_->input_shape(), "prediction inputs");
  std::vector<int32_t> shape{static_cast<int32_t>(n)};
  const std::vector<int32_t> sample = net_->output_shape();
  shape.insert(shape.end(), sample.begin(), sample.end());
  TensorData result(DType::kFloat32, shape);
  RunContext ctx{pool_, false, 0};
  for (int64_t first = 0; first < n; first += batch_size) {
    const int m = static_cast<int>(std::min<int64_t>(batch_size, n - first));
    net_->Forward(ctx, x.as<float>() + first * in.size(), m);
    InternalToKeras(net_->output().data(), out, m, result.as<float>() + first * out.size());
  }
  return result;
}

}  // namespace cae::train
