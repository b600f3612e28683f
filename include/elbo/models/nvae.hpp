// NVAE: a deep hierarchical VAE (Vahdat & Kautz 2020, "NVAE: A Deep Hierarchical Variational
// Autoencoder", NeurIPS; reference implementation NVlabs/NVAE model.AutoEncoder), small enough to
// train on a CPU core. docs/MODELS.md §NVAE explains it for a reader; the pieces are
//     cells (residual cells, FactorizedReduce, combiners)   models/nvae_cells.hpp
//     the Normal with soft clamp, its KL and log-density     models/nvae_distribution.hpp
//     KL warm-up and KL balancing, the whole objective       models/nvae_objective.hpp
//     spectral and batch-norm regularisation                 nn/spectral_regularization.hpp
//     Adamax with its schedule, one training step            models/nvae_training.hpp
//     ELBO and importance-weighted bound                     models/nvae_evaluate.hpp
//
// Topology (the reference's AutoEncoder.forward), for an image x in [0, 1] padded by `pad` pixels
// of 0 on each side to S = image_size + 2·pad, with C = channels:
//   1. stem: Conv3×3 (WN) of 2x − 1, 1 → C channels.
//   2. pre-process: `preprocess_blocks` blocks of `preprocess_cells` encoder cells, the last of
//      each block a down cell (H/2, 2C).
//   3. encoder tower, bottom-up, run to its end first: for each latent scale s (finest first)
//      and each of its groups: `encoder_cells` encoder cells, then the feature is stored for that
//      group's posterior (except for the last, the top group); a down cell between scales.
//   4. top group z₀: q₀ = Normal(Conv3×3(ELU(Conv1×1(ELU(top feature))))) (enc0 then the sampler),
//      prior p₀ = Normal(0, 0) (σ = 1.01, see nvae_distribution.hpp).
//   5. decoder tower, top-down, from a learned constant h [C_top, S_top, S_top] (U(0, 1) at
//      first; the reference's prior_ftr0) broadcast over the batch; s ← DecCombiner(h, z₀); then
//      for every later group i: `decoder_cells` decoder cells, then
//          prior      (μ_p, log σ_p) = Conv1×1(ELU(s))                 p_i = Normal(μ_p, log σ_p)
//          posterior  (Δμ, Δlog σ)   = Conv3×3(EncCombiner(x_enc_i, s))
//                     q_i = Normal(μ_p + Δμ, log σ_p + Δlog σ)         (residual, eq. 2)
//          z_i ~ q_i,  s ← DecCombiner(s, z_i)
//      and an up cell (decoder kind) between scales.
//   6. post-process: `postprocess_blocks` blocks of `postprocess_cells` decoder cells (expand 3),
//      the first of each block an up cell.
//   7. Bernoulli logits = Conv3×3(ELU(s)) (WN), cropped back to image_size.
//
// Group sizes: the finest latent scale has `groups_per_scale` groups; with ada_groups each coarser
// scale has half as many (integer halving, at least min_groups_per_scale), as the reference's
// utils.groups_per_scale. A group at a scale of side S_s carries `latents_per_group` × S_s × S_s
// latents. The decoder visits groups top (coarsest) first: "group i" below is in that order.
//
// Randomness: the ε of every group comes from one Philox stream: group i uses the draws
// counter + o_i … counter + o_i + N·L_i − 1, with o_i the sum of N·L_j over the groups before i
// (L_j the latents of group j per image), so a step is a pure function of (seed, stream).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "elbo/io/json.hpp"
#include "elbo/nn/init.hpp"
#include "elbo/models/nvae_cells.hpp"
#include "elbo/models/nvae_distribution.hpp"
#include "elbo/nn/spectral_regularization.hpp"

namespace elbo::models {

struct NvaeConfig {
  int64_t input_channels = 1;
  int64_t image_size = 28;  // side of the images given to the model
  int64_t pad = 2;          // zeros added on each side (28 → 32, as the reference's MNIST); the loss is cropped back
  int64_t channels = 8;     // C of the stem (num_channels_enc = num_channels_dec)
  int64_t latent_scales = 2;
  int64_t groups_per_scale = 2;  // at the finest latent scale
  bool ada_groups = true;        // halve the group count at each coarser scale
  int64_t min_groups_per_scale = 1;
  int64_t latents_per_group = 8;
  int64_t encoder_cells = 1;  // per group (num_cell_per_cond_enc)
  int64_t decoder_cells = 1;  // per group (num_cell_per_cond_dec)
  int64_t preprocess_blocks = 1, preprocess_cells = 1;
  int64_t postprocess_blocks = 1, postprocess_cells = 1;
  bool squeeze_excitation = true;
  int64_t decoder_expand = 6, postprocess_expand = 3;  // inverted residuals' expansions

