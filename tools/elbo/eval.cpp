// elbo eval: how well a run's VAE models held-out images (models/evaluate.hpp): the ELBO with one
// sample, the KL per latent, and the importance-weighted bound L_K on ln p(x) (Burda et al. 2016),
// in nats per image and bits per dimension. Held out: the test split of fashion-mnist and mnist;
// the other datasets have no test split, and a fixed sample of their images is used.
// Printed, and written as JSON to --out (default RUN/eval.json).
#include <cmath>
#include <cstdio>

#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"
#include "elbo/models/evaluate.hpp"
#include "inspect.hpp"

int run_eval(int argc, char** argv) {
  using namespace cli;
  using namespace elbo;
  InspectOptions inspect;
  int64_t count = 1000, samples = 100, seed = 0, sample_seed = 0, batch = 100;
  std::string out;
  Args args("elbo eval",
            "Evaluate a run on held-out images: ELBO, KL per latent, importance-weighted log-likelihood (nats and "
            "bits per dimension).");
  bind_inspect_options(args, inspect);
  args.flag("--count", count, "images evaluated, a fixed sample of the test split or data (0: all)");
  args.flag("--samples", samples, "importance samples K per image");
  args.flag("--seed", seed, "seed of the posterior samples");
  args.flag("--sample-seed", sample_seed, "seed of the sample of images");
  args.flag("--batch", batch, "images per forward pass");
  args.flag("--out", out, "the JSON to write (default RUN/eval.json)");
  if (!args.parse(argc, argv)) return args.exit_code();
  ELBO_CHECK(count >= 0, "--count must be at least 0, got ", count);
  ELBO_CHECK(samples >= 1, "--samples must be at least 1, got ", samples);
  ELBO_CHECK(batch >= 1, "--batch must be at least 1, got ", batch);
  ELBO_CHECK(seed >= 0 && sample_seed >= 0, "--seed and --sample-seed must be at least 0");

  LoadedRun run = open_run(inspect);
  if (out.empty()) out = run_file(run.dir, "eval.json");
  std::unique_ptr<data::Dataset> test = open_test_dataset(run.options);
  const bool has_test_split = run.options.dataset == "fashion-mnist" || run.options.dataset == "mnist";
  std::vector<int64_t> ids = fixed_sample(test->size(), count, static_cast<uint64_t>(sample_seed));
  std::vector<Tensor> batches = image_batches(*test, ids, batch, run.model->config.device);
  models::Vae& vae = run.model->vae;
  std::printf("elbo eval: %s at step %lld on %zu images of %s%s, K = %lld\n", run.dir.c_str(),
              static_cast<long long>(run.step), ids.size(), test->name().c_str(),
              has_test_split ? " (test split)" : " (no test split: a fixed sample of the data)",
              static_cast<long long>(samples));
  std::fflush(stdout);

  models::ElboEstimate elbo_estimate = models::evaluate_elbo(vae, batches, static_cast<uint64_t>(seed));
  std::vector<double> kl = models::kl_per_latent(vae, batches);
  models::LogLikelihoodEstimate iw =
      models::importance_weighted_bound(vae, batches, samples, static_cast<uint64_t>(seed));

  std::printf("  ELBO               %12.3f nats  %8.4f bits/dim  (reconstruction %.3f, KL %.3f)\n", elbo_estimate.elbo,
              elbo_estimate.bits_per_dim, elbo_estimate.reconstruction, elbo_estimate.kl);
  std::printf("  log p(x) >= L_%-4lld %12.3f nats  %8.4f bits/dim\n", static_cast<long long>(samples), iw.log_likelihood,
              iw.bits_per_dim);
  std::printf("  KL per latent     ");
  for (double k : kl) std::printf(" %.3f", k);
  std::printf("\n");

  json::Value v = json::Value::object(), kls = json::Value::array();
  for (double k : kl) kls.push_back(k);
  v.set("run", run.dir);
  v.set("step", run.step);
  v.set("data", test->name() + (has_test_split ? " (test split)" : " (fixed sample)"));
  v.set("images", elbo_estimate.images);
  v.set("elbo_nats", elbo_estimate.elbo);
  v.set("elbo_bits_per_dim", elbo_estimate.bits_per_dim);
  v.set("reconstruction_nats", elbo_estimate.reconstruction);
  v.set("kl_nats", elbo_estimate.kl);
  v.set("kl_per_latent", kls);
  v.set("importance_samples", samples);
  v.set("log_likelihood_nats", iw.log_likelihood);
  v.set("log_likelihood_bits_per_dim", iw.bits_per_dim);
  v.set("seed", seed);
  v.set("sample_seed", sample_seed);
  io::write_file_atomic(out, json::dump(v, 2) + "\n");
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
