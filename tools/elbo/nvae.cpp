// elbo nvae {train, eval, sample}: the hierarchical VAE of Vahdat & Kautz 2020 (models/nvae.hpp),
// in a run directory of its own:
//
//   config.txt               the options ("# elbo nvae train"), `--config RUN/config.txt` trains it again
//   model.json               the model's and the training's configuration, as the library reads them
//   checkpoint.safetensors   model (spectral u, v included), Adamax state, the step in its metadata
//   metrics.csv              the terms of every --log-every-th step
//   summary.json             steps, seconds, steps per second, last terms; "finished": true at the end
//   samples.png              64 prior samples (Bernoulli means) at temperature 1
//   nvae_eval.json           written by `elbo nvae eval`
//
// Step t trains on the batch BatchIterator(seed).seek(t) gives (data/batches.hpp) and draws its
// binarisation and ε from streams keyed by (seed, t) (models/nvae_training.hpp): a run resumed
// with --resume from the checkpoint of step t computes the same bits as one that never stopped.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "args.hpp"
#include "elbo/autograd.hpp"
#include "elbo/context.hpp"
#include "elbo/data/batches.hpp"
#include "elbo/data/idx_dataset.hpp"
#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/checkpoint.hpp"
#include "elbo/io/csv.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/png.hpp"
#include "elbo/models/noise.hpp"
#include "elbo/models/nvae_evaluate.hpp"
#include "elbo/models/nvae_training.hpp"
#include "elbo/ops.hpp"
#include "progress.hpp"
#include "run.hpp"

