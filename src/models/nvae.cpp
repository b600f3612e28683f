// NVAE (models/nvae.hpp has the topology and its sources).
#include "elbo/models/nvae.hpp"

#include <sstream>

#include "elbo/autograd.hpp"
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/loss.hpp"
#include "elbo/ops/math.hpp"
#include "elbo/ops/random.hpp"
#include "elbo/ops/reduce.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo::models {

// ---- configuration -------------------------------------------------------------------------

std::vector<int64_t> NvaeConfig::groups() const {
  // utils.groups_per_scale: n at the finest scale, then n ← max(min_groups, n / 2) with ada_groups.
  std::vector<int64_t> g;
  int64_t n = groups_per_scale;
  for (int64_t s = 0; s < latent_scales; ++s) {
    g.push_back(n);
    if (ada_groups) n = std::max(min_groups_per_scale, n / 2);
  }
  return g;
}

void NvaeConfig::validate() const {
  auto positive = [](const char* field, int64_t v) {
    ELBO_CHECK(v > 0, "NVAE config: ", field, " must be positive, got ", v);
  };
  positive("input_channels", input_channels);
  positive("image_size", image_size);
  positive("channels", channels);
  positive("latent_scales", latent_scales);
  positive("groups_per_scale", groups_per_scale);
  positive("min_groups_per_scale", min_groups_per_scale);
  positive("latents_per_group", latents_per_group);
  positive("preprocess_blocks", preprocess_blocks);
  positive("preprocess_cells", preprocess_cells);
  positive("postprocess_blocks", postprocess_blocks);
  positive("postprocess_cells", postprocess_cells);
  positive("decoder_expand", decoder_expand);
  positive("postprocess_expand", postprocess_expand);
  ELBO_CHECK(pad >= 0, "NVAE config: pad must be ≥ 0, got ", pad);
  ELBO_CHECK(encoder_cells >= 0 && decoder_cells >= 0, "NVAE config: encoder_cells and decoder_cells must be ≥ 0, got ",
             encoder_cells, " and ", decoder_cells);
  ELBO_CHECK(channels % 2 == 0, "NVAE config: channels must be even (FactorizedReduce splits 2·channels in four), got ",
             channels);
  ELBO_CHECK(postprocess_blocks == preprocess_blocks, "NVAE config: postprocess_blocks (", postprocess_blocks,
             ") must equal preprocess_blocks (", preprocess_blocks, ") so that the output has the input's size");
  ELBO_CHECK(halvings() < 16, "NVAE config: preprocess_blocks + latent_scales − 1 = ", halvings(), " is too large");
  const int64_t factor = int64_t{1} << halvings();
  ELBO_CHECK(input_size() % factor == 0, "NVAE config: image_size + 2·pad = ", input_size(),
             " must be divisible by 2^(preprocess_blocks + latent_scales − 1) = ", factor,
             " (change image_size, pad, preprocess_blocks or latent_scales)");
}

json::Value NvaeConfig::to_json() const {
  json::Value v = json::Value::object();
  v.set("input_channels", input_channels);
  v.set("image_size", image_size);
  v.set("pad", pad);
  v.set("channels", channels);
  v.set("latent_scales", latent_scales);
  v.set("groups_per_scale", groups_per_scale);
  v.set("ada_groups", ada_groups);
  v.set("min_groups_per_scale", min_groups_per_scale);
  v.set("latents_per_group", latents_per_group);
  v.set("encoder_cells", encoder_cells);
  v.set("decoder_cells", decoder_cells);
  v.set("preprocess_blocks", preprocess_blocks);
  v.set("preprocess_cells", preprocess_cells);
  v.set("postprocess_blocks", postprocess_blocks);
  v.set("postprocess_cells", postprocess_cells);
  v.set("squeeze_excitation", squeeze_excitation);
  v.set("decoder_expand", decoder_expand);
  v.set("postprocess_expand", postprocess_expand);
  return v;
}

