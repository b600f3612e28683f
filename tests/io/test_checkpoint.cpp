#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/checkpoint.hpp"
#include "elbo/io/safetensors.hpp"
#include "elbo/nn.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::io;
using namespace elbo::testing;

namespace {

// A small model with parameters and buffers (BatchNorm's running statistics).
class Net : public nn::Module {
 public:
  explicit Net(uint64_t seed, int64_t hidden = 6) {
    nn::Init init;
    init.seed = seed;
    body.add<nn::Linear>(init, 4, hidden);
    body.add<nn::BatchNorm1d>(init, hidden);
    body.add<nn::Tanh>();
    body.add<nn::Linear>(init, hidden, 2);
    register_module("body", body);
  }
  Tensor forward(const Tensor& x) override { return body(x); }
  nn::Sequential body;
};

void train_step(Net& net, nn::Optimizer& opt, uint64_t step) {
  Tensor x = normal(Shape{8, 4}, 99, 1, step * 32);
  Tensor y = normal(Shape{8, 2}, 99, 2, step * 16);
  opt.zero_grad();
  Tensor loss = mean(mse(net(x), y));
  loss.backward();
  opt.step();
}

void check_same_state(const Net& a, const Net& b, const nn::Optimizer* oa, const nn::Optimizer* ob) {
  std::vector<nn::NamedTensor> pa = a.named_parameters(), pb = b.named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) CHECK_MESSAGE(same_bytes(pa[i].tensor, pb[i].tensor), pa[i].name);
  std::vector<nn::NamedTensor> ba = a.named_buffers(), bb = b.named_buffers();
  for (size_t i = 0; i < ba.size(); ++i) CHECK_MESSAGE(same_bytes(ba[i].tensor, bb[i].tensor), ba[i].name);
  if (oa == nullptr) return;
  for (size_t i = 0; i < oa->state().size(); ++i) {
    const nn::ParamState &sa = oa->state()[i], &sb = ob->state()[i];
    CHECK(sa.step == sb.step);
    CHECK(sa.m.defined() == sb.m.defined());
    CHECK(sa.v.defined() == sb.v.defined());
    if (sa.m.defined()) CHECK(same_bytes(sa.m, sb.m));
    if (sa.v.defined()) CHECK(same_bytes(sa.v, sb.v));
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("io: checkpoint round trip is bit exact, optimiser state included") {
  TempDir dir;
  for (int kind = 0; kind < 3; ++kind) {
    Net a(1);
    nn::Optimizer opt_a = kind == 0 ? nn::adam(a.parameters(), 1e-2)
                                    : kind == 1 ? nn::sgd(a.parameters(), 1e-2, 0.9) : nn::sgd(a.parameters(), 1e-2);
    for (uint64_t s = 0; s < 3; ++s) train_step(a, opt_a, s);
    json::Value meta = json::Value::object();
    meta.set("step", 3);
    meta.set("beta", 4.0);
    meta.set("rng_counter", uint64_t{18446744073709551615ull >> 1});
    std::string path = dir.file("ckpt.safetensors");
    save_checkpoint(path, a, &opt_a, meta);

    Net b(2);  // different initial weights
    nn::Optimizer opt_b = kind == 0 ? nn::adam(b.parameters(), 5.0)
                                    : kind == 1 ? nn::sgd(b.parameters(), 5.0, 0.9) : nn::sgd(b.parameters(), 5.0);
    std::vector<Tensor> before = b.parameters();
    json::Value got = load_checkpoint(path, b, &opt_b);
    CHECK(got == meta);
    CHECK(opt_b.lr() == 1e-2);
    check_same_state(a, b, &opt_a, &opt_b);
    // Loading wrote into the model's own tensors: the optimiser still holds them.
    std::vector<Tensor> after = b.parameters();
    for (size_t i = 0; i < after.size(); ++i) CHECK(after[i].impl() == before[i].impl());
    // Training on from the checkpoint gives the same bits as training on without stopping.
    train_step(a, opt_a, 3);
    train_step(b, opt_b, 3);
    check_same_state(a, b, &opt_a, &opt_b);
  }
}

TEST_CASE("io: checkpoint layout: names, slots and metadata strings") {
  TempDir dir;
  Net a(1);
  nn::Optimizer opt = nn::adam(a.parameters());
  train_step(a, opt, 0);
  save_checkpoint(dir.file("c.safetensors"), a, &opt, json::Value("free text"));
  SafetensorsReader r(dir.file("c.safetensors"));
  for (const char* name : {"body.0.weight", "body.0.bias", "body.1.weight", "body.1.running_mean",
                           "optimizer/body.0.weight/m", "optimizer/body.0.weight/v", "optimizer/body.3.bias/step"})
    CHECK_MESSAGE(r.find(name) != nullptr, name);
  const SafetensorsEntry* step = r.find("optimizer/body.0.weight/step");
  REQUIRE(step != nullptr);
  CHECK(step->dtype == DType::i64);
  CHECK(step->shape.ndim == 0);
  CHECK(r.read(*step).item() == 1);
  StringMap m = r.metadata();
  REQUIRE(m.size() == 4);
  CHECK(m[0] == std::pair<std::string, std::string>{"format", "elbo-checkpoint"});
  CHECK(m[2] == std::pair<std::string, std::string>{"metadata", "\"free text\""});
  CHECK(json::parse(m[3].second).at("kind").as_string() == "adam");
  // Model only: no optimiser entries; loading it into a model alone works, into a model + optimiser not.
  save_checkpoint(dir.file("w.safetensors"), a, nullptr, json::Value());
  SafetensorsReader w(dir.file("w.safetensors"));
  for (const SafetensorsEntry& e : w.entries()) CHECK(e.name.rfind("optimizer/", 0) == std::string::npos);
  Net b(5);
  CHECK(load_checkpoint(dir.file("c.safetensors"), b, nullptr).as_string() == "free text");
  check_same_state(a, b, nullptr, nullptr);
  nn::Optimizer opt_b = nn::adam(b.parameters());
  CHECK(error_of([&] { load_checkpoint(dir.file("w.safetensors"), b, &opt_b); }).find("holds no optimiser state") !=
        std::string::npos);
}

TEST_CASE("io: checkpoint mismatches are reported and leave the model untouched") {
  TempDir dir;
  Net a(1);
  nn::Optimizer opt = nn::adam(a.parameters());
  save_checkpoint(dir.file("c.safetensors"), a, &opt, json::Value::object());
  std::string path = dir.file("c.safetensors");

  Net wider(3, 7);
  Tensor w0 = wider.named_parameters()[0].tensor.clone();
  CHECK(error_of([&] { load_checkpoint(path, wider, nullptr); }) ==
        "load_checkpoint: " + path + ": tensor 'body.0.weight' has shape [6, 4], the model parameter has shape [7, 4]");
  CHECK(same_bytes(wider.named_parameters()[0].tensor, w0));  // nothing was written

  Net f64(3);
  f64.to(DType::f64);
  CHECK(error_of([&] { load_checkpoint(path, f64, nullptr); }).find("tensor 'body.0.weight' is f32, the model parameter is f64") !=
        std::string::npos);

  nn::Sequential other;
  nn::Init init;
  other.add<nn::Linear>(init, 4, 6);
  CHECK(error_of([&] { load_checkpoint(path, other, nullptr); }) ==
        "load_checkpoint: " + path + " has no tensor '0.weight' (model parameter)");

  class Smaller : public nn::Module {
   public:
    Smaller() {
      nn::Init init;
      body.add<nn::Linear>(init, 4, 6);
      register_module("body", body);
    }
    nn::Sequential body;
  } smaller;
  CHECK(error_of([&] { load_checkpoint(path, smaller, nullptr); }).find("tensor 'body.1.weight' in the file matches nothing in the model") !=
        std::string::npos);

  Net b(3);
  nn::Optimizer sgd = nn::sgd(b.parameters(), 0.1, 0.9);
  CHECK(error_of([&] { load_checkpoint(path, b, &sgd); }).find("saved by adam, the optimiser given is sgd") != std::string::npos);

  Net c(3);
  nn::Optimizer foreign = nn::adam({ones(Shape{2}).requires_grad_()});
  CHECK(error_of([&] { save_checkpoint(dir.file("x.safetensors"), c, &foreign, json::Value()); })
            .find("is not a parameter of the model") != std::string::npos);

  // Not a checkpoint, truncated, or corrupt.
  write_safetensors(dir.file("plain.safetensors"), {{"body.0.weight", zeros(Shape{6, 4})}});
  CHECK(error_of([&] { load_checkpoint(dir.file("plain.safetensors"), b, nullptr); }).find("not an elbo checkpoint") !=
        std::string::npos);
  std::vector<uint8_t> bytes = read_file(path);
  write_bytes(dir.file("cut.safetensors"), std::vector<uint8_t>(bytes.begin(), bytes.end() - 5));
  CHECK(error_of([&] { load_checkpoint(dir.file("cut.safetensors"), b, nullptr); }).find("truncated or corrupt") !=
        std::string::npos);
  std::vector<uint8_t> bad = bytes;
  bad[7] = 0x7F;  // header length ~ 9e18
  write_bytes(dir.file("bad.safetensors"), bad);
  CHECK(error_of([&] { load_checkpoint(dir.file("bad.safetensors"), b, nullptr); }).find("header length at byte offset 0") !=
        std::string::npos);
}

TEST_CASE("io: checkpoint of several parts: prefixed names, every optimiser, checked before written") {
  TempDir dir;
  Net a(1), b(2, 5);
  nn::Optimizer opt_a = nn::adam(a.parameters(), 1e-2), opt_b = nn::adam(b.parameters(), 3e-3, 0.5, 0.9);
  for (uint64_t s = 0; s < 3; ++s) {
    train_step(a, opt_a, s);
    train_step(b, opt_b, s + 10);
  }
  std::string path = dir.file("parts.safetensors");
  save_checkpoint(path, {{"", &a, &opt_a}, {"second", &b, &opt_b}}, json::Value(int64_t{42}));

  SafetensorsReader r(path);
  for (const char* name : {"body.0.weight", "second.body.0.weight", "second.body.1.running_var",
                           "optimizer/body.0.weight/m", "optimizer/second.body.0.weight/v",
                           "optimizer/second.body.3.bias/step"})
    CHECK_MESSAGE(r.find(name) != nullptr, name);
  CHECK(r.find("second.body.0.weight")->shape == Shape{5, 4});
  std::vector<std::string> keys;
  for (const auto& [k, v] : r.metadata()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"format", "version", "metadata", "optimizer", "optimizer/second"});
  for (const auto& [k, v] : r.metadata())
    if (k == "optimizer/second") CHECK(json::parse(v).at("lr").as_double() == 3e-3);

  // A one-part file written through the parts API is the single-module file, byte for byte.
  save_checkpoint(dir.file("one.safetensors"), a, &opt_a, json::Value());
  save_checkpoint(dir.file("one-part.safetensors"), {{"", &a, &opt_a}}, json::Value());
  CHECK(read_file(dir.file("one.safetensors")) == read_file(dir.file("one-part.safetensors")));

  // Round trip: both models and both optimisers, then both continue identically.
  Net a2(7), b2(8, 5);
  nn::Optimizer opt_a2 = nn::adam(a2.parameters(), 1.0), opt_b2 = nn::adam(b2.parameters(), 1.0, 0.5, 0.9);
  CHECK(load_checkpoint(path, {{"", &a2, &opt_a2}, {"second", &b2, &opt_b2}}).as_int() == 42);
  check_same_state(a, a2, &opt_a, &opt_a2);
  check_same_state(b, b2, &opt_b, &opt_b2);
  CHECK(opt_b2.lr() == 3e-3);
  train_step(b, opt_b, 20);
  train_step(b2, opt_b2, 20);
  check_same_state(b, b2, &opt_b, &opt_b2);

  // Weights only: every optimiser tensor is skipped; one part with its optimiser, the other without.
  Net a3(9), b3(10, 5);
  load_checkpoint(path, {{"", &a3, nullptr}, {"second", &b3, nullptr}});
  check_same_state(a, a3, nullptr, nullptr);
  Net b4(11, 5);
  nn::Optimizer opt_b4 = nn::adam(b4.parameters());
  Net a4(12);
  load_checkpoint(path, {{"", &a4, nullptr}, {"second", &b4, &opt_b4}});
  check_same_state(b3, b4, nullptr, nullptr);
  CHECK(opt_b4.state()[0].step == 3);
  CHECK(opt_b4.lr() == 3e-3);

  // A part missing from the file, or a file part the caller did not name: reported, nothing written.
  Net a5(13), c5(14);
  Tensor before = a5.named_parameters()[0].tensor.clone();
  CHECK(error_of([&] { load_checkpoint(path, {{"", &a5, nullptr}, {"third", &c5, nullptr}}); }) ==
        "load_checkpoint: " + path + " has no tensor 'third.body.0.weight' (model parameter)");
  CHECK(same_bytes(a5.named_parameters()[0].tensor, before));
  CHECK(error_of([&] { load_checkpoint(path, {{"", &a5, nullptr}}); }).find("tensor 'second.body.0.weight' in the file matches nothing") !=
        std::string::npos);
  CHECK(same_bytes(a5.named_parameters()[0].tensor, before));
  CHECK(error_of([&] { save_checkpoint(path, {{"x", &a, nullptr}, {"x", &b, nullptr}}, json::Value()); })
            .find("two parts have the prefix 'x'") != std::string::npos);
}