namespace cli {

using namespace elbo;
namespace fs = std::filesystem;

namespace {

const char* kNvaeHeader = "# elbo nvae train";
const char* kModelFile = "model.json";
const char* kEvalFile = "nvae_eval.json";

struct NvaeOptions {
  // data
  std::string dataset = "auto";  // auto: fashion-mnist when its files are installed, else dsprites
  std::string data_dir;
  // model (models::NvaeConfig)
  int64_t channels = 8, latent_scales = 2, groups_per_scale = 2, min_groups_per_scale = 1, latents_per_group = 8;
  bool ada_groups = true, squeeze_excitation = true;
  int64_t encoder_cells = 1, decoder_cells = 1, preprocess_blocks = 1, preprocess_cells = 1;
  int64_t postprocess_blocks = 1, postprocess_cells = 1;
  int64_t pad = -1;  // −1: 2 for 28×28 images (to 32×32, as the reference's MNIST), else 0
  // training (models::NvaeTraining)
  int64_t steps = 3000, batch = 16, warmup_steps = -1;  // −1: steps / 20
  double lr = 1e-2, min_lr = 1e-4, weight_decay = 3e-4, lambda = 1e-2, kl_anneal = 0.3;
  bool kl_balance = true;
  int64_t seed = 0, checkpoint_every = 500, log_every = 50, threads = 0;
  std::string out = "runs/nvae";
};

void bind_nvae_options(Args& a, NvaeOptions& o) {
  a.flag("--dataset", o.dataset, "training images; auto: fashion-mnist when installed, else dsprites",
         {"auto", "fashion-mnist", "mnist", "dsprites"});
  a.flag("--data-dir", o.data_dir, "fashion-mnist, mnist: folder of the IDX files");
  a.flag("--channels", o.channels, "channels of the stem (doubled at each halving)");
  a.flag("--latent-scales", o.latent_scales, "spatial scales that carry latent groups");
  a.flag("--groups-per-scale", o.groups_per_scale, "latent groups at the finest latent scale");
  a.flag("--ada-groups", o.ada_groups, "halve the group count at each coarser scale");
  a.flag("--min-groups-per-scale", o.min_groups_per_scale, "with --ada-groups, the fewest groups of a scale");
  a.flag("--latents-per-group", o.latents_per_group, "latent channels of each group");
  a.flag("--encoder-cells", o.encoder_cells, "encoder residual cells per group");
  a.flag("--decoder-cells", o.decoder_cells, "decoder residual cells per group");
  a.flag("--preprocess-blocks", o.preprocess_blocks, "pre-process blocks (each ends with a halving)");
  a.flag("--preprocess-cells", o.preprocess_cells, "cells per pre-process block");
  a.flag("--postprocess-blocks", o.postprocess_blocks, "post-process blocks (each starts with a doubling)");
  a.flag("--postprocess-cells", o.postprocess_cells, "cells per post-process block");
  a.flag("--squeeze-excitation", o.squeeze_excitation, "squeeze-and-excitation at the end of every cell");
  a.flag("--pad", o.pad, "zeros added around each image (−1: 2 for 28x28 images, else 0)");
  a.flag("--steps", o.steps, "training steps (the KL warm-up is the first --kl-anneal of them)");
  a.flag("--batch", o.batch, "images per step");
  a.flag("--lr", o.lr, "Adamax learning rate after the warm-up");
  a.flag("--min-lr", o.min_lr, "learning rate at the end of the cosine decay");
  a.flag("--warmup-steps", o.warmup_steps, "linear learning-rate warm-up steps (−1: --steps / 20)");
  a.flag("--weight-decay", o.weight_decay, "Adamax's L2 weight decay");
  a.flag("--lambda", o.lambda, "weight of the spectral and batch-norm regularisers");
  a.flag("--kl-anneal", o.kl_anneal, "fraction of the steps over which the KL weight rises to 1");
  a.flag("--kl-balance", o.kl_balance, "balance the groups' KL during the warm-up");
  a.flag("--seed", o.seed, "seed of the weights, the batches and every random draw");
  a.flag("--checkpoint-every", o.checkpoint_every, "steps between checkpoints");
  a.flag("--log-every", o.log_every, "steps between rows of metrics.csv and progress lines");
  a.flag("--threads", o.threads, "threads (0: OMP_NUM_THREADS or all cores)");
  a.flag("--out", o.out, "the run directory");
}

// The flag a field of NvaeConfig or NvaeTraining is set by, named in errors.
std::string with_flag(const std::string& message) {
  static const char* const kFields[][2] = {
      {"latents_per_group", "--latents-per-group"}, {"min_groups_per_scale", "--min-groups-per-scale"},
      {"groups_per_scale", "--groups-per-scale"},   {"latent_scales", "--latent-scales"},
      {"encoder_cells", "--encoder-cells"},         {"decoder_cells", "--decoder-cells"},
      {"preprocess_blocks", "--preprocess-blocks"}, {"preprocess_cells", "--preprocess-cells"},
      {"postprocess_blocks", "--postprocess-blocks"}, {"postprocess_cells", "--postprocess-cells"},
      {"image_size", "--pad (or the dataset)"},     {"warmup_steps", "--warmup-steps"},
      {"min_lr", "--min-lr"},                       {"weight_decay", "--weight-decay"},
      {"lambda", "--lambda"},                       {"kl_anneal_portion", "--kl-anneal"},
      {"channels", "--channels"},                   {"steps", "--steps"},
      {"lr", "--lr"},                               {"pad", "--pad"}};
  if (message.find("must be divisible") != std::string::npos)
    return message + " (options --pad, --preprocess-blocks, --latent-scales)";
  for (const auto& f : kFields)
    if (message.find(f[0]) != std::string::npos) return message + " (option " + f[1] + ")";
  return message;
}

std::string resolve_dataset(const NvaeOptions& o) {
  if (o.dataset != "auto") return o.dataset;
  std::string dir = o.data_dir.empty() ? data::kFashionMnistDir : o.data_dir;
  return fs::is_regular_file(fs::path(dir) / "train-images-idx3-ubyte.gz") ? "fashion-mnist" : "dsprites";
}

RunOptions data_options(const NvaeOptions& o, const std::string& split) {
  RunOptions r;
  r.dataset = resolve_dataset(o);
  r.data_dir = o.data_dir;
  r.split = split;
  return r;
}

models::NvaeConfig nvae_config(const NvaeOptions& o, const data::ImageShape& shape) {
  ELBO_CHECK(shape.height == shape.width, "the images are ", shape.height, "x", shape.width,
             "; NVAE needs square images");
  models::NvaeConfig c;
  c.input_channels = shape.channels;
  c.image_size = shape.height;
  c.pad = o.pad >= 0 ? o.pad : (shape.height == 28 ? 2 : 0);
  c.channels = o.channels;
  c.latent_scales = o.latent_scales;
  c.groups_per_scale = o.groups_per_scale;
  c.ada_groups = o.ada_groups;
  c.min_groups_per_scale = o.min_groups_per_scale;
  c.latents_per_group = o.latents_per_group;
  c.encoder_cells = o.encoder_cells;
  c.decoder_cells = o.decoder_cells;
  c.preprocess_blocks = o.preprocess_blocks;
  c.preprocess_cells = o.preprocess_cells;
  c.postprocess_blocks = o.postprocess_blocks;
  c.postprocess_cells = o.postprocess_cells;
  c.squeeze_excitation = o.squeeze_excitation;
  try {
    c.validate();
  } catch (const Error& e) {
    elbo::detail::fail(with_flag(e.what()));
  }
  return c;
}

models::NvaeTraining nvae_training(const NvaeOptions& o) {
  models::NvaeTraining t;
  t.steps = o.steps;
  t.lr = o.lr;
  t.min_lr = o.min_lr;
  t.warmup_steps = o.warmup_steps >= 0 ? o.warmup_steps : o.steps / 20;
  t.weight_decay = o.weight_decay;
  t.objective.lambda = o.lambda;
  t.objective.kl_anneal_portion = o.kl_anneal;
  t.objective.kl_balance = o.kl_balance;
  try {
    t.validate();
  } catch (const Error& e) {
    elbo::detail::fail(with_flag(e.what()));
  }
  return t;
}

void check_run_options(const NvaeOptions& o) {
  ELBO_CHECK(o.batch >= 2, "--batch must be at least 2 (batch normalisation needs a batch), got ", o.batch);
  ELBO_CHECK(o.checkpoint_every >= 1 && o.log_every >= 1, "--checkpoint-every and --log-every must be at least 1");
  ELBO_CHECK(o.seed >= 0, "--seed must be ≥ 0, got ", o.seed);
  ELBO_CHECK(o.threads >= 0, "--threads must be ≥ 0, got ", o.threads);
}

// A resumed run keeps its options but for --steps, --threads, --checkpoint-every, --log-every
// and --out: compares the "name = value" lines of two config texts.
void check_same_run(const std::string& saved, const std::string& now, const std::string& dir) {
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      if (!line.empty() && line[0] != '#') out.push_back(line);
      start = end + 1;
    }
    return out;
  };
  std::vector<std::string> a = lines(saved), b = lines(now);
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const std::string name = a[i].substr(0, a[i].find(" = "));
    if (a[i] == b[i] || name == "steps" || name == "threads" || name == "checkpoint-every" || name == "log-every" ||
        name == "out")
      continue;
    elbo::detail::fail("--resume: ", b[i], " but the run in ", dir, " was trained with ", a[i],
                       "; a resumed run keeps its options (only --steps, --threads, --checkpoint-every, --log-every "
                       "may change)");
  }
}

