// The classifiers behind the disentanglement metrics, each against a closed form, a hand
// computation or an independent solver.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/metrics/classifiers/gradient_boosting.hpp"
#include "elbo/metrics/classifiers/labels.hpp"
#include "elbo/metrics/classifiers/lbfgs.hpp"
#include "elbo/metrics/classifiers/linear_svm.hpp"
#include "elbo/metrics/classifiers/logistic_regression.hpp"
#include "elbo/metrics/classifiers/regression_tree.hpp"
#include "elbo/metrics/classifiers/roc_auc.hpp"
#include "elbo/rng.hpp"

using namespace elbo;
using namespace elbo::metrics;

TEST_CASE("metrics: L-BFGS finds the minimum of the Rosenbrock function") {
  // f(a, b) = (1 − a)² + 100 (b − a²)², minimum 0 at (1, 1).
  ObjectiveFn rosenbrock = [](const double* p, double* g) {
    const double a = p[0], b = p[1];
    g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
    g[1] = 200.0 * (b - a * a);
    return (1.0 - a) * (1.0 - a) + 100.0 * (b - a * a) * (b - a * a);
  };
  std::vector<double> x = {-1.2, 1.0};
  LbfgsResult r = minimize_lbfgs(rosenbrock, x);
  CHECK(r.converged);
  CHECK(x[0] == doctest::Approx(1.0).epsilon(1e-7));
  CHECK(x[1] == doctest::Approx(1.0).epsilon(1e-7));
  CHECK(r.value < 1e-14);
}

TEST_CASE("metrics: binary logistic regression matches Newton's method in one dimension") {
  // Overlapping classes, so the optimum is finite even with a weak penalty.
  const std::vector<double> x = {-2.0, -1.5, -1.0, -0.5, 0.0, 0.3, 0.5, 1.0, 1.5, 2.0, 0.2, -0.2};
  const std::vector<int64_t> y = {3, 3, 3, 7, 3, 7, 3, 7, 7, 7, 7, 3};  // labels 3 < 7: s = +1 for 7
  const int64_t n = static_cast<int64_t>(x.size());
  for (double C : {0.1, 1.0, 10.0}) {
    // Newton on f(w, b) = C Σ log(1 + exp(−s_i (w x_i + b))) + ½ w².
    double w = 0.0, b = 0.0;
    for (int it = 0; it < 50; ++it) {
      double gw = w, gb = 0.0, hww = 1.0, hwb = 0.0, hbb = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        const double t = w * x[i] + b, p = 1.0 / (1.0 + std::exp(-t)), target = y[i] == 7 ? 1.0 : 0.0;
        gw += C * (p - target) * x[i];
        gb += C * (p - target);
        const double h = C * p * (1.0 - p);
        hww += h * x[i] * x[i];
        hwb += h * x[i];
        hbb += h;
      }
      const double det = hww * hbb - hwb * hwb;
      w -= (hbb * gw - hwb * gb) / det;
      b -= (hww * gb - hwb * gw) / det;
    }
    LogisticRegressionOptions o;
    o.C = C;
    LogisticRegression m = fit_logistic_regression(x.data(), y.data(), n, 1, o);
    CAPTURE(C);
    CHECK(m.solver.converged);
    REQUIRE(m.classes == std::vector<int64_t>{3, 7});
    CHECK(m.weights[0] == doctest::Approx(w).epsilon(1e-7));
    CHECK(m.intercepts[0] == doctest::Approx(b).epsilon(1e-7));
    std::vector<double> proba(static_cast<size_t>(2 * n));
    logistic_regression_predict_proba(m, x.data(), n, proba.data());
    const std::vector<int64_t> labels = logistic_regression_predict(m, x.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const double p = 1.0 / (1.0 + std::exp(-(w * x[i] + b)));
      CHECK(proba[static_cast<size_t>(2 * i + 1)] == doctest::Approx(p).epsilon(1e-7));
      CHECK(labels[static_cast<size_t>(i)] == (w * x[i] + b > 0 ? 7 : 3));
    }
  }
}

TEST_CASE("metrics: multinomial logistic regression without features learns the class frequencies") {
  // With x ≡ 0 only the unpenalised intercepts matter: softmax(b) = the class frequencies.
  const std::vector<int64_t> y = {0, 1, 1, 2, 2, 2, 2, 1, 2, 0};  // 0.2, 0.3, 0.5
  const std::vector<double> x(y.size(), 0.0);
  LogisticRegression m = fit_logistic_regression(x.data(), y.data(), 10, 1);
  CHECK(m.solver.converged);
  std::vector<double> proba(3);
  logistic_regression_predict_proba(m, x.data(), 1, proba.data());
  CHECK(proba[0] == doctest::Approx(0.2).epsilon(1e-8));
  CHECK(proba[1] == doctest::Approx(0.3).epsilon(1e-8));
  CHECK(proba[2] == doctest::Approx(0.5).epsilon(1e-8));
  CHECK(std::abs(m.weights[0]) < 1e-9);
}

