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

// The names a part gives its tensors and optimiser settings (checkpoint.hpp).
std::string part_name(const CheckpointPart& part, const std::string& name) {
  return part.prefix.empty() ? name : part.prefix + "." + name;
}
std::string settings_key(const CheckpointPart& part) {
  return part.prefix.empty() ? "optimizer" : "optimizer/" + part.prefix;
}

void check_parts(const std::string& path, const std::vector<CheckpointPart>& parts) {
  ELBO_CHECK(!parts.empty(), "checkpoint ", path, ": no parts given");
  for (size_t i = 0; i < parts.size(); ++i) {
    ELBO_CHECK(parts[i].module != nullptr, "checkpoint ", path, ": part ", i, " ('", parts[i].prefix, "') has no module");
    ELBO_CHECK(parts[i].prefix.find('/') == std::string::npos, "checkpoint ", path, ": part prefix '", parts[i].prefix,
               "' contains '/'");
    for (size_t j = 0; j < i; ++j)
      ELBO_CHECK(parts[i].prefix != parts[j].prefix, "checkpoint ", path, ": two parts have the prefix '",
                 parts[i].prefix, "'");
  }
}

json::Value optimizer_settings(const nn::Optimizer& opt) {
  const OptimizerStep& s = opt.settings();
  json::Value settings = json::Value::object();
  settings.set("kind", optimizer_kind_name(s.kind));
  settings.set("lr", s.lr);
  settings.set("beta1", s.beta1);
  settings.set("beta2", s.beta2);
  settings.set("eps", s.eps);
  settings.set("weight_decay", s.weight_decay);
  settings.set("dampening", s.dampening);
  settings.set("nesterov", s.nesterov);
  return settings;
}

}  // namespace

void save_checkpoint(const std::string& path, const std::vector<CheckpointPart>& parts, const json::Value& metadata) {
  check_parts(path, parts);
  std::vector<nn::NamedTensor> tensors;
  StringMap meta = {{"format", kFormat}, {"version", kVersion}, {"metadata", json::dump(metadata)}};
  for (const CheckpointPart& part : parts) {
    for (nn::NamedTensor& p : part.module->named_parameters()) tensors.push_back({part_name(part, p.name), p.tensor});
    for (nn::NamedTensor& b : part.module->named_buffers()) tensors.push_back({part_name(part, b.name), b.tensor});
  }
  for (const CheckpointPart& part : parts) {
    if (part.optimizer == nullptr) continue;
    const nn::Optimizer& opt = *part.optimizer;
    std::vector<std::string> names = optimizer_param_names(*part.module, opt, path);
    for (size_t i = 0; i < names.size(); ++i) {
      const nn::ParamState& st = opt.state()[i];
      std::string name = part_name(part, names[i]);
      if (st.m.defined()) tensors.push_back({slot_name(name, "m"), st.m});
      if (st.v.defined()) tensors.push_back({slot_name(name, "v"), st.v});
      tensors.push_back({slot_name(name, "step"), scalar(static_cast<double>(st.step), DType::i64)});
    }
    meta.emplace_back(settings_key(part), json::dump(optimizer_settings(opt)));
  }
  write_safetensors(path, tensors, meta);
}

void save_checkpoint(const std::string& path, const nn::Module& model, const nn::Optimizer* opt,
                     const json::Value& metadata) {
  // The parts API takes mutable pointers for loading; saving only reads through them.
  save_checkpoint(path, {{"", const_cast<nn::Module*>(&model), const_cast<nn::Optimizer*>(opt)}}, metadata);
}

