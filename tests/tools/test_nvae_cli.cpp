// elbo nvae {train, eval, sample}: errors that name the option, a run directory, bit-identical
// resumption after an interruption, evaluation and samples.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "cli_runner.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"

using namespace elbo;
using namespace elbo::testing;

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A tiny NVAE on generated dSprites (64×64): 3 halvings to 8×8, one group per scale.
std::string tiny_nvae(const std::string& out, int steps) {
  return "nvae train --dataset dsprites --channels 2 --latent-scales 2 --groups-per-scale 1 --latents-per-group 2 "
         "--preprocess-blocks 2 --postprocess-blocks 2 --batch 4 --seed 3 --log-every 2 --checkpoint-every 2 "
         "--threads 1 --steps " + std::to_string(steps) + " --out " + out;
}
}  // namespace

TEST_CASE("nvae cli: errors name the option and exit non-zero") {
  TempDir dir;
  CliResult r = run_cli(dir, "nvae frobnicate");
  CHECK(r.code == 2);
  CHECK(contains(r.output, "unknown subcommand 'frobnicate'"));
  r = run_cli(dir, "nvae train --chanels 4");
  CHECK(r.code == 2);
  CHECK(contains(r.output, "unknown option '--chanels' (did you mean --channels?)"));
  r = run_cli(dir, "nvae train --dataset dsprites --channels 0 --out x");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "channels must be positive, got 0 (option --channels)"));
  r = run_cli(dir, "nvae train --dataset dsprites --pad 1 --out x");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "image_size + 2·pad = 66 must be divisible by 2^(preprocess_blocks + latent_scales − 1) = 4"));
  CHECK(contains(r.output, "(options --pad, --preprocess-blocks, --latent-scales)"));
  r = run_cli(dir, "nvae train --dataset dsprites --steps 10 --warmup-steps 10 --out x");
  CHECK(contains(r.output, "warmup_steps must be in [0, steps), got 10 (option --warmup-steps)"));
  r = run_cli(dir, "nvae train --dataset dsprites --batch 1 --out x");
  CHECK(contains(r.output, "--batch must be at least 2"));
  CHECK_FALSE(std::filesystem::exists(dir.file("x")));
  r = run_cli(dir, "nvae eval --run nowhere");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "--run nowhere: no NVAE run there"));
  for (const char* sub : {"train", "eval", "sample"}) CHECK(run_cli(dir, std::string("nvae ") + sub + " --help").code == 0);
}

TEST_CASE("nvae cli: train writes a run directory that resumes bit for bit and that eval and sample read") {
  TempDir dir;
  CliResult r = run_cli(dir, tiny_nvae("whole", 6));
  REQUIRE_MESSAGE(r.code == 0, r.output);
  for (const char* f : {"config.txt", "model.json", "checkpoint.safetensors", "metrics.csv", "summary.json", "samples.png"})
    CHECK_MESSAGE(std::filesystem::is_regular_file(dir.file(std::string("whole/") + f)), f);
  json::Value summary = json::parse(io::read_text_file(dir.file("whole/summary.json")));
  CHECK(summary.at("finished").as_bool());
  CHECK(summary.at("steps").as_int() == 6);
  std::string metrics = io::read_text_file(dir.file("whole/metrics.csv"));
  CHECK(metrics.rfind("step,loss,reconstruction,kl,spectral,batchnorm,kl_coefficient,lr,kl_group_0,kl_group_1,"
                      "steps_per_second\n", 0) == 0);

  // Interrupted after 3 steps (as Ctrl-C), then resumed: the same checkpoint and metrics bytes.
  r = run_cli(dir, tiny_nvae("cut", 6) + " --stop-after 3");
  CHECK(r.code == 130);
  CHECK(contains(r.output, "resume with: elbo nvae train --out cut --resume"));
  r = run_cli(dir, "nvae train --out cut --resume");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(io::read_file(dir.file("whole/checkpoint.safetensors")) == io::read_file(dir.file("cut/checkpoint.safetensors")));
  CHECK(csv_without_last_columns(metrics, 1) ==
        csv_without_last_columns(io::read_text_file(dir.file("cut/metrics.csv")), 1));
  // A resumed run keeps its options.
  r = run_cli(dir, "nvae train --out cut --resume --steps 8 --lr 0.5");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "lr = 0.5 but the run in cut was trained with lr = 0.01"));
  // A different seed gives different bytes (the comparison above can fail).
  r = run_cli(dir, tiny_nvae("other", 6) + " --seed 4");
  REQUIRE(r.code == 0);
  CHECK(io::read_file(dir.file("whole/checkpoint.safetensors")) != io::read_file(dir.file("other/checkpoint.safetensors")));
  // An existing run is not overwritten by accident.
  r = run_cli(dir, tiny_nvae("whole", 6));
  CHECK(r.code == 1);
  CHECK(contains(r.output, "--out whole is not empty"));

  r = run_cli(dir, "nvae eval --run whole --images 8 --batch 4 --samples 3");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  json::Value e = json::parse(io::read_text_file(dir.file("whole/nvae_eval.json")));
  CHECK(e.at("images").as_int() == 8);
  CHECK(e.at("samples").as_int() == 3);
  CHECK(std::isfinite(e.at("log_likelihood").as_double()));
  CHECK(e.at("log_likelihood").as_double() < 0);
  CHECK(e.at("elbo").as_double() == doctest::Approx(-e.at("reconstruction").as_double() - e.at("kl").as_double()));

  r = run_cli(dir, "nvae sample --run whole --count 16 --temperature 0.7");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(std::filesystem::is_regular_file(dir.file("whole/samples_t0.7.png")));
  r = run_cli(dir, "nvae sample --run whole --temperature 0");
  CHECK(contains(r.output, "--temperature must be positive"));
}