bool is_nvae_run(const std::string& dir) {
  std::ifstream config(run_file(dir, kConfigFile));
  std::string first;
  return config && std::getline(config, first) && first == kNvaeHeader;
}

// Bernoulli means of 64 prior samples, 8 per row.
void write_samples(const std::string& path, models::Nvae& model, int64_t count, double temperature, uint64_t seed) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  Tensor means = sigmoid(model.sample_logits(count, temperature, seed, models::noise_stream(models::NoisePurpose::prior, 0)));
  io::write_image_grid(path, to_dtype(means, DType::f32), {.cols = 8, .margin = 2, .background = 1.0f, .row_labels = {}, .label_scale = 1});
  model.train(was_training);
}

std::string fmt(const char* pattern, double v) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, v);
  return text;
}

// Options from a run directory's config.txt, with `out` = the directory.
NvaeOptions read_nvae_config(const std::string& dir) {
  ELBO_CHECK(is_nvae_run(dir), "--run ", dir, ": no NVAE run there (", run_file(dir, kConfigFile),
             " missing or not written by elbo nvae train)");
  NvaeOptions o;
  Args args("elbo nvae", "");
  args.set_quiet(true);
  bind_nvae_options(args, o);
  ELBO_CHECK(args.read_config(run_file(dir, kConfigFile)), args.error());
  o.out = dir;
  return o;
}

