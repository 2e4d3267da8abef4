// `cae2tpu train --arch cae|dense-ae|unet [--data DATA] ... -o MODEL.h5`: trains a model from scratch
// (or fine-tunes --init MODEL.h5) and writes it as Keras HDF5.
#include <CLI/CLI.hpp>

#include <cstring>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/json_output.h"
#include "data/dataset.h"
#include "data/file_io.h"
#include "data/segmentation_targets.h"
#include "graph/error.h"
#include "keras/keras_builders.h"
#include "keras/keras_import.h"
#include "keras/keras_inline.h"
#include "keras/keras_writer.h"
#include "kernels/parallel.h"
#include "train/trainer.h"

namespace cae::cli {
namespace {

struct TrainArgs {
  std::string arch, data, val, task = "reconstruct", targets, val_targets, init, arch_json, out;
  std::string loss, optimizer = "adam", filters = "32,16,8", units = "256,128,64,32";
  std::string upsample = "transpose", centering = "on";
  int epochs = 10, batch_size = 128, threads = 0, depth = 2, base_filters = 16, classes = 1;
  float lr = 1e-3f, noise = 0.2f, momentum = 0.0f;
  uint64_t seed = 1;
  int64_t limit = 0;
  bool json = false;
  bool qat = false, per_tensor = false;
};

std::vector<int> ParseInts(const std::string& text, const char* flag) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v <= 0 || v > 65536)
      throw UsageError(StrCat(flag, " expects positive integers separated by commas, got '", text, "'"));
    out.push_back(static_cast<int>(v));
  }
  if (out.empty()) throw UsageError(StrCat(flag, " is empty"));
  return out;
}

// Sample sizes of the data for a built architecture: images [N,H,W,C] or [N,H,W]; flat rows
// [N,D] (as 1x1xD) when flat_ok (the dense autoencoder).
void ImageDims(const TensorData& t, const std::string& source, bool flat_ok, int* h, int* w, int* c) {
  if (t.shape.size() == 4 || t.shape.size() == 3) {
    *h = t.shape[1];
    *w = t.shape[2];
    *c = t.shape.size() == 4 ? t.shape[3] : 1;
    return;
  }
  if (flat_ok && t.shape.size() == 2) {
    *h = *w = 1;
    *c = t.shape[1];
    return;
  }
  Fail(source, ": training data must be images [N,H,W,C] or [N,H,W], got ",
       ShapeToString(t.shape));
}

// "28x28x1" for [N,28,28,1], "784" for [N,784]: one sample's shape as Keras users write it.
std::string SampleShape(const TensorData& t) {
  std::string out;
  for (size_t i = 1; i < t.shape.size(); ++i) out += (i > 1 ? "x" : "") + std::to_string(t.shape[i]);
  return out;
}

std::string ProgressLine(const train::BatchProgress& p) {
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(kWidth * p.batch / std::max<int64_t>(1, p.batches));
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  char buf[256];
  std::snprintf(buf, sizeof(buf), "\repoch %d/%d [%s] %lld/%lld loss %.5f %.0f img/s ETA %.0fs ",
                p.epoch, p.epochs, bar.c_str(), static_cast<long long>(p.batch),
                static_cast<long long>(p.batches), p.mean_loss, p.images_per_second,
                p.eta_seconds);
  return buf;
}

