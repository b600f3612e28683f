#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_runner.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"
#include "elbo/ops/backend.hpp"

using namespace elbo;
using namespace elbo::testing;

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
std::string read(const TempDir& dir, const std::string& name) { return io::read_text_file(dir.file(name)); }
}  // namespace

TEST_CASE("cli: option and config-file errors name the option or the line, and exit non-zero") {
  TempDir dir;
  CliResult r = run_cli(dir, "train --latnets 4");
  CHECK(r.code == 2);
  CHECK(contains(r.output, "unknown option '--latnets' (did you mean --latents?)"));

  r = run_cli(dir, "train --dataset cifar");
  CHECK(r.code == 2);
  CHECK(contains(r.output, "--dataset must be one of dsprites, scenes3d, fashion-mnist, mnist, dsprites-file, images, got 'cifar'"));

  io::write_file_atomic(dir.file("bad.txt"), std::string("# a run\nlatents = 4\nbeta 4\n"));
  r = run_cli(dir, "train --config bad.txt");
  CHECK(r.code == 2);
  CHECK(contains(r.output, "bad.txt:3: expected 'name = value', got 'beta 4'"));
  io::write_file_atomic(dir.file("bad.txt"), std::string("latents = 4\n\nsteps = many\n"));
  r = run_cli(dir, "train --config bad.txt");
  CHECK(contains(r.output, "bad.txt:3: steps expects an integer, got 'many'"));

  // Values that parse but do not fit are refused by the option's name (exit code 1).
  r = run_cli(dir, "train --objective factor_vae --beta 4 --out x");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "elbo train: --beta does not apply to --objective factor_vae"));
  r = run_cli(dir, "train --latents 0 --out x");
  CHECK(contains(r.output, "--latents must be at least 1, got 0"));
  r = run_cli(dir, "train --dataset mnist --out x");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "--dataset mnist needs --data-dir"));
  r = run_cli(dir, "train --device cuda --out x");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "--device cuda"));
  CHECK_FALSE(std::filesystem::exists(dir.file("x")));  // nothing was written

  r = run_cli(dir, "frobnicate");
  CHECK(r.code == 2);
  CHECK(contains(r.output, "unknown command 'frobnicate'"));
  CHECK(run_cli(dir, "train --help").code == 0);
}

TEST_CASE("cli: a training run writes its directory, and config.txt trains the same run again") {
  TempDir dir;
  CliResult r = run_cli(dir, tiny_run("run", 10));
  REQUIRE_MESSAGE(r.code == 0, r.output);
  for (const char* f : {"config.txt", "checkpoint.safetensors", "metrics.csv", "summary.json", "samples.png",
                        "reconstructions.png"})
    CHECK_MESSAGE(std::filesystem::is_regular_file(dir.file(std::string("run/") + f)), f);
  json::Value summary = json::parse(read(dir, "run/summary.json"));
  CHECK(summary.at("finished").as_bool());
  CHECK(summary.at("steps").as_int() == 10);
  CHECK(summary.at("kl_per_latent").size() == 3);
  CHECK(summary.at("beta_norm").as_double() == doctest::Approx(4.0 * 3 / 4096));  // β·L/D
  std::string metrics = read(dir, "run/metrics.csv");
  CHECK(metrics.rfind("step,loss,reconstruction,kl,kl_0,kl_1,kl_2,steps_per_second\n", 0) == 0);
  CHECK(csv_without_last_columns(metrics, 0).size() == 4);  // header, steps 4, 8, 10
  CHECK(contains(metrics, "\n10,"));

  // The same run from its config.txt, into another directory: the same checkpoint bytes.
  r = run_cli(dir, "train --config run/config.txt --out again");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(io::read_file(dir.file("run/checkpoint.safetensors")) == io::read_file(dir.file("again/checkpoint.safetensors")));
  // A different seed gives a different run (the comparison above can fail).
  r = run_cli(dir, "train --config run/config.txt --out other --seed 6");
  REQUIRE(r.code == 0);
  CHECK(io::read_file(dir.file("run/checkpoint.safetensors")) != io::read_file(dir.file("other/checkpoint.safetensors")));
}

