// Sequential container (nn/sequential.hpp).
#include "elbo/nn/sequential.hpp"

namespace elbo::nn {

Module& Sequential::append(std::unique_ptr<Module> layer) {
  ELBO_CHECK(layer != nullptr, "Sequential::append: null layer");
  layers_.push_back(std::move(layer));
  register_module(std::to_string(layers_.size() - 1), *layers_.back());
  return *layers_.back();
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (auto& layer : layers_) y = layer->forward(y);
  return y;
}

std::string Sequential::str() const {
  std::string s = "Sequential(\n";
  for (size_t i = 0; i < layers_.size(); ++i) {
    std::string inner = layers_[i]->str();
    // Indent nested lines (a Sequential inside a Sequential).
    for (size_t p = inner.find('\n'); p != std::string::npos; p = inner.find('\n', p + 1)) inner.insert(p + 1, "  ");
    s += "  (" + std::to_string(i) + "): " + inner + "\n";
  }
  return s + ")";
}

Module& Sequential::operator[](size_t i) const {
  ELBO_CHECK(i < layers_.size(), "Sequential: index ", i, " out of range for ", layers_.size(), " layers");
  return *layers_[i];
}

}  // namespace elbo::nn