void Execute(const TrainArgs& a) {
  if (a.init.empty() && a.arch.empty()) throw UsageError("train: give --arch or --init");
  if (!a.arch_json.empty() && a.init.empty()) throw UsageError("--arch-json is used with --init");
  if (a.task != "reconstruct" && a.task != "denoise" && a.task != "segment")
    throw UsageError(StrCat("--task must be reconstruct, denoise or segment, got '", a.task, "'"));
  if (a.task == "segment" && a.targets.empty())
    throw UsageError("--task segment needs --targets (masks or class maps)");
  if (a.task != "segment" && !a.targets.empty())
    throw UsageError("--targets is only used with --task segment");
  if (const std::string ext = LowerExtension(a.out); ext != ".h5" && ext != ".hdf5")
    throw UsageError(StrCat("-o ", a.out, ": train writes Keras HDF5, so the name must end in .h5 or"
                            " .hdf5 (Keras 3 loads those too; the .keras zip format is not written)"));
  CheckWritable(a.out);

  // Data.
  std::string data_path = a.data, val_path = a.val;
  if (data_path.empty()) {
    if (a.arch == "unet" || !a.init.empty())
      throw UsageError("train: --data is required with --arch unet or --init");
    data_path = kFashionMnistTrainImages;
    if (val_path.empty()) val_path = kFashionMnistTestImages;
  }
  LoadOptions lo;
  lo.limit = a.limit;
  const TensorData x = LoadData(data_path, lo);
  CheckFiniteData(x, data_path);
  int h = 0, w = 0, c = 0;  // for --arch; a model given with --init checks the data itself
  if (a.init.empty()) ImageDims(x, data_path, a.arch == "dense-ae", &h, &w, &c);
  std::optional<TensorData> val_x;
  if (!val_path.empty()) {
    val_x = LoadData(val_path, lo);
    CheckFiniteData(*val_x, val_path);
  }

  // Model.
  KerasModel km;
  std::string flattened;  // the nested models the trainer flattened, for the summary line
  if (!a.init.empty()) {
    km = LoadKerasModel(a.init, a.arch_json);
    if (!a.arch_json.empty()) RejectUnusedArchJson(a.init, ModelKind::kKeras);
    if (HasNestedModels(km)) {
      for (const KerasLayer& l : km.layers)
        if (l.submodel) flattened += (flattened.empty() ? "" : ", ") + l.name;
      km = InlineNestedModels(km);
    }
  } else if (a.arch == "cae") {
    km = BuildCae(h, w, c, ParseInts(a.filters, "--filters"));
  } else if (a.arch == "dense-ae") {
    km = BuildDenseAe(h, w, c, ParseInts(a.units, "--units"));
  } else if (a.arch == "unet") {
    UnetOptions o;
    o.height = h;
    o.width = w;
    o.channels = c;
    o.depth = a.depth;
    o.base_filters = a.base_filters;
    o.classes = a.classes;
    if (a.upsample != "transpose" && a.upsample != "nearest")
      throw UsageError(StrCat("--upsample must be transpose or nearest, got '", a.upsample, "'"));
    o.transpose_up = a.upsample == "transpose";
    km = BuildUnet(o);
  } else {
    throw UsageError(StrCat("--arch must be cae, dense-ae or unet, got '", a.arch, "'"));
  }

  train::TrainOptions to;
  to.epochs = a.epochs;
  to.batch_size = a.batch_size;
  to.learning_rate = a.lr;
  to.optimizer = a.optimizer;
  to.momentum = a.momentum;
  to.seed = a.seed;
  to.center_inputs = a.centering == "on";
  to.noise_stddev = a.task == "denoise" ? a.noise : 0.0f;
  std::string loss = a.loss;
  if (loss.empty()) loss = a.task == "segment" && a.classes > 1 ? "cce" : (a.task == "segment" ? "bce" : "mse");
  to.loss = train::ParseLoss(loss);
  if (a.per_tensor && !a.qat) throw UsageError("--per-tensor is used only with --qat");
  to.qat = a.qat;
  to.qat_options.per_tensor = a.per_tensor;
  ThreadPool pool(a.threads);
  // Errors name the file they are about: the model for the trainer's checks of its layers.
  const auto trainer_for = [&]() {
    try {
      return std::make_unique<train::Trainer>(km, to, &pool);
    } catch (const Error& e) {
      if (a.init.empty() || std::string(e.what()).find(a.init) != std::string::npos) throw;
      Fail(a.init, ": ", e.what());
    }
  };
  const std::unique_ptr<train::Trainer> trainer_ptr = trainer_for();
  train::Trainer& trainer = *trainer_ptr;

  // Targets.
  std::optional<TensorData> y, val_y;
  if (a.task == "segment") {
    // Masks and class maps keep their integer values; class maps become one-hot.
    const int out_c = trainer.net().output_dims().c;
    y = LoadSegmentationTargets(a.targets, out_c, a.limit, TargetForm::kTraining);
    if (val_x) {
      if (a.val_targets.empty()) throw UsageError("--task segment with --val needs --val-targets");
      val_y = LoadSegmentationTargets(a.val_targets, out_c, a.limit, TargetForm::kTraining);
    }
  }
  const TensorData& targets = y ? *y : x;
  const TensorData* vy = val_y ? &*val_y : (val_x ? &*val_x : nullptr);

  const bool progress = ShowProgress() && !a.json;
  const bool lines = !Globals().quiet && !a.json;
  if (lines) {
    std::cout << "train: " << (a.init.empty() ? a.arch : a.init) << ", "
              << trainer.net().ParamCount() << " parameters, " << x.shape[0] << " samples "
              << SampleShape(x) << (val_x ? StrCat(", validation ", val_x->shape[0]) : "")
              << ", loss " << loss << ", " << a.optimizer << " lr " << a.lr << ", batch "
              << a.batch_size << ", " << pool.size() << " threads" << std::endl;
    if (trainer.net().has_regularizers())
      std::cout << "train: the model has weight or activity regularizers; the losses below "
                   "include their penalties, as Keras reports them" << std::endl;
    if (const train::QatSimulator* q = trainer.net().qat()) {
      std::cout << "train: quantization-aware: int8 simulated at " << q->points()
                << " activations and the weights (" << (a.per_tensor ? "per-tensor" : "per-channel")
                << "), as convert --quant int8 will quantize them; the losses below are the "
                   "simulated int8 model's" << std::endl;
      if (!q->uncovered().empty())
        std::cout << "train: not simulated (convert will calibrate them on --calib): "
                  << q->uncovered().size() << " activations, e.g. " << q->uncovered()[0] << std::endl;
    } else if (!km.qat.is_null()) {
      std::cout << "train: " << a.init << " holds quantization-aware training ranges; training "
                   "without --qat drops them" << std::endl;
    }
    if (!flattened.empty())
      std::cout << "train: nested models " << flattened
                << " are trained (and saved) as their layers, in one flat model" << std::endl;
  }
  train::TrainCallbacks cb;
  if (progress) cb.on_batch = [](const train::BatchProgress& p) { std::cerr << ProgressLine(p) << std::flush; };
  nlohmann::json epochs = nlohmann::json::array();
  cb.on_epoch = [&](const train::EpochStats& s) {
    if (progress) std::cerr << "\r\033[K" << std::flush;
    epochs.push_back({{"epoch", s.epoch}, {"train_loss", s.train_loss},
                      {"val_loss", s.val_loss >= 0 ? nlohmann::json(s.val_loss) : nlohmann::json()},
                      {"seconds", s.seconds}, {"images_per_second", s.images_per_second}});
    if (!lines) return;
    char buf[256];
    std::snprintf(buf, sizeof(buf), "epoch %d/%d: train %s %.6f", s.epoch, a.epochs, loss.c_str(),
                  s.train_loss);
    std::cout << buf;
    if (s.val_loss >= 0) {
      std::snprintf(buf, sizeof(buf), ", val %s %.6f", loss.c_str(), s.val_loss);
      std::cout << buf;
    }
    std::snprintf(buf, sizeof(buf), ", %.1f s, %.0f images/s", s.seconds, s.images_per_second);
    std::cout << buf << std::endl;
  };
  try {
    trainer.Fit(x, targets, val_x ? &*val_x : nullptr, vy, cb);
  } catch (const Error& e) {
    // The trainer names the role of the data ("training targets: ..."); add the file.
    const std::string msg = e.what();
    const std::pair<const char*, std::string> roles[] = {
        {"training inputs", data_path},
        {"training targets", y ? a.targets : data_path},
        {"validation inputs", val_path},
        {"validation targets", val_y ? a.val_targets : val_path}};
    for (const auto& [role, file] : roles)
      if (msg.rfind(role, 0) == 0 && !file.empty()) Fail(file, " (", role, ")", msg.substr(std::strlen(role)));
    throw;
  }
  trainer.StoreWeights(km);
  // The ranges of --qat go with the weights; other training makes stored ones stale.
  km.qat = trainer.net().qat() ? trainer.net().qat()->RangesJson() : nlohmann::json();
  SaveKerasH5(km, a.out, trainer.TrainingConfig());
  if (a.json) {
    nlohmann::json j = {{"output", a.out}, {"parameters", trainer.net().ParamCount()},
                        {"centering", to.center_inputs}, {"epochs", epochs}};
    if (const train::QatSimulator* q = trainer.net().qat())
      j["qat"] = {{"activations", q->points()}, {"per_tensor", a.per_tensor},
                  {"not_simulated", q->uncovered()}};
    PrintJson(j);
  } else if (lines) {
    std::cout << "wrote " << a.out << std::endl;
  }
}

}  // namespace

