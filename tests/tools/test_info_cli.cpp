// `elbo info` end to end: the built program (its path comes from CMake) on a synthetic ensemble
// (info/synthetic_ensemble.hpp): the files it writes and their shapes, the hotspots it finds, the
// traversal hook, errors that name the bad file, and (when chromium is installed) that the report
// renders in a headless browser with no network.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "elbo/io/atomic_file.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/io/plot.hpp"
#include "elbo/io/png.hpp"
#include "info/synthetic_ensemble.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::testing;
namespace fs = std::filesystem;

namespace {

// prefix followed by the number k ("m" and 3 give "m3").
std::string numbered(const char* prefix, int64_t k) {
  std::string s = prefix;
  s += std::to_string(k);
  return s;
}

constexpr int64_t kModels = 6, kLatents = 5, kRows = 240;

struct Run {
  int status = -1;
  std::string out, err;
};

// Runs a shell command line with stdout and stderr captured in files of `dir`.
Run run(const TempDir& dir, const std::string& command) {
  const std::string out = dir.file("stdout.txt"), err = dir.file("stderr.txt");
  const int raw = std::system((command + " > '" + out + "' 2> '" + err + "'").c_str());
  Run r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = io::read_text_file(out);
  r.err = io::read_text_file(err);
  return r;
}

std::string elbo_info() { return std::string("'") + ELBO_CLI_PATH + "' info"; }

// Writes the synthetic ensemble: dirs m0 .. m5 under `root`; returns them as arguments.
std::string write_ensemble(const TempDir& dir, int64_t models = kModels) {
  std::string args;
  for (int64_t m = 0; m < models; ++m) {
    const std::string d = dir.file(numbered("m", m));
    fs::create_directories(d);
    write_synthetic_member(d, m, kRows, kLatents);
    args += " '" + d + "'";
  }
  return args;
}

Shape npy_shape(const std::string& path) { return io::read_npy(path).shape(); }

bool on_path(const std::string& program) { return std::system(("command -v " + program + " > /dev/null 2>&1").c_str()) == 0; }

}  // namespace