json::Value load_checkpoint(const std::string& path, const std::vector<CheckpointPart>& parts) {
  check_parts(path, parts);
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
  for (const CheckpointPart& part : parts) {
    for (const nn::NamedTensor& nt : part.module->named_parameters())
      match(part_name(part, nt.name), nt.tensor, "model parameter");
    for (const nn::NamedTensor& nt : part.module->named_buffers())
      match(part_name(part, nt.name), nt.tensor, "model buffer");
  }

  struct StepTarget {
    nn::ParamState* state;
    Tensor saved;  // i64 scalar
  };
  std::vector<StepTarget> steps;
  std::vector<std::pair<nn::Optimizer*, double>> learning_rates;
  for (const CheckpointPart& part : parts) {
    if (part.optimizer == nullptr) continue;
    nn::Optimizer& opt = *part.optimizer;
    const std::string* text = meta_value(settings_key(part));
    ELBO_CHECK(text != nullptr, "load_checkpoint: ", path, " holds no optimiser state",
               part.prefix.empty() ? std::string() : " for '" + part.prefix + "'",
               " (it was saved without an optimiser)");
    json::Value settings = json::parse(*text, path + " (__metadata__ " + settings_key(part) + ")");
    std::string saved_kind = settings.at("kind").as_string();
    ELBO_CHECK(saved_kind == optimizer_kind_name(opt.settings().kind), "load_checkpoint: ", path,
               ": the optimiser state was saved by ", saved_kind, ", the optimiser given is ",
               optimizer_kind_name(opt.settings().kind));
    std::vector<std::string> names = optimizer_param_names(*part.module, opt, path);
    for (size_t i = 0; i < names.size(); ++i) {
      nn::ParamState& st = opt.state()[i];
      std::string name = part_name(part, names[i]);
      if (st.m.defined()) match(slot_name(name, "m"), st.m, "optimiser state m");
      if (st.v.defined()) match(slot_name(name, "v"), st.v, "optimiser state v");
      std::string step = slot_name(name, "step");
      const SafetensorsEntry* e = file.find(step);
      ELBO_CHECK(e != nullptr && e->dtype == DType::i64 && e->shape.numel() == 1, "load_checkpoint: ", path,
                 ": expected an i64 scalar '", step, "'");
      expected.push_back(step);
      steps.push_back({&st, file.read(*e)});
    }
    learning_rates.emplace_back(&opt, settings.at("lr").as_double());
  }
  // Every tensor in the file must have been expected. Optimiser tensors of a part loaded without
  // its optimiser are skipped: "optimizer/<name>/<slot>" belongs to the part whose prefix starts
  // <name> (the empty prefix when no other does).
  auto optimizer_skipped = [&](const std::string& entry) {
    std::string name = entry.substr(std::string("optimizer/").size());
    name = name.substr(0, name.rfind('/'));
    const CheckpointPart* owner = nullptr;
    for (const CheckpointPart& part : parts)
      if (part.prefix.empty() ? owner == nullptr : name.rfind(part.prefix + ".", 0) == 0) owner = &part;
    return owner != nullptr && owner->optimizer == nullptr;
  };
  for (const SafetensorsEntry& e : file.entries()) {
    bool is_optimizer = e.name.rfind("optimizer/", 0) == 0;
    if (is_optimizer && optimizer_skipped(e.name)) continue;
    bool known = false;
    for (const std::string& n : expected) known = known || n == e.name;
    ELBO_CHECK(known, "load_checkpoint: ", path, ": tensor '", e.name, "' in the file matches nothing in the ",
               is_optimizer ? "optimiser" : "model", " (was it saved from another architecture?)");
  }

  // All checks passed: copy.
  for (const Target& t : targets) {
    Tensor src = file.read(*t.src);
    if (t.dst.device() != Device::cpu) src = src.to(t.dst.device());
    backend(t.dst).copy(src, t.dst);
  }
  for (StepTarget& s : steps) s.state->step = s.saved.data<int64_t>()[0];
  for (auto& [opt, lr] : learning_rates) opt->set_lr(lr);
  const std::string* user = meta_value("metadata");
  return user != nullptr ? json::parse(*user, path + " (__metadata__ metadata)") : json::Value();
}

json::Value load_checkpoint(const std::string& path, nn::Module& model, nn::Optimizer* opt) {
  return load_checkpoint(path, {{"", &model, opt}});
}

}  // namespace elbo::io
