// The ensemble pipeline of `elbo info` (elbo/info/ensemble_analysis.hpp) on a synthetic ensemble the
// size of the paper's Fashion-MNIST one (25 models × 10 latents), timed per stage; `--write DIR` also
// writes the members' posteriors directories so that `elbo info` can be timed end to end:
//
//   build/bench_ensemble --write /tmp/ens && time build/elbo info --posteriors /tmp/ens/model-* --out /tmp/ens-info
//
// The synthetic ensemble imitates VAEs trained on dSprites-like data with five factors (shape 3
// values, scale 6, orientation 40, x 32, y 32, uniform and independent at each of the N rows):
//   - x and y are each copied into one latent (mean = factor scaled to [−2, 2] + noise, σ 0.1–0.3 drawn
//     per model), except that in about 30% of the models x and y are rotated by a random angle
//     (entangled channels, which join no hotspot);
//   - scale is copied in 80% of the models, shape (σ 0.5) in 50%, cos(orientation) (σ 0.6) in 40%;
//   - every other latent is collapsed to the prior (mean 0.01·z, log-variance −0.01).
// Random choices come from Philox keyed by the model number, in which latent each factor lands too.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/context.hpp"
#include "elbo/info/ensemble_analysis.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/rng.hpp"
#include "progress.hpp"  // cli::seconds_now

using namespace elbo;