// The trained model of a run directory, weights loaded.
struct LoadedNvae {
  NvaeOptions options;
  nn::Init init;
  std::unique_ptr<models::Nvae> model;
  int64_t step = 0;
};
std::unique_ptr<LoadedNvae> load_nvae(const std::string& dir) {
  auto run = std::make_unique<LoadedNvae>();
  run->options = read_nvae_config(dir);
  json::Value spec = json::parse(io::read_text_file(run_file(dir, kModelFile)), run_file(dir, kModelFile));
  run->init = nn::Init{.seed = static_cast<uint64_t>(run->options.seed)};
  run->model = std::make_unique<models::Nvae>(run->init, models::NvaeConfig::from_json(spec.at("model")));
  std::string checkpoint = run_file(dir, kCheckpointFile);
  ELBO_CHECK(fs::is_regular_file(checkpoint), "--run ", dir, ": no ", kCheckpointFile, " yet");
  json::Value meta = io::load_checkpoint(checkpoint, *run->model, nullptr);
  run->step = meta.at("step").as_int();
  return run;
}

// ---- train ---------------------------------------------------------------------------------

int nvae_train(int argc, char** argv) {
  NvaeOptions o;
  bool resume = false, force = false;
  int64_t stop_after = 0;
  auto bind = [&](Args& args) {
    args.config_file();
    bind_nvae_options(args, o);
    args.flag("--resume", resume, "continue the run in --out from its checkpoint (--steps may grow)");
    args.flag("--force", force, "start over in a directory that holds a run");
    args.flag("--stop-after", stop_after, "stop as Ctrl-C does once this many steps are done (0: never)");
  };
  const char* summary = "Train NVAE (Vahdat & Kautz 2020) and write a run directory (config.txt, model.json, "
                        "checkpoint.safetensors, metrics.csv, summary.json, samples.png). Ctrl-C saves a "
                        "checkpoint; --resume continues bit for bit.";
  Args args("elbo nvae train", summary);
  bind(args);
  if (!args.parse(argc, argv)) return args.exit_code();
  const std::string saved_config = run_file(o.out, kConfigFile);
  if (resume && is_nvae_run(o.out)) {  // the run's options, then the command line
    o = NvaeOptions();
    Args again("elbo nvae train", summary);
    bind(again);
    if (!again.read_config(saved_config) || !again.parse(argc, argv)) return again.exit_code();
  }
  o.dataset = resolve_dataset(o);
  check_run_options(o);
  const models::NvaeTraining training = nvae_training(o);
  const std::string dir = o.out;

  // The directory: new, resumed or started over.
  std::error_code ec;
  const bool exists = fs::is_directory(dir, ec) && !fs::is_empty(dir, ec);
  const std::string checkpoint = run_file(dir, kCheckpointFile), metrics = run_file(dir, kMetricsFile);
  const std::string summary_file = run_file(dir, kSummaryFile);
  bool resuming = false;
  if (exists) {
    if (resume) {
      ELBO_CHECK(is_nvae_run(dir), "--resume: ", dir, " holds no NVAE run");
      resuming = fs::is_regular_file(checkpoint);
    } else {
      ELBO_CHECK(force, "--out ", dir, " is not empty; pass --resume to continue its run, --force to start over, "
                 "or choose another --out");
      for (const char* f : {kConfigFile, kModelFile, kCheckpointFile, kMetricsFile, kSummaryFile, kSamplesFile, kEvalFile})
        fs::remove(run_file(dir, f));
    }
  }

  apply_threads(o.threads);
  std::unique_ptr<data::Dataset> dataset = open_dataset(data_options(o, "train"));
  const models::NvaeConfig config = nvae_config(o, dataset->image_shape());
  fs::create_directories(dir);
  models::NvaeTrainer trainer(config, training, static_cast<uint64_t>(o.seed));
  int64_t start = 0;
  if (resuming) {
    json::Value meta = io::load_checkpoint(checkpoint, trainer.model, &trainer.optimizer);
    start = meta.at("step").as_int();
    ELBO_CHECK(start <= o.steps, "--steps ", o.steps, ": the run in ", dir, " is already at step ", start);
  }
  Args writer("elbo nvae train", summary);  // config.txt: every option, resolved
  NvaeOptions written = o;
  bind_nvae_options(writer, written);
  std::string text = writer.config_text();
  if (resuming) check_same_run(io::read_text_file(saved_config), text, dir);
  io::write_file_atomic(saved_config, kNvaeHeader + text.substr(text.find('\n')));
  json::Value spec = json::Value::object();
  spec.set("model", config.to_json());
  spec.set("training", training.to_json());
  io::write_file_atomic(run_file(dir, kModelFile), json::dump(spec, 2) + "\n");

  std::printf("elbo nvae train: %s\n", trainer.model.describe().c_str());
  std::printf("data: %s, %lld images; batch %lld, %lld steps; %d threads; %s %s\n", dataset->name().c_str(),
              static_cast<long long>(dataset->size()), static_cast<long long>(o.batch),
              static_cast<long long>(o.steps), num_threads(), start > 0 ? "resuming at step" : "writing",
              start > 0 ? std::to_string(start).c_str() : dir.c_str());
  std::fflush(stdout);

  data::BatchIterator batches(*dataset, data::BatchOptions{.batch_size = o.batch, .seed = static_cast<uint64_t>(o.seed)});
  batches.seek(start);
  std::unique_ptr<io::CsvLog> log;
  Progress progress(start, o.steps, o.log_every);
  models::NvaeStepReport last;
  auto metadata = [&](int64_t step) {
    json::Value m = json::Value::object();
    m.set("step", step);
    m.set("seed", o.seed);
    m.set("model", config.to_json());
    return m;
  };
  auto write_summary = [&](int64_t step, bool finished) {
    json::Value s = json::Value::object();
    s.set("finished", finished);
    s.set("steps", step);
    s.set("steps_total", o.steps);
    s.set("seconds", progress.elapsed());
    s.set("steps_per_second", static_cast<double>(step - start) / (progress.elapsed() + 1e-12));
    s.set("dataset", dataset->name());
    s.set("parameters", trainer.model.num_parameters());
    s.set("latents", trainer.model.total_latents());
    s.set("loss", last.loss);
    s.set("reconstruction", last.reconstruction);
    s.set("kl", last.kl);
    io::write_file_atomic(summary_file, json::dump(s, 2) + "\n");
  };
  if (start == o.steps) {
    std::printf("%s: the run is finished (%lld steps); pass a larger --steps to train further\n", dir.c_str(),
                static_cast<long long>(start));
    return 0;
  }

  InterruptGuard guard;
  Tensor x;
  double interval_start = seconds_now();
  int64_t interval_first = start;
  for (int64_t t = start; t < o.steps; ++t) {
    batches.next(x);
    last = trainer.step(x, static_cast<uint64_t>(t));
    if (!std::isfinite(last.loss)) {
      progress.finish_line();
      elbo::detail::fail("the loss became ", last.loss, " at step ", t, "; try a larger --lambda or a smaller --lr (",
                         dir, " keeps the last checkpoint)");
    }
    const int64_t done = t + 1;
    if (done % o.log_every == 0 || done == o.steps) {
      if (!log) {
        std::vector<std::string> columns = {"step", "loss", "reconstruction", "kl", "spectral", "batchnorm",
                                            "kl_coefficient", "lr"};
        for (size_t g = 0; g < last.kl_per_group.size(); ++g) columns.push_back("kl_group_" + std::to_string(g));
        columns.push_back("steps_per_second");
        log = std::make_unique<io::CsvLog>(metrics, columns, start > 0 && fs::is_regular_file(metrics));
      }
      const double now = seconds_now();
      std::vector<io::CsvCell> cells = {io::CsvCell(done), last.loss, last.reconstruction, last.kl, last.spectral,
                                        last.batchnorm, last.kl_coefficient, last.lr};
      for (double kl : last.kl_per_group) cells.emplace_back(kl);
      cells.emplace_back(static_cast<double>(done - interval_first) / (now - interval_start + 1e-12));
      log->row(cells);
      interval_start = now;
      interval_first = done;
    }
    progress.update(done, "loss " + fmt("%.2f", last.loss) + "  recon " + fmt("%.2f", last.reconstruction) +
                              "  kl " + fmt("%.2f", last.kl) + "  β " + fmt("%.3f", last.kl_coefficient) + "  sr " +
                              fmt("%.2f", last.spectral));
    const bool interrupted = guard.interrupted() || done == stop_after;
    if (interrupted && done < o.steps) {
      progress.finish_line();
      io::save_checkpoint(checkpoint, trainer.model, &trainer.optimizer, metadata(done));
      write_summary(done, false);
      std::printf("interrupted at step %lld of %lld; checkpoint saved in %s\nresume with: elbo nvae train --out %s "
                  "--resume\n", static_cast<long long>(done), static_cast<long long>(o.steps), checkpoint.c_str(),
                  dir.c_str());
      return 130;
    }
    if (done % o.checkpoint_every == 0 && done < o.steps) {
      io::save_checkpoint(checkpoint, trainer.model, &trainer.optimizer, metadata(done));
      write_summary(done, false);
    }
  }
  io::save_checkpoint(checkpoint, trainer.model, &trainer.optimizer, metadata(o.steps));
  write_samples(run_file(dir, kSamplesFile), trainer.model, 64, 1.0, static_cast<uint64_t>(o.seed));
  write_summary(o.steps, true);
  std::printf("done: %lld steps in %s; files in %s\n", static_cast<long long>(o.steps - start),
              format_duration(progress.elapsed()).c_str(), dir.c_str());
  return 0;
}