TEST_CASE("cli: a run interrupted and resumed is bit-identical to one never interrupted") {
  TempDir dir;
  REQUIRE(run_cli(dir, tiny_run("straight", 22)).code == 0);

  // Interrupted after step 9: between two checkpoints and inside a logging interval.
  CliResult r = run_cli(dir, tiny_run("resumed", 22) + " --stop-after 9");
  CHECK(r.code == 130);
  CHECK(contains(r.output, "interrupted at step 9 of 22"));
  CHECK(contains(r.output, "resume with: elbo train --out resumed --resume"));
  json::Value summary = json::parse(read(dir, "resumed/summary.json"));
  CHECK_FALSE(summary.at("finished").as_bool());
  CHECK(summary.at("steps").as_int() == 9);

  // Without --resume or --force the directory is refused; a changed option is refused on resume.
  r = run_cli(dir, tiny_run("resumed", 22));
  CHECK(r.code == 1);
  CHECK(contains(r.output, "holds an unfinished run (at step 9); pass --resume"));
  r = run_cli(dir, "train --out resumed --resume --lr 0.01");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "--lr is 0.01 but the run in resumed was trained with 0.001"));

  // A row logged after the checkpoint by a run killed without saving is dropped on resume.
  {
    std::ofstream log(dir.file("resumed/metrics.csv"), std::ios::app);
    log << "12,1,2,3,4,5,6,7\n13,1,2";
  }
  // Resumed on two threads: neither the interruption nor the thread count changes a bit.
  r = run_cli(dir, "train --out resumed --resume --threads 2");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(contains(r.output, "resuming resumed at step 9"));
  CHECK(io::read_file(dir.file("straight/checkpoint.safetensors")) ==
        io::read_file(dir.file("resumed/checkpoint.safetensors")));
  CHECK(csv_without_last_columns(read(dir, "straight/metrics.csv"), 1) ==
        csv_without_last_columns(read(dir, "resumed/metrics.csv"), 1));
  CHECK(json::parse(read(dir, "resumed/summary.json")).at("finished").as_bool());

  // Finished: --resume has nothing to do, a plain run is refused, --resume with more steps continues.
  r = run_cli(dir, "train --out resumed --resume");
  CHECK(r.code == 0);
  CHECK(contains(r.output, "nothing to do"));
  r = run_cli(dir, tiny_run("resumed", 22));
  CHECK(r.code == 1);
  CHECK(contains(r.output, "holds a finished run (22 steps); pass --force"));
  r = run_cli(dir, "train --out resumed --resume --steps 26");
  CHECK(r.code == 0);
  CHECK(json::parse(read(dir, "resumed/summary.json")).at("steps").as_int() == 26);
  CHECK(contains(read(dir, "resumed/config.txt"), "\nsteps = 26\n"));
}

TEST_CASE("cli: train refuses a foreign directory without --force, and --force starts a run over") {
  TempDir dir;
  std::filesystem::create_directories(dir.file("mine"));
  io::write_file_atomic(dir.file("mine/notes.txt"), std::string("keep me"));
  CliResult r = run_cli(dir, tiny_run("mine", 4));
  CHECK(r.code == 1);
  CHECK(contains(r.output, "--out mine is not empty and holds no elbo run; pass --force"));
  r = run_cli(dir, tiny_run("mine", 4) + " --resume");
  CHECK(r.code == 1);
  r = run_cli(dir, tiny_run("mine", 4) + " --force");
  CHECK(r.code == 0);
  CHECK(read(dir, "mine/notes.txt") == "keep me");  // --force writes the run's files, removes nothing else
  // --force on a finished run: trained again from step 0.
  r = run_cli(dir, tiny_run("mine", 4) + " --force --seed 9");
  CHECK(r.code == 0);
  CHECK(contains(read(dir, "mine/config.txt"), "\nseed = 9\n"));
  CHECK(read(dir, "mine/notes.txt") == "keep me");
}

TEST_CASE("cli: an ensemble trains each member once, resumes an interrupted one and skips finished ones") {
  TempDir dir;
  const std::string ensemble = "ensemble --dataset dsprites --architecture mlp --hidden 24 --latents 3 --batch 8 "
                               "--lr 1e-3 --log-every 4 --checkpoint-every 6 --threads 1 --steps 10 --seed 5 "
                               "--betas 1,2.5 --seeds 2 --out ens";
  CliResult r = run_cli(dir, ensemble + " --stop-after 7");
  CHECK(r.code == 130);
  json::Value index = json::parse(read(dir, "ens/ensemble.json"));
  REQUIRE(index.at("members").size() == 4);
  CHECK(index.at("members")[0].at("dir").as_string() == "beta1-seed5");
  CHECK(index.at("members")[0].at("status").as_string() == "interrupted");
  CHECK(index.at("members")[1].at("status").as_string() == "pending");
  CHECK(index.at("members")[3].at("dir").as_string() == "beta2.5-seed6");
  CHECK(index.at("members")[3].at("seed").as_int() == 6);
  CHECK(index.at("members")[3].at("beta").as_double() == 2.5);

  r = run_cli(dir, ensemble);
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(contains(r.output, "beta1-seed5: resuming"));
  CHECK(contains(r.output, "beta2.5-seed6: training"));
  index = json::parse(read(dir, "ens/ensemble.json"));
  for (const json::Value& m : index.at("members").items()) CHECK(m.at("status").as_string() == "finished");

  // The resumed member is the run `elbo train` makes with its options.
  r = run_cli(dir, tiny_run("single", 10) + " --beta 1");
  REQUIRE(r.code == 0);
  CHECK(io::read_file(dir.file("single/checkpoint.safetensors")) ==
        io::read_file(dir.file("ens/beta1-seed5/checkpoint.safetensors")));

  // Again: every member is finished and skipped (its files are not touched).
  io::write_file_atomic(dir.file("ens/beta2.5-seed5/metrics.csv"), std::string("left alone\n"));
  r = run_cli(dir, ensemble);
  CHECK(r.code == 0);
  CHECK(contains(r.output, "[3/4] beta2.5-seed5: finished, skipped"));
  CHECK(read(dir, "ens/beta2.5-seed5/metrics.csv") == "left alone\n");

  r = run_cli(dir, "ensemble --objective factor_vae --betas 1,2 --out ens2");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "member beta1-seed0: --beta does not apply to --objective factor_vae"));
}

