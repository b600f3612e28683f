// elbo encode: the posterior q(z | x) = N(μ(x), diag σ²(x)) of a run's encoder for its dataset, or a
// fixed sample of it, as NumPy files in --out (default RUN/encoded/):
//   means.npy    f32 [N, L]   μ(x) of each image
//   logvars.npy  f32 [N, L]   log σ²(x)
//   indices.npy  i64 [N]      the dataset index of each row
//   factors.npy  i64 [N, K]   the ground-truth factor levels (dsprites, scenes3d, dsprites-file)
//   labels.npy   i64 [N]      the class labels (fashion-mnist, mnist)
// With --count N the rows are N distinct images chosen by a shuffle keyed by --sample-seed
// (run.hpp: fixed_sample), in the shuffle's order; without, every image in index order.
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "elbo/autograd.hpp"
#include "elbo/data/dataset.hpp"
#include "elbo/io/npy.hpp"
#include "inspect.hpp"

int run_encode(int argc, char** argv) {
  using namespace cli;
  using namespace elbo;
  namespace fs = std::filesystem;
  InspectOptions inspect;
  int64_t count = 0, sample_seed = 0, batch = 256;
  std::string split = "train", out;
  Args args("elbo encode",
            "Write the posterior means and log-variances of a run's encoder for its dataset (or a fixed sample of it) as "
            ".npy files: means.npy, logvars.npy, indices.npy, and factors.npy or labels.npy where the data has them.");
  bind_inspect_options(args, inspect);
  args.flag("--count", count, "images to encode, a fixed sample (0: the whole dataset)");
  args.flag("--sample-seed", sample_seed, "seed of the sample");
  args.flag("--split", split, "fashion-mnist, mnist: the split to encode (other datasets have one)", {"train", "test"});
  args.flag("--batch", batch, "images per forward pass");
  args.flag("--out", out, "output folder (default RUN/encoded)");
  if (!args.parse(argc, argv)) return args.exit_code();
  ELBO_CHECK(count >= 0, "--count must be at least 0, got ", count);
  ELBO_CHECK(batch >= 1, "--batch must be at least 1, got ", batch);
  ELBO_CHECK(sample_seed >= 0, "--sample-seed must be at least 0, got ", sample_seed);

  LoadedRun run = open_run(inspect);
  std::unique_ptr<data::Dataset> test;
  const data::Dataset* dataset = &split_dataset(run, split, test);
  if (out.empty()) out = run_file(run.dir, "encoded");
  fs::create_directories(out);

  std::vector<int64_t> indices = fixed_sample(dataset->size(), count, static_cast<uint64_t>(sample_seed));
  const int64_t n = static_cast<int64_t>(indices.size()), L = run.model->vae.latents;
  std::printf("elbo encode: %lld images of %s, %lld latents\n", static_cast<long long>(n), dataset->name().c_str(),
              static_cast<long long>(L));
  Tensor means = empty(Shape{n, L}), logvars = empty(Shape{n, L});
  const Device device = run.model->config.device;
  NoGradGuard no_grad;
  for (int64_t start = 0; start < n; start += batch) {
    int64_t m = std::min(batch, n - start);
    Tensor x = dataset->images(std::span<const int64_t>(indices.data() + start, static_cast<size_t>(m))).to(device);
    models::Vae::Posterior q = run.model->vae.encode(x);
    Tensor mu = q.mu.to(Device::cpu).to(DType::f32).contiguous(), lv = q.logvar.to(Device::cpu).to(DType::f32).contiguous();
    std::memcpy(means.data<float>() + start * L, mu.data<float>(), static_cast<size_t>(m * L) * sizeof(float));
    std::memcpy(logvars.data<float>() + start * L, lv.data<float>(), static_cast<size_t>(m * L) * sizeof(float));
    if (n >= 20000 && (start + m) * 10 / n != start * 10 / n) {  // a line per tenth of a long encoding
      std::printf("  %lld/%lld images\n", static_cast<long long>(start + m), static_cast<long long>(n));
      std::fflush(stdout);
    }
  }

  std::vector<double> ids(indices.begin(), indices.end());
  io::write_npy(run_file(out, "means.npy"), means);
  io::write_npy(run_file(out, "logvars.npy"), logvars);
  io::write_npy(run_file(out, "indices.npy"), from_vector(Shape{n}, ids, DType::i64));
  std::string written = "means.npy, logvars.npy, indices.npy";
  if (const auto* gt = dynamic_cast<const data::GroundTruthDataset*>(dataset)) {
    const int64_t K = gt->num_factors();
    Tensor factors = empty(Shape{n, K}, DType::i64);
    for (int64_t i = 0; i < n; ++i) {
      std::vector<int64_t> f = gt->factors(indices[i]);
      std::copy(f.begin(), f.end(), factors.data<int64_t>() + i * K);
    }
    io::write_npy(run_file(out, "factors.npy"), factors);
    written += ", factors.npy";
  } else if (dataset->label(indices[0]) >= 0) {
    Tensor labels = empty(Shape{n}, DType::i64);
    for (int64_t i = 0; i < n; ++i) labels.data<int64_t>()[i] = dataset->label(indices[i]);
    io::write_npy(run_file(out, "labels.npy"), labels);
    written += ", labels.npy";
  }
  std::printf("wrote %s in %s\n", written.c_str(), out.c_str());
  return 0;
}
