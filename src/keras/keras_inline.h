// Flattening nested Keras models: an autoencoder built as Model(x, decoder(encoder(x))) becomes one
// flat model holding the encoder's and decoder's layers, wired and weighted as before. Used where
// a flat layer graph is needed (the trainer, and the Keras writer after fine-tuning).
#pragma once

#include "keras/keras_model.h"

namespace cae {

// True when some layer of km is itself a model.
bool HasNestedModels(const KerasModel& km);

// km with every nested model (at any depth) replaced by its layers. A nested model's InputLayers
// disappear (their consumers read what the model was called on); references to its outputs go to
// the inner layers that compute them. Layer configs and weights are copied unchanged. A nested
// model called k times makes each of its layers called k times. Throws cae::Error naming the
// model when an inner layer's name is already used elsewhere in the flattened model, or when the
// graph references a tensor no layer produces.
KerasModel InlineNestedModels(const KerasModel& km);

}  // namespace cae
