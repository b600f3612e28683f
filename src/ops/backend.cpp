#include "elbo/ops/backend.hpp"

#include "elbo/ops/shape.hpp"

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
  void conv2d_forward_epilogue(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& y,
                               const Epilogue& e) override {
    cpu::conv2d_forward(g, x, w, y, &e);
  }
  void conv2d_backward_input_epilogue(const ConvGeometry& g, const Tensor& gy, const Tensor& w, const Tensor& gx,
                                      const Epilogue& e) override {
    cpu::conv2d_backward_input(g, gy, w, gx, &e);
  }
  void apply_epilogue(const Epilogue& e, const Tensor& y) override { cpu::apply_epilogue(e, y); }
  void activation_backward(FusedActivation f, const Tensor& y, const Tensor& gy, const Tensor& gz,
                           const Tensor& gb) override {
    cpu::activation_backward(f, y, gy, gz, gb);
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

const char* activation_name(FusedActivation f) {
  static const char* names[] = {"none", "relu", "tanh", "sigmoid"};
  return names[static_cast<int>(f)];
}

UnaryOp activation_op(FusedActivation f) {
  switch (f) {
    case FusedActivation::relu: return UnaryOp::relu;
    case FusedActivation::tanh: return UnaryOp::tanh;
    case FusedActivation::sigmoid: return UnaryOp::sigmoid;
    case FusedActivation::none: break;
  }
  detail::fail("activation_op: the activation 'none' has no UnaryOp");
}

// ---- the defaults of the fused kernels: the unfused kernels one after the other ----------------

namespace {
// v [C] viewed as [1, C, 1, …] with y's rank, broadcast to y's shape when `broadcast`.
Tensor channel_view(const Tensor& v, const Tensor& y, bool broadcast) {
  Shape shape, strides;
  for (int i = 0; i < y.ndim(); ++i) {
    shape.push_back(i == 1 ? y.size(1) : 1);
    strides.push_back(i == 1 ? v.strides()[0] : 0);
  }
  Tensor view = make_view(v, shape, strides, v.offset());
  return broadcast ? broadcast_view(view, y.shape()) : view;
}
}  // namespace

void Backend::conv2d_forward_epilogue(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& y,
                                      const Epilogue& e) {
  conv2d_forward(g, x, w, y);
  apply_epilogue(e, y);
}

void Backend::conv2d_backward_input_epilogue(const ConvGeometry& g, const Tensor& gy, const Tensor& w,
                                             const Tensor& gx, const Epilogue& e) {
  conv2d_backward_input(g, gy, w, gx);
  apply_epilogue(e, gx);
}

void Backend::apply_epilogue(const Epilogue& e, const Tensor& y) {
  if (e.bias.defined()) binary(BinaryOp::add, y, channel_view(e.bias, y, true), y);
  if (e.activation != FusedActivation::none) unary(activation_op(e.activation), 0.0, 0.0, y, y);
}

void Backend::activation_backward(FusedActivation f, const Tensor& y, const Tensor& gy, const Tensor& gz,
                                  const Tensor& gb) {
  // relu's derivative reads its input z only through z > 0, which is y > 0.
  unary_backward(activation_op(f), 0.0, 0.0, y, y, gy, gz);
  if (gb.defined()) reduce(ReduceOp::sum, gz, channel_view(gb, gz, false));
}

const char* binary_op_name(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "equal", "greater"};
  return names[static_cast<int>(op)];
}

}  // namespace elbo
