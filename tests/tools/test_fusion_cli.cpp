// `elbo fusion` end to end at a tiny size: the files it writes and their shapes, the same bits at 1
// and 2 threads, --resume, and its errors. Runs the `elbo` binary built next to elbo_tests.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/io/png.hpp"
#include "temp_dir.hpp"

using namespace elbo;

namespace {

std::string elbo_binary() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "elbo").string();
}

// Runs `elbo fusion <options>` with its output in `log`; returns the exit status.
int run_fusion(const std::string& options, const std::string& log) {
  std::string command = elbo_binary() + " fusion " + options + " > " + log + " 2>&1";
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const std::string kTiny =
    "--members 2,3 --repeats 2 --points 24 --steps 40 --batch 32 --width 16 --fusion-steps 60 --seed 3";

}  // namespace

TEST_CASE("cli: fusion writes its results") {
  REQUIRE_MESSAGE(std::filesystem::exists(elbo_binary()), "build the elbo command line first: ", elbo_binary());
  elbo::testing::TempDir dir;
  const std::string out = dir.file("run"), log = dir.file("log.txt");
  REQUIRE(run_fusion(kTiny + " --threads 1 --out " + out, log) == 0);
  std::string text = io::read_text_file(log);
  CHECK(text.find("trained 6 weak learners") != std::string::npos);  // 2 repeats × 3
  CHECK(text.find("exp(-VI)") != std::string::npos);

  // members.npy: μ and ln σ² of 6 learners at 24 points; fused.npy: 3 similarities × 2 sizes × 2 repeats.
  CHECK(io::read_npy(out + "/members.npy").shape() == Shape{6, 24, 2});
  Tensor fused = io::read_npy(out + "/fused.npy");
  CHECK(fused.shape() == Shape{3, 2, 2, 24, 4});
  std::string csv = io::read_text_file(out + "/fusion.csv");
  CHECK(csv.rfind("similarity,ensemble_size,repeat,continuity,objective_start,objective_end,seconds\n", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 12);
  CHECK(csv.find("\nnmi,3,1,") != std::string::npos);
  json::Value report = json::parse(io::read_text_file(out + "/fusion.json"));
  CHECK(report.at("training").at("steps").as_int() == 40);
  const json::Value& vi = report.at("continuity").at("exp_neg_vi");
  REQUIRE(vi.size() == 2);
  CHECK(vi[1].at("ensemble_size").as_int() == 3);
  CHECK(vi[1].at("continuity").size() == 2);
  CHECK(vi[1].at("continuity_mean").as_double() >= 1.0);  // max / 90th percentile
  // The figure: 3 rows × 2 columns of 160-pixel panels with 4-pixel margins, and row labels.
  Tensor png = io::read_image(out + "/fused_means.png");
  CHECK(png.size(0) == 3);
  CHECK(png.size(1) == 3 * 160 + 4 * 4);
  Tensor plot = io::read_image(out + "/continuity.png");
  CHECK(plot.shape() == Shape{3, 340, 520});

  // The same bits at 2 threads.
  const std::string out2 = dir.file("run2");
  REQUIRE(run_fusion(kTiny + " --threads 2 --out " + out2, log) == 0);
  CHECK(io::read_file(out + "/members.npy") == io::read_file(out2 + "/members.npy"));
  CHECK(io::read_file(out + "/fused.npy") == io::read_file(out2 + "/fused.npy"));

  // --resume trains nothing again and fuses the same learners to the same results.
  REQUIRE(run_fusion(kTiny + " --threads 1 --resume --out " + out2, log) == 0);
  CHECK(io::read_text_file(log).find("resuming: 6 of 6 weak learners") != std::string::npos);
  CHECK(json::parse(io::read_text_file(out2 + "/fusion.json")).at("time").at("learners_trained").as_int() == 0);
  CHECK(io::read_file(out + "/fused.npy") == io::read_file(out2 + "/fused.npy"));
  // … but refuses learners trained with other settings, and a damaged file.
  CHECK(run_fusion(kTiny + " --beta 0.1 --resume --out " + out2, log) == 2);
  CHECK(io::read_text_file(log).find("was trained with other settings") != std::string::npos);
  io::write_file_atomic(out2 + "/members.npy", std::string("not an array"));
  CHECK(run_fusion(kTiny + " --resume --out " + out2, log) == 1);
  CHECK(io::read_text_file(log).find("members.npy: ") != std::string::npos);
}

TEST_CASE("cli: fusion rejects bad options") {
  REQUIRE(std::filesystem::exists(elbo_binary()));
  elbo::testing::TempDir dir;
  const std::string log = dir.file("log.txt");
  CHECK(run_fusion("--members 3,2 --out " + dir.file("a"), log) == 2);
  CHECK(io::read_text_file(log).find("--members expects increasing integers") != std::string::npos);
  CHECK(run_fusion("--similarities nmi,cka --out " + dir.file("a"), log) == 2);
  CHECK(io::read_text_file(log).find("got 'cka'") != std::string::npos);
  CHECK(run_fusion("--fusion-optimizer rmsprop", log) == 2);
  CHECK(run_fusion("--points 2", log) == 2);
  CHECK(run_fusion("--help", log) == 0);
  CHECK(io::read_text_file(log).find("--fusion-lr") != std::string::npos);
}