NvaeConfig NvaeConfig::from_json(const json::Value& v) {
  NvaeConfig c;
  ELBO_CHECK(v.is_object(), "NVAE config: expected a JSON object");
  for (const auto& [key, value] : v.members()) {
    int64_t* field = nullptr;
    bool* flag = nullptr;
    if (key == "input_channels") field = &c.input_channels;
    else if (key == "image_size") field = &c.image_size;
    else if (key == "pad") field = &c.pad;
    else if (key == "channels") field = &c.channels;
    else if (key == "latent_scales") field = &c.latent_scales;
    else if (key == "groups_per_scale") field = &c.groups_per_scale;
    else if (key == "ada_groups") flag = &c.ada_groups;
    else if (key == "min_groups_per_scale") field = &c.min_groups_per_scale;
    else if (key == "latents_per_group") field = &c.latents_per_group;
    else if (key == "encoder_cells") field = &c.encoder_cells;
    else if (key == "decoder_cells") field = &c.decoder_cells;
    else if (key == "preprocess_blocks") field = &c.preprocess_blocks;
    else if (key == "preprocess_cells") field = &c.preprocess_cells;
    else if (key == "postprocess_blocks") field = &c.postprocess_blocks;
    else if (key == "postprocess_cells") field = &c.postprocess_cells;
    else if (key == "squeeze_excitation") flag = &c.squeeze_excitation;
    else if (key == "decoder_expand") field = &c.decoder_expand;
    else if (key == "postprocess_expand") field = &c.postprocess_expand;
    ELBO_CHECK(field || flag, "NVAE config: unknown field \"", key, "\"");
    if (field) *field = value.as_int();
    else *flag = value.as_bool();
  }
  c.validate();
  return c;
}

// ---- construction --------------------------------------------------------------------------

namespace {
const NvaeConfig& validated(const NvaeConfig& c) {
  c.validate();
  return c;
}
}  // namespace

