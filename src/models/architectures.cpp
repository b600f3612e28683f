// The architecture registry (models/architectures.hpp has every network layer by layer).
#include "elbo/models/architectures.hpp"

#include "elbo/models/same_padding.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo::models {

using namespace elbo::nn;

GaussianHeads::GaussianHeads(Init& init, int64_t in_features, int64_t latents)
    : means(init, in_features, latents), log_var(init, in_features, latents) {
  register_module("means", means);
  register_module("log_var", log_var);
}

Tensor GaussianHeads::forward(const Tensor& x) { return concat({means(x), log_var(x)}, 1); }

nn::MemberBatch GaussianHeads::forward_members(const std::vector<nn::Module*>& members, const nn::MemberBatch& x,
                                               FusedActivation f) {
  std::vector<nn::Module*> mean_heads, log_var_heads;
  for (GaussianHeads* m : nn::members_as(*this, members)) {
    mean_heads.push_back(&m->means);
    log_var_heads.push_back(&m->log_var);
  }
  Tensor mu = means.forward_members(mean_heads, x, FusedActivation::none).value;
  Tensor lv = log_var.forward_members(log_var_heads, x, FusedActivation::none).value;
  return {nn::apply_activation(concat({mu, lv}, 2), f), x.members, nn::MemberBatch::Layout::member_major};
}

std::string GaussianHeads::str() const {
  return "GaussianHeads(" + std::to_string(means.in_features) + ", " + std::to_string(means.out_features) + ")";
}

