// Convolution layers (nn/conv.hpp); the ops and their backward passes are in ops/conv.hpp.
#include "elbo/nn/conv.hpp"

#include "elbo/ops/shape.hpp"

namespace elbo::nn {

namespace {
void check_geometry(const char* layer, int64_t in_channels, int64_t out_channels, int64_t kernel,
                    const Conv2dOptions& o) {
  ELBO_CHECK(in_channels > 0 && out_channels > 0 && kernel > 0, layer, ": channels and kernel must be positive, got ",
             in_channels, ", ", out_channels, ", kernel ", kernel);
  ELBO_CHECK(o.groups > 0 && in_channels % o.groups == 0 && out_channels % o.groups == 0, layer, ": groups ",
             o.groups, " must divide both channel counts ", in_channels, " and ", out_channels);
  ELBO_CHECK(o.stride > 0 && o.dilation > 0 && o.padding >= 0 && o.output_padding >= 0, layer, ": stride ", o.stride,
             " and dilation ", o.dilation, " must be positive, padding ", o.padding, " and output_padding ",
             o.output_padding, " non-negative");
}

// "Name(in, out, kernel=K[, stride=s][, padding=p]...)": the options that differ from the defaults.
std::string describe(const char* layer, int64_t in_channels, int64_t out_channels, int64_t kernel,
                     const Conv2dOptions& o, bool has_bias) {
  std::string s = std::string(layer) + "(" + std::to_string(in_channels) + ", " + std::to_string(out_channels) +
                  ", kernel=" + std::to_string(kernel);
  if (o.stride != 1) s += ", stride=" + std::to_string(o.stride);
  if (o.padding != 0) s += ", padding=" + std::to_string(o.padding);
  if (o.dilation != 1) s += ", dilation=" + std::to_string(o.dilation);
  if (o.groups != 1) s += ", groups=" + std::to_string(o.groups);
  if (o.output_padding != 0) s += ", output_padding=" + std::to_string(o.output_padding);
  if (!has_bias) s += ", bias=false";
  return s + ")";
}

// The members' weights (and biases) concatenated along axis 0: the output channels of Conv2d,
// the input channels of ConvTranspose2d; and the biases along the output channels. With K·g
// groups, group k·g + j of the stack is group j of member k.
template <class Layer>
MemberBatch forward_members_grouped(Layer& self, const std::vector<Module*>& members, const MemberBatch& x,
                                    FusedActivation f) {
  std::vector<Tensor> weights, biases;
  for (Layer* m : members_as(self, members)) {
    weights.push_back(m->weight);
    biases.push_back(m->bias);
  }
  const MemberBatch in = x.channel_stacked();
  const Tensor b = self.bias.defined() ? concat(biases, 0) : Tensor();
  const int64_t K = x.members;
  return {self.convolve(in.value, concat(weights, 0), b, K * self.options.groups, f), K,
          MemberBatch::Layout::channel_stacked};
}
}  // namespace

Conv2d::Conv2d(Init& init, int64_t in_channels, int64_t out_channels, int64_t kernel, const Conv2dOptions& options,
               bool bias)
    : in_channels(in_channels), out_channels(out_channels), kernel(kernel), options(options) {
  check_geometry("Conv2d", in_channels, out_channels, kernel, options);
  ELBO_CHECK(options.output_padding == 0, "Conv2d: output_padding ", options.output_padding,
             " applies only to ConvTranspose2d");
  weight = init.empty(Shape{out_channels, in_channels / options.groups, kernel, kernel});
  if (bias) this->bias = init.empty(Shape{out_channels});
  init_weight_and_bias(init, weight, this->bias);
  register_parameter("weight", weight);
  if (bias) register_parameter("bias", this->bias);
}

Tensor Conv2d::forward(const Tensor& x) { return convolve(x, weight, bias, options.groups, FusedActivation::none); }

Tensor Conv2d::forward_activated(const Tensor& x, FusedActivation f) {
  return convolve(x, weight, bias, options.groups, f);
}

MemberBatch Conv2d::forward_members(const std::vector<Module*>& members, const MemberBatch& x, FusedActivation f) {
  return forward_members_grouped(*this, members, x, f);
}

Tensor Conv2d::convolve(const Tensor& x, const Tensor& w, const Tensor& b, int64_t groups, FusedActivation f) {
  Conv2dOptions o = options;
  o.groups = groups;
  return conv2d(x, w, b, o, f);
}

std::string Conv2d::str() const {
  return describe("Conv2d", in_channels, out_channels, kernel, options, bias.defined());
}

ConvTranspose2d::ConvTranspose2d(Init& init, int64_t in_channels, int64_t out_channels, int64_t kernel,
                                 const Conv2dOptions& options, bool bias)
    : in_channels(in_channels), out_channels(out_channels), kernel(kernel), options(options) {
  check_geometry("ConvTranspose2d", in_channels, out_channels, kernel, options);
  ELBO_CHECK(options.output_padding < options.stride || options.output_padding < options.dilation,
             "ConvTranspose2d: output_padding ", options.output_padding, " must be smaller than stride ",
             options.stride, " or dilation ", options.dilation);
  weight = init.empty(Shape{in_channels, out_channels / options.groups, kernel, kernel});
  if (bias) this->bias = init.empty(Shape{out_channels});
  init_weight_and_bias(init, weight, this->bias);
  register_parameter("weight", weight);
  if (bias) register_parameter("bias", this->bias);
}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  return convolve(x, weight, bias, options.groups, FusedActivation::none);
}

Tensor ConvTranspose2d::forward_activated(const Tensor& x, FusedActivation f) {
  return convolve(x, weight, bias, options.groups, f);
}

MemberBatch ConvTranspose2d::forward_members(const std::vector<Module*>& members, const MemberBatch& x,
                                             FusedActivation f) {
  return forward_members_grouped(*this, members, x, f);
}

Tensor ConvTranspose2d::convolve(const Tensor& x, const Tensor& w, const Tensor& b, int64_t groups,
                                 FusedActivation f) {
  Conv2dOptions o = options;
  o.groups = groups;
  return conv_transpose2d(x, w, b, o, f);
}

std::string ConvTranspose2d::str() const {
  return describe("ConvTranspose2d", in_channels, out_channels, kernel, options, bias.defined());
}

}  // namespace elbo::nn
