// `elbo spaces` end to end: the built program on a synthetic ensemble (info/synthetic_ensemble.hpp):
// the files it writes and their shapes, the same bytes from a second run at another thread count,
// members whose rows come in another order, and errors that name the bad flag or file.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/ops/shape.hpp"
#include "info/synthetic_ensemble.hpp"
#include "cli_runner.hpp"

using namespace elbo;
using namespace elbo::testing;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kSpaceModels = 3, kSpaceLatents = 4, kSpaceRows = 200;

// Writes members m0 .. m{models−1} under dir; returns them as arguments.
std::string write_members(const TempDir& dir, int64_t models = kSpaceModels, int64_t rows = kSpaceRows) {
  std::string args;
  for (int64_t m = 0; m < models; ++m) {
    std::string name = "m";
    name += std::to_string(m);
    const std::string d = dir.file(name);
    fs::create_directories(d);
    write_synthetic_member(d, m, rows, kSpaceLatents);
    args += " '" + d + "'";
  }
  return args;
}

const char* const kFiles[] = {"spaces.json", "nmi.npy", "vi.npy", "nmi_error.npy", "vi_error.npy", "information.csv"};

}  // namespace

TEST_CASE("cli: spaces writes the whole-space estimates of a synthetic ensemble") {
  TempDir dir;
  const std::string members = write_members(dir);
  const CliResult r = run_cli(dir, "spaces --posteriors" + members + " --out out --samples 400 --seed 3 --threads 1");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("9 Monte Carlo estimates (3 models, 3 pairs) of 400 samples over 200 points") != std::string::npos);
  CHECK(r.output.find("I(U;X)/log2 N") != std::string::npos);
  for (const char* name : {"nmi.npy", "vi.npy", "nmi_error.npy", "vi_error.npy"}) {
    const Tensor t = io::read_npy(dir.file(std::string("out/") + name));
    CHECK(t.shape() == Shape{3, 3});
    CHECK(t.dtype() == DType::f64);
  }
  const std::vector<double> nmi = io::read_npy(dir.file("out/nmi.npy")).to_vector();
  const std::vector<double> vi_error = io::read_npy(dir.file("out/vi_error.npy")).to_vector();
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t b = 0; b < 3; ++b) {
      const size_t at = static_cast<size_t>(a * 3 + b);
      if (a == b) {
        CHECK(nmi[at] == 1.0);
        CHECK(vi_error[at] == 0.0);
      } else {
        // Every model copies the same three signals (with a little noise of its own): similar spaces.
        CHECK(nmi[at] > 0.7);
        CHECK(nmi[at] < 1.1);
        CHECK(vi_error[at] > 0.0);
      }
    }

  const std::string csv = io::read_text_file(dir.file("out/information.csv"));
  CHECK(csv.rfind("model,dims,bits,bits_error,fraction,fraction_error,", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);
  CHECK(csv.find("\n1,4,") != std::string::npos);  // model 1, 4 dimensions

  const json::Value doc = json::parse(io::read_text_file(dir.file("out/spaces.json")), "spaces.json");
  CHECK(doc.at("points").as_int() == kSpaceRows);
  CHECK(doc.at("samples").as_int() == 400);
  CHECK(doc.at("models").size() == 3);
  CHECK(doc.at("pairs").size() == 3);
  const json::Value& combined = doc.at("combined");
  CHECK(combined.at("information_fraction").at("models").as_int() == 3);
  CHECK(combined.at("nmi").at("pairs").as_int() == 3);
  const double fraction = combined.at("information_fraction").at("mean").as_double();
  CHECK(fraction > 0.2);
  CHECK(fraction < 1.0);
  const json::Value& model0 = doc.at("models").items()[0];
  CHECK(model0.at("information_bits").at("value").as_double() ==
        doctest::Approx(fraction * std::log2(static_cast<double>(kSpaceRows))).epsilon(0.2));
  const json::Value& pair = doc.at("pairs").items()[2];
  CHECK(pair.at("a").as_int() == 1);
  CHECK(pair.at("b").as_int() == 2);
  CHECK(pair.at("nmi").at("value").as_double() == nmi[1 * 3 + 2]);
}

