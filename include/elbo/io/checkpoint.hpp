// Training checkpoints: a model's tensors, its optimiser's state and the caller's metadata in one
// safetensors file (safetensors.hpp), readable by Python's `safetensors` and numpy.
//
// Tensors, each stored with its own dtype and shape, bit for bit:
//   "<name>"                        every parameter and buffer, under Module's names ("encoder.0.weight")
//   "optimizer/<name>/m"            first moment (Adam family) or momentum buffer (SGD), when the optimiser has one
//   "optimizer/<name>/v"            second moment (Adam, AdamW) or infinity norm (Adamax), when it has one
//   "optimizer/<name>/step"         i64 scalar (shape []): updates made to that parameter
// __metadata__ (strings):
//   "format"     "elbo-checkpoint"        "version"   "1"
//   "metadata"   the caller's JSON value as text (model configuration, step, RNG state, ...)
//   "optimizer"  the optimiser's settings as JSON text: {"kind": "adam", "lr": ..., "beta1": ..., ...}
//                (absent without an optimiser)
//
// load_checkpoint checks everything before it changes anything: every name the model (and the
// optimiser) expects is present with the same dtype and shape, the file holds no tensor the model
// lacks, and the optimiser kind matches; the first mismatch is reported. It then copies the values
// into the existing tensors (the model's tensors keep their identity, so an optimiser built on them
// stays valid), sets each parameter's step count and the optimiser's learning rate to the saved ones,
// and returns the caller's metadata.
//
// Several modules in one file (a VAE and FactorVAE's discriminator, each with its optimiser): each
// CheckpointPart names a prefix. A part with prefix P stores its tensors as "P.<name>", its optimiser
// tensors as "optimizer/P.<name>/m" (…/v, …/step) and its optimiser settings under the __metadata__
// key "optimizer/P"; a part with the empty prefix stores them exactly as the single-module functions
// do (so a one-part file is the same file). Loading checks every part before it changes any.
#pragma once
#include <string>
#include <vector>

#include "elbo/io/json.hpp"
#include "elbo/nn/module.hpp"
#include "elbo/nn/optim.hpp"

namespace elbo::io {

// `opt` may be null (no optimiser state saved). Every parameter of `opt` must belong to `model`.
void save_checkpoint(const std::string& path, const nn::Module& model, const nn::Optimizer* opt,
                     const json::Value& metadata);
// `opt` may be null: optimiser tensors in the file are then ignored (loading weights for evaluation).
json::Value load_checkpoint(const std::string& path, nn::Module& model, nn::Optimizer* opt);

struct CheckpointPart {
  std::string prefix;                  // "" or a name without '/'; unique within a checkpoint
  nn::Module* module = nullptr;        // required
  nn::Optimizer* optimizer = nullptr;  // may be null (as `opt` above)
};
void save_checkpoint(const std::string& path, const std::vector<CheckpointPart>& parts, const json::Value& metadata);
json::Value load_checkpoint(const std::string& path, const std::vector<CheckpointPart>& parts);

}  // namespace elbo::io
