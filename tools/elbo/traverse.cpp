// elbo traverse: the latent-traversal picture of a run (models/visualize.hpp). One row per latent,
// ordered by its KL to the prior (largest first; the label gives the latent's index and KL in nats),
// one column per value of [--min, --max]; every other latent stays at the posterior mean of image
// --image (or at 0 with --image -1). The KL per latent is the mean over --kl-images images of the
// training data (models/evaluate.hpp: kl_per_latent).
#include <cstdio>

#include "elbo/io/png.hpp"
#include "elbo/models/evaluate.hpp"
#include "elbo/models/visualize.hpp"
#include "elbo/ops.hpp"
#include "inspect.hpp"

int run_traverse(int argc, char** argv) {
  using namespace cli;
  using namespace elbo;
  InspectOptions inspect;
  int64_t image = 0, columns = 9, rows = 0, latent = -1, kl_images = 1000, label_scale = 1;
  double lo = -2, hi = 2;
  bool relative = false;
  std::string out;
  Args args("elbo traverse",
            "Draw the latent traversal of a run: one row per latent (largest KL first), the latent swept over "
            "[--min, --max] while the others stay at the posterior mean of one image.");
  bind_inspect_options(args, inspect);
  args.flag("--image", image, "dataset index of the image whose posterior mean is the base (-1: the zero code)");
  args.flag("--min", lo, "first value of the swept latent");
  args.flag("--max", hi, "last value of the swept latent");
  args.flag("--columns", columns, "values from --min to --max");
  args.flag("--relative", relative, "add the values to the base's mean instead of replacing it");
  args.flag("--rows", rows, "latents shown, largest KL first (0: all)");
  args.flag("--latent", latent, "show only this latent (-1: the --rows latents of largest KL)");
  args.flag("--kl-images", kl_images, "images the KL per latent is averaged over");
  args.flag("--label-scale", label_scale, "size of the row labels' font (1: 7 pixels high)");
  args.flag("--out", out, "the PNG to write (default RUN/traversal.png)");
  if (!args.parse(argc, argv)) return args.exit_code();
  ELBO_CHECK(columns >= 1, "--columns must be at least 1, got ", columns);
  ELBO_CHECK(rows >= 0, "--rows must be at least 0, got ", rows);
  ELBO_CHECK(kl_images >= 1, "--kl-images must be at least 1, got ", kl_images);
  ELBO_CHECK(label_scale >= 1, "--label-scale must be at least 1, got ", label_scale);

  LoadedRun run = open_run(inspect);
  models::Vae& vae = run.model->vae;
  const data::Dataset& dataset = *run.dataset;
  const Device device = run.model->config.device;
  ELBO_CHECK(image >= -1 && image < dataset.size(), "--image ", image, " is outside the dataset's 0 … ",
             dataset.size() - 1, " (or -1)");
  if (out.empty()) out = run_file(run.dir, "traversal.png");

  std::vector<Tensor> kl_batches = image_batches(dataset, fixed_sample(dataset.size(), kl_images, 0), 250, device);
  std::vector<double> kl = models::kl_per_latent(vae, kl_batches);
  std::vector<int64_t> order = models::latents_by_kl(kl);
  if (rows > 0 && rows < static_cast<int64_t>(order.size())) order.resize(static_cast<size_t>(rows));
  ELBO_CHECK(latent >= -1 && latent < vae.latents, "--latent ", latent, " is outside the model's latents 0 … ",
             vae.latents - 1, " (or -1)");
  if (latent >= 0) order = {latent};

  Tensor base;
  if (image >= 0) {
    NoGradGuard no_grad;
    int64_t id = image;
    base = vae.encode(dataset.images(std::span<const int64_t>(&id, 1)).to(device)).mu;
  } else {
    base = zeros(Shape{vae.latents}, run.model->config.dtype, device);
  }
  std::vector<double> values = models::linspace(lo, hi, columns);
  Tensor pictures = models::decoder_mean(vae, models::traversal_codes(base, order, values, relative));

  io::GridOptions grid{.cols = columns, .margin = 2, .background = 1.0f, .row_labels = {}, .label_scale = label_scale};
  std::printf("elbo traverse: %s at step %lld; latents by KL (nats, mean over %lld images):\n", run.dir.c_str(),
              static_cast<long long>(run.step), static_cast<long long>(kl_images));
  for (int64_t j : order) {
    char label[64];
    std::snprintf(label, sizeof label, "Z%lld KL %.2f", static_cast<long long>(j), kl[j]);
    grid.row_labels.push_back(label);
    std::printf("  z%-3lld %8.3f\n", static_cast<long long>(j), kl[j]);
  }
  io::write_image_grid(out, pictures.to(Device::cpu).to(DType::f32), grid);
  std::printf("wrote %s (%zu rows, values %g … %g%s, base: %s)\n", out.c_str(), order.size(), lo, hi,
              relative ? " added to the base" : "", image >= 0 ? ("image " + std::to_string(image)).c_str() : "zero code");
  return 0;
}