// ---- eval ----------------------------------------------------------------------------------

int nvae_eval(int argc, char** argv) {
  std::string run_dir;
  int64_t samples = 100, images = 1000, batch = 100, seed = 0, threads = 0;
  Args args("elbo nvae eval",
            "Test ELBO and importance-weighted log-likelihood (nats per image) of an NVAE run, on the test split "
            "(fashion-mnist, mnist) or the training data (generated), binarised once with --seed. Writes "
            "RUN/nvae_eval.json.");
  args.flag("--run", run_dir, "the run directory");
  args.flag("--samples", samples, "importance samples K per image");
  args.flag("--images", images, "held-out images (a fixed sample; 0: all)");
  args.flag("--batch", batch, "images per batch");
  args.flag("--seed", seed, "seed of the binarisation and of the draws");
  args.flag("--threads", threads, "threads (0: OMP_NUM_THREADS or all cores)");
  if (!args.parse(argc, argv)) return args.exit_code();
  ELBO_CHECK(!run_dir.empty(), "--run is required (a directory written by elbo nvae train)");
  ELBO_CHECK(samples >= 1, "--samples must be at least 1, got ", samples);
  ELBO_CHECK(images >= 0, "--images must be ≥ 0, got ", images);
  ELBO_CHECK(batch >= 1, "--batch must be at least 1, got ", batch);
  ELBO_CHECK(seed >= 0, "--seed must be ≥ 0, got ", seed);
  apply_threads(threads);
  std::unique_ptr<LoadedNvae> run = load_nvae(run_dir);
  std::unique_ptr<data::Dataset> test = open_test_dataset(data_options(run->options, "test"));
  std::vector<int64_t> ids = fixed_sample(test->size(), images, 0);
  std::vector<Tensor> batches;
  for (size_t first = 0; first < ids.size(); first += static_cast<size_t>(batch)) {
    std::vector<int64_t> part(ids.begin() + static_cast<int64_t>(first),
                              ids.begin() + static_cast<int64_t>(std::min(ids.size(), first + static_cast<size_t>(batch))));
    // A fixed binarisation: the data stream of step 2⁴⁸ − 1 − b, never reached by training.
    const uint64_t stream = models::noise_stream(models::NoisePurpose::data, models::kMaxNoiseStep - batches.size());
    batches.push_back(models::binarize(test->images(part), static_cast<uint64_t>(seed), stream));
  }
  const double t0 = seconds_now();
  models::NvaeEvaluation e = models::evaluate_nvae(*run->model, batches, samples, static_cast<uint64_t>(seed));
  const double seconds = seconds_now() - t0;
  std::printf("%s after %lld steps, %lld images of %s, K = %lld:\n", run_dir.c_str(),
              static_cast<long long>(run->step), static_cast<long long>(e.images), test->name().c_str(),
              static_cast<long long>(samples));
  std::printf("  ELBO %.2f nats (reconstruction %.2f, KL %.2f)\n  log-likelihood (IW, K = %lld) %.2f nats, %.4f bits/dim\n",
              e.elbo, e.reconstruction, e.kl, static_cast<long long>(samples), e.log_likelihood, e.bits_per_dim);
  json::Value v = json::Value::object();
  v.set("step", run->step);
  v.set("dataset", test->name());
  v.set("images", e.images);
  v.set("samples", e.samples);
  v.set("elbo", e.elbo);
  v.set("reconstruction", e.reconstruction);
  v.set("kl", e.kl);
  v.set("log_likelihood", e.log_likelihood);
  v.set("bits_per_dim", e.bits_per_dim);
  v.set("seconds", seconds);
  io::write_file_atomic(run_file(run_dir, kEvalFile), json::dump(v, 2) + "\n");
  return 0;
}

