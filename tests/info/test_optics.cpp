// OPTICS (info/optics.hpp): known clusters, the reachability recurrence, the predecessor rules,
// hotspots from similarity matrices, errors; and, where Python with scikit-learn is installed, the
// exact ordering, reachability, predecessors and labels of sklearn.cluster.OPTICS on the same
// precomputed distances (the test says so and passes when it is absent).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "elbo/info/nmi_vi.hpp"
#include "elbo/info/optics.hpp"
#include "gradcheck.hpp"

using namespace elbo;

namespace {

// Euclidean distances between points [n, d] given row-major.
Tensor euclidean(const std::vector<double>& p, int64_t n, int64_t d) {
  std::vector<double> out(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < d; ++k) {
        double t = p[static_cast<size_t>(i * d + k)] - p[static_cast<size_t>(j * d + k)];
        s += t * t;
      }
      out[static_cast<size_t>(i * n + j)] = std::sqrt(s);
    }
  return from_vector(Shape{n, n}, out, DType::f64);
}

// Three tight groups of ten on a line (0.0..0.9, 10.0..10.9, 20.0..20.9) and an outlier at 50.
Tensor three_groups() {
  std::vector<double> p;
  for (int g = 0; g < 3; ++g)
    for (int k = 0; k < 10; ++k) p.push_back(10.0 * g + 0.1 * k);
  p.push_back(50.0);
  return euclidean(p, 31, 1);
}

// Blobs in 2-D with different spreads plus uniform noise: 65 points.
Tensor blobs() {
  std::vector<double> p;
  const double centres[3][3] = {{0, 0, 0.5}, {6, 1, 1.0}, {2, 8, 0.3}};  // x, y, spread
  uint64_t j = 0;
  for (const auto& c : centres)
    for (int k = 0; k < 20; ++k, j += 2)
      p.insert(p.end(), {c[0] + c[2] * philox_normal(3, 0, j), c[1] + c[2] * philox_normal(3, 0, j + 1)});
  for (int k = 0; k < 5; ++k, j += 2) p.insert(p.end(), {-4 + 14 * philox_uniform(3, 1, j), -4 + 14 * philox_uniform(3, 1, j + 1)});
  return euclidean(p, 65, 2);
}

// Points on a 7×7 integer grid with a few holes, Manhattan distances: integers, many ties.
Tensor grid_with_ties() {
  std::vector<double> p;
  for (int x = 0; x < 7; ++x)
    for (int y = 0; y < 7; ++y)
      if ((x * 7 + y) % 5 != 3) p.insert(p.end(), {static_cast<double>(x), static_cast<double>(y)});
  const int64_t n = static_cast<int64_t>(p.size() / 2);
  std::vector<double> out(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < n; ++k)
      out[static_cast<size_t>(i * n + k)] = std::abs(p[static_cast<size_t>(2 * i)] - p[static_cast<size_t>(2 * k)]) +
                                            std::abs(p[static_cast<size_t>(2 * i + 1)] - p[static_cast<size_t>(2 * k + 1)]);
  return from_vector(Shape{n, n}, out, DType::f64);
}

// VI between channels that are noisy copies of four prototypes (an ensemble with hotspots), and
// two channels without information.
info::SimilarityMatrices hotspot_similarity() {
  const int64_t n = 120, per = 8, prototypes = 4, m = prototypes * per + 2;
  std::vector<double> means(static_cast<size_t>(n * m)), logvars(static_cast<size_t>(n * m));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < m; ++c) {
      int64_t proto = c / per;
      double base = proto < prototypes ? philox_normal(4, static_cast<uint64_t>(proto), static_cast<uint64_t>(i)) : 0.0;
      double noise = 0.15 * philox_normal(5, static_cast<uint64_t>(c), static_cast<uint64_t>(i));
      means[static_cast<size_t>(i * m + c)] = proto < prototypes ? base + noise : 0.0;
      logvars[static_cast<size_t>(i * m + c)] = proto < prototypes ? -3.0 : 0.0;
    }
  info::ChannelSet set = info::gaussian_channels(from_vector(Shape{n, m}, means, DType::f64),
                                                 from_vector(Shape{n, m}, logvars, DType::f64));
  return info::channel_similarity(set);
}

// The recurrence every OPTICS result satisfies: reach(o) = round15(max(core(pred), d(pred, o))).
void check_reachability(const info::OpticsResult& r, const Tensor& distances) {
  std::vector<double> d = distances.to_vector();
  const int64_t n = distances.size(0);
  CHECK(std::isinf(r.reachability[static_cast<size_t>(r.ordering[0])]));
  CHECK(r.ordering[0] == 0);
  for (int64_t o = 0; o < n; ++o) {
    int64_t p = r.predecessor[static_cast<size_t>(o)];
    if (p < 0) continue;
    double want = std::max(r.core_distances[static_cast<size_t>(p)], d[static_cast<size_t>(p * n + o)]);
    CHECK(r.reachability[static_cast<size_t>(o)] == doctest::Approx(want).epsilon(1e-14));
  }
}

}  // namespace