TEST_CASE("cli: an ensemble trained in one pass writes the files of training its members one by one") {
  TempDir dir;
  const std::string ensemble = "ensemble --dataset dsprites --architecture mlp --hidden 24 --latents 3 --batch 8 "
                               "--lr 1e-3 --log-every 4 --checkpoint-every 6 --threads 1 --steps 10 --seed 5 "
                               "--betas 1,2.5 --seeds 2";
  CliResult r = run_cli(dir, ensemble + " --out seq");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  // One pass, interrupted and resumed.
  r = run_cli(dir, ensemble + " --out one --one-pass --stop-after 7");
  CHECK(r.code == 130);
  CHECK(contains(r.output, "one pass: 4 members from step 0 to 10"));
  json::Value index = json::parse(read(dir, "one/ensemble.json"));
  for (const json::Value& m : index.at("members").items()) CHECK(m.at("status").as_string() == "interrupted");
  r = run_cli(dir, ensemble + " --out one --one-pass");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(contains(r.output, "one pass: 4 members from step 7 to 10"));
  // Members at different steps: one sequential member stopped at 7, the others fresh, form two groups.
  r = run_cli(dir, ensemble + " --out mixed --stop-after 7");
  CHECK(r.code == 130);
  r = run_cli(dir, ensemble + " --out mixed --one-pass");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(contains(r.output, "one pass: 3 members from step 0 to 10"));
  CHECK(contains(r.output, "one pass: 1 members from step 7 to 10"));
  // Checkpoints and metrics (but for the speed column) are those of the one-by-one ensemble.
  auto without_speed = [](const std::string& csv) {
    std::string out;
    size_t start = 0;
    while (start < csv.size()) {
      size_t end = csv.find('\n', start);
      std::string line = csv.substr(start, end - start);
      out += line.substr(0, line.rfind(',')) + "\n";
      start = end + 1;
    }
    return out;
  };
  for (const char* member : {"beta1-seed5", "beta1-seed6", "beta2.5-seed5", "beta2.5-seed6"}) {
    for (const char* run : {"one", "mixed"}) {
      const std::string path = std::string(run) + "/" + member;
      CHECK_MESSAGE(io::read_file(dir.file(path + "/checkpoint.safetensors")) ==
                        io::read_file(dir.file(std::string("seq/") + member + "/checkpoint.safetensors")),
                    path);
      CHECK_MESSAGE(without_speed(read(dir, path + "/metrics.csv")) ==
                        without_speed(read(dir, std::string("seq/") + member + "/metrics.csv")),
                    path);
    }
  }
  CHECK(io::read_file(dir.file("seq/beta1-seed5/checkpoint.safetensors")) !=
        io::read_file(dir.file("seq/beta1-seed6/checkpoint.safetensors")));
  // A member that diverges fails alone; the others finish.
  r = run_cli(dir, "ensemble --dataset dsprites --architecture mlp --hidden 24 --latents 3 --batch 8 --threads 1 "
                   "--steps 6 --sweep lr --values 1e-3,1e30 --seeds 1 --one-pass --out diverging");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "member lr1e+30-seed0 failed: the loss became "));  // nan or inf
  index = json::parse(read(dir, "diverging/ensemble.json"));
  CHECK(index.at("members")[0].at("status").as_string() == "finished");
  CHECK(index.at("members")[1].at("status").as_string() == "failed");
  if (!device_available(Device::cuda)) {  // refused before any member directory is made
    r = run_cli(dir, "ensemble --betas 1,2 --one-pass --device cuda --out no-gpu");
    CHECK(r.code == 1);
    CHECK(contains(r.output, "elbo ensemble: --device cuda"));
    CHECK_FALSE(std::filesystem::exists(dir.file("no-gpu")));
  }
  r = run_cli(dir, "ensemble --sweep latents --values 2,3 --one-pass --out lat");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "--one-pass trains members of one network"));
}
