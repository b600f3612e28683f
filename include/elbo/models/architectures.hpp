// The encoder/decoder pairs a Vae can be built from, by name. Images are NCHW, [N, C, S, S]; L is
// the number of latents; every encoder ends in 2·L outputs (μ then log σ²), every decoder in one
// logit per input dimension, shaped [N, C, S, S]. "same" is TensorFlow's padding
// (models/same_padding.hpp).
//
// dlib_conv — disentanglement_lib's conv_encoder / deconv_decoder (methods/shared/architectures.py;
//   row 3 of Table 1 of Higgins et al. 2017, the "chairs" network), the network of the
//   unsupervised_study_v1 model zoo. S a multiple of 16 (the zoo: 64). For S = 64:
//     encoder  SameConv 32 k4 s2 ReLU   → 32×32×32
//              SameConv 32 k4 s2 ReLU   → 16×16×32
//              SameConv 64 k2 s2 ReLU   →  8× 8×64
//              SameConv 64 k2 s2 ReLU   →  4× 4×64
//              flatten 1024 → Linear 256 ReLU → two Linear heads 256→L (means, log_var)
//     decoder  Linear L→256 ReLU → Linear 256→1024 ReLU → reshape 64×4×4
//              SameConvT 64 k4 s2 ReLU  →  8× 8×64
//              SameConvT 32 k4 s2 ReLU  → 16×16×32
//              SameConvT 32 k4 s2 ReLU  → 32×32×32
//              SameConvT C  k4 s2       → 64×64×C (logits)
//   Reference initialisation: TensorFlow's defaults, glorot_uniform kernels and zero biases.
//   (TensorFlow flattens NHWC, this NCHW: the order of the 1024 features differs, so moving
//   weights between the two means permuting the rows of that Linear layer and of the reshape.)
//
// dlib_fc — disentanglement_lib's fc_encoder / fc_decoder (row 1 of Table 1 of Higgins et al.
//   2017, the dSprites network; not used in the study). Any S.
//     encoder  flatten D → Linear 1200 ReLU → Linear 1200 ReLU → two Linear heads 1200→L
//     decoder  Linear L→1200 tanh → Linear 1200 tanh → Linear 1200 tanh → Linear D → reshape C×S×S
//   Reference initialisation: glorot_uniform, zero biases.
//
// fmnist_conv — the Fashion-MNIST network of Murphy, Dillavou & Bassett 2024 (v1,
//   fashion_mnist_example.ipynb, Keras). S a multiple of 4 (Fashion-MNIST: 28). For S = 28:
//     encoder  SameConv 32 k4 s2 ReLU → 14×14×32;  SameConv 64 k4 s2 ReLU → 7×7×64
//              flatten 3136 → Linear 256 ReLU → Linear 2·L
//     decoder  Linear L → 7·7·32 ReLU → reshape 32×7×7
//              SameConvT 64 k4 s2 ReLU → 14×14×64;  SameConvT 32 k4 s2 ReLU → 28×28×32
//              SameConvT C k4 s1 → 28×28×C (logits; "same" with stride 1 pads 1 before, 2 after)
//   Reference initialisation: Keras's defaults, glorot_uniform, zero biases.
//
// conv64 — the benchmark network (docs/BENCHMARKS.md), the convolutional β-VAE of Burgess et al.
//   2018 as PyTorch implementations write it. S a multiple of 16 (the benchmark: 64).
//     encoder  Conv 32, 32, 64, 64, each k4 s2 p1 ReLU → flatten 64·(S/16)² → Linear 256 ReLU → Linear 2·L
//     decoder  Linear L→256 ReLU → Linear 256→64·(S/16)² ReLU → reshape
//              ConvT 64, 32, 32 k4 s2 p1 ReLU → ConvT C k4 s2 p1
//   Reference initialisation: PyTorch's defaults.
//
// mlp — a plain multilayer perceptron with ReLU, hidden widths h_1 … h_k (default 512, 256). Any S.
//     encoder  flatten D → Linear h_1 ReLU → … → Linear h_k ReLU → Linear 2·L
//     decoder  Linear L→h_k ReLU → … → Linear h_1 ReLU → Linear D → reshape C×S×S
//   With S = 28, C = 1 and 512-256 it is the benchmark's mlp784. Reference initialisation: PyTorch's.
#pragma once
#include <string>
#include <vector>

#include "elbo/models/vae.hpp"
#include "elbo/nn.hpp"

namespace elbo::models {

// The encoder's last layer when μ and log σ² come from two separate Linear layers, as in
// disentanglement_lib ("means", "log_var"): y = [x·W_μᵀ + b_μ, x·W_vᵀ + b_v], [N, 2·L].
// (Separate heads matter for the initialisation: glorot's bound depends on each layer's fan_out.)
class GaussianHeads : public nn::Module {
 public:
  GaussianHeads(nn::Init& init, int64_t in_features, int64_t latents);
  Tensor forward(const Tensor& x) override;
  nn::MemberBatch forward_members(const std::vector<nn::Module*>& members, const nn::MemberBatch& x,
                                  FusedActivation f) override;
  std::string str() const override;
  nn::Linear means, log_var;
};

struct ArchitectureInfo {
  const char* name;
  const char* summary;
  nn::WeightInit reference_init;  // how the reference implementation initialised it
  // Appends the layers to the (empty) encoder and decoder; throws if the config does not fit.
  void (*build)(nn::Init& init, const VaeConfig& config, nn::Sequential& encoder, nn::Sequential& decoder);
};

// Every architecture, in the order above.
const std::vector<ArchitectureInfo>& architectures();
// The architecture of that name; throws listing the names.
const ArchitectureInfo& find_architecture(const std::string& name);

}  // namespace elbo::models
