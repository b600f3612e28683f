// Optional cross-check against scikit-learn: elbo exports codes, factors and the BetaVAE and FactorVAE
// points as .npy files, tools/metrics/crosscheck_sklearn.py recomputes every metric with numpy,
// scipy and scikit-learn following disentanglement_lib's algorithms, and the values are compared.
// Skips (passes with a message) when /usr/bin/python3 cannot import numpy, scipy and sklearn.
//
// Tolerances: the metrics whose algorithm has no solver (MIG, modularity, IRS, the unsupervised
// scores, FactorVAE's majority vote) agree to 1e-6; the classifier-based ones agree within the
// stated accuracy tolerances, since sklearn stops its solvers earlier (LogisticRegression: tol 1e-4,
// 100 iterations; LinearSVC: tol 1e-4) and breaks tree-split ties by a random feature order.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

#include "elbo/metrics/suite.hpp"
#include "metrics/synthetic.hpp"

using namespace elbo;
using namespace elbo::metrics;
using namespace elbo::testing;
namespace fs = std::filesystem;

namespace {

// A .npy file (format 1.0) holding a C-order array of `descr` ("<f8" or "<i8") with this shape.
void write_npy(const fs::path& path, const char* descr, const std::vector<int64_t>& shape, const void* data,
               size_t bytes) {
  std::string dims;
  for (int64_t d : shape) dims += std::to_string(d) + ",";
  if (shape.size() > 1) dims.pop_back();
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  const unsigned char preamble[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.write(reinterpret_cast<const char*>(preamble), 8);
  const uint16_t length = static_cast<uint16_t>(header.size());
  out.write(reinterpret_cast<const char*>(&length), 2);
  out << header;
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  REQUIRE(out.good());
}

void write_tensor(const fs::path& dir, const char* name, const Tensor& t) {
  const bool is_float = t.dtype() == DType::f64;
  std::vector<int64_t> shape;
  for (int i = 0; i < t.ndim(); ++i) shape.push_back(t.size(i));
  write_npy(dir / (std::string(name) + ".npy"), is_float ? "<f8" : "<i8", shape, t.raw_data(),
            static_cast<size_t>(t.numel()) * 8);
}

template <class T>
void write_vector(const fs::path& dir, const char* name, const std::vector<T>& v, std::vector<int64_t> shape) {
  write_npy(dir / (std::string(name) + ".npy"), sizeof(T) == 8 && std::is_floating_point_v<T> ? "<f8" : "<i8", shape,
            v.data(), v.size() * sizeof(T));
}

// The script's output: a flat JSON object of numbers.
std::map<std::string, double> parse_flat_json(const std::string& text) {
  std::map<std::string, double> values;
  size_t at = 0;
  while ((at = text.find('"', at)) != std::string::npos) {
    const size_t end = text.find('"', at + 1);
    const std::string key = text.substr(at + 1, end - at - 1);
    const size_t colon = text.find(':', end);
    values[key] = std::strtod(text.c_str() + colon + 1, nullptr);
    at = text.find_first_of(",}", colon);
  }
  return values;
}

fs::path find_script() {
  const fs::path here = fs::path(__FILE__).parent_path();
  for (const fs::path& root : {here / ".." / "..", fs::current_path(), fs::current_path() / "..",
                               fs::current_path() / ".." / ".."}) {
    const fs::path candidate = root / "tools" / "metrics" / "crosscheck_sklearn.py";
    if (fs::exists(candidate)) return candidate;
  }
  return {};
}

// Codes of a noisy, partly entangled representation: A·(f / (s − 1)) + 0.05·ε, with a fourth code of
// pure noise. The noise draws advance with every image encoded, so the function is deterministic.
Representation noisy_representation(const GridDataset& dataset, std::shared_ptr<uint64_t> counter) {
  const std::vector<double> A = {1.0, 0.3, 0.0, 0.0, 1.0, 0.2, 0.1, 0.0, 1.0, 0.0, 0.0, 0.0};
  const Representation clean = linear_representation(dataset, A, 4);
  return [clean, counter](const Tensor& images) {
    Tensor codes = clean(images);
    double* z = codes.data<double>();
    for (int64_t i = 0; i < codes.numel(); ++i) {
      const double noise = philox_normal(99, 5, (*counter)++);
      z[i] += (i % 4 == 3 ? 1.0 : 0.05) * noise;
    }
    return codes;
  };
}

}  // namespace

TEST_CASE("metrics: cross-check against scikit-learn following disentanglement_lib") {
  if (std::system("/usr/bin/python3 -c 'import numpy, scipy, sklearn' > /dev/null 2>&1") != 0) {
    MESSAGE("skipped: /usr/bin/python3 cannot import numpy, scipy and sklearn (apt-get install python3-sklearn)");
    return;
  }
  const fs::path script = find_script();
  REQUIRE_MESSAGE(!script.empty(), "tools/metrics/crosscheck_sklearn.py not found");
  const fs::path dir = fs::temp_directory_path() / ("elbo_metrics_crosscheck_" + std::to_string(getpid()));
  fs::create_directories(dir);

  GridDataset ds({3, 4, 6});
  auto counter = std::make_shared<uint64_t>(0);
  const Representation rep = noisy_representation(ds, counter);
  Rng rng{2024, 1, 0};
  const CodesAndFactors train = sample_codes_and_factors(ds, rep, 1500, 16, rng);
  const CodesAndFactors test = sample_codes_and_factors(ds, rep, 700, 16, rng);
  write_tensor(dir, "codes_train", train.codes);
  write_tensor(dir, "factors_train", train.factors);
  write_tensor(dir, "codes_test", test.codes);
  write_tensor(dir, "factors_test", test.factors);
  const BetaVaePoints beta_train = beta_vae_points(ds, rep, 600, 16, rng);
  const BetaVaePoints beta_eval = beta_vae_points(ds, rep, 300, 16, rng);
  write_vector(dir, "beta_train_x", beta_train.features, {beta_train.num_points, beta_train.num_codes});
  write_vector(dir, "beta_train_y", beta_train.labels, {beta_train.num_points});
  write_vector(dir, "beta_eval_x", beta_eval.features, {beta_eval.num_points, beta_eval.num_codes});
  write_vector(dir, "beta_eval_y", beta_eval.labels, {beta_eval.num_points});
  const std::vector<double> global = factor_vae_global_variance(ds, rep, 1000, rng);
  const FactorVaePoints fvae_train = factor_vae_points(ds, rep, 500, 32, rng);
  const FactorVaePoints fvae_eval = factor_vae_points(ds, rep, 300, 32, rng);
  write_vector(dir, "fvae_global", global, {static_cast<int64_t>(global.size())});
  write_vector(dir, "fvae_train_k", fvae_train.factor, {fvae_train.num_points});
  write_vector(dir, "fvae_train_v", fvae_train.local_variance, {fvae_train.num_points, fvae_train.num_codes});
  write_vector(dir, "fvae_eval_k", fvae_eval.factor, {fvae_eval.num_points});
  write_vector(dir, "fvae_eval_v", fvae_eval.local_variance, {fvae_eval.num_points, fvae_eval.num_codes});

  const fs::path output = dir / "sklearn.json";
  const std::string command = "/usr/bin/python3 '" + script.string() + "' '" + dir.string() + "' > '" + output.string() + "'";
  REQUIRE(std::system(command.c_str()) == 0);
  std::ifstream in(output);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::map<std::string, double> sk = parse_flat_json(text);
  fs::remove_all(dir);
  REQUIRE(sk.size() == 17);

  std::map<std::string, double> ours;
  ours["mig.discrete_mig"] = mig_from_codes(train.codes, train.factors).mig;
  ours["sap.SAP_score"] = sap_from_codes(train.codes, train.factors, test.codes, test.factors).sap;
  const DciResult d = dci_from_codes(train.codes, train.factors, test.codes, test.factors);
  ours["dci.disentanglement"] = d.disentanglement;
  ours["dci.completeness"] = d.completeness;
  ours["dci.informativeness_train"] = d.informativeness_train;
  ours["dci.informativeness_test"] = d.informativeness_test;
  ours["modularity_explicitness.modularity_score"] = modularity_from_codes(train.codes, train.factors);
  const ExplicitnessResult e = explicitness_from_codes(train.codes, train.factors, test.codes, test.factors);
  ours["modularity_explicitness.explicitness_score_train"] = e.train;
  ours["modularity_explicitness.explicitness_score_test"] = e.test;
  ours["irs.IRS"] = irs_from_codes(train.codes, train.factors).irs;
  const UnsupervisedResult u = unsupervised_from_codes(train.codes);
  ours["unsupervised.gaussian_total_correlation"] = u.gaussian_total_correlation;
  ours["unsupervised.gaussian_wasserstein_correlation"] = u.gaussian_wasserstein_correlation;
  ours["unsupervised.mutual_info_score"] = u.mutual_info_score;
  const BetaVaeResult b = beta_vae_from_points(beta_train, beta_eval);
  ours["beta_vae.train_accuracy"] = b.train_accuracy;
  ours["beta_vae.eval_accuracy"] = b.eval_accuracy;
  const FactorVaeResult f = factor_vae_from_points(global, fvae_train, fvae_eval, 3);
  ours["factor_vae.train_accuracy"] = f.train_accuracy;
  ours["factor_vae.eval_accuracy"] = f.eval_accuracy;

  const std::map<std::string, double> tolerance = {
      {"mig.discrete_mig", 1e-6}, {"modularity_explicitness.modularity_score", 1e-6}, {"irs.IRS", 1e-6},
      {"unsupervised.gaussian_total_correlation", 1e-6}, {"unsupervised.gaussian_wasserstein_correlation", 1e-6},
      {"unsupervised.mutual_info_score", 1e-6}, {"factor_vae.train_accuracy", 1e-12},
      {"factor_vae.eval_accuracy", 1e-12}, {"sap.SAP_score", 0.01}, {"dci.disentanglement", 0.02},
      {"dci.completeness", 0.02}, {"dci.informativeness_train", 0.01}, {"dci.informativeness_test", 0.01},
      {"modularity_explicitness.explicitness_score_train", 0.005},
      {"modularity_explicitness.explicitness_score_test", 0.005}, {"beta_vae.train_accuracy", 0.01},
      {"beta_vae.eval_accuracy", 0.01}};
  for (const auto& [name, value] : ours) {
    REQUIRE_MESSAGE(sk.count(name) == 1, name << " missing from the script's output");
    const double theirs = sk.at(name);
    MESSAGE(name << ": elbo " << value << ", sklearn " << theirs << ", difference " << value - theirs);
    CHECK_MESSAGE(std::abs(value - theirs) <= tolerance.at(name), name << ": elbo " << value << " vs sklearn " << theirs);
  }
}
