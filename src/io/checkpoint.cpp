#include "elbo/io/checkpoint.hpp"

#include "elbo/io/safetensors.hpp"
#include "elbo/ops/backend.hpp"

namespace elbo::io {

namespace {

const char* kFormat = "elbo-checkpoint";
const char* kVersion = "1";

const char* optimizer_kind_name(OptimizerStep::Kind k) {
  switch (k) {
    case OptimizerStep::sgd: return "sgd";
    case OptimizerStep::adam: return "adam";
    case OptimizerStep::adamw: return "adamw";
    case OptimizerStep::adamax: return "adamax";
  }
  return "?";
}

// The model's name of each optimiser parameter (matched by tensor identity).
std::vector<std::string> optimizer_param_names(const nn::Module& model, const nn::Optimizer& opt, const std::string& path) {
  std::vector<nn::NamedTensor> named = model.named_parameters();
  std::vector<std::string> names;
  for (size_t i = 0; i < opt.params().size(); ++i) {
    const Tensor& p = opt.params()[i];
    std::string found;
    for (const nn::NamedTensor& nt : named)
      if (nt.tensor.impl() == p.impl()) found = nt.name;
    ELBO_CHECK(!found.empty(), "checkpoint ", path, ": optimiser parameter ", i, " (", p.str(),
               ") is not a parameter of the model; build the optimiser from model.parameters()");
    names.push_back(found);
  }
  return names;
}

std::string slot_name(const std::string& param, const char* slot) { return "optimizer/" + param + "/" + slot; }

}  // namespace

void save_checkpoint(const std::string& path, const nn::Module& model, const nn::Optimizer* opt,
                     const json::Value& metadata) {
  std::vector<nn::NamedTensor> tensors = model.named_parameters();
  for (nn::NamedTensor& b : model.named_buffers()) tensors.push_back(b);
  StringMap meta = {{"format", kFormat}, {"version", kVersion}, {"metadata", json::dump(metadata)}};
  if (opt != nullptr) {
    std::vector<std::string> names = optimizer_param_names(model, *opt, path);
    for (size_t i = 0; i < names.size(); ++i) {
      const nn::ParamState& st = opt->state()[i];
      if (st.m.defined()) tensors.push_back({slot_name(names[i], "m"), st.m});
      if (st.v.defined()) tensors.push_back({slot_name(names[i], "v"), st.v});
      tensors.push_back({slot_name(names[i], "step"), scalar(static_cast<double>(st.step), DType::i64)});
    }
    const OptimizerStep& s = opt->settings();
    json::Value settings = json::Value::object();
    settings.set("kind", optimizer_kind_name(s.kind));
    settings.set("lr", s.lr);
    settings.set("beta1", s.beta1);
    settings.set("beta2", s.beta2);
    settings.set("eps", s.eps);
    settings.set("weight_decay", s.weight_decay);
    settings.set("dampening", s.dampening);
    settings.set("nesterov", s.nesterov);
    meta.emplace_back("optimizer", json::dump(settings));
  }
  write_safetensors(path, tensors, meta);
}

json::Value load_checkpoint(const std::string& path, nn::Module& model, nn::Optimizer* opt) {
  SafetensorsReader file(path);
  auto meta_value = [&](const std::string& key) -> const std::string* {
    for (const auto& [k, v] : file.metadata())
      if (k == key) return &v;
    return nullptr;
  };
  const std::string* format = meta_value("format");
  ELBO_CHECK(format != nullptr && *format == kFormat, "load_checkpoint: ", path,
             " is a safetensors file but not an elbo checkpoint (its __metadata__ has no \"format\": \"", kFormat, "\")");
  const std::string* version = meta_value("version");
  ELBO_CHECK(version != nullptr && *version == kVersion, "load_checkpoint: ", path, ": checkpoint version ",
             version ? *version : std::string("(none)"), " is not supported; this build reads version ", kVersion);

  // Pairs of (destination tensor, file entry), all checked before any is written.
  struct Target {
    Tensor dst;
    const SafetensorsEntry* src;
  };
  std::vector<Target> targets;
  std::vector<std::string> expected;
  auto match = [&](const std::string& name, const Tensor& dst, const char* role) {
    const SafetensorsEntry* e = file.find(name);
    ELBO_CHECK(e != nullptr, "load_checkpoint: ", path, " has no tensor '", name, "' (", role, ")");
    ELBO_CHECK(e->dtype == dst.dtype(), "load_checkpoint: ", path, ": tensor '", name, "' is ", dtype_name(e->dtype),
               ", the ", role, " is ", dtype_name(dst.dtype()));
    ELBO_CHECK(e->shape == dst.shape(), "load_checkpoint: ", path, ": tensor '", name, "' has shape ", e->shape.str(),
               ", the ", role, " has shape ", dst.shape().str());
    targets.push_back({dst, e});
    expected.push_back(name);
  };
  for (const nn::NamedTensor& nt : model.named_parameters()) match(nt.name, nt.tensor, "model parameter");
  for (const nn::NamedTensor& nt : model.named_buffers()) match(nt.name, nt.tensor, "model buffer");

  std::vector<Tensor> steps;  // i64 scalars read for the optimiser, one per parameter
  json::Value settings;
  if (opt != nullptr) {
    const std::string* text = meta_value("optimizer");
    ELBO_CHECK(text != nullptr, "load_checkpoint: ", path, " holds no optimiser state (it was saved without an optimiser)");
    settings = json::parse(*text, path + " (__metadata__ optimizer)");
    std::string saved_kind = settings.at("kind").as_string();
    ELBO_CHECK(saved_kind == optimizer_kind_name(opt->settings().kind), "load_checkpoint: ", path,
               ": the optimiser state was saved by ", saved_kind, ", the optimiser given is ",
               optimizer_kind_name(opt->settings().kind));
    std::vector<std::string> names = optimizer_param_names(model, *opt, path);
    for (size_t i = 0; i < names.size(); ++i) {
      const nn::ParamState& st = opt->state()[i];
      if (st.m.defined()) match(slot_name(names[i], "m"), st.m, "optimiser state m");
      if (st.v.defined()) match(slot_name(names[i], "v"), st.v, "optimiser state v");
      std::string step = slot_name(names[i], "step");
      const SafetensorsEntry* e = file.find(step);
      ELBO_CHECK(e != nullptr && e->dtype == DType::i64 && e->shape.numel() == 1, "load_checkpoint: ", path,
                 ": expected an i64 scalar '", step, "'");
      expected.push_back(step);
      steps.push_back(file.read(*e));
    }
  }
  // Every tensor in the file must have been expected (optimiser tensors are skipped without an optimiser).
  for (const SafetensorsEntry& e : file.entries()) {
    if (opt == nullptr && e.name.rfind("optimizer/", 0) == 0) continue;
    bool known = false;
    for (const std::string& n : expected) known = known || n == e.name;
    ELBO_CHECK(known, "load_checkpoint: ", path, ": tensor '", e.name, "' in the file matches nothing in the ",
               e.name.rfind("optimizer/", 0) == 0 ? "optimiser" : "model", " (was it saved from another architecture?)");
  }

  // All checks passed: copy.
  for (const Target& t : targets) {
    Tensor src = file.read(*t.src);
    if (t.dst.device() != Device::cpu) src = src.to(t.dst.device());
    backend(t.dst).copy(src, t.dst);
  }
  if (opt != nullptr) {
    for (size_t i = 0; i < steps.size(); ++i) opt->state()[i].step = steps[i].data<int64_t>()[0];
    opt->set_lr(settings.at("lr").as_double());
  }
  const std::string* user = meta_value("metadata");
  return user != nullptr ? json::parse(*user, path + " (__metadata__ metadata)") : json::Value();
}

}  // namespace elbo::io