TEST_CASE("cli: info writes the numbers, hotspots and report of a synthetic ensemble") {
  TempDir dir;
  const std::string members = write_ensemble(dir);
  // Traversal images for model 0 only: the report embeds those of representatives from model 0.
  fs::create_directories(dir.file("m0/traversals"));
  for (int64_t j = 0; j < kLatents; ++j)
    io::write_png(dir.file(numbered("m0/traversals/latent-", j) + ".png"), full(Shape{3, 8, 16}, 0.5));
  const std::string out = dir.file("out");
  const Run r = run(dir, elbo_info() + " --posteriors" + members + " --out '" + out +
                             "' --points 200 --min-samples 4 --seed 5 --threads 1");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("report: " + out + "/report.html") != std::string::npos);
  CHECK(r.out.find("information and all-pairs NMI/VI of 30 channels at 200 points") != std::string::npos);

  const int64_t m = kModels * kLatents, kept = kModels * kSignals;
  CHECK(npy_shape(out + "/information.npy") == Shape{m});
  CHECK(npy_shape(out + "/nmi.npy") == Shape{m, m});
  CHECK(npy_shape(out + "/vi.npy") == Shape{m, m});
  CHECK(npy_shape(out + "/optics_ordering.npy") == Shape{kept});
  CHECK(io::read_npy(out + "/optics_ordering.npy").dtype() == DType::i64);
  CHECK(npy_shape(out + "/reachability.npy") == Shape{kept});
  CHECK(npy_shape(out + "/nmi_factors.npy") == Shape{m, kSignals});
  CHECK(npy_shape(out + "/fingerprint_indices.npy") == Shape{200});

  const json::Value hotspots = json::parse(io::read_text_file(out + "/hotspots.json"), "hotspots.json");
  REQUIRE(hotspots.at("hotspots").size() == 3);
  for (const json::Value& h : hotspots.at("hotspots").items()) {
    CHECK(h.at("size").as_int() == kModels);
    CHECK(h.at("models").as_int() == kModels);
    CHECK(h.at("members").size() == static_cast<size_t>(kModels));
    CHECK(h.at("mean_bits").as_double() > 1.0);
    CHECK(h.at("mean_nmi_with_factors").size() == 3);
  }

  const std::string csv = io::read_text_file(out + "/channels.csv");
  CHECK(csv.rfind("channel,model,latent,bits,kept,hotspot,dir\n", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == m + 1);
  CHECK(csv.find("\n7,1,2,") != std::string::npos);  // channel 7 = latent 2 of model 1

  const json::Value summary = json::parse(io::read_text_file(out + "/summary.json"), "summary.json");
  CHECK(summary.at("channels").as_int() == m);
  CHECK(summary.at("kept_channels").as_int() == kept);
  CHECK(summary.at("hotspots").as_int() == 3);
  CHECK(summary.at("threads").as_int() == 1);
  CHECK(summary.at("models").as_int() == kModels);

  // The report: matrices (NMI, exp(−VI)), the histogram, and a traversal for each hotspot whose
  // representative is in model 0.
  int64_t from_model0 = 0;
  for (const json::Value& h : hotspots.at("hotspots").items()) from_model0 += h.at("representative").at("model").as_int() == 0;
  const std::string html = io::read_text_file(out + "/report.html");
  size_t images = 0;
  for (size_t at = html.find("data:image/png;base64,"); at != std::string::npos; at = html.find("data:image/png;base64,", at + 1))
    ++images;
  CHECK(images == static_cast<size_t>(3 + from_model0));
  CHECK(html.find("<h2>Hotspots</h2>") != std::string::npos);
  CHECK(html.find("NMI factor 2") != std::string::npos);
  CHECK(html.find("http:") == std::string::npos);  // nothing to fetch: self-contained
  CHECK(html.find("https:") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  if (from_model0 < 3) CHECK(html.find("No traversal image for hotspot") != std::string::npos);
}

TEST_CASE("cli: info reads --posteriors-list and gives the same numbers at 1 and 2 threads") {
  TempDir dir;
  const std::string members = write_ensemble(dir, 4);
  std::string list = "# the ensemble\n";
  for (int64_t m = 0; m < 4; ++m) list += dir.file(numbered("m", m)) + "\n\n";
  io::write_file_atomic(dir.file("list.txt"), list);
  const std::string common = " --points 150 --min-samples 3 --distance nmi";
  Run one = run(dir, elbo_info() + " --posteriors-list '" + dir.file("list.txt") + "' --out '" + dir.file("a") + "' --threads 1" + common);
  INFO(one.err);
  REQUIRE(one.status == 0);
  Run two = run(dir, elbo_info() + " --posteriors" + members + " --out '" + dir.file("b") + "' --threads 2" + common);
  REQUIRE(two.status == 0);
  for (const char* file : {"information.npy", "nmi.npy", "vi.npy", "optics_ordering.npy", "reachability.npy", "hotspots.json"})
    CHECK(io::read_file(dir.file(std::string("a/") + file)) == io::read_file(dir.file(std::string("b/") + file)));
}

TEST_CASE("cli: info errors name the bad file or flag") {
  TempDir dir;
  const std::string members = write_ensemble(dir, 3);
  const std::string out = " --out '" + dir.file("out") + "' --points 100 --min-samples 3";

  // A missing file.
  fs::remove(dir.file("m1/logvars.npy"));
  Run r = run(dir, elbo_info() + " --posteriors" + members + out);
  CHECK(r.status == 1);
  CHECK(r.err.find(dir.file("m1/logvars.npy") + ": no such file") != std::string::npos);

  // Mismatched N.
  write_synthetic_member(dir.file("m1"), 1, kRows - 40, kLatents);
  r = run(dir, elbo_info() + " --posteriors" + members + out);
  CHECK(r.status == 1);
  CHECK(r.err.find(dir.file("m1") + " holds 200 posteriors but " + dir.file("m0") + " holds 240") != std::string::npos);

  // NaN in the means.
  write_synthetic_member(dir.file("m1"), 1, kRows, kLatents);
  std::vector<double> v = io::read_npy(dir.file("m2/means.npy")).to_vector();
  v[10 * kLatents + 4] = NAN;
  io::write_npy(dir.file("m2/means.npy"), from_vector(Shape{kRows, kLatents}, v));
  r = run(dir, elbo_info() + " --posteriors" + members + out);
  CHECK(r.status == 1);
  CHECK(r.err.find(dir.file("m2/means.npy") + ": element [10, 4] is nan") != std::string::npos);

  // Flags.
  write_synthetic_member(dir.file("m2"), 2, kRows, kLatents);
  r = run(dir, elbo_info() + out);
  CHECK(r.status == 2);
  CHECK(r.err.find("--posteriors DIR") != std::string::npos);
  r = run(dir, elbo_info() + " --posteriors" + members + out + " --distance euclid");
  CHECK(r.status == 2);
  CHECK(r.err.find("--distance must be one of vi, nmi") != std::string::npos);
  r = run(dir, elbo_info() + " --posteriors" + members + out + " --xi 1.5");
  CHECK(r.status == 2);
  CHECK(r.err.find("--xi must be in (0, 1)") != std::string::npos);
  r = run(dir, elbo_info() + " --posteriors" + members + out + " --points 1000");
  CHECK(r.status == 2);
  CHECK(r.err.find("--points 1000 exceeds the 240 data points in " + dir.file("m0")) != std::string::npos);
  r = run(dir, elbo_info() + " --posteriors-list '" + dir.file("nope.txt") + "'" + out);
  CHECK(r.status == 1);
  CHECK(r.err.find("--posteriors-list " + dir.file("nope.txt") + ": cannot read") != std::string::npos);
  if (!elbo::device_available(elbo::Device::cuda)) {  // a build or machine without a GPU says which
    r = run(dir, elbo_info() + " --posteriors" + members + out + " --device cuda");
    CHECK(r.status != 0);
    CHECK(r.err.find("--device cuda: ") != std::string::npos);
  }
  r = run(dir, elbo_info() + " --help");
  CHECK(r.status == 0);
  CHECK(r.out.find("--min-bits") != std::string::npos);
}

TEST_CASE("cli: info report renders in headless chromium without network (skipped when chromium is absent)") {
  if (!on_path("chromium")) {
    MESSAGE("chromium is not installed: skipping the browser check (apt-get install chromium to run it)");
    return;
  }
  TempDir dir;
  const std::string members = write_ensemble(dir, 4);
  const std::string out = dir.file("out");
  Run r = run(dir, elbo_info() + " --posteriors" + members + " --out '" + out + "' --points 120 --min-samples 3");
  REQUIRE(r.status == 0);
  const std::string browser = "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
                              "--no-first-run --host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir='" +
                              dir.file("profile") + "' ";  // no host name resolves: nothing can be fetched
  const std::string url = "file://" + out + "/report.html";
  r = run(dir, browser + "--dump-dom '" + url + "'");
  INFO(r.err);
  REQUIRE(r.status == 0);
  // The DOM holds the three figures as decoded <img> elements with their data URIs.
  size_t images = 0;
  for (size_t at = r.out.find("<img src=\"data:image/png;base64,"); at != std::string::npos;
       at = r.out.find("<img src=\"data:image/png;base64,", at + 1))
    ++images;
  CHECK(images == 3);
  CHECK(r.out.find("<h2>Hotspots</h2>") != std::string::npos);

  const std::string shot = dir.file("shot.png");
  r = run(dir, browser + "--hide-scrollbars --window-size=1000,1400 --screenshot='" + shot + "' '" + url + "'");
  REQUIRE(r.status == 0);
  REQUIRE(fs::exists(shot));
  const Tensor image = io::read_image(shot, 3);
  CHECK(image.size(2) == 1000);
  // Not blank: many non-white pixels, and some of them viridis colours of the matrices (strongly
  // blue-green or yellow-green, unlike text and page chrome, which are grey).
  const std::vector<double> px = image.to_vector();
  const int64_t plane = image.size(1) * image.size(2);
  int64_t inked = 0, coloured = 0;
  for (int64_t p = 0; p < plane; ++p) {
    const double red = px[static_cast<size_t>(p)], green = px[static_cast<size_t>(plane + p)],
                 blue = px[static_cast<size_t>(2 * plane + p)];
    inked += red + green + blue < 2.9;
    coloured += std::max({red, green, blue}) - std::min({red, green, blue}) > 0.3;
  }
  CHECK(inked > plane / 50);
  CHECK(coloured > 1000);
}