Nvae::Nvae(nn::Init& init, const NvaeConfig& cfg)
    : config(validated(cfg)), stem(init, cfg.input_channels, cfg.channels, 3, Conv2dOptions{.padding = 1}) {
  layers_.wn_convs.push_back(&stem);
  register_module("stem", stem);
  const int64_t C = config.channels, L = config.latents_per_group;
  const bool se = config.squeeze_excitation;
  auto cell = [&](CellKind kind, CellDirection d, int64_t in, int64_t out, int64_t expand = 6) {
    return std::make_unique<ResidualCell>(init, layers_, kind, d, in, out, se, expand);
  };

  // Pre-process: the last cell of each block halves the side and doubles the channels.
  int64_t mult = 1;
  for (int64_t b = 0; b < config.preprocess_blocks; ++b)
    for (int64_t c = 0; c < config.preprocess_cells; ++c) {
      bool down = c == config.preprocess_cells - 1;
      preprocess.push_back(cell(CellKind::encoder, down ? CellDirection::down : CellDirection::normal, C * mult,
                                down ? 2 * C * mult : C * mult));
      if (down) mult *= 2;
    }

  // Encoder tower, finest scale first: groups[s] groups per scale; a feature stored after each
  // group but the very last (the top group's feature goes to enc0).
  const std::vector<int64_t> groups = config.groups();
  const int64_t S = config.latent_scales;
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t g = 0; g < groups[s]; ++g) {
      for (int64_t c = 0; c < config.encoder_cells; ++c) {
        encoder_plan.push_back(static_cast<int>(encoder_tower.size()));
        encoder_tower.push_back(cell(CellKind::encoder, CellDirection::normal, C * mult, C * mult));
      }
      if (!(s == S - 1 && g == groups[s] - 1)) encoder_plan.push_back(-1);
    }
    if (s < S - 1) {
      encoder_plan.push_back(static_cast<int>(encoder_tower.size()));
      encoder_tower.push_back(cell(CellKind::encoder, CellDirection::down, C * mult, 2 * C * mult));
      mult *= 2;
    }
  }
  enc0 = std::make_unique<nn::WeightNormConv2d>(init, C * mult, C * mult, 1);
  layers_.wn_convs.push_back(enc0.get());

  // Decoder, top (coarsest) scale first, groups[S − 1 − s] groups at decoder scale s.
  const int64_t top_side = config.input_size() >> config.halvings();
  for (int64_t s = 0; s < S; ++s) {
    const int64_t n_groups = groups[static_cast<size_t>(S - 1 - s)];
    const int64_t ch = C * mult;
    for (int64_t g = 0; g < n_groups; ++g) {
      const bool first = s == 0 && g == 0;
      groups_.push_back({L * (top_side << s) * (top_side << s), s, n_groups, top_side << s});
      // Posterior sampler: Conv3×3 on the (combined) encoder feature → (Δμ, Δlog σ).
      encoder_samplers.push_back(
          std::make_unique<nn::WeightNormConv2d>(init, ch, 2 * L, 3, Conv2dOptions{.padding = 1}));
      layers_.wn_convs.push_back(encoder_samplers.back().get());
      decoder_cells.emplace_back();
      if (!first) {
        for (int64_t c = 0; c < config.decoder_cells; ++c)
          decoder_cells.back().push_back(
              cell(CellKind::decoder, CellDirection::normal, ch, ch, config.decoder_expand));
        decoder_samplers.push_back(std::make_unique<nn::WeightNormConv2d>(init, ch, 2 * L, 1));
        layers_.wn_convs.push_back(decoder_samplers.back().get());
        encoder_combiners.push_back(std::make_unique<EncoderCombiner>(init, layers_, ch));
      }
      decoder_combiners.push_back(std::make_unique<DecoderCombiner>(init, layers_, ch, L));
    }
    if (s < S - 1) {
      up_cells.push_back(cell(CellKind::decoder, CellDirection::up, ch, ch / 2, config.decoder_expand));
      mult /= 2;
    }
  }

  // Post-process: the first cell of each block doubles the side and halves the channels.
  for (int64_t b = 0; b < config.postprocess_blocks; ++b)
    for (int64_t c = 0; c < config.postprocess_cells; ++c) {
      bool up = c == 0;
      postprocess.push_back(cell(CellKind::decoder, up ? CellDirection::up : CellDirection::normal, C * mult,
                                 up ? C * mult / 2 : C * mult, config.postprocess_expand));
      if (up) mult /= 2;
    }
  image_conditional =
      std::make_unique<nn::WeightNormConv2d>(init, C * mult, config.input_channels, 3, Conv2dOptions{.padding = 1});
  layers_.wn_convs.push_back(image_conditional.get());

  // The learned constant h at the top of the decoder, U(0, 1) as the reference's torch.rand.
  const int64_t top_channels = C << config.halvings();
  prior_ftr0 = init.empty(Shape{top_channels, top_side, top_side});
  {
    NoGradGuard no_grad;
    copy_(prior_ftr0, uniform(prior_ftr0.shape(), init.seed, init.take_stream(), 0, init.dtype, init.device));
  }

  // Spectral regulariser: one (u, v) pair per convolution kernel, plain ones then WN ones.
  std::vector<Shape> shapes;
  for (nn::Conv2d* c : layers_.convs) shapes.push_back(c->weight.shape());
  for (nn::WeightNormConv2d* c : layers_.wn_convs) shapes.push_back(c->weight.shape());
  spectral = std::make_unique<nn::SpectralRegularizer>(init, shapes);

  // Registration (names as paths of the model).
  auto add_all = [&](const std::string& prefix, auto& cells) {
    for (size_t i = 0; i < cells.size(); ++i) register_module(prefix + std::to_string(i), *cells[i]);
  };
  add_all("preprocess", preprocess);
  add_all("encoder_cell", encoder_tower);
  register_module("enc0", *enc0);
  add_all("enc_sampler", encoder_samplers);
  add_all("dec_sampler", decoder_samplers);
  add_all("enc_combiner", encoder_combiners);
  add_all("dec_combiner", decoder_combiners);
  for (size_t g = 0; g < decoder_cells.size(); ++g)
    for (size_t c = 0; c < decoder_cells[g].size(); ++c)
      register_module("decoder_cell" + std::to_string(g) + "_" + std::to_string(c), *decoder_cells[g][c]);
  add_all("up_cell", up_cells);
  add_all("postprocess", postprocess);
  register_module("image_conditional", *image_conditional);
  register_parameter("prior_ftr0", prior_ftr0);
  register_module("spectral", *spectral);
}

