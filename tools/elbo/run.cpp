// The options, dataset, model and run directory every subcommand shares (run.hpp).
#include "run.hpp"

#include <algorithm>
#include <filesystem>

#include "elbo/data/batches.hpp"
#include "elbo/data/dsprites.hpp"
#include "elbo/data/dsprites_file.hpp"
#include "elbo/data/idx_dataset.hpp"
#include "elbo/data/image_folder.hpp"
#include "elbo/data/scenes3d.hpp"
#include "elbo/context.hpp"
#include "elbo/error.hpp"
#include "elbo/io/checkpoint.hpp"
#include "elbo/io/png.hpp"
#include "elbo/models/architectures.hpp"
#include "elbo/ops.hpp"
#include "elbo/ops/backend.hpp"

namespace cli {

using namespace elbo;
namespace fs = std::filesystem;

namespace {

std::string architecture_names() {
  std::string names = "auto";
  for (const models::ArchitectureInfo& a : models::architectures()) names += std::string("|") + a.name;
  return names;
}

std::vector<int64_t> parse_widths(const std::string& text) {
  std::vector<int64_t> widths;
  for (const std::string& item : split_commas(text)) {
    char* end = nullptr;
    long long w = std::strtoll(item.c_str(), &end, 10);
    ELBO_CHECK(!item.empty() && *end == '\0' && w > 0, "--hidden expects positive integers separated by commas, got '",
               text, "'");
    widths.push_back(w);
  }
  return widths;
}

nn::WeightInit parse_weight_init(const std::string& name) {
  if (name == "pytorch_default") return nn::WeightInit::pytorch_default;
  if (name == "glorot_uniform") return nn::WeightInit::glorot_uniform;
  if (name == "kaiming_uniform") return nn::WeightInit::kaiming_uniform;
  if (name == "kaiming_normal") return nn::WeightInit::kaiming_normal;
  elbo::detail::fail("--weight-init: unknown scheme '", name, "'");
}

}  // namespace

void bind_run_options(Args& args, RunOptions& o) {
  args.flag("--dataset", o.dataset, "what to train on",
            {"dsprites", "scenes3d", "fashion-mnist", "mnist", "dsprites-file", "images"});
  args.flag("--data-dir", o.data_dir,
            "fashion-mnist, mnist: folder of the IDX files (fashion-mnist default: Debian's); dsprites-file: the .npz "
            "or its folder; images: the folder of pictures");
  args.flag("--split", o.split, "fashion-mnist, mnist: the split to train on", {"train", "test"});
  args.flag("--image-size", o.image_size, "images: side of the square pictures are cropped and resized to");
  args.flag("--channels", o.channels, "images: 3 (RGB) or 1 (grey)");
  args.flag("--architecture", o.architecture,
            "encoder/decoder (" + architecture_names() +
                "); auto: dlib_conv for sides that are multiples of 16, fmnist_conv for multiples of 4, else mlp");
  args.flag("--latents", o.latents, "latent dimensions");
  args.flag("--hidden", o.hidden, "mlp: hidden layer widths, comma separated");
  args.flag("--likelihood", o.likelihood, "the decoder's distribution",
            {"bernoulli", "gaussian_fixed", "gaussian_learned"});
  args.flag("--weight-init", o.weight_init, "initial weights; reference: the architecture's own",
            {"reference", "pytorch_default", "glorot_uniform", "kaiming_uniform", "kaiming_normal"});
  args.flag("--objective", o.objective, "training objective (docs/MODELS.md)",
            {"vae", "beta_vae", "annealed_vae", "beta_tcvae", "factor_vae", "dip_vae_i", "dip_vae_ii"});
  args.flag("--beta", o.beta, "beta_vae: KL weight; beta_tcvae: TC weight + 1 (-1: default, 4 and 6)");
  args.flag("--gamma", o.gamma, "annealed_vae: capacity weight (default 1000); factor_vae: TC weight (default 10)");
  args.flag("--c-max", o.c_max, "annealed_vae: final capacity in nats (-1: default 25)");
  args.flag("--iteration-threshold", o.iteration_threshold,
            "annealed_vae: steps over which the capacity rises to c-max (-1: default 100000)");
  args.flag("--lambda-od", o.lambda_od, "dip_vae_i, dip_vae_ii: off-diagonal weight (-1: default 10)");
  args.flag("--lambda-d", o.lambda_d, "dip_vae_i, dip_vae_ii: diagonal weight (-1: 10 or 1 times lambda-od)");
  args.flag("--steps", o.steps, "training steps (batches); 0 writes the initial weights");
  args.flag("--batch", o.batch, "images per step");
  args.flag("--lr", o.lr, "Adam learning rate of the VAE");
  args.flag("--seed", o.seed, "seed of the weights, the batch order and every random draw");
  args.flag("--checkpoint-every", o.checkpoint_every, "steps between checkpoints (and pictures)");
  args.flag("--log-every", o.log_every, "steps per row of metrics.csv (each row: means over those steps)");
  args.flag("--threads", o.threads, "threads (0: OMP_NUM_THREADS or all cores); results do not depend on it");
  args.flag("--device", o.device, "where to train (cuda needs a build with -DELBO_CUDA=ON)", {"cpu", "cuda"});
  args.flag("--out", o.out, "the run directory");
}

void resolve_run_options(RunOptions& o) {
  using models::ObjectiveKind;
  ObjectiveKind kind = models::parse_objective(o.objective);
  models::ObjectiveConfig d = models::objective_defaults(kind);
  bool uses_beta = kind == ObjectiveKind::beta_vae || kind == ObjectiveKind::beta_tcvae;
  bool uses_gamma = kind == ObjectiveKind::annealed_vae || kind == ObjectiveKind::factor_vae;
  bool uses_capacity = kind == ObjectiveKind::annealed_vae;
  bool uses_lambda = kind == ObjectiveKind::dip_vae_i || kind == ObjectiveKind::dip_vae_ii;
  auto resolve = [&](double& value, bool used, double fallback, const char* flag) {
    if (used) {
      if (value == -1) value = fallback;
      ELBO_CHECK(value >= 0, flag, " must be at least 0 (or -1 for the default), got ", value);
    } else {
      ELBO_CHECK(value == -1, flag, " does not apply to --objective ", o.objective, " (leave it at -1)");
    }
  };
  resolve(o.beta, uses_beta, d.beta, "--beta");
  resolve(o.gamma, uses_gamma, d.gamma, "--gamma");
  resolve(o.c_max, uses_capacity, d.c_max, "--c-max");
  resolve(o.lambda_od, uses_lambda, d.lambda_od, "--lambda-od");
  resolve(o.lambda_d, uses_lambda, (kind == ObjectiveKind::dip_vae_i ? 10.0 : 1.0) * o.lambda_od, "--lambda-d");
  if (uses_capacity) {
    if (o.iteration_threshold == -1) o.iteration_threshold = d.iteration_threshold;
    ELBO_CHECK(o.iteration_threshold >= 1, "--iteration-threshold must be at least 1, got ", o.iteration_threshold);
  } else {
    ELBO_CHECK(o.iteration_threshold == -1, "--iteration-threshold does not apply to --objective ", o.objective,
               " (leave it at -1)");
  }

  ELBO_CHECK(o.latents >= 1, "--latents must be at least 1, got ", o.latents);
  ELBO_CHECK(o.steps >= 0, "--steps must be at least 0 (0 writes the initial weights), got ", o.steps);
  ELBO_CHECK(o.batch >= 1, "--batch must be at least 1, got ", o.batch);
  ELBO_CHECK(o.lr > 0, "--lr must be positive, got ", o.lr);
  ELBO_CHECK(o.seed >= 0, "--seed must be at least 0, got ", o.seed);
  ELBO_CHECK(o.checkpoint_every >= 1, "--checkpoint-every must be at least 1, got ", o.checkpoint_every);
  ELBO_CHECK(o.log_every >= 1, "--log-every must be at least 1, got ", o.log_every);
  ELBO_CHECK(o.threads >= 0, "--threads must be at least 0, got ", o.threads);
  ELBO_CHECK(o.image_size >= 1, "--image-size must be at least 1, got ", o.image_size);
  ELBO_CHECK(o.channels == 1 || o.channels == 3, "--channels must be 1 or 3, got ", o.channels);
  ELBO_CHECK(!o.out.empty(), "--out must name a directory");
  parse_widths(o.hidden);
  if (o.architecture != "auto") {
    bool known = false;
    for (const models::ArchitectureInfo& a : models::architectures()) known = known || o.architecture == a.name;
    ELBO_CHECK(known, "--architecture must be one of ", architecture_names(), ", got '", o.architecture, "'");
  }
  if (o.dataset == "mnist" || o.dataset == "dsprites-file" || o.dataset == "images")
    ELBO_CHECK(!o.data_dir.empty(), "--dataset ", o.dataset, " needs --data-dir (",
               o.dataset == "mnist"           ? "the folder of train-images-idx3-ubyte[.gz] and the other IDX files"
               : o.dataset == "dsprites-file" ? std::string("the path of ") + data::kDspritesFileName
                                              : "the folder of PNG/JPEG pictures",
               ")");
}

std::string auto_architecture(const data::ImageShape& shape) {
  if (shape.height % 16 == 0) return "dlib_conv";
  if (shape.height % 4 == 0) return "fmnist_conv";
  return "mlp";
}

std::string run_config_text(const RunOptions& options) {
  RunOptions copy = options;
  Args args("elbo train", "");
  bind_run_options(args, copy);
  return args.config_text();
}

RunOptions read_run_config(const std::string& path) {
  ELBO_CHECK(fs::is_regular_file(path), "cannot read the run's options: ", path, " does not exist");
  RunOptions o;
  Args args("elbo train", "");
  args.set_quiet(true);
  bind_run_options(args, o);
  ELBO_CHECK(args.read_config(path), args.error());
  return o;
}

bool option_may_change_on_resume(const std::string& name) {
  return name == "steps" || name == "threads" || name == "checkpoint-every" || name == "out";
}

std::unique_ptr<data::Dataset> open_dataset(const RunOptions& o) {
  data::Split split = o.split == "test" ? data::Split::test : data::Split::train;
  if (o.dataset == "dsprites") return std::make_unique<data::Dsprites>();
  if (o.dataset == "scenes3d") return std::make_unique<data::Scenes3d>();
  if (o.dataset == "fashion-mnist") return std::make_unique<data::IdxDataset>(data::fashion_mnist(split, o.data_dir));
  if (o.dataset == "mnist") return std::make_unique<data::IdxDataset>(data::mnist(split, o.data_dir));
  if (o.dataset == "dsprites-file") {
    std::string path = fs::is_directory(o.data_dir) ? (fs::path(o.data_dir) / data::kDspritesFileName).string()
                                                    : o.data_dir;
    return std::make_unique<data::DspritesFile>(path);
  }
  if (o.dataset == "images") {
    ELBO_CHECK(fs::is_directory(o.data_dir), "--data-dir ", o.data_dir, ": not a folder (--dataset images reads every "
               "PNG and JPEG below a folder)");
    return std::make_unique<data::ImageFolder>(o.data_dir,
                                               data::ImageFolderOptions{.size = o.image_size, .channels = o.channels, .cache_path = ""});
  }
  elbo::detail::fail("--dataset: unknown dataset '", o.dataset, "'");
}

std::unique_ptr<data::Dataset> open_test_dataset(const RunOptions& o) {
  if (o.dataset != "fashion-mnist" && o.dataset != "mnist") return open_dataset(o);
  RunOptions test = o;
  test.split = "test";
  return open_dataset(test);
}

data::BatchOptions training_batch_options(const RunOptions& o) {
  return {.batch_size = o.batch, .seed = static_cast<uint64_t>(o.seed)};
}

std::vector<int64_t> fixed_sample(int64_t n, int64_t count, uint64_t seed) {
  ELBO_CHECK(n >= 1, "fixed_sample: the dataset is empty");
  ELBO_CHECK(count >= 0, "fixed_sample: count must be at least 0, got ", count);
  std::vector<int64_t> order(n);
  if (count == 0 || count >= n) {
    for (int64_t i = 0; i < n; ++i) order[i] = i;
    return order;
  }
  data::shuffled_order(n, seed, 0, order.data());
  order.resize(count);
  return order;
}

models::ModelConfig model_config(const RunOptions& o, const data::ImageShape& shape) {
  ELBO_CHECK(shape.height == shape.width, "the images are ", shape.height, "x", shape.width,
             "; the architectures need square images");
  models::ModelConfig c;
  c.vae.architecture = o.architecture == "auto" ? auto_architecture(shape) : o.architecture;
  c.vae.latents = o.latents;
  c.vae.channels = shape.channels;
  c.vae.image_size = shape.height;
  c.vae.likelihood = models::parse_likelihood(o.likelihood);
  c.vae.hidden = parse_widths(o.hidden);
  c.objective = models::objective_defaults(models::parse_objective(o.objective));
  if (o.beta >= 0) c.objective.beta = o.beta;
  if (o.gamma >= 0) c.objective.gamma = o.gamma;
  if (o.c_max >= 0) c.objective.c_max = o.c_max;
  if (o.iteration_threshold >= 1) c.objective.iteration_threshold = o.iteration_threshold;
  if (o.lambda_od >= 0) c.objective.lambda_od = o.lambda_od;
  if (o.lambda_d >= 0) c.objective.lambda_d = o.lambda_d;
  c.seed = static_cast<uint64_t>(o.seed);
  c.optimizer.lr = o.lr;
  if (o.weight_init != "reference") c.weight_init = parse_weight_init(o.weight_init);
  c.device = parse_device(o.device);
  return c;
}

Device parse_device(const std::string& name, const std::string& flag) {
  if (name == "cpu") return Device::cpu;
  ELBO_CHECK(name == "cuda", flag, " must be cpu or cuda, got '", name, "'");
#if defined(ELBO_WITH_CUDA)
  ELBO_CHECK(device_available(Device::cuda), flag, " cuda: no CUDA device is visible to this process");
#else
  elbo::detail::fail(flag, " cuda: this build of elbo has no CUDA backend; rebuild with -DELBO_CUDA=ON "
                     "(e.g. make build CMAKE_FLAGS=-DELBO_CUDA=ON) or use --device cpu");
#endif
  return Device::cuda;
}

void apply_threads(int64_t threads) {
  ELBO_CHECK(threads >= 0, "--threads must be at least 0, got ", threads);
  if (threads > 0) set_num_threads(static_cast<int>(threads));
}

namespace {
std::vector<io::CheckpointPart> model_parts(models::Model& model, bool with_optimizers) {
  std::vector<io::CheckpointPart> parts = {{"", &model.vae, with_optimizers ? &model.optimizer : nullptr}};
  if (model.discriminator)
    parts.push_back({"discriminator", model.discriminator.get(),
                     with_optimizers ? &*model.discriminator_optimizer : nullptr});
  return parts;
}
}  // namespace

void save_model(const std::string& path, models::Model& model, const json::Value& metadata) {
  io::save_checkpoint(path, model_parts(model, true), metadata);
}

json::Value load_model(const std::string& path, models::Model& model, bool with_optimizers) {
  ELBO_CHECK(fs::is_regular_file(path), "no checkpoint: ", path, " does not exist");
  return io::load_checkpoint(path, model_parts(model, with_optimizers));
}

std::string run_file(const std::string& dir, const char* name) { return (fs::path(dir) / name).string(); }

LoadedRun load_run(const std::string& dir, const std::string& device) {
  ELBO_CHECK(fs::is_directory(dir), "--run ", dir, ": no such directory (a run directory is what elbo train --out "
             "writes)");
  std::string config = run_file(dir, kConfigFile);
  ELBO_CHECK(fs::is_regular_file(config), "--run ", dir, ": not a run directory (it has no ", kConfigFile, ")");
  LoadedRun run;
  run.dir = dir;
  run.options = read_run_config(config);
  run.options.out = dir;
  run.options.device = device;
  resolve_run_options(run.options);
  run.dataset = open_dataset(run.options);
  run.model = std::make_unique<models::Model>(model_config(run.options, run.dataset->image_shape()));
  json::Value meta = load_model(run_file(dir, kCheckpointFile), *run.model, false);
  ELBO_CHECK(meta.is_object() && meta.contains("step"), run_file(dir, kCheckpointFile),
             ": the checkpoint's metadata has no step count; was it written by elbo train?");
  run.step = meta.at("step").as_int();
  run.model->vae.eval();
  return run;
}

void write_reconstruction_grid(const std::string& path, const Tensor& originals, const Tensor& reconstructions,
                               int64_t cols) {
  ELBO_CHECK(originals.shape() == reconstructions.shape(), "write_reconstruction_grid: shapes differ");
  const int64_t n = originals.size(0);
  std::vector<Tensor> rows;
  io::GridOptions grid{.cols = cols, .margin = 2, .background = 1.0f, .row_labels = {}, .label_scale = 1};
  for (int64_t start = 0; start < n; start += cols) {
    int64_t stop = std::min(n, start + cols);
    Tensor a = slice(originals.to(Device::cpu).to(DType::f32), 0, start, stop);
    Tensor b = slice(reconstructions.to(Device::cpu).to(DType::f32), 0, start, stop);
    if (stop - start < cols) {  // pad a short last row with background
      Shape pad = a.shape();
      pad[0] = cols - (stop - start);
      a = concat({a, ones(pad)}, 0);
      b = concat({b, ones(pad)}, 0);
    }
    rows.push_back(a);
    rows.push_back(b);
    grid.row_labels.push_back("INPUT");
    grid.row_labels.push_back("OUTPUT");
  }
  io::write_image_grid(path, concat(rows, 0), grid);
}

}  // namespace cli