TEST_CASE("metrics: multinomial logistic regression satisfies its optimality conditions") {
  // Three noisy clusters in 2-D; at the optimum C Σ (p_i − y_i) x_iᵀ + W = 0 and Σ (p_i − y_i) = 0.
  const int64_t n = 90, d = 2, K = 3;
  std::vector<double> x(static_cast<size_t>(n * d));
  std::vector<int64_t> y(static_cast<size_t>(n));
  Rng rng{5, 1, 0};
  const double centre[3][2] = {{0, 0}, {2, 0}, {0, 2}};
  for (int64_t i = 0; i < n; ++i) {
    y[static_cast<size_t>(i)] = i % K;
    for (int64_t j = 0; j < d; ++j) x[static_cast<size_t>(i * d + j)] = centre[i % K][j] + rng.normal();
  }
  const double C = 0.7;
  LogisticRegressionOptions o;
  o.C = C;
  LogisticRegression m = fit_logistic_regression(x.data(), y.data(), n, d, o);
  CHECK(m.solver.converged);
  std::vector<double> proba(static_cast<size_t>(n * K));
  logistic_regression_predict_proba(m, x.data(), n, proba.data());
  for (int64_t k = 0; k < K; ++k) {
    double gb = 0.0;
    for (int64_t j = 0; j < d; ++j) {
      double g = m.weights[static_cast<size_t>(k * d + j)];
      for (int64_t i = 0; i < n; ++i)
        g += C * (proba[static_cast<size_t>(i * K + k)] - (y[static_cast<size_t>(i)] == k)) * x[static_cast<size_t>(i * d + j)];
      CHECK(std::abs(g) < 1e-5);
    }
    for (int64_t i = 0; i < n; ++i) gb += proba[static_cast<size_t>(i * K + k)] - (y[static_cast<size_t>(i)] == k);
    CHECK(std::abs(gb) < 1e-5);
  }
  const std::vector<int64_t> predicted = logistic_regression_predict(m, x.data(), n);
  CHECK(accuracy(predicted.data(), y.data(), n) > 0.7);
}

TEST_CASE("metrics: logistic regression rejects a single class and non-finite features") {
  const std::vector<double> x = {0.0, 1.0, NAN};
  const std::vector<int64_t> same = {1, 1, 1}, two = {0, 1, 1};
  CHECK_THROWS_AS(fit_logistic_regression(x.data(), same.data(), 2, 1), Error);
  CHECK_THROWS_AS(fit_logistic_regression(x.data(), two.data(), 3, 1), Error);
}

TEST_CASE("metrics: linear SVM matches the closed-form solution of two symmetric points") {
  // x = ±1 with labels ±1. Squared hinge: ½(w² + b²) + C[(1 − w − b)² + (1 − w + b)²] gives b = 0,
  // w = 4C / (1 + 4C). Hinge: ½w² + 2C(1 − w) for w < 1 gives w = 2C.
  const std::vector<double> x = {1.0, -1.0};
  const std::vector<int64_t> y = {1, 0};
  for (double C : {0.05, 0.3, 1.0}) {
    LinearSvmOptions o;
    o.C = C;
    LinearSvm m = fit_linear_svm(x.data(), y.data(), 2, 1, o);
    CAPTURE(C);
    CHECK(m.converged);
    CHECK(m.weights[0] == doctest::Approx(4 * C / (1 + 4 * C)).epsilon(1e-6));
    CHECK(std::abs(m.intercepts[0]) < 1e-6);
  }
  LinearSvmOptions hinge;
  hinge.C = 0.25;
  hinge.loss = SvmLoss::hinge;
  hinge.fit_intercept = false;
  LinearSvm m = fit_linear_svm(x.data(), y.data(), 2, 1, hinge);
  CHECK(m.weights[0] == doctest::Approx(0.5).epsilon(1e-9));
}

TEST_CASE("metrics: linear SVM balanced class weights scale each class's cost") {
  // One positive at x = 2, three negatives at x = −1, no intercept, C = 0.1, both margins active:
  //   plain:     ½w² + C[(1 − 2w)² + 3(1 − w)²]           → w = 10C / (1 + 14C)
  //   balanced:  weights 4/(2·1) = 2 and 4/(2·3) = 2/3    → w = 12C / (1 + 20C)
  const std::vector<double> x = {2.0, -1.0, -1.0, -1.0};
  const std::vector<int64_t> y = {1, 0, 0, 0};
  LinearSvmOptions o;
  o.C = 0.1;
  o.fit_intercept = false;
  CHECK(fit_linear_svm(x.data(), y.data(), 4, 1, o).weights[0] == doctest::Approx(1.0 / 2.4).epsilon(1e-6));
  o.balanced = true;
  CHECK(fit_linear_svm(x.data(), y.data(), 4, 1, o).weights[0] == doctest::Approx(1.2 / 3.0).epsilon(1e-6));
}