TEST_CASE("info: OPTICS finds three groups") {
  Tensor d = three_groups();
  info::OpticsResult r = info::optics(d, {.min_samples = 3});
  check_reachability(r, d);
  for (int g = 0; g < 3; ++g)
    for (int k = 0; k < 10; ++k) CHECK(r.labels[static_cast<size_t>(10 * g + k)] == g);
  // Core distances by hand: the third smallest distance, the point itself included.
  CHECK(r.core_distances[0] == doctest::Approx(0.2));
  CHECK(r.core_distances[5] == doctest::Approx(0.1));
  CHECK(r.core_distances[30] == doctest::Approx(50.0 - 20.8));
  // The first group is processed in order; the second is entered from 0.9 at reachability 9.1.
  for (int k = 0; k < 10; ++k) CHECK(r.ordering[static_cast<size_t>(k)] == k);
  CHECK(r.ordering[10] == 10);
  CHECK(r.reachability[10] == doctest::Approx(9.1));
  CHECK(r.predecessor[10] == 9);
}

TEST_CASE("info: OPTICS predecessor correction, as in the paper and as in scikit-learn 1.2") {
  // Groups at 0.0..0.9 and 10.0..10.9, an outlier at 50 (point 20), a group at 20.0..20.9. The outlier
  // is processed last, reached from 20.9 (point 30), so the reachability plot ends ... 0.1, 29.1, ∞.
  std::vector<double> p;
  for (int k = 0; k < 20; ++k) p.push_back(10.0 * (k / 10) + 0.1 * (k % 10));
  p.push_back(50.0);
  for (int k = 0; k < 10; ++k) p.push_back(20.0 + 0.1 * k);
  Tensor d = euclidean(p, 31, 1);
  // Schubert & Gertz's Algorithm 2 keeps the last point of the valley when its predecessor lies in
  // the cluster: the outlier's predecessor is point 30, so it closes the third cluster.
  info::OpticsResult paper = info::optics(d, {.min_samples = 3});
  CHECK(paper.ordering.back() == 20);
  CHECK(paper.predecessor[20] == 30);
  CHECK(paper.labels[20] == 2);
  // scikit-learn ≤ 1.2 compares ordering[predecessor] = ordering[30] = 20 instead, which is not in the
  // cluster: the outlier becomes noise (sklearn 1.2.1 prints labels 0×10, 1×10, −1, 2×10).
  info::OpticsResult old = info::optics(d, {.min_samples = 3, .correction = info::PredecessorCorrection::sklearn_1_2});
  CHECK(old.labels[20] == -1);
  for (int k = 21; k < 31; ++k) CHECK(old.labels[static_cast<size_t>(k)] == 2);
  CHECK(old.reachability == paper.reachability);
}

TEST_CASE("info: OPTICS on blobs and ties keeps the reachability recurrence") {
  for (Tensor d : {blobs(), grid_with_ties()}) {
    info::OpticsResult r = info::optics(d, {.min_samples = 4});
    check_reachability(r, d);
    std::vector<int64_t> sorted = r.ordering;
    std::sort(sorted.begin(), sorted.end());
    for (size_t k = 0; k < sorted.size(); ++k) CHECK(sorted[k] == static_cast<int64_t>(k));
  }
  info::OpticsResult b = info::optics(blobs(), {.min_samples = 5});
  // Each blob's points share a label, and the blobs differ.
  for (int g = 0; g < 3; ++g) {
    int64_t l = b.labels[static_cast<size_t>(20 * g + 10)];
    CHECK(l >= 0);
    int same = 0;
    for (int k = 0; k < 20; ++k) same += b.labels[static_cast<size_t>(20 * g + k)] == l;
    CHECK(same >= 18);
  }
  CHECK(b.labels[10] != b.labels[30]);
  CHECK(b.labels[30] != b.labels[50]);
}

TEST_CASE("info: OPTICS input errors") {
  Tensor d = three_groups();
  CHECK_THROWS_WITH_AS(info::optics(d, {.min_samples = 1}), doctest::Contains("min_samples"), Error);
  CHECK_THROWS_WITH_AS(info::optics(d, {.min_samples = 40}), doctest::Contains("min_samples"), Error);
  CHECK_THROWS_WITH_AS(info::optics(elbo::testing::f64({2, 2}, {0, -1, -1, 0}), {.min_samples = 2}),
                       doctest::Contains("non-negative"), Error);
  CHECK_THROWS_WITH_AS(info::optics(d, {.xi = 1.5}), doctest::Contains("xi"), Error);
}

