// 2-D convolutions and their transposes; the formulas are in include/elbo/ops/conv.hpp.
//
// Both ops run on the same three backend kernels (ops/backend.hpp), with one ConvGeometry that
// always describes the convolution x[N, C_in, H, W] → y[N, C_out, OH, OW]:
//
//                      forward                  d/d input              d/d weight
//   conv2d             conv2d_forward           conv2d_backward_input  conv2d_backward_weight(x, g)
//   conv_transpose2d   conv2d_backward_input    conv2d_forward         conv2d_backward_weight(g, x)
//
// (a transposed convolution is the input-gradient of the convolution whose input has the
// transposed convolution's output shape). The bias, and an activation f if given, are the
// kernel's epilogue on each block of the output (ops/backend.hpp). Backward: with f, the
// gradient g' = g·f'(·) is read from the output y and the bias gradient Σ_{n,i,j} g'[n, o, i, j]
// summed in the same pass (activation_backward); without f, g' = g and the bias gradient is a sum.
#include "elbo/ops/conv.hpp"

#include "elbo/autograd.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/ops/reduce.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo {

namespace {

// The 16 integers of a geometry, in Node::ints.
void save_geometry(Node& n, const ConvGeometry& g) {
  const int64_t v[16] = {g.N,        g.C_in,     g.H,     g.W,     g.C_out,      g.KH,         g.KW,         g.OH,
                         g.OW,       g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.dilation_h, g.dilation_w, g.groups};
  for (int i = 0; i < 16; ++i) n.ints[i] = v[i];
}

ConvGeometry load_geometry(const Node& n) {
  const int64_t* v = n.ints;
  return ConvGeometry{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
}

// Checks the operands and options of `op`; returns the geometry of the underlying convolution.
// transposed: x is the transposed convolution's input, weight is [C_in, C_out/groups, KH, KW].
ConvGeometry make_geometry(const char* op, bool transposed, const Tensor& x, const Tensor& weight,
                           const Tensor& bias, const Conv2dOptions& o) {
  ELBO_CHECK(x.defined() && weight.defined(), op, ": undefined input or weight");
  ELBO_CHECK(x.ndim() == 4 && weight.ndim() == 4, op, ": needs a 4-D input [N, C, H, W] and a 4-D weight, got ",
             x.str(), " and ", weight.str());
  ELBO_CHECK(x.dtype() == weight.dtype() && is_floating(x.dtype()), op, ": needs an f32 or f64 input and weight of ",
             "one dtype, got ", x.str(), " and ", weight.str());
  ELBO_CHECK(x.device() == weight.device(), op, ": devices differ: ", x.str(), " and ", weight.str());
  ELBO_CHECK(o.stride >= 1 && o.dilation >= 1 && o.padding >= 0 && o.groups >= 1 && o.output_padding >= 0, op,
             ": stride ", o.stride, ", dilation ", o.dilation, " and groups ", o.groups,
             " must be positive; padding ", o.padding, " and output_padding ", o.output_padding, " non-negative");
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t KH = weight.size(2), KW = weight.size(3), G = o.groups;
  ConvGeometry g;
  g.KH = KH;
  g.KW = KW;
  g.stride_h = g.stride_w = o.stride;
  g.pad_h = g.pad_w = o.padding;
  g.dilation_h = g.dilation_w = o.dilation;
  g.groups = G;
  g.N = N;
  if (!transposed) {
    ELBO_CHECK(o.output_padding == 0, op, ": output_padding ", o.output_padding, " applies only to conv_transpose2d");
    ELBO_CHECK(C % G == 0 && weight.size(0) % G == 0 && weight.size(1) * G == C, op, ": input ", x.shape().str(),
               " has ", C, " channels but weight ", weight.shape().str(), " [C_out, C_in/groups, KH, KW] with groups ",
               G, " expects ", weight.size(1) * G, " (and C_out divisible by groups)");
    g.C_in = C;
    g.H = H;
    g.W = W;
    g.C_out = weight.size(0);
    // OH = (H + 2·pad − d·(KH − 1) − 1) / s + 1
    const int64_t span_h = H + 2 * o.padding - o.dilation * (KH - 1) - 1, span_w = W + 2 * o.padding - o.dilation * (KW - 1) - 1;
    ELBO_CHECK(span_h >= 0 && span_w >= 0, op, ": input ", x.shape().str(), " with padding ", o.padding,
               " is smaller than the dilated kernel ", KH, "x", KW, " (dilation ", o.dilation, ")");
    g.OH = span_h / o.stride + 1;
    g.OW = span_w / o.stride + 1;
  } else {
    ELBO_CHECK(o.output_padding < o.stride || o.output_padding < o.dilation, op, ": output_padding ",
               o.output_padding, " must be smaller than the stride ", o.stride, " or the dilation ", o.dilation);
    ELBO_CHECK(weight.size(0) == C && C % G == 0, op, ": input ", x.shape().str(), " has ", C,
               " channels but weight ", weight.shape().str(), " [C_in, C_out/groups, KH, KW] expects ",
               weight.size(0), " (divisible by groups ", G, ")");
    g.C_out = C;
    g.OH = H;
    g.OW = W;
    g.C_in = weight.size(1) * G;
    // OH = (H − 1)·s − 2·pad + d·(KH − 1) + output_padding + 1
    g.H = (H - 1) * o.stride - 2 * o.padding + o.dilation * (KH - 1) + o.output_padding + 1;
    g.W = (W - 1) * o.stride - 2 * o.padding + o.dilation * (KW - 1) + o.output_padding + 1;
    ELBO_CHECK(g.H >= 1 && g.W >= 1, op, ": input ", x.shape().str(), " with padding ", o.padding,
               " gives an empty output (", g.H, "x", g.W, ")");
  }
  ELBO_CHECK(N >= 1 && C >= 1 && H >= 1 && W >= 1 && KH >= 1 && KW >= 1 && g.C_in >= 1 && g.C_out >= 1, op,
             ": empty input ", x.shape().str(), " or weight ", weight.shape().str());
  const int64_t out_channels = transposed ? g.C_in : g.C_out;
  ELBO_CHECK(!bias.defined() || (bias.ndim() == 1 && bias.size(0) == out_channels), op, ": bias ", bias.str(),
             " should have shape [", out_channels, "] for weight ", weight.shape().str());
  ELBO_CHECK(!bias.defined() || (bias.dtype() == x.dtype() && bias.device() == x.device()), op, ": bias ",
             bias.str(), " differs in dtype or device from the input ", x.str());
  return g;
}

Tensor new_output(const Shape& shape, const Tensor& like) { return empty(shape, like.dtype(), like.device()); }

// The node's name: the op, and its activation if any.
const char* op_name(bool transposed, FusedActivation f) {
  static const char* names[2][4] = {{"conv2d", "conv2d+relu", "conv2d+tanh", "conv2d+sigmoid"},
                                    {"conv_transpose2d", "conv_transpose2d+relu", "conv_transpose2d+tanh",
                                     "conv_transpose2d+sigmoid"}};
  return names[transposed ? 1 : 0][static_cast<int>(f)];
}

// Records the node of a convolution op with output y: n.inputs = {x, weight, bias}, n.ints = the
// geometry, n.scalars[0] = the activation, n.saved[0] = y when there is one.
void record_conv(bool transposed, BackwardFn backward, Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias,
                 const ConvGeometry& g, FusedActivation f) {
  Node& n = record(op_name(transposed, f), backward, y, {x, w, bias});
  save_geometry(n, g);
  n.scalars[0] = static_cast<double>(f);
  if (f != FusedActivation::none) n.saved[0] = y.detach();
}

// The gradient at the kernel's output (before the activation), and the bias gradient from it.
struct OutputGradient {
  Tensor gy, gb;  // gb undefined when the bias needs none
};
OutputGradient output_gradient(Node& n, const Tensor& grad) {
  const Tensor& b = n.inputs[2];
  const auto f = static_cast<FusedActivation>(static_cast<int>(n.scalars[0]));
  const bool bias_grad = b.defined() && b.requires_grad();
  OutputGradient out;
  if (f == FusedActivation::none) {
    out.gy = contiguous(grad);
    if (bias_grad) out.gb = sum(out.gy, {0, 2, 3}, false);
    return out;
  }
  const Tensor& y = n.saved[0];
  out.gy = new_output(y.shape(), y);
  if (bias_grad) out.gb = new_output(b.shape(), b);
  backend(y).activation_backward(f, y, contiguous(grad), out.gy, out.gb);
  return out;
}

void conv2d_backward(Node& n, const Tensor& grad) {
  const ConvGeometry g = load_geometry(n);
  const Tensor &x = n.inputs[0], &w = n.inputs[1];
  const OutputGradient og = output_gradient(n, grad);
  const Tensor& gy = og.gy;
  if (x.requires_grad()) {  // dx = conv_transpose2d(g, w)
    Tensor gx = new_output(x.shape(), gy);
    backend(gy).conv2d_backward_input(g, gy, w, gx);
    accumulate_grad(n, 0, gx);
  }
  if (w.requires_grad()) {  // dw = Σ_n g ⋆ x
    Tensor gw = new_output(w.shape(), gy);
    backend(gy).conv2d_backward_weight(g, x, gy, gw);
    accumulate_grad(n, 1, gw);
  }
  if (og.gb.defined()) accumulate_grad(n, 2, og.gb);
}

// n.ints = the geometry of the convolution whose input gradient this op computes (its input has
// the shape of this op's output, its output the shape of x).
void conv_transpose2d_backward(Node& n, const Tensor& grad) {
  const ConvGeometry g = load_geometry(n);
  const Tensor &x = n.inputs[0], &w = n.inputs[1];
  const OutputGradient og = output_gradient(n, grad);
  const Tensor& gy = og.gy;
  if (x.requires_grad()) {  // dx = conv2d(g, w)
    Tensor gx = new_output(x.shape(), gy);
    backend(gy).conv2d_forward(g, gy, w, gx);
    accumulate_grad(n, 0, gx);
  }
  if (w.requires_grad()) {  // dw = Σ_n x ⋆ g
    Tensor gw = new_output(w.shape(), gy);
    backend(gy).conv2d_backward_weight(g, gy, x, gw);
    accumulate_grad(n, 1, gw);
  }
  if (og.gb.defined()) accumulate_grad(n, 2, og.gb);
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options,
              FusedActivation f) {
  const ConvGeometry g = make_geometry("conv2d", false, x, weight, bias, options);
  Tensor xc = contiguous(x), wc = contiguous(weight);
  Tensor y = new_output(Shape{g.N, g.C_out, g.OH, g.OW}, x);
  backend(x).conv2d_forward_epilogue(g, xc, wc, y, Epilogue{bias.defined() ? contiguous(bias) : Tensor(), f});
  if (needs_grad(xc, wc, bias)) record_conv(false, conv2d_backward, y, xc, wc, bias, g, f);
  return y;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options,
                        FusedActivation f) {
  const ConvGeometry g = make_geometry("conv_transpose2d", true, x, weight, bias, options);
  Tensor xc = contiguous(x), wc = contiguous(weight);
  Tensor y = new_output(Shape{g.N, g.C_in, g.H, g.W}, x);
  backend(x).conv2d_backward_input_epilogue(g, xc, wc, y, Epilogue{bias.defined() ? contiguous(bias) : Tensor(), f});
  if (needs_grad(xc, wc, bias)) record_conv(true, conv_transpose2d_backward, y, xc, wc, bias, g, f);
  return y;
}

}  // namespace elbo