int64_t Nvae::total_latents() const {
  int64_t t = 0;
  for (const GroupInfo& g : groups_) t += g.latents;
  return t;
}

std::string Nvae::describe() const {
  std::ostringstream o;
  o << "NVAE: " << config.input_channels << "×" << config.image_size << "×" << config.image_size << " (padded to "
    << config.input_size() << "), channels " << config.channels << ", " << config.latent_scales
    << " latent scales, groups (top first)";
  for (const GroupInfo& g : groups_) o << " " << config.latents_per_group << "×" << g.side << "×" << g.side;
  o << " = " << total_latents() << " latents, " << layers_.convs.size() + layers_.wn_convs.size()
    << " convolutions, " << layers_.batch_norms.size() << " batch norms, " << num_parameters() << " parameters";
  return o.str();
}

// ---- the pass ------------------------------------------------------------------------------

namespace {
// (μ, log σ) halves of a sampler's output along the channels.
std::pair<Tensor, Tensor> halves(const Tensor& params) {
  std::vector<Tensor> c = chunk(params, 2, 1);
  return {c[0], c[1]};
}
Tensor per_image_sum(const Tensor& t) { return sum(t, {1, 2, 3}); }
}  // namespace

NvaePass Nvae::run(const Tensor& x, uint64_t seed, uint64_t stream, uint64_t counter, bool log_densities) {
  ELBO_CHECK(x.defined() && x.ndim() == 4 && x.size(1) == config.input_channels && x.size(2) == config.image_size &&
                 x.size(3) == config.image_size,
             "Nvae: expects images [N, ", config.input_channels, ", ", config.image_size, ", ", config.image_size,
             "], got ", x.defined() ? x.str() : "undefined");
  Tensor padded = config.pad > 0 ? pad2d(x, config.pad, config.pad, config.pad, config.pad) : x;
  Tensor s = stem(add(mul(padded, 2.0), -1.0));  // stem(2x − 1)
  for (auto& c : preprocess) s = c->forward(s);
  std::vector<Tensor> stored;  // encoder features, bottom-up
  for (int step : encoder_plan) {
    if (step >= 0) s = encoder_tower[static_cast<size_t>(step)]->forward(s);
    else stored.push_back(s);
  }
  std::vector<Tensor> features(stored.rbegin(), stored.rend());  // top-down

  // Top group: q₀ from enc0 and the sampler; p₀ = Normal(0, 0).
  Tensor ftr = elu(enc0->forward(elu(s)));
  auto [mu_q, log_sigma_q] = halves(encoder_samplers[0]->forward(ftr));
  NvaeNormal q0 = nvae_normal(mu_q, log_sigma_q);
  Tensor eps0 = normal(mu_q.shape(), seed, stream, counter, x.dtype(), x.device());
  Tensor z0 = nvae_sample(q0, eps0);
  Tensor zeros = zeros_like(mu_q);
  NvaeNormal p0 = nvae_normal(zeros, zeros);
  NvaePass pass;
  pass.kl.push_back(per_image_sum(nvae_kl(q0, p0)));
  if (log_densities) {
    pass.log_q.push_back(per_image_sum(nvae_log_prob(q0, z0)));
    pass.log_p.push_back(per_image_sum(nvae_log_prob(p0, z0)));
  }
  pass.logits = decode(z0, &features, &pass, log_densities, 1.0, seed, stream, counter);
  return pass;
}

