#include "elbo/ops/backend.hpp"

#include "ops/cpu/cpu_kernels.hpp"

namespace elbo {

namespace {
// The CPU backend: each method forwards to its kernel family in src/ops/cpu/.
class CpuBackend final : public Backend {
 public:
  CpuBackend() { cpu::choose_blas_kernels(); }
  Device device() const override { return Device::cpu; }
  Allocator& allocator() override { return cpu_allocator(); }
  void copy(const Tensor& src, const Tensor& dst) override { cpu::copy(src, dst); }
  void fill(const Tensor& dst, double value) override { cpu::fill(dst, value); }
  void unary(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y) override {
    cpu::unary(op, a, b, x, y);
  }
  void unary_backward(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y, const Tensor& gy,
                      const Tensor& gx) override {
    cpu::unary_backward(op, a, b, x, y, gy, gx);
  }
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override {
    cpu::binary(op, a, b, out);
  }
  void reduce(ReduceOp op, const Tensor& x, const Tensor& out) override { cpu::reduce(op, x, out); }
  void gemm(bool ta, bool tb, double alpha, const Tensor& a, const Tensor& b, double beta,
            const Tensor& c) override {
    cpu::gemm(ta, tb, alpha, a, b, beta, c);
  }
  void conv2d_forward(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& y) override {
    cpu::conv2d_forward(g, x, w, y);
  }
  void conv2d_backward_input(const ConvGeometry& g, const Tensor& gy, const Tensor& w, const Tensor& gx) override {
    cpu::conv2d_backward_input(g, gy, w, gx);
  }
  void conv2d_backward_weight(const ConvGeometry& g, const Tensor& x, const Tensor& gy, const Tensor& gw) override {
    cpu::conv2d_backward_weight(g, x, gy, gw);
  }
  void softmax(bool log, const Tensor& x, const Tensor& y) override { cpu::softmax(log, x, y); }
  void softmax_backward(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx) override {
    cpu::softmax_backward(log, y, gy, gx);
  }
  void fill_uniform(const Tensor& dst, uint64_t seed, uint64_t stream, uint64_t counter) override {
    cpu::fill_uniform(dst, seed, stream, counter);
  }
  void fill_normal(const Tensor& dst, uint64_t seed, uint64_t stream, uint64_t counter) override {
    cpu::fill_normal(dst, seed, stream, counter);
  }
  void optimizer_update(const OptimizerStep& s, const Tensor& param, const Tensor& grad, const Tensor& m,
                        const Tensor& v) override {
    cpu::optimizer_update(s, param, grad, m, v);
  }
};
}  // namespace

#if defined(ELBO_WITH_CUDA)
Backend& cuda_backend();     // src/ops/cuda/backend.cu
bool cuda_device_present();  // src/ops/cuda/backend.cu
#endif

Backend& backend(Device device) {
  if (device == Device::cpu) {
    static auto* cpu = new CpuBackend();
    return *cpu;
  }
#if defined(ELBO_WITH_CUDA)
  return cuda_backend();
#else
  detail::fail("backend: this build of elbo has no CUDA backend; reconfigure with -DELBO_CUDA=ON");
#endif
}

Allocator& allocator_for(Device device) { return backend(device).allocator(); }

bool device_available(Device device) {
#if defined(ELBO_WITH_CUDA)
  if (device == Device::cuda) return cuda_device_present();
#endif
  return device == Device::cpu;
}

const char* cpu_blas_kernels() {
  backend(Device::cpu);  // constructing the backend settles OpenBLAS's choice
  return cpu::blas_kernels();
}

const char* unary_op_name(UnaryOp op) {
  static const char* names[] = {"neg",     "exp",      "log",        "log1p",      "sqrt",  "abs",   "square",
                                "relu",    "leaky_relu", "elu",      "sigmoid",    "tanh",  "softplus",
                                "silu",    "pow",      "soft_clamp", "clamp",      "scale", "add_scalar"};
  return names[static_cast<int>(op)];
}

const char* binary_op_name(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "equal", "greater"};
  return names[static_cast<int>(op)];
}

}  // namespace elbo
