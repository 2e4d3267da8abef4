// Attaching weights from HDF5 files to a parsed KerasModel.
//  - Legacy HDF5 (Keras 2, and Keras 3's .h5): <root>/<layer>/ with a weight_names attribute whose
//    entries are dataset paths relative to that group ("conv2d/kernel:0", "enc_conv1/kernel").
//    A nested model's group lists all its sub-layers' weights; they are assigned by name.
//  - Keras 3 model.weights.h5: layers/<snake_case class name>[_k]/vars/<i>, k counting layers of
//    the same class in model order; nested models recurse into their own layers/ group. Some
//    versions use _layer_checkpoint_dependencies instead of layers.
#pragma once

#include <string>
#include <vector>

#include "keras/hdf5_reader.h"
#include "keras/keras_model.h"

namespace cae {

// The weights a layer of this class holds, in Keras order, given its config ({"kernel",
// "bias"} for a Conv2D with use_bias). Empty for classes without weights or not known here.
std::vector<std::string> ExpectedWeightNames(const KerasLayer& layer);

// Keras 3's name for an object of this class: "Conv2DTranspose" -> "conv2d_transpose".
std::string KerasSnakeCase(const std::string& class_name);

void LoadLegacyWeights(const h5::File& file, const std::string& root, KerasModel& model);
// sequential: the top-level model is a Sequential (its InputLayer has no weights entry).
void LoadKeras3Weights(const h5::File& file, KerasModel& model, bool sequential);

}  // namespace cae