namespace {

constexpr int64_t kFactorSizes[5] = {3, 6, 40, 32, 32};  // shape, scale, orientation, x, y

int64_t factor_value(int64_t k, int64_t row) {
  return static_cast<int64_t>(Rng{7, static_cast<uint64_t>(k), static_cast<uint64_t>(row)}.below(static_cast<uint64_t>(kFactorSizes[k])));
}

info::MemberPosteriors synthetic_model(int64_t model, int64_t rows, int64_t latents) {
  Rng choice{101, static_cast<uint64_t>(model), 0};
  std::vector<int64_t> slot(static_cast<size_t>(latents));  // a random permutation of the latents
  for (int64_t l = 0; l < latents; ++l) slot[static_cast<size_t>(l)] = l;
  for (int64_t l = latents - 1; l > 0; --l)
    std::swap(slot[static_cast<size_t>(l)], slot[static_cast<size_t>(choice.below(static_cast<uint64_t>(l + 1)))]);
  const double sigma = 0.1 + 0.2 * choice.uniform();
  const bool rotated = choice.uniform() < 0.3, has_scale = choice.uniform() < 0.8, has_shape = choice.uniform() < 0.5,
             has_orientation = choice.uniform() < 0.4;
  const double angle = 0.3 + 1.0 * choice.uniform();

  std::vector<double> means(static_cast<size_t>(rows * latents)), logvars(means.size()), factors(static_cast<size_t>(rows * 5));
  Rng noise{103, static_cast<uint64_t>(model), 0};
  for (int64_t i = 0; i < rows; ++i) {
    double f[5];
    for (int64_t k = 0; k < 5; ++k) {
      factors[static_cast<size_t>(i * 5 + k)] = static_cast<double>(factor_value(k, i));
      f[k] = factors[static_cast<size_t>(i * 5 + k)];
    }
    double* mu = &means[static_cast<size_t>(i * latents)];
    double* lv = &logvars[static_cast<size_t>(i * latents)];
    for (int64_t l = 0; l < latents; ++l) {
      mu[l] = 0.01 * noise.normal();
      lv[l] = -0.01;
    }
    auto copy = [&](int64_t which, double value, double s) {
      if (which >= latents) return;
      const int64_t l = slot[static_cast<size_t>(which)];
      mu[l] = value + 0.05 * noise.normal();
      lv[l] = std::log(s * s);
    };
    const double x = 4.0 * f[3] / 31.0 - 2.0, y = 4.0 * f[4] / 31.0 - 2.0;
    copy(0, rotated ? std::cos(angle) * x + std::sin(angle) * y : x, sigma);
    copy(1, rotated ? -std::sin(angle) * x + std::cos(angle) * y : y, sigma);
    if (has_scale) copy(2, 4.0 * f[1] / 5.0 - 2.0, sigma);
    if (has_shape) copy(3, 1.5 * f[0] - 1.5, 0.5);
    if (has_orientation) copy(4, 1.5 * std::cos(2.0 * M_PI * f[2] / 40.0), 0.6);
  }
  info::MemberPosteriors m;
  m.dir = "model-" + std::to_string(model);
  m.means = from_vector(Shape{rows, latents}, means);
  m.logvars = from_vector(Shape{rows, latents}, logvars);
  for (int64_t i = 0; i < rows; ++i) m.indices.push_back(i);
  m.factors = from_vector(Shape{rows, 5}, factors, DType::i64);
  m.factor_names = {"shape", "scale", "orientation", "x", "y"};
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t models = 25, latents = 10, rows = 5000, points = 1000, threads = 0, min_samples = 20;
  std::string write;
  cli::Args args("bench_ensemble",
                 "Times the ensemble pipeline of elbo info on a synthetic ensemble; prints one line per stage and\n"
                 "RESULT ensemble models <m> latents <l> points <P> threads <t> seconds <analysis>");
  args.flag("--models", models, "models in the ensemble");
  args.flag("--latents", latents, "latents per model (at least 5)");
  args.flag("--rows", rows, "encoded data points per model");
  args.flag("--points", points, "fingerprint points");
  args.flag("--min-samples", min_samples, "OPTICS min_samples");
  args.flag("--threads", threads, "threads (0: OMP_NUM_THREADS or all cores)");
  args.flag("--write", write, "also write the members' posteriors directories under this directory");
  if (!args.parse(argc, argv)) return args.exit_code();
  if (models < 1 || latents < 5 || rows < 2 || points < 2 || points > rows) {
    std::fprintf(stderr, "bench_ensemble: need models ≥ 1, latents ≥ 5, 2 ≤ points ≤ rows\n");
    return 2;
  }
  if (threads > 0) set_num_threads(static_cast<int>(threads));

  double start = cli::seconds_now();
  std::vector<info::MemberPosteriors> members;
  for (int64_t m = 0; m < models; ++m) members.push_back(synthetic_model(m, rows, latents));
  std::printf("generate     %8.3f s  (%lld models x %lld latents, %lld rows)\n", cli::seconds_now() - start,
              static_cast<long long>(models), static_cast<long long>(latents), static_cast<long long>(rows));
  if (!write.empty()) {
    start = cli::seconds_now();
    for (info::MemberPosteriors& m : members) {
      const std::string dir = (std::filesystem::path(write) / m.dir).string();
      std::filesystem::create_directories(dir);
      io::write_npy(dir + "/means.npy", m.means);
      io::write_npy(dir + "/logvars.npy", m.logvars);
      std::vector<double> indices(m.indices.begin(), m.indices.end());
      io::write_npy(dir + "/indices.npy", from_vector(Shape{rows}, indices, DType::i64));
      io::write_npy(dir + "/factors.npy", m.factors);
      std::FILE* names = std::fopen((dir + "/factor_names.txt").c_str(), "w");
      if (names) {
        for (const std::string& n : m.factor_names) std::fprintf(names, "%s\n", n.c_str());
        std::fclose(names);
      }
    }
    std::printf("write        %8.3f s  (%s/model-*)\n", cli::seconds_now() - start, write.c_str());
  }

  info::EnsembleOptions options;
  options.points = points;
  options.hotspots.optics.min_samples = min_samples;
  start = cli::seconds_now();
  const info::EnsembleAnalysis a = info::analyse_ensemble(members, options);
  const double seconds = cli::seconds_now() - start;
  for (const auto& [stage, s] : a.stage_seconds) std::printf("  %-60s %8.3f s\n", stage.c_str(), s);
  std::printf("%zu of %zu channels kept, %zu hotspots\n", a.ordering.size(), a.channel_model.size(), a.hotspots.size());
  std::printf("RESULT ensemble models %lld latents %lld points %lld threads %d seconds %.3f\n",
              static_cast<long long>(models), static_cast<long long>(latents), static_cast<long long>(points),
              num_threads(), seconds);
  return 0;
}
