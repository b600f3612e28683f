// Benchmark: the disentanglement metric suite (elbo/metrics/suite.hpp) with disentanglement_lib's
// default sizes, on codes whose encoder costs almost nothing, so the figures are the metrics' own
// cost: sampling, classifiers, estimators.
//
// The dataset is a factor grid of dSprites' sizes (shape 3, scale 6, orientation 40, posX 32,
// posY 32) whose "image" is the five factor values; the representation has D = 10 codes:
// codes 0–4 follow one factor each with a little mixing and Gaussian noise, codes 5–9 are noise
// (as collapsed VAE dimensions are). Prints the suite's table, then its JSON.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "args.hpp"
#include "elbo/context.hpp"
#include "elbo/metrics/suite.hpp"

using namespace elbo;

namespace {

class FactorGrid : public data::GroundTruthDataset {
 public:
  FactorGrid() : factors_{{"shape", 3}, {"scale", 6}, {"orientation", 40}, {"posX", 32}, {"posY", 32}} {}
  std::string name() const override { return "factor grid (dSprites sizes)"; }
  data::ImageShape image_shape() const override { return {1, 1, 5}; }
  void image(int64_t index, float* out) const override {
    const std::vector<int64_t> f = factors(index);
    for (size_t k = 0; k < f.size(); ++k)
      out[k] = static_cast<float>(f[k]) / static_cast<float>(factors_[k].size - 1);
  }
  const std::vector<data::Factor>& factor_list() const override { return factors_; }

 private:
  std::vector<data::Factor> factors_;
};

metrics::Representation representation(std::shared_ptr<uint64_t> draws) {
  return [draws](const Tensor& images) {
    const int64_t n = images.size(0);
    const float* x = images.contiguous().data<float>();
    Tensor codes = empty(Shape{n, 10}, DType::f64);
    double* z = codes.data<double>();
    for (int64_t i = 0; i < n; ++i) {
      const float* f = x + i * 5;
      for (int64_t d = 0; d < 10; ++d) {
        const double noise = philox_normal(7, 1, (*draws)++);
        z[i * 10 + d] = d < 5 ? f[d] + 0.2 * f[(d + 1) % 5] + 0.05 * noise : noise;
      }
    }
    return codes;
  };
}

}  // namespace

int main(int argc, char** argv) {
  int64_t threads = 0, seed = 0;
  std::string only;
  cli::Args args("bench_metrics", "time every disentanglement metric with disentanglement_lib's default sizes");
  args.flag("--threads", threads, "threads (0: OMP_NUM_THREADS or all cores)");
  args.flag("--seed", seed, "the suite's seed");
  args.flag("--metrics", only, "comma list of metrics (default: all)");
  if (!args.parse(argc, argv)) return args.exit_code();
  if (threads > 0) set_num_threads(static_cast<int>(threads));

  metrics::SuiteOptions options;
  options.seed = static_cast<uint64_t>(seed);
  if (!only.empty()) {
    options.metrics.clear();
    size_t start = 0;
    while (start <= only.size()) {
      const size_t comma = only.find(',', start);
      options.metrics.push_back(only.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  FactorGrid dataset;
  const metrics::SuiteResult result =
      metrics::run_metrics_suite(dataset, representation(std::make_shared<uint64_t>(0)), options);
  std::printf("bench_metrics: %s, D = 10 codes, %d threads\n\n%s\n%s\n", dataset.name().c_str(), num_threads(),
              metrics::suite_table(result).c_str(), metrics::suite_json(result).c_str());
  return 0;
}