TEST_CASE("metrics: linear SVM one-vs-rest solution satisfies the primal optimality conditions") {
  // Each one-vs-rest problem k minimises ½‖w̃‖² + Σ C_i max(0, 1 − s_i w̃ᵀx̃_i)², whose gradient
  // w̃ − 2 Σ C_i ξ_i s_i x̃_i vanishes at the optimum; balanced weights go to the positives only.
  const int64_t n = 120, d = 2, K = 3;
  std::vector<double> x(static_cast<size_t>(n * d));
  std::vector<int64_t> y(static_cast<size_t>(n));
  Rng rng{9, 2, 0};
  const double centre[3][2] = {{0, 0}, {3, 0}, {0, 3}};
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = (i % 6 == 0) ? 2 : i % 2;  // unbalanced: class 2 is rare
    y[static_cast<size_t>(i)] = c;
    for (int64_t j = 0; j < d; ++j) x[static_cast<size_t>(i * d + j)] = centre[c][j] + 0.8 * rng.normal();
  }
  LinearSvmOptions o;
  o.C = 0.05;
  o.balanced = true;
  o.tolerance = 1e-9;
  o.max_epochs = 100000;
  LinearSvm m = fit_linear_svm(x.data(), y.data(), n, d, o);
  CHECK(m.converged);
  std::vector<int64_t> count(K, 0);
  for (int64_t c : y) ++count[static_cast<size_t>(c)];
  for (int64_t k = 0; k < K; ++k) {
    const double cost_positive = o.C * static_cast<double>(n) / (K * static_cast<double>(count[static_cast<size_t>(k)]));
    double g[3] = {m.weights[static_cast<size_t>(k * d)], m.weights[static_cast<size_t>(k * d + 1)], m.intercepts[static_cast<size_t>(k)]};
    for (int64_t i = 0; i < n; ++i) {
      const double s = y[static_cast<size_t>(i)] == k ? 1.0 : -1.0;
      const double cost = s > 0 ? cost_positive : o.C;
      const double* xi = x.data() + i * d;
      const double xi_tilde[3] = {xi[0], xi[1], 1.0};
      const double margin = m.weights[static_cast<size_t>(k * d)] * xi[0] + m.weights[static_cast<size_t>(k * d + 1)] * xi[1] + m.intercepts[static_cast<size_t>(k)];
      const double slack = std::max(0.0, 1.0 - s * margin);
      for (int j = 0; j < 3; ++j) g[j] -= 2.0 * cost * slack * s * xi_tilde[j];
    }
    for (double v : g) CHECK(std::abs(v) < 1e-6);
  }
  const std::vector<int64_t> predicted = linear_svm_predict(m, x.data(), n);
  CHECK(accuracy(predicted.data(), y.data(), n) > 0.9);
}

TEST_CASE("metrics: ROC-AUC counts tied scores as one half") {
  // Positives 0.35, 0.8, 0.4; negatives 0.1, 0.4: pairs won 1+0+1+1+1+½ of 6.
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8, 0.4};
  const std::vector<uint8_t> pos = {0, 0, 1, 1, 1};
  CHECK(roc_auc(s.data(), pos.data(), 5) == doctest::Approx(4.5 / 6.0).epsilon(1e-15));
  const std::vector<double> all_tied = {1, 1, 1, 1};
  const std::vector<uint8_t> half = {1, 0, 1, 0};
  CHECK(roc_auc(all_tied.data(), half.data(), 4) == 0.5);
  const std::vector<uint8_t> none = {0, 0, 0, 0};
  CHECK_THROWS_AS(roc_auc(all_tied.data(), none.data(), 4), Error);

  // One-vs-rest: class 0 column [0.9, 0.1, 0.5] vs labels [0, 1, 2] → 1; class 1 column [0.05, 0.8, 0.8]
  // → positive 0.8 beats 0.05 and ties 0.8 → 0.75; class 2 column [0.05, 0.1, 0.0] → 0. Mean 1.75/3.
  const std::vector<double> proba = {0.9, 0.05, 0.05, 0.1, 0.8, 0.1, 0.5, 0.8, 0.0};
  const std::vector<int64_t> labels = {0, 1, 2};
  CHECK(roc_auc_one_vs_rest(proba.data(), labels.data(), 3, 3) == doctest::Approx(1.75 / 3.0).epsilon(1e-15));
}

