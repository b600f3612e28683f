#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

#include "cli_runner.hpp"
#include "elbo/data/dsprites.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/idx.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/io/png.hpp"
#include "elbo/ops.hpp"

using namespace elbo;
using namespace elbo::testing;

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A small MNIST-format dataset: n images of 12×12 with labels i mod 3, in the IDX files of both splits.
void write_idx_fixture(const TempDir& dir, int64_t n) {
  std::filesystem::create_directories(dir.file("digits"));
  std::vector<double> pixels, labels;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < 144; ++p) pixels.push_back(static_cast<double>((i * 37 + p * 11) % 256));
    labels.push_back(static_cast<double>(i % 3));
  }
  for (const char* split : {"train", "t10k"}) {
    io::write_idx(dir.file(std::string("digits/") + split + "-images-idx3-ubyte"),
                  from_vector(Shape{n, 12, 12}, pixels, DType::u8));
    io::write_idx(dir.file(std::string("digits/") + split + "-labels-idx1-ubyte"), from_vector(Shape{n}, labels, DType::u8));
  }
}
}  // namespace

TEST_CASE("cli: encode writes the documented arrays: means, logvars, indices, factors or labels") {
  TempDir dir;
  REQUIRE(run_cli(dir, tiny_run("run", 6)).code == 0);
  CliResult r = run_cli(dir, "encode --run run --count 12 --sample-seed 3");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  Tensor means = io::read_npy(dir.file("run/encoded/means.npy"));
  Tensor logvars = io::read_npy(dir.file("run/encoded/logvars.npy"));
  Tensor indices = io::read_npy(dir.file("run/encoded/indices.npy"));
  Tensor factors = io::read_npy(dir.file("run/encoded/factors.npy"));
  CHECK(means.shape() == Shape{12, 3});
  CHECK(means.dtype() == DType::f32);
  CHECK(logvars.shape() == Shape{12, 3});
  CHECK(indices.shape() == Shape{12});
  CHECK(indices.dtype() == DType::i64);
  CHECK(factors.shape() == Shape{12, 5});
  CHECK(factors.dtype() == DType::i64);
  CHECK_FALSE(std::filesystem::exists(dir.file("run/encoded/labels.npy")));
  // Distinct indices, each row's factors those of its index.
  data::Dsprites sprites;
  std::set<int64_t> distinct;
  for (int64_t i = 0; i < 12; ++i) {
    int64_t id = indices.data<int64_t>()[i];
    distinct.insert(id);
    std::vector<int64_t> f = sprites.factors(id);
    for (int64_t k = 0; k < 5; ++k) CHECK(factors.data<int64_t>()[i * 5 + k] == f[k]);
  }
  CHECK(distinct.size() == 12);
  // Another sample seed, other images; the same seed, the same bytes at any thread count. (Not at
  // any batch size: a matrix product's rounding depends on its number of rows.)
  REQUIRE(run_cli(dir, "encode --run run --count 12 --sample-seed 4 --out other").code == 0);
  CHECK(io::read_file(dir.file("other/indices.npy")) != io::read_file(dir.file("run/encoded/indices.npy")));
  REQUIRE(run_cli(dir, "encode --run run --count 12 --sample-seed 3 --out same --threads 2").code == 0);
  CHECK(io::read_file(dir.file("same/means.npy")) == io::read_file(dir.file("run/encoded/means.npy")));
  CHECK(io::read_file(dir.file("same/logvars.npy")) == io::read_file(dir.file("run/encoded/logvars.npy")));
}

TEST_CASE("cli: a labelled dataset: every image encoded in order, with its label, and rows that match the sample's indices") {
  TempDir dir;
  write_idx_fixture(dir, 40);
  CliResult r = run_cli(dir, "train --dataset mnist --data-dir digits --architecture mlp --hidden 16 --latents 2 "
                             "--batch 8 --steps 3 --threads 1 --out run");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  REQUIRE(run_cli(dir, "encode --run run").code == 0);
  Tensor all = io::read_npy(dir.file("run/encoded/means.npy"));
  Tensor labels = io::read_npy(dir.file("run/encoded/labels.npy"));
  Tensor indices = io::read_npy(dir.file("run/encoded/indices.npy"));
  CHECK(all.shape() == Shape{40, 2});
  REQUIRE(labels.shape() == Shape{40});
  for (int64_t i = 0; i < 40; ++i) {
    CHECK(indices.data<int64_t>()[i] == i);
    CHECK(labels.data<int64_t>()[i] == i % 3);
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("run/encoded/factors.npy")));
  // A sample's row k is the full encoding's row indices[k] (up to rounding: the batches differ).
  REQUIRE(run_cli(dir, "encode --run run --count 7 --sample-seed 2 --out sample").code == 0);
  Tensor some = io::read_npy(dir.file("sample/means.npy"));
  Tensor ids = io::read_npy(dir.file("sample/indices.npy"));
  Tensor some_labels = io::read_npy(dir.file("sample/labels.npy"));
  for (int64_t k = 0; k < 7; ++k) {
    int64_t id = ids.data<int64_t>()[k];
    for (int64_t j = 0; j < 2; ++j)
      CHECK(some.data<float>()[k * 2 + j] == doctest::Approx(all.data<float>()[id * 2 + j]).epsilon(1e-5));
    CHECK(some_labels.data<int64_t>()[k] == id % 3);
  }
  // The architecture "auto" chose for 12×12 images is written out.
  CliResult auto_run = run_cli(dir, "train --dataset mnist --data-dir digits --latents 2 --batch 8 --steps 1 --out auto");
  REQUIRE_MESSAGE(auto_run.code == 0, auto_run.output);
  CHECK(contains(io::read_text_file(dir.file("auto/config.txt")), "\narchitecture = fmnist_conv\n"));
}

