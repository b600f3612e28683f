// Backend: the kernels one device provides, behind one interface.
//
// Ops (ops/*.hpp) check shapes, allocate outputs, record autodiff nodes and then call these
// kernels on the backend of their operands' device. A kernel only computes: it never
// allocates tensors (scratch comes from the backend's own allocator), never records history and
// writes only into the outputs it is given. Adding a device means implementing this class; the
// ops, autodiff, modules and models stay untouched.
//
// Conventions every backend keeps:
//   * Inputs may be any strided view unless a kernel says "contiguous"; outputs are written
//     through their strides.
//   * Every reduction runs in an order fixed by the shapes alone, never by the thread count,
//     so results are bit-identical whatever the number of threads.
//   * f32 and f64 are supported by every floating-point kernel.
#pragma once
#include <cstdint>

#include "elbo/tensor.hpp"

namespace elbo {

// y = f(x), elementwise. `a` and `b` are the op's parameters, where it has any.
enum class UnaryOp : uint8_t {
  neg,         // -x
  exp,         // e^x
  log,         // ln x
  log1p,       // ln(1 + x)
  sqrt,        // √x
  abs,         // |x|
  square,      // x²
  relu,        // max(x, 0)
  leaky_relu,  // x if x > 0 else a·x
  elu,         // x if x > 0 else a·(e^x − 1)
  sigmoid,     // 1 / (1 + e^−x)
  tanh,        // tanh x
  softplus,    // ln(1 + e^x), computed as max(x, 0) + ln(1 + e^−|x|)
  silu,        // x·σ(x)  (swish)
  pow_scalar,  // x^a
  soft_clamp,  // a·tanh(x / a): a smooth clamp to (−a, a)
  clamp,       // min(max(x, a), b)
  scale,       // a·x
  add_scalar,  // x + a
};
const char* unary_op_name(UnaryOp op);

// out = a ∘ b, elementwise, with a and b already broadcast to out's shape (stride 0).
enum class BinaryOp : uint8_t {
  add, sub, mul, div,
  pow,      // a^b
  maximum,  // max(a, b)
  minimum,  // min(a, b)
  equal,    // 1 if a == b else 0
  greater,  // 1 if a > b else 0
};
const char* binary_op_name(BinaryOp op);

enum class ReduceOp : uint8_t { sum, max };

// The activations a kernel can apply to its output as it writes it: those whose derivative is a
// function of the output y = f(z) alone, so that the backward pass needs y and not z:
//   relu      f(z) = max(z, 0)          f'(z) = [y > 0]
//   tanh      f(z) = tanh z             f'(z) = 1 − y²
//   sigmoid   f(z) = 1 / (1 + e^−z)     f'(z) = y·(1 − y)
// Each computes, to the bit, what the UnaryOp of the same name and its backward compute.
enum class FusedActivation : uint8_t { none, relu, tanh, sigmoid };
const char* activation_name(FusedActivation f);
UnaryOp activation_op(FusedActivation f);  // the UnaryOp of the same name; f must not be none

// What a kernel does to each element of its output, seen as [N, C, inner] (inner = OH·OW after
// a convolution, 1 after a matrix product), while the output is still in its caches:
//     y[n, c, k] ← f(y[n, c, k] + bias[c])       (no addition when bias is undefined)
// The same values, to the bit, as adding the bias and then applying f in two passes.
struct Epilogue {
  Tensor bias;  // [C] or undefined
  FusedActivation activation = FusedActivation::none;
};

// Geometry of a 2-D convolution over NCHW input x[N, C_in, H, W] with weight
// w[C_out, C_in / groups, KH, KW] giving y[N, C_out, OH, OW], where
//     OH = (H + 2·pad_h − dilation_h·(KH − 1) − 1) / stride_h + 1   (likewise OW).
// The transposed convolution uses the same geometry with x and y exchanged.
struct ConvGeometry {
  int64_t N = 0, C_in = 0, H = 0, W = 0;
  int64_t C_out = 0, KH = 0, KW = 0;
  int64_t OH = 0, OW = 0;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
};

// One Adam-family or SGD update of a parameter from its gradient (see nn/optim.hpp for the
// formulas). m and v are the optimiser's state tensors, shaped like the parameter.
struct OptimizerStep {
  enum Kind : uint8_t { sgd, adam, adamw, adamax } kind = adam;
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam family; beta1 is SGD's momentum
  double weight_decay = 0.0;
  double dampening = 0.0;  // SGD
  bool nesterov = false;   // SGD
  int64_t step = 1;        // 1-based step count, for bias correction
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual Allocator& allocator() = 0;