Tensor Nvae::decode(const Tensor& z0, const std::vector<Tensor>* features, NvaePass* pass, bool log_densities,
                    double temperature, uint64_t seed, uint64_t stream, uint64_t counter) {
  const int64_t n = z0.size(0);
  const Shape& h = prior_ftr0.shape();
  Tensor s = expand(reshape(prior_ftr0, Shape{1, h[0], h[1], h[2]}), Shape{n, h[0], h[1], h[2]});
  uint64_t offset = counter + static_cast<uint64_t>(n * groups_[0].latents);
  size_t up = 0;
  for (size_t i = 0; i < groups_.size(); ++i) {
    Tensor z = z0;
    if (i > 0) {
      if (groups_[i].scale_from_top != groups_[i - 1].scale_from_top) s = up_cells[up++]->forward(s);
      for (auto& c : decoder_cells[i]) s = c->forward(s);
      auto [mu_p, log_sigma_p] = halves(decoder_samplers[i - 1]->forward(elu(s)));
      NvaeNormal p = nvae_normal(mu_p, log_sigma_p);
      Tensor eps = normal(mu_p.shape(), seed, stream, offset, s.dtype(), s.device());
      offset += static_cast<uint64_t>(n * groups_[i].latents);
      if (features) {
        Tensor combined = encoder_combiners[i - 1]->combine((*features)[i - 1], s);
        auto [dmu, dlog_sigma] = halves(encoder_samplers[i]->forward(combined));
        NvaeNormal q = nvae_normal(add(mu_p, dmu), add(log_sigma_p, dlog_sigma));  // residual posterior
        z = nvae_sample(q, eps);
        pass->kl.push_back(per_image_sum(nvae_kl(q, p)));
        if (log_densities) {
          pass->log_q.push_back(per_image_sum(nvae_log_prob(q, z)));
          pass->log_p.push_back(per_image_sum(nvae_log_prob(p, z)));
        }
      } else {
        z = nvae_sample(p, eps, temperature);
      }
    }
    s = decoder_combiners[i]->combine(s, z);
  }
  for (auto& c : postprocess) s = c->forward(s);
  Tensor logits = image_conditional->forward(elu(s));
  if (config.pad > 0) {
    const int64_t lo = config.pad, hi = config.pad + config.image_size;
    logits = slice(slice(logits, 2, lo, hi), 3, lo, hi);
  }
  return logits;
}

Tensor Nvae::reconstruction_loss(const Tensor& logits, const Tensor& x) {
  ELBO_CHECK(logits.shape() == x.shape(), "Nvae::reconstruction_loss: logits ", logits.str(), " and images ", x.str(),
             " differ in shape");
  return sum(bce_with_logits(logits, x), {1, 2, 3});
}

Tensor Nvae::sample_logits(int64_t n, double temperature, uint64_t seed, uint64_t stream) {
  ELBO_CHECK(n > 0, "Nvae::sample_logits: the number of samples must be positive, got ", n);
  ELBO_CHECK(temperature > 0, "Nvae::sample_logits: the temperature must be positive, got ", temperature);
  const int64_t side = groups_[0].side;
  Shape shape{n, config.latents_per_group, side, side};
  Tensor zeros = elbo::zeros(shape, prior_ftr0.dtype(), prior_ftr0.device());
  NvaeNormal p0 = nvae_normal(zeros, zeros);
  Tensor z0 = nvae_sample(p0, normal(shape, seed, stream, 0, prior_ftr0.dtype(), prior_ftr0.device()), temperature);
  return decode(z0, nullptr, nullptr, false, temperature, seed, stream, 0);
}

// ---- regularisers --------------------------------------------------------------------------

std::vector<Tensor> Nvae::kernels() const {
  std::vector<Tensor> k;
  for (nn::Conv2d* c : layers_.convs) k.push_back(c->weight);
  for (nn::WeightNormConv2d* c : layers_.wn_convs) k.push_back(c->normalized_weight());
  return k;
}

Tensor Nvae::spectral_loss(int iterations) { return spectral->loss(kernels(), iterations); }

Tensor Nvae::batchnorm_loss() const {
  std::vector<Tensor> gammas;
  for (nn::BatchNorm* b : layers_.batch_norms) gammas.push_back(b->weight);
  return nn::batchnorm_regularization(gammas);
}

Tensor binarize(const Tensor& x, uint64_t seed, uint64_t stream) {
  NoGradGuard no_grad;
  Tensor u = uniform(x.shape(), seed, stream, 0, x.dtype(), x.device());
  return greater(x.detach(), u);
}

}  // namespace elbo::models
