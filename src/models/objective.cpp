// Objective names, defaults and checks (models/objective.hpp).
#include "elbo/models/objective.hpp"

#include <cmath>
#include <cstdio>

#include "elbo/error.hpp"

namespace elbo::models {

namespace {
constexpr ObjectiveKind kAll[] = {ObjectiveKind::vae,        ObjectiveKind::beta_vae,  ObjectiveKind::annealed_vae,
                                  ObjectiveKind::beta_tcvae, ObjectiveKind::factor_vae, ObjectiveKind::dip_vae_i,
                                  ObjectiveKind::dip_vae_ii};

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

void check_non_negative(const char* objective, const char* name, double v) {
  ELBO_CHECK(std::isfinite(v) && v >= 0, objective, ": ", name, " must be finite and ≥ 0, got ", v);
}
}  // namespace

const char* objective_name(ObjectiveKind kind) {
  switch (kind) {
    case ObjectiveKind::vae: return "vae";
    case ObjectiveKind::beta_vae: return "beta_vae";
    case ObjectiveKind::annealed_vae: return "annealed_vae";
    case ObjectiveKind::beta_tcvae: return "beta_tcvae";
    case ObjectiveKind::factor_vae: return "factor_vae";
    case ObjectiveKind::dip_vae_i: return "dip_vae_i";
    case ObjectiveKind::dip_vae_ii: return "dip_vae_ii";
  }
  return "?";
}

ObjectiveKind parse_objective(const std::string& name) {
  std::string names;
  for (ObjectiveKind k : kAll) {
    if (name == objective_name(k)) return k;
    names += names.empty() ? objective_name(k) : std::string(", ") + objective_name(k);
  }
  detail::fail("objective: unknown name '", name, "' (choose ", names, ")");
}

ObjectiveConfig objective_defaults(ObjectiveKind kind) {
  ObjectiveConfig o;
  o.kind = kind;
  switch (kind) {
    case ObjectiveKind::vae: break;
    case ObjectiveKind::beta_vae: o.beta = 4.0; break;
    case ObjectiveKind::annealed_vae:
      o.gamma = 1000.0;
      o.c_max = 25.0;
      o.iteration_threshold = 100000;
      break;
    case ObjectiveKind::beta_tcvae: o.beta = 6.0; break;
    case ObjectiveKind::factor_vae: o.gamma = 10.0; break;
    case ObjectiveKind::dip_vae_i:
      o.lambda_od = 10.0;
      o.lambda_d = 100.0;
      break;
    case ObjectiveKind::dip_vae_ii:
      o.lambda_od = 10.0;
      o.lambda_d = 10.0;
      break;
  }
  return o;
}

void check_objective(const ObjectiveConfig& o) {
  const char* name = objective_name(o.kind);
  switch (o.kind) {
    case ObjectiveKind::vae:
      ELBO_CHECK(o.beta == 1.0, "vae: β is 1 by definition, got ", o.beta, " (use beta_vae for another β)");
      break;
    case ObjectiveKind::beta_vae:
    case ObjectiveKind::beta_tcvae: check_non_negative(name, "beta", o.beta); break;
    case ObjectiveKind::annealed_vae:
      check_non_negative(name, "gamma", o.gamma);
      check_non_negative(name, "c_max", o.c_max);
      ELBO_CHECK(o.iteration_threshold >= 1, name, ": iteration_threshold must be ≥ 1, got ", o.iteration_threshold);
      break;
    case ObjectiveKind::factor_vae: check_non_negative(name, "gamma", o.gamma); break;
    case ObjectiveKind::dip_vae_i:
    case ObjectiveKind::dip_vae_ii:
      check_non_negative(name, "lambda_od", o.lambda_od);
      check_non_negative(name, "lambda_d", o.lambda_d);
      break;
  }
  ELBO_CHECK(o.dataset_size >= 0, name, ": dataset_size must be ≥ 0, got ", o.dataset_size);
}

std::string describe_objective(const ObjectiveConfig& o) {
  std::string s = objective_name(o.kind);
  switch (o.kind) {
    case ObjectiveKind::vae: return s;
    case ObjectiveKind::beta_vae: return s + "(beta=" + number(o.beta) + ")";
    case ObjectiveKind::annealed_vae:
      return s + "(gamma=" + number(o.gamma) + ", c_max=" + number(o.c_max) +
             ", iteration_threshold=" + std::to_string(o.iteration_threshold) + ")";
    case ObjectiveKind::beta_tcvae:
      return s + "(beta=" + number(o.beta) +
             (o.dataset_size > 0 ? ", dataset_size=" + std::to_string(o.dataset_size) : std::string()) + ")";
    case ObjectiveKind::factor_vae: return s + "(gamma=" + number(o.gamma) + ")";
    case ObjectiveKind::dip_vae_i:
    case ObjectiveKind::dip_vae_ii:
      return s + "(lambda_od=" + number(o.lambda_od) + ", lambda_d=" + number(o.lambda_d) + ")";
  }
  return s;
}

}  // namespace elbo::models