TEST_CASE("cli: traverse, reconstruct, sample and eval write their pictures and numbers") {
  TempDir dir;
  REQUIRE(run_cli(dir, tiny_run("run", 6)).code == 0);
  CliResult r = run_cli(dir, "traverse --run run --columns 5 --kl-images 50");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  Tensor traversal = io::read_image(dir.file("run/traversal.png"));
  CHECK(traversal.size(1) == 3 * 64 + 4 * 2);  // one row per latent
  CHECK(contains(r.output, "latents by KL"));
  REQUIRE(run_cli(dir, "traverse --run run --rows 2 --image -1 --out two.png").code == 0);
  CHECK(io::read_image(dir.file("two.png")).size(1) == 2 * 64 + 3 * 2);

  REQUIRE(run_cli(dir, "reconstruct --run run --count 5 --columns 4").code == 0);
  Tensor pairs = io::read_image(dir.file("run/reconstruct.png"));
  CHECK(pairs.size(1) == 4 * 64 + 5 * 2);  // two pairs of rows: input, output
  REQUIRE(run_cli(dir, "sample --run run --count 6 --columns 3").code == 0);
  Tensor samples = io::read_image(dir.file("run/sample.png"));
  CHECK(samples.size(1) == 2 * 64 + 3 * 2);
  CHECK(samples.size(2) == 3 * 64 + 4 * 2);

  r = run_cli(dir, "eval --run run --count 20 --samples 4 --batch 7");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  json::Value e = json::parse(io::read_text_file(dir.file("run/eval.json")));
  CHECK(e.at("images").as_int() == 20);
  CHECK(e.at("importance_samples").as_int() == 4);
  CHECK(e.at("step").as_int() == 6);
  CHECK(e.at("kl_per_latent").size() == 3);
  double ll = e.at("log_likelihood_nats").as_double();
  CHECK(ll < 0);
  CHECK(e.at("log_likelihood_bits_per_dim").as_double() == doctest::Approx(-ll / (4096 * std::log(2.0))));
  CHECK(e.at("elbo_nats").as_double() ==
        doctest::Approx(-e.at("reconstruction_nats").as_double() - e.at("kl_nats").as_double()));
}

TEST_CASE("cli: bad run directories and checkpoints give one clear line and a non-zero exit") {
  TempDir dir;
  CliResult r = run_cli(dir, "traverse --run nowhere");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "elbo traverse: --run nowhere: no such directory"));
  r = run_cli(dir, "eval");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "--run DIR is required"));
  std::filesystem::create_directories(dir.file("empty"));
  r = run_cli(dir, "encode --run empty");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "not a run directory (it has no config.txt)"));

  REQUIRE(run_cli(dir, tiny_run("run", 3)).code == 0);
  std::vector<uint8_t> bytes = io::read_file(dir.file("run/checkpoint.safetensors"));
  io::write_file_atomic(dir.file("run/checkpoint.safetensors"),
                        std::span<const uint8_t>(bytes.data(), bytes.size() - 100));
  r = run_cli(dir, "sample --run run");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "run/checkpoint.safetensors"));
  CHECK(contains(r.output, "truncated or corrupt"));
  r = run_cli(dir, "train --out run --resume");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "truncated or corrupt"));
  std::filesystem::remove(dir.file("run/checkpoint.safetensors"));
  r = run_cli(dir, "reconstruct --run run");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "no checkpoint: run/checkpoint.safetensors does not exist"));

  io::write_file_atomic(dir.file("run/config.txt"), std::string("# elbo train\ndataset = cifar\n"));
  r = run_cli(dir, "eval --run run");
  CHECK(r.code == 1);
  CHECK(contains(r.output, "run/config.txt:2: dataset must be one of"));
}

TEST_CASE("cli: metrics --run scores a trained run's posterior means, and a run without factors is refused") {
  TempDir dir;
  REQUIRE(run_cli(dir, tiny_run("run", 6)).code == 0);
  CliResult r = run_cli(dir, "metrics --run run --metrics mig,modularity_explicitness --num-train 300 --num-test 100 "
                             "--threads 1 --out scores.json");
  INFO(r.output);
  REQUIRE(r.code == 0);
  json::Value scores = json::parse(io::read_text_file(dir.file("scores.json")), "scores.json");
  const json::Value* mig = scores.at("values").find("mig.discrete_mig");
  REQUIRE(mig != nullptr);
  CHECK(mig->as_double() >= 0.0);
  CHECK(mig->as_double() <= 1.0);
  // A second scoring with the same seed gives the same values, bit for bit (the timings differ).
  std::string first = json::dump(scores.at("values"));
  REQUIRE(run_cli(dir, "metrics --run run --metrics mig,modularity_explicitness --num-train 300 --num-test 100 "
                       "--threads 1 --out scores.json").code == 0);
  CHECK(json::dump(json::parse(io::read_text_file(dir.file("scores.json")), "scores.json").at("values")) == first);
  CliResult missing = run_cli(dir, "metrics --run nowhere");
  CHECK(missing.code != 0);
  CHECK(missing.output.find("nowhere") != std::string::npos);
}