  // dst = src (shapes equal; src may be a broadcast view with zero strides; dtypes may differ).
  virtual void copy(const Tensor& src, const Tensor& dst) = 0;
  virtual void fill(const Tensor& dst, double value) = 0;

  virtual void unary(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y) = 0;
  // gx = gy · f'(x); the backend reads x or y, whichever the derivative is cheaper from.
  virtual void unary_backward(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y,
                              const Tensor& gy, const Tensor& gx) = 0;
  virtual void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) = 0;

  // out has x's rank, with extent 1 on every reduced axis.
  virtual void reduce(ReduceOp op, const Tensor& x, const Tensor& out) = 0;

  // c[b] = alpha · op(a[b]) · op(b[b]) + beta · c[b] for every batch index b, where op transposes
  // when asked. a, b and c are 3-D; their last dimension is contiguous; a zero batch stride
  // broadcasts an operand over the batch.
  virtual void gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
                    const Tensor& c) = 0;

  // Convolutions on contiguous NCHW tensors. backward_input and backward_weight overwrite gx and gw.
  // A transposed convolution's forward is conv2d_backward_input, and its input gradient is
  // conv2d_forward: the three kernels serve both ops.
  virtual void conv2d_forward(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& y) = 0;
  virtual void conv2d_backward_input(const ConvGeometry& g, const Tensor& gy, const Tensor& w, const Tensor& gx) = 0;
  virtual void conv2d_backward_weight(const ConvGeometry& g, const Tensor& x, const Tensor& gy,
                                      const Tensor& gw) = 0;

  // The same kernels with an epilogue on their output (the convolution's y, the transposed
  // convolution's output gx). The defaults run the kernel, then apply_epilogue.
  virtual void conv2d_forward_epilogue(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& y,
                                       const Epilogue& e);
  virtual void conv2d_backward_input_epilogue(const ConvGeometry& g, const Tensor& gy, const Tensor& w,
                                              const Tensor& gx, const Epilogue& e);

  // The epilogue on its own, in place on a contiguous y [N, C, ...]. The default adds the bias
  // with binary and applies f with unary.
  virtual void apply_epilogue(const Epilogue& e, const Tensor& y);
  // The backward of y = f(z + b) for contiguous y, gy, gz [N, C, ...]:
  //     gz = gy · f'(z), read from y;     gb[c] = Σ_{n, k} gz[n, c, k]   (when gb is defined)
  // with gb's sums in the order reduce(sum) gives them, so that the result is the same as
  // unary_backward followed by reduce. The default runs those two.
  virtual void activation_backward(FusedActivation f, const Tensor& y, const Tensor& gy, const Tensor& gz,
                                   const Tensor& gb);

  // Softmax (or log-softmax) over the last axis of a contiguous tensor, and its backward.
  virtual void softmax(bool log, const Tensor& x, const Tensor& y) = 0;
  virtual void softmax_backward(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx) = 0;

  // Counter-based random numbers (Philox4x32-10, rng.hpp): element i of dst (in row-major order)
  // is draw number `counter + i` of the stream (seed, stream), on every device.
  virtual void fill_uniform(const Tensor& dst, uint64_t seed, uint64_t stream, uint64_t counter) = 0;
  virtual void fill_normal(const Tensor& dst, uint64_t seed, uint64_t stream, uint64_t counter) = 0;

  // One optimiser update, in place on param, m and v (v unused by SGD).
  virtual void optimizer_update(const OptimizerStep& s, const Tensor& param, const Tensor& grad, const Tensor& m,
                                const Tensor& v) = 0;
};

// The backend of a device; throws if elbo was built without it.
Backend& backend(Device device);
inline Backend& backend(const Tensor& t) { return backend(t.device()); }
Allocator& allocator_for(Device device);
bool device_available(Device device);
// The kernel family OpenBLAS runs on this CPU (e.g. "Cooperlake"), for reports.
const char* cpu_blas_kernels();

}  // namespace elbo
