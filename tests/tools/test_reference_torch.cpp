// The inputs a replay of a run outside elbo needs (elbo train --steps 0: the initial weights;
// elbo batches: every step's dataset indices), and the optional audit against PyTorch:
// tools/reference/torch_fmnist_beta_vae.py trains the Fashion-MNIST β-VAE in PyTorch from elbo's
// initial weights on elbo's batches and noise and compares every step with metrics.csv
// (docs/MODELS.md, "Agreement with PyTorch"). The audit skips (passes with a message) when
// /usr/bin/python3 cannot import torch and numpy, or Debian's Fashion-MNIST files are absent.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "elbo/data/batches.hpp"
#include "elbo/data/dsprites.hpp"
#include "elbo/data/idx_dataset.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/models/noise.hpp"
#include "elbo/rng.hpp"

using namespace elbo;
using namespace elbo::testing;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// metrics.csv without its steps_per_second column.
std::vector<std::string> metrics_rows(const TempDir& dir, const std::string& run) {
  return csv_without_last_columns(io::read_text_file(dir.file(run + "/metrics.csv")), 1);
}

fs::path find_script() {
  const fs::path here = fs::path(__FILE__).parent_path();
  for (const fs::path& root : {here / ".." / "..", fs::current_path(), fs::current_path() / "..",
                               fs::current_path() / ".." / ".."}) {
    const fs::path candidate = root / "tools" / "reference" / "torch_fmnist_beta_vae.py";
    if (fs::exists(candidate)) return candidate;
  }
  return {};
}

// `/usr/bin/python3 SCRIPT args` in `dir`; stdout and stderr together.
CliResult run_script(const TempDir& dir, const fs::path& script, const std::string& args) {
  std::string log = dir.file("script-output.txt");
  std::string command = "cd '" + dir.path().string() + "' && OMP_WAIT_POLICY=passive /usr/bin/python3 '" +
                        script.string() + "' " + args + " > '" + log + "' 2>&1";
  int status = std::system(command.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.output = io::read_text_file(log);
  return r;
}

}  // namespace

TEST_CASE("cli: elbo train --steps 0 writes the initial weights, and a run resumed from them is the run") {
  TempDir dir;
  CliResult r = run_cli(dir, tiny_run("initial", 0));
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(fs::exists(dir.file("initial/checkpoint.safetensors")));
  CHECK_FALSE(fs::exists(dir.file("initial/metrics.csv")));
  json::Value summary = json::parse(io::read_text_file(dir.file("initial/summary.json")), "summary.json");
  CHECK(summary.at("steps").as_int() == 0);
  CHECK(summary.at("finished").as_bool());

  // Resuming the step-0 checkpoint trains the same bits as a run that started from scratch:
  // the checkpoint holds exactly the initial weights (and fresh optimiser states).
  r = run_cli(dir, tiny_run("initial", 8) + " --resume");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  r = run_cli(dir, tiny_run("fresh", 8));
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(metrics_rows(dir, "initial") == metrics_rows(dir, "fresh"));
  CHECK(metrics_rows(dir, "fresh").size() == 3);  // the header, rows at steps 4 and 8

  r = run_cli(dir, tiny_run("negative", -1));
  CHECK(r.code == 1);
  CHECK(contains(r.output, "--steps must be at least 0 (0 writes the initial weights), got -1"));
}