  int64_t input_size() const { return image_size + 2 * pad; }
  // Σ preprocess_blocks + latent_scales − 1: the halvings from the input to the top scale.
  int64_t halvings() const { return preprocess_blocks + latent_scales - 1; }
  // Groups per scale, finest scale first (the reference's order).
  std::vector<int64_t> groups() const;
  // Checks every field; the message names the field.
  void validate() const;
  json::Value to_json() const;
  // Missing fields keep their defaults; unknown fields are errors.
  static NvaeConfig from_json(const json::Value& v);
};

// What one pass through the model computes, with history.
struct NvaePass {
  Tensor logits;                    // [N, C, image_size, image_size], cropped
  std::vector<Tensor> kl;           // per group (decoder order), [N]: Σ over C, H, W of KL(q_i ‖ p_i)
  std::vector<Tensor> log_q, log_p; // per group [N]: ln q_i(z_i | ·), ln p_i(z_i | ·) (when asked for)
};

class Nvae : public nn::Module {
 public:
  Nvae(nn::Init& init, const NvaeConfig& config);

  // The pass of the top of this file on x [N, C, image_size, image_size] in [0, 1] (the model's
  // dtype), with ε from (seed, stream) starting at `counter`.
  NvaePass run(const Tensor& x, uint64_t seed, uint64_t stream, uint64_t counter, bool log_densities = false);
  // −ln p(x | z) of the Bernoulli decoder, per image [N]: Σ over the cropped pixels of
  // bce_with_logits(logits, x).
  static Tensor reconstruction_loss(const Tensor& logits, const Tensor& x);
  // Logits [n, C, image_size, image_size] of images drawn from the prior, every group's σ
  // multiplied by `temperature` (the reference's Normal(..., temp)); ε from (seed, stream).
  Tensor sample_logits(int64_t n, double temperature, uint64_t seed, uint64_t stream);

  // L_SR over every convolution kernel (after weight normalisation), with `iterations` power
  // iterations first (nn/spectral_regularization.hpp); L_BN over every batch norm's γ.
  Tensor spectral_loss(int iterations);
  Tensor batchnorm_loss() const;

  // Per group, decoder order: the latents per image (latents_per_group·S_s²), the scale index
  // from the top (0 = coarsest), the number of groups at that scale and its side S_s.
  struct GroupInfo {
    int64_t latents, scale_from_top, groups_at_scale, side;
  };
  const std::vector<GroupInfo>& group_info() const { return groups_; }
  int64_t total_latents() const;  // per image
  std::string describe() const;

  const NvaeConfig config;

  // Children (the vectors own their modules), registered under these names with an index.
  nn::WeightNormConv2d stem;
  std::vector<std::unique_ptr<ResidualCell>> preprocess;
  std::vector<std::unique_ptr<ResidualCell>> encoder_tower;  // normal and down cells
  std::vector<int> encoder_plan;  // bottom-up: k ≥ 0 runs encoder_tower[k]; −1 stores the feature for a group
  std::unique_ptr<nn::WeightNormConv2d> enc0;  // Conv1×1 between two ELUs, on the top feature
  std::vector<std::unique_ptr<nn::WeightNormConv2d>> encoder_samplers;  // per group: Conv3×3 → 2·latents
  std::vector<std::unique_ptr<nn::WeightNormConv2d>> decoder_samplers;  // per group but the first: Conv1×1
  std::vector<std::unique_ptr<EncoderCombiner>> encoder_combiners;      // per group but the first
  std::vector<std::unique_ptr<DecoderCombiner>> decoder_combiners;      // per group
  std::vector<std::vector<std::unique_ptr<ResidualCell>>> decoder_cells;  // per group (empty for the first)
  std::vector<std::unique_ptr<ResidualCell>> up_cells;                    // between scales
  std::vector<std::unique_ptr<ResidualCell>> postprocess;
  std::unique_ptr<nn::WeightNormConv2d> image_conditional;  // Conv3×3 after an ELU → logits
  Tensor prior_ftr0;  // h [C_top, S_top, S_top]
  std::unique_ptr<nn::SpectralRegularizer> spectral;

 private:
  // The decoder tower and post-process from z₀: with encoder features (training, evaluation)
  // each later group samples its residual posterior and `pass` receives the KLs (and log
  // densities); without, each samples its prior with σ·temperature. Returns the logits, cropped.
  Tensor decode(const Tensor& z0, const std::vector<Tensor>* encoder_features, NvaePass* pass, bool log_densities,
                double temperature, uint64_t seed, uint64_t stream, uint64_t counter);
  std::vector<Tensor> kernels() const;

  NvaeLayers layers_;
  std::vector<GroupInfo> groups_;
};

// Dynamic binarisation (the reference's datasets.Binarize): x_b = 1[u < x], u ~ U(0, 1) from
// (seed, stream), elementwise, without history.
Tensor binarize(const Tensor& x, uint64_t seed, uint64_t stream);

}  // namespace elbo::models