TEST_CASE("info: hotspots group copies of the same channel") {
  info::SimilarityMatrices s = hotspot_similarity();
  for (info::HotspotDistance kind : {info::HotspotDistance::vi, info::HotspotDistance::nmi}) {
    info::HotspotOptions o{.distance = kind, .optics = {.min_samples = 5}};
    info::Hotspots h = info::find_hotspots(s, o);
    REQUIRE(h.channels.size() == 32);  // the two uninformative channels are dropped
    CHECK(h.channels.back() == 31);
    for (int p = 0; p < 4; ++p) {
      int64_t l = h.clustering.labels[static_cast<size_t>(8 * p)];
      CHECK(l >= 0);
      for (int k = 0; k < 8; ++k) CHECK(h.clustering.labels[static_cast<size_t>(8 * p + k)] == l);
      if (p > 0) CHECK(l != h.clustering.labels[static_cast<size_t>(8 * (p - 1))]);
    }
    std::vector<double> dist = h.distances.to_vector();
    for (double v : dist) CHECK(v >= 0);
  }
  CHECK_THROWS_WITH_AS(info::find_hotspots(s, {.min_information = 100.0}), doctest::Contains("carry at least"), Error);
}

TEST_CASE("info: OPTICS matches scikit-learn exactly (optional: needs python3 with sklearn)") {
  if (std::system("/usr/bin/python3 -c 'import sklearn' > /dev/null 2>&1") != 0) {
    MESSAGE("python3 with scikit-learn not found: comparison skipped");
    return;
  }
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("elbo_optics_" + std::to_string(getpid()));
  fs::create_directories(dir);
  // One Python process for every case (importing sklearn dominates the time): for each argument
  // pair (matrix file, min_samples) it writes the results to the matrix file's name + ".out".
  const std::string script = R"(
import sys, numpy as np, sklearn
from sklearn.cluster import OPTICS
for path, k in zip(sys.argv[1::2], sys.argv[2::2]):
    c = OPTICS(min_samples=int(k), metric='precomputed').fit(np.loadtxt(path, ndmin=2))
    with open(path + '.out', 'w') as f:
        f.write(sklearn.__version__ + '\n')
        for row in (c.ordering_, c.predecessor_, c.labels_):
            f.write(' '.join(str(int(v)) for v in row) + '\n')
        for row in (c.reachability_, c.core_distances_):
            f.write(' '.join(repr(float(v)) for v in row) + '\n')
)";
  {
    std::ofstream(dir / "optics.py") << script;
  }
  info::SimilarityMatrices hs = hotspot_similarity();
  info::Hotspots hot = info::find_hotspots(hs, {.optics = {.min_samples = 5}});
  struct Case {
    const char* name;
    Tensor d;
    int64_t min_samples;
  };
  std::vector<Case> cases = {{"three groups", three_groups(), 3}, {"blobs", blobs(), 5},  {"blobs k=2", blobs(), 2},
                             {"ties", grid_with_ties(), 4},       {"ties k=7", grid_with_ties(), 7},
                             {"hotspot VI", hot.distances, 5}};
  auto matrix_file = [&](size_t k) {  // d<k>.txt (appended piecewise: GCC 12 misreports "d" + … + ".txt")
    std::string name = "d";
    name += std::to_string(k);
    name += ".txt";
    return dir / name;
  };
  std::string cmd = "/usr/bin/python3 ";
  cmd += (dir / "optics.py").string();
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    const int64_t n = c.d.size(0);
    std::vector<double> d = c.d.to_vector();
    fs::path file = matrix_file(k);
    std::ofstream f(file);
    char buf[40];
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        std::snprintf(buf, sizeof buf, "%.17g ", d[static_cast<size_t>(i * n + j)]);
        f << buf;
      }
      f << '\n';
    }
    cmd += ' ';
    cmd += file.string();
    cmd += ' ';
    cmd += std::to_string(c.min_samples);
  }
  cmd += " 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    CAPTURE(c.name);
    std::ifstream in(matrix_file(k).string() + ".out");
    std::string version, line;
    std::getline(in, version);
    auto ints = [&] {
      std::getline(in, line);
      std::istringstream s(line);
      std::vector<int64_t> v;
      for (int64_t x; s >> x;) v.push_back(x);
      return v;
    };
    auto reals = [&] {
      std::getline(in, line);
      std::istringstream s(line);
      std::vector<double> v;
      for (std::string t; s >> t;) v.push_back(std::strtod(t.c_str(), nullptr));
      return v;
    };
    std::vector<int64_t> ordering = ints(), predecessor = ints(), labels = ints();
    std::vector<double> reachability = reals(), core = reals();
    int major = 0, minor = 0;
    std::sscanf(version.c_str(), "%d.%d", &major, &minor);
    info::PredecessorCorrection rule = (major < 1 || (major == 1 && minor < 3)) ? info::PredecessorCorrection::sklearn_1_2
                                                                                 : info::PredecessorCorrection::paper;
    info::OpticsResult r = info::optics(c.d, {.min_samples = c.min_samples, .correction = rule});
    REQUIRE(ordering.size() == static_cast<size_t>(c.d.size(0)));
    CHECK(r.ordering == ordering);
    CHECK(r.predecessor == predecessor);
    CHECK(r.labels == labels);
    CHECK(r.reachability == reachability);  // bit for bit, ∞ included
    CHECK(r.core_distances == core);
  }
  fs::remove_all(dir);
}