namespace {

void check_size(const VaeConfig& c, int64_t multiple) {
  ELBO_CHECK(c.image_size > 0 && c.image_size % multiple == 0, "architecture ", c.architecture,
             ": the image size must be a positive multiple of ", multiple, ", got ", c.image_size);
}

void build_dlib_conv(Init& init, const VaeConfig& c, Sequential& encoder, Sequential& decoder) {
  check_size(c, 16);
  const int64_t s = c.image_size / 16, L = c.latents;
  encoder.add<SameConv2d>(init, c.channels, 32, 4, 2);
  encoder.add<ReLU>();
  encoder.add<SameConv2d>(init, 32, 32, 4, 2);
  encoder.add<ReLU>();
  encoder.add<SameConv2d>(init, 32, 64, 2, 2);
  encoder.add<ReLU>();
  encoder.add<SameConv2d>(init, 64, 64, 2, 2);
  encoder.add<ReLU>();
  encoder.add<Flatten>();
  encoder.add<Linear>(init, 64 * s * s, 256);
  encoder.add<ReLU>();
  encoder.add<GaussianHeads>(init, 256, L);
  decoder.add<Linear>(init, L, 256);
  decoder.add<ReLU>();
  decoder.add<Linear>(init, 256, 64 * s * s);
  decoder.add<ReLU>();
  decoder.add<Unflatten>(Shape{64, s, s});
  decoder.add<SameConvTranspose2d>(init, 64, 64, 4, 2);
  decoder.add<ReLU>();
  decoder.add<SameConvTranspose2d>(init, 64, 32, 4, 2);
  decoder.add<ReLU>();
  decoder.add<SameConvTranspose2d>(init, 32, 32, 4, 2);
  decoder.add<ReLU>();
  decoder.add<SameConvTranspose2d>(init, 32, c.channels, 4, 2);
}

void build_dlib_fc(Init& init, const VaeConfig& c, Sequential& encoder, Sequential& decoder) {
  check_size(c, 1);
  const int64_t D = c.input_dims(), L = c.latents;
  encoder.add<Flatten>();
  encoder.add<Linear>(init, D, 1200);
  encoder.add<ReLU>();
  encoder.add<Linear>(init, 1200, 1200);
  encoder.add<ReLU>();
  encoder.add<GaussianHeads>(init, 1200, L);
  decoder.add<Linear>(init, L, 1200);
  decoder.add<Tanh>();
  decoder.add<Linear>(init, 1200, 1200);
  decoder.add<Tanh>();
  decoder.add<Linear>(init, 1200, 1200);
  decoder.add<Tanh>();
  decoder.add<Linear>(init, 1200, D);
  decoder.add<Unflatten>(Shape{c.channels, c.image_size, c.image_size});
}

void build_fmnist_conv(Init& init, const VaeConfig& c, Sequential& encoder, Sequential& decoder) {
  check_size(c, 4);
  const int64_t s = c.image_size / 4, L = c.latents;
  encoder.add<SameConv2d>(init, c.channels, 32, 4, 2);
  encoder.add<ReLU>();
  encoder.add<SameConv2d>(init, 32, 64, 4, 2);
  encoder.add<ReLU>();
  encoder.add<Flatten>();
  encoder.add<Linear>(init, 64 * s * s, 256);
  encoder.add<ReLU>();
  encoder.add<Linear>(init, 256, 2 * L);
  decoder.add<Linear>(init, L, 32 * s * s);
  decoder.add<ReLU>();
  decoder.add<Unflatten>(Shape{32, s, s});
  decoder.add<SameConvTranspose2d>(init, 32, 64, 4, 2);
  decoder.add<ReLU>();
  decoder.add<SameConvTranspose2d>(init, 64, 32, 4, 2);
  decoder.add<ReLU>();
  decoder.add<SameConvTranspose2d>(init, 32, c.channels, 4, 1);
}

void build_conv64(Init& init, const VaeConfig& c, Sequential& encoder, Sequential& decoder) {
  check_size(c, 16);
  const int64_t s = c.image_size / 16, L = c.latents;
  const Conv2dOptions s2{.stride = 2, .padding = 1};
  encoder.add<Conv2d>(init, c.channels, 32, 4, s2);
  encoder.add<ReLU>();
  encoder.add<Conv2d>(init, 32, 32, 4, s2);
  encoder.add<ReLU>();
  encoder.add<Conv2d>(init, 32, 64, 4, s2);
  encoder.add<ReLU>();
  encoder.add<Conv2d>(init, 64, 64, 4, s2);
  encoder.add<ReLU>();
  encoder.add<Flatten>();
  encoder.add<Linear>(init, 64 * s * s, 256);
  encoder.add<ReLU>();
  encoder.add<Linear>(init, 256, 2 * L);
  decoder.add<Linear>(init, L, 256);
  decoder.add<ReLU>();
  decoder.add<Linear>(init, 256, 64 * s * s);
  decoder.add<ReLU>();
  decoder.add<Unflatten>(Shape{64, s, s});
  decoder.add<ConvTranspose2d>(init, 64, 64, 4, s2);
  decoder.add<ReLU>();
  decoder.add<ConvTranspose2d>(init, 64, 32, 4, s2);
  decoder.add<ReLU>();
  decoder.add<ConvTranspose2d>(init, 32, 32, 4, s2);
  decoder.add<ReLU>();
  decoder.add<ConvTranspose2d>(init, 32, c.channels, 4, s2);
}

void build_mlp(Init& init, const VaeConfig& c, Sequential& encoder, Sequential& decoder) {
  check_size(c, 1);
  ELBO_CHECK(!c.hidden.empty(), "architecture mlp: needs at least one hidden layer width");
  for (int64_t h : c.hidden) ELBO_CHECK(h > 0, "architecture mlp: hidden widths must be positive, got ", h);
  const int64_t D = c.input_dims(), L = c.latents;
  encoder.add<Flatten>();
  int64_t width = D;
  for (int64_t h : c.hidden) {
    encoder.add<Linear>(init, width, h);
    encoder.add<ReLU>();
    width = h;
  }
  encoder.add<Linear>(init, width, 2 * L);
  width = L;
  for (size_t i = c.hidden.size(); i-- > 0;) {
    decoder.add<Linear>(init, width, c.hidden[i]);
    decoder.add<ReLU>();
    width = c.hidden[i];
  }
  decoder.add<Linear>(init, width, D);
  decoder.add<Unflatten>(Shape{c.channels, c.image_size, c.image_size});
}

}  // namespace

const std::vector<ArchitectureInfo>& architectures() {
  static const std::vector<ArchitectureInfo> table = {
      {"dlib_conv", "disentanglement_lib conv_encoder/deconv_decoder (the model zoo's), S multiple of 16",
       WeightInit::glorot_uniform, build_dlib_conv},
      {"dlib_fc", "disentanglement_lib fc_encoder/fc_decoder, 1200 units", WeightInit::glorot_uniform, build_dlib_fc},
      {"fmnist_conv", "Murphy et al. 2024 Fashion-MNIST conv pair, S multiple of 4", WeightInit::glorot_uniform,
       build_fmnist_conv},
      {"conv64", "the benchmark conv VAE (Burgess et al. 2018, PyTorch style), S multiple of 16",
       WeightInit::pytorch_default, build_conv64},
      {"mlp", "plain MLP with ReLU, hidden widths configurable (default 512-256)", WeightInit::pytorch_default,
       build_mlp},
  };
  return table;
}

const ArchitectureInfo& find_architecture(const std::string& name) {
  std::string names;
  for (const ArchitectureInfo& a : architectures()) {
    if (name == a.name) return a;
    names += names.empty() ? a.name : std::string(", ") + a.name;
  }
  detail::fail("architecture: unknown name '", name, "' (choose ", names, ")");
}

}  // namespace elbo::models
