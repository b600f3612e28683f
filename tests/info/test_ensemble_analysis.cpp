// The ensemble pipeline (info/ensemble_analysis.hpp) on a synthetic ensemble whose answer is known
// (synthetic_ensemble.hpp): six models, each copying three ground-truth signals into permuted latents
// plus collapsed latents. Also the reading of posteriors directories and its errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/info/ensemble_analysis.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/npy.hpp"
#include "info/synthetic_ensemble.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::testing;

namespace {

// prefix followed by the number k ("m" and 3 give "m3").
std::string numbered(const char* prefix, int64_t k) {
  std::string s = prefix;
  s += std::to_string(k);
  return s;
}

constexpr int64_t kModels = 6, kLatents = 5, kRows = 240;

std::vector<info::MemberPosteriors> synthetic_members(int64_t models = kModels, int64_t rows = kRows) {
  std::vector<info::MemberPosteriors> members;
  for (int64_t m = 0; m < models; ++m) {
    SyntheticMember s = synthetic_member(m, rows, kLatents);
    info::MemberPosteriors p;
    p.dir = numbered("model", m);
    p.means = s.means;
    p.logvars = s.logvars;
    for (double v : s.indices.to_vector()) p.indices.push_back(static_cast<int64_t>(v));
    p.factors = s.factors;
    members.push_back(p);
  }
  return members;
}

info::EnsembleOptions small_options() {
  info::EnsembleOptions o;
  o.points = 200;
  o.seed = 3;
  o.hotspots.optics.min_samples = 4;
  return o;
}

// The message of the elbo::Error that f throws ("" if none).
template <class F> std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("info: ensemble analysis finds the three copied signals as hotspots and drops collapsed channels") {
  const std::vector<info::MemberPosteriors> members = synthetic_members();
  const info::EnsembleAnalysis a = info::analyse_ensemble(members, small_options());
  const int64_t m = kModels * kLatents;
  REQUIRE(static_cast<int64_t>(a.channel_model.size()) == m);
  CHECK(a.rows == kRows);
  CHECK(a.point_rows.size() == 200);
  CHECK(a.similarity.nmi.shape() == Shape{m, m});
  CHECK(a.channel_model[7] == 1);  // model-major: channel 7 = latent 2 of model 1
  CHECK(a.channel_latent[7] == 2);

  // Information: signal channels carry bits, collapsed ones almost none; exactly the signal channels are kept.
  const std::vector<double> bits = a.similarity.information_a.to_vector();
  std::set<int64_t> signal_channels;
  for (int64_t model = 0; model < kModels; ++model)
    for (int64_t k = 0; k < kSignals; ++k) signal_channels.insert(model * kLatents + signal_latent(k, model, kLatents));
  for (int64_t c = 0; c < m; ++c) {
    if (signal_channels.count(c)) CHECK(bits[static_cast<size_t>(c)] > 1.0);
    else CHECK(bits[static_cast<size_t>(c)] < 0.01);
  }
  CHECK(std::set<int64_t>(a.clustering.channels.begin(), a.clustering.channels.end()) == signal_channels);
  CHECK(a.ordering.size() == signal_channels.size());
  CHECK(a.reachability.size() == a.ordering.size());
  CHECK(std::isinf(a.reachability[0]));

  // Three hotspots, each the six copies of one signal, one per model.
  REQUIRE(a.hotspots.size() == 3);
  std::set<int64_t> signals_found;
  for (size_t h = 0; h < a.hotspots.size(); ++h) {
    const info::Hotspot& hs = a.hotspots[h];
    REQUIRE(hs.channels.size() == static_cast<size_t>(kModels));
    CHECK(hs.models == kModels);
    CHECK(hs.last - hs.first + 1 == kModels);
    const int64_t c0 = hs.channels[0];
    const int64_t k = (a.channel_latent[static_cast<size_t>(c0)] - a.channel_model[static_cast<size_t>(c0)] + kLatents) % kLatents;
    REQUIRE(k < kSignals);
    signals_found.insert(k);
    for (int64_t c : hs.channels) {
      CHECK(signal_latent(k, a.channel_model[static_cast<size_t>(c)], kLatents) == a.channel_latent[static_cast<size_t>(c)]);
      CHECK(a.channel_hotspot[static_cast<size_t>(c)] == static_cast<int64_t>(h));
    }
    // Members are the positions first..last of the ordering.
    for (int64_t p = hs.first; p <= hs.last; ++p)
      CHECK(std::count(hs.channels.begin(), hs.channels.end(), a.ordering[static_cast<size_t>(p)]) == 1);
    CHECK(hs.mean_nmi > 0.8);
    CHECK(hs.mean_information > 1.0);
    CHECK(std::count(hs.channels.begin(), hs.channels.end(), hs.representative) == 1);
    // NMI with the factors: high with the copied signal's factor, near zero with the others.
    REQUIRE(hs.nmi_factors.size() == 3);
    for (int64_t j = 0; j < kSignals; ++j) {
      if (j == k) CHECK(hs.nmi_factors[static_cast<size_t>(j)] > 0.4);
      else CHECK(hs.nmi_factors[static_cast<size_t>(j)] < 0.1);
    }
  }
  CHECK(signals_found.size() == 3);
  for (int64_t c = 0; c < m; ++c)
    if (!signal_channels.count(c)) CHECK(a.channel_hotspot[static_cast<size_t>(c)] == -1);
  REQUIRE(a.nmi_factors.defined());
  CHECK(a.nmi_factors.shape() == Shape{m, 3});
  CHECK(a.factor_names == std::vector<std::string>{"factor 0", "factor 1", "factor 2"});
  // Hotspots are numbered by position in the ordering.
  for (size_t h = 1; h < a.hotspots.size(); ++h) CHECK(a.hotspots[h].first > a.hotspots[h - 1].last);
}

TEST_CASE("info: ensemble representative is the medoid of its hotspot") {
  const info::EnsembleAnalysis a = info::analyse_ensemble(synthetic_members(), small_options());
  const int64_t kept = static_cast<int64_t>(a.clustering.channels.size());
  const double* d = a.clustering.distances.data<double>();
  auto kept_index = [&](int64_t c) {
    return std::find(a.clustering.channels.begin(), a.clustering.channels.end(), c) - a.clustering.channels.begin();
  };
  for (const info::Hotspot& hs : a.hotspots) {
    auto summed = [&](int64_t c) {
      double s = 0;
      for (int64_t o : hs.channels) s += d[kept_index(c) * kept + kept_index(o)];
      return s;
    };
    for (int64_t c : hs.channels) CHECK(summed(hs.representative) <= summed(c));
  }
}

TEST_CASE("info: ensemble analysis matches members' rows by dataset index and uses the NMI distance") {
  std::vector<info::MemberPosteriors> members = synthetic_members();
  const info::EnsembleAnalysis base = info::analyse_ensemble(members, small_options());
  // Reverse the rows of member 2: the same data points in another order give the same results.
  info::MemberPosteriors& p = members[2];
  std::vector<int64_t> reversed(p.indices.rbegin(), p.indices.rend());
  auto reverse_rows = [](const Tensor& t) {
    std::vector<double> v = t.to_vector();
    const int64_t n = t.size(0), cols = t.numel() / n;
    std::vector<double> out(v.size());
    for (int64_t r = 0; r < n; ++r)
      std::copy(v.begin() + r * cols, v.begin() + (r + 1) * cols, out.begin() + (n - 1 - r) * cols);
    return from_vector(t.shape(), out, t.dtype());
  };
  p.means = reverse_rows(p.means);
  p.logvars = reverse_rows(p.logvars);
  p.factors = reverse_rows(p.factors);
  p.indices = reversed;
  const info::EnsembleAnalysis again = info::analyse_ensemble(members, small_options());
  CHECK(again.similarity.nmi.to_vector() == base.similarity.nmi.to_vector());
  CHECK(again.ordering == base.ordering);

  info::EnsembleOptions o = small_options();
  o.hotspots.distance = info::HotspotDistance::nmi;
  const info::EnsembleAnalysis by_nmi = info::analyse_ensemble(members, o);
  CHECK(by_nmi.hotspots.size() == 3);
  // All points in file order.
  o.points = 0;
  const info::EnsembleAnalysis all = info::analyse_ensemble(members, o);
  CHECK(all.point_rows.size() == static_cast<size_t>(kRows));
  CHECK(all.point_indices[5] == 1000 + 7 * 5);
}

TEST_CASE("info: ensemble analysis errors name the member and the problem") {
  std::vector<info::MemberPosteriors> members = synthetic_members(3);
  info::EnsembleOptions o = small_options();
  o.hotspots.optics.min_samples = 3;

  std::vector<info::MemberPosteriors> short_member = members;
  short_member[1] = synthetic_members(2, kRows - 10)[1];
  std::string e = error_of([&] { info::analyse_ensemble(short_member, o); });
  CHECK(e.find("model1 holds 230 posteriors but model0 holds 240") != std::string::npos);

  std::vector<info::MemberPosteriors> other_points = members;
  other_points[2].indices[17] = 5;
  e = error_of([&] { info::analyse_ensemble(other_points, o); });
  CHECK(e.find("indices.npy: dataset index 5 (row 17) is not among the indices of model0") != std::string::npos);

  std::vector<info::MemberPosteriors> other_factors = members;
  other_factors[1].factors = from_vector(Shape{kRows, 3}, std::vector<double>(kRows * 3, 1.0), DType::i64);
  e = error_of([&] { info::analyse_ensemble(other_factors, o); });
  CHECK(e.find("factors.npy differs from") != std::string::npos);

  o.points = kRows + 1;
  e = error_of([&] { info::analyse_ensemble(members, o); });
  CHECK(e.find("cannot use 241 fingerprint points") != std::string::npos);
  CHECK(error_of([&] { info::analyse_ensemble({}, {}); }).find("no members") != std::string::npos);
}

TEST_CASE("info: reading a posteriors directory, and its errors") {
  TempDir dir;
  const std::string d = dir.file("m0");
  std::filesystem::create_directories(d);
  write_synthetic_member(d, 0, 50, kLatents);
  io::write_file_atomic(d + "/factor_names.txt", std::string("x\ny\nscale\n"));
  io::write_npy(d + "/labels.npy", from_vector(Shape{50}, std::vector<double>(50, 2.0), DType::i32));
  info::MemberPosteriors p = info::read_member_posteriors(d);
  CHECK(p.means.shape() == Shape{50, kLatents});
  CHECK(p.indices.size() == 50);
  CHECK(p.indices[3] == 1021);
  CHECK(p.factors.shape() == Shape{50, 3});
  CHECK(p.factor_names == std::vector<std::string>{"x", "y", "scale"});
  REQUIRE(p.labels.defined());
  CHECK(p.labels.dtype() == DType::i64);

  // Labels become an extra factor named "label".
  std::vector<info::MemberPosteriors> members = {p, p};
  members[1].dir = "copy";
  info::EnsembleOptions o = small_options();
  o.points = 0;
  o.hotspots.optics.min_samples = 2;
  const info::EnsembleAnalysis a = info::analyse_ensemble(members, o);
  CHECK(a.factor_names == std::vector<std::string>{"x", "y", "scale", "label"});
  CHECK(a.nmi_factors.shape() == Shape{2 * kLatents, 4});

  CHECK(error_of([&] { info::read_member_posteriors(dir.file("absent")); }).find("absent: not a directory") != std::string::npos);

  Tensor means = synthetic_member(0, 50, kLatents).means;
  std::vector<double> v = means.to_vector();
  v[3 * kLatents + 2] = NAN;
  io::write_npy(d + "/means.npy", from_vector(means.shape(), v));
  std::string e = error_of([&] { info::read_member_posteriors(d); });
  CHECK(e.find("means.npy: element [3, 2] is nan (posterior means must be finite)") != std::string::npos);

  io::write_npy(d + "/means.npy", means);
  io::write_npy(d + "/logvars.npy", zeros(Shape{50, kLatents + 1}));
  e = error_of([&] { info::read_member_posteriors(d); });
  CHECK(e.find("logvars.npy: shape [50, 6] differs from means.npy's [50, 5]") != std::string::npos);

  io::write_npy(d + "/logvars.npy", zeros(Shape{50, kLatents}));
  std::vector<double> idx(50);
  for (int i = 0; i < 50; ++i) idx[static_cast<size_t>(i)] = i == 9 ? 2 : i;
  io::write_npy(d + "/indices.npy", from_vector(Shape{50}, idx, DType::i64));
  e = error_of([&] { info::read_member_posteriors(d); });
  CHECK(e.find("indices.npy: dataset index 2 appears at rows 2 and 9") != std::string::npos);

  idx[9] = 9;
  io::write_npy(d + "/indices.npy", from_vector(Shape{49}, std::vector<double>(idx.begin(), idx.end() - 1), DType::i64));
  e = error_of([&] { info::read_member_posteriors(d); });
  CHECK(e.find("indices.npy: expected [50]") != std::string::npos);

  io::write_npy(d + "/indices.npy", from_vector(Shape{50}, idx, DType::i64));
  io::write_npy(d + "/factors.npy", full(Shape{50, 3}, 0.5));
  e = error_of([&] { info::read_member_posteriors(d); });
  CHECK(e.find("factors.npy: element 0 is 0.5 (factors must be integers") != std::string::npos);

  std::filesystem::remove(d + "/factors.npy");
  std::filesystem::remove(d + "/logvars.npy");
  e = error_of([&] { info::read_member_posteriors(d); });
  CHECK(e.find("logvars.npy: no such file") != std::string::npos);
}