TEST_CASE("cli: spaces gives the same bytes again, at another thread count and with rows reordered") {
  TempDir dir;
  const std::string members = write_members(dir);
  const std::string common = " --out out --samples 200 --seed 5";
  CliResult one = run_cli(dir, "spaces --posteriors" + members + common + " --threads 1");
  INFO(one.output);
  REQUIRE(one.code == 0);
  std::vector<std::string> first;
  for (const char* f : kFiles) first.push_back(io::read_text_file(dir.file(std::string("out/") + f)));

  // Member 1 again with its rows reversed: they are matched by dataset index.
  const SyntheticMember s = synthetic_member(1, kSpaceRows, kSpaceLatents);
  std::vector<int64_t> order;
  for (int64_t r = kSpaceRows - 1; r >= 0; --r) order.push_back(r);
  auto reversed = [&](const Tensor& t) {
    std::vector<Tensor> rows;
    for (int64_t r : order) rows.push_back(slice(t, 0, r, r + 1));
    return concat(rows, 0);
  };
  fs::create_directories(dir.file("m1r"));
  io::write_npy(dir.file("m1r/means.npy"), reversed(s.means));
  io::write_npy(dir.file("m1r/logvars.npy"), reversed(s.logvars));
  std::vector<double> indices = s.indices.to_vector();
  std::reverse(indices.begin(), indices.end());
  io::write_npy(dir.file("m1r/indices.npy"), from_vector(Shape{kSpaceRows}, indices, DType::i64));
  io::write_file_atomic(dir.file("list.txt"), "# the ensemble\n" + dir.file("m0") + "\n\n" + dir.file("m1r") + "\n" + dir.file("m2") + "\n");

  CliResult two = run_cli(dir, "spaces --posteriors-list list.txt" + common + " --threads 2");
  INFO(two.output);
  REQUIRE(two.code == 0);
  for (size_t k = 0; k < std::size(kFiles); ++k) {
    std::string again = io::read_text_file(dir.file(std::string("out/") + kFiles[k]));
    if (std::string(kFiles[k]) == "spaces.json" || std::string(kFiles[k]) == "information.csv") {
      // The member directory's name is part of these two files.
      auto strip = [&](std::string text) {
        for (size_t at; (at = text.find("m1r")) != std::string::npos;) text.replace(at, 3, "m1");
        return text;
      };
      again = strip(again);
    }
    CHECK_MESSAGE(again == first[k], kFiles[k], " differs between the runs");
  }
}

TEST_CASE("cli: spaces names the flag or file that is wrong") {
  TempDir dir;
  const std::string members = write_members(dir, 2);
  CliResult r = run_cli(dir, "spaces --posteriors" + members + " missing --out out");
  CHECK(r.code != 0);
  CHECK(r.output.find("missing: not a directory") != std::string::npos);

  fs::create_directories(dir.file("short"));
  write_synthetic_member(dir.file("short"), 2, kSpaceRows - 10, kSpaceLatents);
  r = run_cli(dir, "spaces --posteriors" + members + " short --out out --samples 50");
  CHECK(r.code != 0);
  CHECK(r.output.find("short holds 190 posteriors but") != std::string::npos);

  r = run_cli(dir, "spaces --posteriors" + members + " --samples 1");
  CHECK(r.code == 2);
  CHECK(r.output.find("--samples must be ≥ 2") != std::string::npos);
  r = run_cli(dir, "spaces --posteriors" + members + " --samples many");
  CHECK(r.code == 2);
  CHECK(r.output.find("--samples") != std::string::npos);
  r = run_cli(dir, "spaces --posteriors-list nowhere.txt");
  CHECK(r.code != 0);
  CHECK(r.output.find("--posteriors-list nowhere.txt: cannot read the file") != std::string::npos);
  r = run_cli(dir, "spaces --out out");
  CHECK(r.code == 2);
  CHECK(r.output.find("--posteriors DIR") != std::string::npos);
  r = run_cli(dir, "spaces --posteriors");
  CHECK(r.code == 2);
  CHECK(r.output.find("--posteriors needs at least one directory") != std::string::npos);
  r = run_cli(dir, "spaces --help");
  CHECK(r.code == 0);
  CHECK(r.output.find("--samples") != std::string::npos);
  CHECK(r.output.find("2000") != std::string::npos);
}

TEST_CASE("cli: spaces --ensemble encodes each finished member once") {
  TempDir dir;
  CliResult r = run_cli(dir, "ensemble --dataset dsprites --architecture mlp --hidden 24 --latents 3 --batch 8 --lr 1e-3 "
                             "--threads 1 --steps 6 --seed 5 --betas 1 --seeds 2 --out ens");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  const std::string command = "spaces --ensemble ens --count 60 --seed 2 --samples 100 --threads 1 --out sp";
  r = run_cli(dir, command);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("wrote means.npy") != std::string::npos);
  for (const char* member : {"ens/beta1-seed5", "ens/beta1-seed6"})
    CHECK(io::read_npy(dir.file(std::string(member) + "/encoded-60-seed2/means.npy")).shape() == Shape{60, 3});
  CHECK(io::read_npy(dir.file("sp/vi.npy")).shape() == Shape{2, 2});
  const std::string first = io::read_text_file(dir.file("sp/spaces.json"));
  r = run_cli(dir, command);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("wrote means.npy") == std::string::npos);  // the encodings are reused
  CHECK(io::read_text_file(dir.file("sp/spaces.json")) == first);
  r = run_cli(dir, "spaces --ensemble nowhere");
  CHECK(r.code == 1);
  CHECK(r.output.find("nowhere/ensemble.json") != std::string::npos);
}