void AddTrainCommand(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a CAE, dense AE or U-Net (or fine-tune a Keras model) and write Keras HDF5");
  cmd->add_option("--arch", a->arch, "cae | dense-ae | unet");
  cmd->add_option("--data", a->data, "Training images: IDX (.gz or not), .npy, or a folder (default: Fashion-MNIST train)");
  cmd->add_option("--val", a->val, "Validation images (default with Fashion-MNIST: its test set)");
  cmd->add_option("--task", a->task, "reconstruct | denoise | segment (default reconstruct)");
  cmd->add_option("--targets", a->targets, "segment: target masks or class maps for --data");
  cmd->add_option("--val-targets", a->val_targets, "segment: targets for --val");
  cmd->add_option("--noise", a->noise, "denoise: Gaussian noise sigma added to inputs (default 0.2)");
  // --epochs and --batch-size take the trainer's bounds (train::Trainer checks the same).
  cmd->add_option("--epochs", a->epochs, "Epochs (default 10)")->check(CLI::Range(0, 100000));
  cmd->add_option("--batch-size", a->batch_size, "Batch size (default 128)")->check(CLI::Range(1, 65536));
  cmd->add_option("--lr", a->lr, "Learning rate (default 1e-3)");
  cmd->add_option("--momentum", a->momentum, "sgd momentum (default 0)");
  cmd->add_option("--loss", a->loss, "mse | bce | cce (default mse; segment: bce, or cce with --classes > 1)");
  cmd->add_option("--optimizer", a->optimizer, "adam | sgd (default adam)");
  cmd->add_option("--centering", a->centering,
                  "on: step conv and dense layers in input-centered coordinates (the same model, "
                  "faster training); off: the plain steps Keras takes (default on)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--seed", a->seed, "Seed for init, shuffling, noise, dropout (default 1)");
  cmd->add_option("--limit", a->limit, "Use only the first N images of each data set")
      ->check(CLI::Range(int64_t{1}, kMaxItems));
  cmd->add_option("--init", a->init, "Start from this Keras model (fine-tuning) instead of --arch");
  cmd->add_option("--arch-json", a->arch_json, "--init: model.to_json() file for a weights-only Keras HDF5");
  cmd->add_option("--filters", a->filters, "cae: encoder filters (default 32,16,8)");
  cmd->add_option("--units", a->units, "dense-ae: encoder sizes (default 256,128,64,32)");
  cmd->add_option("--depth", a->depth, "unet: pooling levels (default 2)");
  cmd->add_option("--base-filters", a->base_filters, "unet: filters at the first level (default 16)");
  cmd->add_option("--classes", a->classes, "unet: output channels; 1 = sigmoid, more = softmax (default 1)");
  cmd->add_option("--upsample", a->upsample, "unet: transpose | nearest (default transpose)");
  cmd->add_option("--threads", a->threads, "Worker threads (0 = all cores)")->check(CLI::Range(0, 256));
  cmd->add_option("-o,--output", a->out, "Output Keras .h5")->required();
  cmd->add_flag("--json", a->json, "Print the per-epoch figures as JSON");
  cmd->add_flag("--qat", a->qat,
                "Quantization-aware training: simulate the int8 model (weights and activations "
                "fake-quantized as convert --quant int8 does); the saved model keeps the ranges, "
                "so convert needs no --calib");
  cmd->add_flag("--per-tensor", a->per_tensor, "--qat: per-tensor conv weights (as convert --per-tensor)");
  cmd->callback([a] { Execute(*a); });
}

}  // namespace cae::cli
