#include "keras/keras_builders.h"

#include <cctype>

#include "graph/error.h"

namespace cae {
namespace {

using json = nlohmann::json;

std::string SnakeCase(const std::string& class_name) {
  std::string out;
  for (size_t i = 0; i < class_name.size(); ++i) {
    const char c = class_name[i];
    if (std::isupper(static_cast<unsigned char>(c)) && i > 0 &&
        !std::isupper(static_cast<unsigned char>(class_name[i - 1])) &&
        !std::isdigit(static_cast<unsigned char>(class_name[i - 1]))) {
      out += '_';
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

json Initializer(const std::string& name) {
  if (name == "glorot_uniform")
    return {
        {"class_name", "VarianceScaling"},
        {"config",
         {{"scale", 1.0}, {"mode", "fan_avg"}, {"distribution", "uniform"}, {"seed", nullptr}}}};
  if (name == "ones") return {{"class_name", "Ones"}, {"config", json::object()}};
  return {{"class_name", "Zeros"}, {"config", json::object()}};
}

}  // namespace

KerasModelBuilder::KerasModelBuilder(std::string model_name) {
  model_.name = std::move(model_name);
  model_.keras_version = "2.2.4";
  model_.backend = "tensorflow";
}

std::string KerasModelBuilder::Input(const std::vector<int>& shape, const std::string& name) {
  json batch_shape = json::array({nullptr});
  for (int d : shape) batch_shape.push_back(d);
  KerasLayer l;
  l.name = name;
  l.class_name = "InputLayer";
  l.config = {
      {"batch_input_shape", batch_shape}, {"dtype", "float32"}, {"sparse", false}, {"name", name}};
  model_.layers.push_back(std::move(l));
  model_.inputs.push_back({name, 0, 0});
  return name;
}

std::string KerasModelBuilder::Add(const std::string& class_name, json config,
                                   const std::vector<std::string>& inputs,
                                   const std::string& name) {
  std::string layer_name = name;
  if (layer_name.empty()) {
    const std::string base = SnakeCase(class_name);
    int k = 0;
    for (auto& [b, count] : counters_)
      if (b == base) k = ++count;
    if (k == 0) {
      counters_.push_back({base, 1});
      k = 1;
    }
    layer_name = base + "_" + std::to_string(k);
  }
  Check(model_.FindLayer(layer_name) == nullptr, "model '", model_.name, "': duplicate layer '",
        layer_name, "'");
  KerasLayer l;
  l.name = layer_name;
  l.class_name = class_name;
  config["name"] = layer_name;
  config["trainable"] = true;
  l.config = std::move(config);
  std::vector<KerasInbound> call;
  for (const std::string& in : inputs) {
    Check(model_.FindLayer(in) != nullptr, "model '", model_.name, "': layer '", layer_name,
          "' calls unknown layer '", in, "'");
    call.push_back({in, 0, 0});
  }
  l.calls.push_back(std::move(call));
  model_.layers.push_back(std::move(l));
  return layer_name;
}

KerasModel KerasModelBuilder::Finish(const std::string& output) {
  Check(model_.FindLayer(output) != nullptr, "model '", model_.name, "': unknown output '", output,
        "'");
  model_.outputs = {{output, 0, 0}};
  KerasModel out = std::move(model_);
  model_ = KerasModel{};
  counters_.clear();
  return out;
}

json Conv2DConfig(int filters, int kernel, const std::string& activation,
                  const std::string& padding, int stride) {
  return {{"filters", filters},
          {"kernel_size", {kernel, kernel}},
          {"strides", {stride, stride}},
          {"padding", padding},
          {"data_format", "channels_last"},
          {"dilation_rate", {1, 1}},
          {"activation", activation},
          {"use_bias", true},
          {"kernel_initializer", Initializer("glorot_uniform")},
          {"bias_initializer", Initializer("zeros")},
          {"kernel_regularizer", nullptr},
          {"bias_regularizer", nullptr},
          {"activity_regularizer", nullptr},
          {"kernel_constraint", nullptr},
          {"bias_constraint", nullptr}};
}

json Conv2DTransposeConfig(int filters, int kernel, int stride, const std::string& activation,
                           const std::string& padding) {
  json c = Conv2DConfig(filters, kernel, activation, padding, stride);
  c["output_padding"] = nullptr;
  return c;
}

json DenseConfig(int units, const std::string& activation) {
  return {{"units", units},
          {"activation", activation},
          {"use_bias", true},
          {"kernel_initializer", Initializer("glorot_uniform")},
          {"bias_initializer", Initializer("zeros")},
          {"kernel_regularizer", nullptr},
          {"bias_regularizer", nullptr},
          {"activity_regularizer", nullptr},
          {"kernel_constraint", nullptr},
          {"bias_constraint", nullptr}};
}

json PoolConfig(int size, const std::string& padding) {
  return {{"pool_size", {size, size}},
          {"padding", padding},
          {"strides", {size, size}},
          {"data_format", "channels_last"}};
}

json UpSamplingConfig(int size) {
  return {{"size", {size, size}}, {"data_format", "channels_last"}, {"interpolation", "nearest"}};
}

json BatchNormConfig() {
  return {{"axis", -1},
          {"momentum", 0.99},
          {"epsilon", 0.001},
          {"center", true},
          {"scale", true},
          {"beta_initializer", Initializer("zeros")},
          {"gamma_initializer", Initializer("ones")},
          {"moving_mean_initializer", Initializer("zeros")},
          {"moving_variance_initializer", Initializer("ones")},
          {"beta_regularizer", nullptr},
          {"gamma_regularizer", nullptr},
          {"beta_constraint", nullptr},
          {"gamma_constraint", nullptr}};
}

KerasModel BuildCae(int height, int width, int channels, const std::vector<int>& filters) {
  Check(filters.size() == 3, "cae: --filters needs three values (e.g. 32,16,8), got ",
        filters.size());
  for (int f : filters) Check(f > 0 && f <= 4096, "cae: filters must be 1..4096, got ", f);
  Check(channels > 0 && channels <= 4096, "cae: channels must be 1..4096");
  auto closes = [](int x) {
    const int s2 = ((x + 1) / 2 + 1) / 2;  // after two "same" pools
    return x > 0 && x <= 16384 && 8 * ((s2 + 1) / 2) - 4 == x;
  };
  Check(closes(height) && closes(width), "cae: the architecture maps ", height, "x", width,
        " to a different output size; it needs sizes like 28 (8 * ceil(x / 8) - 4 == x)");
  KerasModelBuilder b("model_1");
  std::string x = b.Input({height, width, channels});
  x = b.Add("Conv2D", Conv2DConfig(filters[0], 3, "relu"), {x});
  x = b.Add("MaxPooling2D", PoolConfig(2, "same"), {x});
  x = b.Add("Conv2D", Conv2DConfig(filters[1], 3, "relu"), {x});
  x = b.Add("MaxPooling2D", PoolConfig(2, "same"), {x});
  x = b.Add("Conv2D", Conv2DConfig(filters[2], 3, "relu"), {x});
  x = b.Add("MaxPooling2D", PoolConfig(2, "same"), {x});
  x = b.Add("Conv2D", Conv2DConfig(filters[2], 3, "relu"), {x});
  x = b.Add("UpSampling2D", UpSamplingConfig(2), {x});
  x = b.Add("Conv2D", Conv2DConfig(filters[1], 3, "relu"), {x});
  x = b.Add("UpSampling2D", UpSamplingConfig(2), {x});
  x = b.Add("Conv2D", Conv2DConfig(filters[0], 3, "relu", "valid"), {x});
  x = b.Add("UpSampling2D", UpSamplingConfig(2), {x});
  x = b.Add("Conv2D", Conv2DConfig(channels, 3, "sigmoid"), {x});
  return b.Finish(x);
}

KerasModel BuildDenseAe(int height, int width, int channels, const std::vector<int>& units) {
  Check(!units.empty(), "dense-ae: needs at least one hidden size");
  for (int u : units) Check(u > 0 && u <= 65536, "dense-ae: units must be 1..65536, got ", u);
  const int64_t flat = static_cast<int64_t>(height) * width * channels;
  Check(height > 0 && width > 0 && channels > 0 && flat <= (1 << 20), "dense-ae: input ", height,
        "x", width, "x", channels, " must be non-empty and at most 2^20 values");
  KerasModelBuilder b("model_1");
  std::string x = b.Input({height, width, channels});
  x = b.Add("Flatten", {{"data_format", "channels_last"}}, {x});
  for (int u : units) x = b.Add("Dense", DenseConfig(u, "relu"), {x});
  for (size_t i = units.size() - 1; i-- > 0;)
    x = b.Add("Dense", DenseConfig(units[i], "relu"), {x});
  x = b.Add("Dense", DenseConfig(static_cast<int>(flat), "sigmoid"), {x});
  x = b.Add("Reshape", {{"target_shape", {height, width, channels}}}, {x});
  return b.Finish(x);
}

KerasModel BuildUnet(const UnetOptions& o) {
  Check(o.depth >= 1 && o.depth <= 6, "unet: depth must be 1..6, got ", o.depth);
  Check(o.base_filters > 0 && (static_cast<int64_t>(o.base_filters) << o.depth) <= 8192,
        "unet: base filters ", o.base_filters, " too large for depth ", o.depth);
  Check(o.classes >= 1 && o.classes <= 1024, "unet: classes must be 1..1024");
  Check(o.channels > 0 && o.channels <= 4096, "unet: channels must be 1..4096");
  const int div = 1 << o.depth;
  Check(o.height > 0 && o.width > 0 && o.height % div == 0 && o.width % div == 0 &&
            o.height <= 16384 && o.width <= 16384,
        "unet: input ", o.height, "x", o.width, " must be divisible by 2^depth = ", div);
  KerasModelBuilder b("unet");
  auto block = [&](std::string x, int filters) {
    for (int i = 0; i < 2; ++i) {
      x = b.Add("Conv2D", Conv2DConfig(filters, 3, "linear"), {x});
      x = b.Add("BatchNormalization", BatchNormConfig(), {x});
      x = b.Add("Activation", {{"activation", "relu"}}, {x});
    }
    return x;
  };
  std::string x = b.Input({o.height, o.width, o.channels});
  std::vector<std::string> skips;
  for (int l = 0; l < o.depth; ++l) {
    x = block(x, o.base_filters << l);
    skips.push_back(x);
    x = b.Add("MaxPooling2D", PoolConfig(2, "valid"), {x});
  }
  x = block(x, o.base_filters << o.depth);
  for (int l = o.depth - 1; l >= 0; --l) {
    if (o.transpose_up) {
      x = b.Add("Conv2DTranspose",
                Conv2DTransposeConfig(o.base_filters << l, 2, 2, "linear", "same"), {x});
    } else {
      x = b.Add("UpSampling2D", UpSamplingConfig(2), {x});
    }
    x = b.Add("Concatenate", {{"axis", -1}}, {x, skips[static_cast<size_t>(l)]});
    x = block(x, o.base_filters << l);
  }
  x = b.Add("Conv2D", Conv2DConfig(o.classes, 1, o.classes == 1 ? "sigmoid" : "softmax"), {x});
  return b.Finish(x);
}

}  // namespace cae