TEST_CASE("cli: elbo batches writes the dataset indices of every step's batch, as elbo train walks them") {
  TempDir dir;
  // dSprites (737280 images) in batches of 4096: 180 steps per epoch.
  CliResult r = run_cli(dir, "train --dataset dsprites --architecture mlp --hidden 24 --latents 3 --batch 4096 "
                             "--seed 5 --threads 1 --steps 0 --out run");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  r = run_cli(dir, "batches --run run --steps 200");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(contains(r.output, "wrote run/batches.npy: the dataset indices of steps 0 to 199 of dsprites (4096 per "
                           "batch, 180 steps per epoch)"));
  Tensor indices = io::read_npy(dir.file("run/batches.npy"));
  REQUIRE(indices.dtype() == DType::i64);
  REQUIRE(indices.shape() == Shape{200, 4096});

  data::Dsprites dsprites;
  const int64_t B = 4096;
  data::BatchIterator batches(dsprites, {.batch_size = B, .seed = 5, .prefetch = false});
  const int64_t* row = indices.data<int64_t>();
  for (int64_t t : {0, 1, 179, 180, 199}) {
    std::vector<int64_t> expected = batches.batch_indices(t);
    CHECK(std::vector<int64_t>(row + t * B, row + (t + 1) * B) == expected);
  }
  // Epoch 0 visits every image at most once (180·4096 of 737280); epoch 1 starts in another order.
  std::vector<bool> seen(static_cast<size_t>(dsprites.size()), false);
  int64_t repeats = 0;
  for (int64_t k = 0; k < 180 * B; ++k) {
    repeats += seen[static_cast<size_t>(row[k])] ? 1 : 0;
    seen[static_cast<size_t>(row[k])] = true;
  }
  CHECK(repeats == 0);
  CHECK(std::vector<int64_t>(row, row + B) != std::vector<int64_t>(row + 180 * B, row + 181 * B));

  // The indices are what training reads: the images of step 1 are the second batch elbo train renders.
  Tensor images;
  data::BatchIterator trained(dsprites, {.batch_size = B, .seed = 5});
  trained.next(images);
  trained.next(images);
  CHECK(dsprites.images(std::vector<int64_t>(row + B, row + 2 * B)).to_vector() == images.to_vector());

  r = run_cli(dir, "batches --run run --steps 3 --out b.npy");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(io::read_npy(dir.file("b.npy")).shape() == Shape{3, B});

  r = run_cli(dir, "batches");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "elbo batches: --run DIR is required"));
  r = run_cli(dir, "batches --run nowhere");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "--run nowhere: not a run directory (it has no config.txt)"));
  r = run_cli(dir, "batches --run run");  // the run's own --steps is 0
  CHECK(r.code == 1);
  CHECK(contains(r.output, "--steps must be at least 1 (the run in run has --steps 0)"));
}

TEST_CASE("reference: PyTorch replays elbo's Fashion-MNIST beta-VAE step for step (optional: python3-torch)") {
  if (std::system("/usr/bin/python3 -c 'import torch, numpy' > /dev/null 2>&1") != 0) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch and numpy (apt-get install python3-torch python3-numpy)");
    return;
  }
  if (!fs::exists(fs::path(data::kFashionMnistDir) / "train-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: no Fashion-MNIST in ", data::kFashionMnistDir, " (apt-get install dataset-fashion-mnist)");
    return;
  }
  const fs::path script = find_script();
  REQUIRE_MESSAGE(!script.empty(), "tools/reference/torch_fmnist_beta_vae.py not found");
  TempDir dir;

  // 1. The script's Philox4x32-10 and normal transform give elbo's draws, bit for bit (in double).
  const uint64_t stream = models::noise_stream(models::NoisePurpose::evaluation, 7);
  CliResult r = run_script(dir, script, "noise --seed 11 --stream " + std::to_string(stream) + " --counter 5 --count 64");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  std::istringstream lines(r.output);
  for (uint64_t j = 5; j < 5 + 64; ++j) {
    double value = 0;
    REQUIRE(static_cast<bool>(lines >> value));
    CHECK(value == philox_normal(11, stream, j));
  }

  // 2. The audit: 50 steps of β = 4, batch 64, Adam lr 1e-3 in elbo, then in PyTorch.
  const std::string options = "--dataset fashion-mnist --architecture fmnist_conv --objective beta_vae --beta 4 "
                              "--latents 10 --batch 64 --lr 1e-3 --seed 0 --threads 1";
  r = run_cli(dir, "train " + options + " --steps 0 --out initial");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  r = run_cli(dir, "train " + options + " --steps 50 --log-every 1 --out run");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  r = run_cli(dir, "batches --run run");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  const std::string replay = "replay --run run --initial initial/checkpoint.safetensors";
  r = run_script(dir, script, replay);
  MESSAGE(r.output);
  CHECK(r.code == 0);
  CHECK(contains(r.output, "AGREE: elbo and PyTorch agree over the first 50 steps"));

  // 3. It fails when it should: another β (visible once the KL has grown, after some 25 steps:
  //    the KL starts near 0.02 nats), or another learning rate (from step 2 on), is reported.
  r = run_script(dir, script, replay + " --beta 5");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "DISAGREE"));
  r = run_script(dir, script, replay + " --steps 3 --lr 2e-3");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "DISAGREE"));
}