// ---- sample --------------------------------------------------------------------------------

int nvae_sample(int argc, char** argv) {
  std::string run_dir, out;
  int64_t count = 64, seed = 0, threads = 0;
  double temperature = 1.0;
  Args args("elbo nvae sample", "Images drawn from an NVAE run's prior (Bernoulli means), 8 per row, as a PNG.");
  args.flag("--run", run_dir, "the run directory");
  args.flag("--count", count, "images");
  args.flag("--temperature", temperature, "multiplies every group's σ (the paper shows 0.6 to 1)");
  args.flag("--seed", seed, "seed of the draws");
  args.flag("--out", out, "the PNG (default RUN/samples_t<temperature>.png)");
  args.flag("--threads", threads, "threads (0: OMP_NUM_THREADS or all cores)");
  if (!args.parse(argc, argv)) return args.exit_code();
  ELBO_CHECK(!run_dir.empty(), "--run is required (a directory written by elbo nvae train)");
  ELBO_CHECK(count >= 1, "--count must be at least 1, got ", count);
  ELBO_CHECK(temperature > 0, "--temperature must be positive, got ", temperature);
  ELBO_CHECK(seed >= 0, "--seed must be ≥ 0, got ", seed);
  apply_threads(threads);
  std::unique_ptr<LoadedNvae> run = load_nvae(run_dir);
  if (out.empty()) out = run_file(run_dir, ("samples_t" + fmt("%g", temperature) + ".png").c_str());
  write_samples(out, *run->model, count, temperature, static_cast<uint64_t>(seed));
  std::printf("wrote %s\n", out.c_str());
  return 0;
}

}  // namespace

}  // namespace cli

int run_nvae(int argc, char** argv) {
  const char* usage = "usage: elbo nvae <train|eval|sample> [options]   ('elbo nvae train --help' lists the options)\n";
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::printf("%s", usage);
    return argc < 2 ? 2 : 0;
  }
  std::string sub = argv[1];
  if (sub == "train") return cli::nvae_train(argc - 1, argv + 1);
  if (sub == "eval") return cli::nvae_eval(argc - 1, argv + 1);
  if (sub == "sample") return cli::nvae_sample(argc - 1, argv + 1);
  std::fprintf(stderr, "elbo nvae: unknown subcommand '%s'\n%s", sub.c_str(), usage);
  return 2;
}