TEST_CASE("metrics: regression tree stump finds the known best split") {
  // Feature 0 is noise-free steps at x = 3.5; feature 1 is a weaker, shuffled copy.
  const std::vector<double> x = {1, 6, 2, 1, 3, 5, 4, 2, 5, 3, 6, 4};  // rows (x0, x1)
  const std::vector<double> target = {0, 0, 0, 1, 1, 1};
  TreeData data = make_tree_data(x.data(), 6, 2);
  std::vector<int32_t> leaf_of;
  RegressionTree tree = fit_regression_tree(data, target.data(), {1, 2, 1}, leaf_of);
  REQUIRE(tree.nodes.size() == 3);
  CHECK(tree.nodes[0].feature == 0);
  CHECK(tree.nodes[0].threshold == 3.5);
  CHECK(tree.nodes[1].value == 0.0);
  CHECK(tree.nodes[2].value == 1.0);
  CHECK(tree.nodes[0].impurity == doctest::Approx(0.25));
  CHECK(leaf_of == std::vector<int32_t>{1, 1, 1, 2, 2, 2});
  // Importance: (6·0.25 − 0 − 0) / 6 on feature 0.
  const std::vector<double> importance = tree_feature_importances(tree, 2);
  CHECK(importance[0] == doctest::Approx(0.25));
  CHECK(importance[1] == 0.0);
  // A constant target is a leaf.
  const std::vector<double> flat(6, 2.0);
  CHECK(fit_regression_tree(data, flat.data(), {3, 2, 1}, leaf_of).nodes.size() == 1);
}

TEST_CASE("metrics: gradient boosting stump takes one Newton step per leaf") {
  // Binary, y = [0,0,0,1,1,1] at x = 1..6: F₀ = 0, residuals ∓½, leaves γ = (∓1.5) / (3·¼) = ∓2,
  // so after one stage F = ∓0.1·2.
  const std::vector<double> x = {1, 2, 3, 4, 5, 6};
  const std::vector<int64_t> y = {0, 0, 0, 1, 1, 1};
  GradientBoostingOptions o;
  o.num_stages = 1;
  o.max_depth = 1;
  GradientBoostingClassifier m = fit_gradient_boosting(x.data(), y.data(), 6, 1, o);
  CHECK(m.initial_scores[0] == 0.0);
  REQUIRE(m.trees[0].nodes.size() == 3);
  CHECK(m.trees[0].nodes[0].threshold == 3.5);
  std::vector<double> F(6);
  gradient_boosting_decision_function(m, x.data(), 6, F.data());
  for (int i = 0; i < 6; ++i) CHECK(F[static_cast<size_t>(i)] == doctest::Approx(i < 3 ? -0.2 : 0.2).epsilon(1e-14));

  // Three classes at x = 1, 2, 3 (ten each): F₀ = log ⅓; the class-0 tree splits at 1.5 with
  // γ_left = ⅔ · (10·⅔) / (10·²⁄₉) = 2 and γ_right = ⅔ · (20·(−⅓)) / (20·²⁄₉) = −1.
  std::vector<double> x3;
  std::vector<int64_t> y3;
  for (int r = 0; r < 10; ++r)
    for (int c = 0; c < 3; ++c) {
      x3.push_back(c + 1.0);
      y3.push_back(c);
    }
  GradientBoostingClassifier m3 = fit_gradient_boosting(x3.data(), y3.data(), 30, 1, o);
  CHECK(m3.trees_per_stage == 3);
  CHECK(m3.initial_scores[0] == doctest::Approx(std::log(1.0 / 3.0)).epsilon(1e-15));
  const RegressionTree& t0 = m3.trees[0];
  CHECK(t0.nodes[0].threshold == 1.5);
  CHECK(t0.nodes[1].value == doctest::Approx(2.0).epsilon(1e-12));
  CHECK(t0.nodes[2].value == doctest::Approx(-1.0).epsilon(1e-12));
}

TEST_CASE("metrics: gradient boosting separates classes and its importances sum to 1") {
  // Four classes decided by feature 1 (quartiles); features 0 and 2 are noise.
  const int64_t n = 400, d = 3;
  std::vector<double> x(static_cast<size_t>(n * d));
  std::vector<int64_t> y(static_cast<size_t>(n));
  Rng rng{3, 4, 0};
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) x[static_cast<size_t>(i * d + j)] = rng.uniform();
    y[static_cast<size_t>(i)] = static_cast<int64_t>(x[static_cast<size_t>(i * d + 1)] * 4.0);
  }
  GradientBoostingOptions o;
  o.num_stages = 20;
  GradientBoostingClassifier m = fit_gradient_boosting(x.data(), y.data(), n, d, o);
  const std::vector<int64_t> predicted = gradient_boosting_predict(m, x.data(), n);
  CHECK(accuracy(predicted.data(), y.data(), n) == 1.0);
  const std::vector<double> importance = gradient_boosting_feature_importances(m);
  CHECK(importance[0] + importance[1] + importance[2] == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(importance[1] > 0.95);
}
