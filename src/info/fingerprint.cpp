// Fingerprint samples, channel sets and rows of their coefficient matrices (fingerprint.hpp,
// coefficient_rows.hpp).
#include "elbo/info/fingerprint.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "elbo/info/bhattacharyya.hpp"
#include "elbo/ops/shape.hpp"
#include "elbo/rng.hpp"
#include "info/coefficient_rows.hpp"
#include "ops/cpu/vecmath.hpp"

namespace elbo::info {

// ---- the fingerprint sample ---------------------------------------------------------------------

FingerprintSample draw_fingerprint_sample(int64_t dataset_size, int64_t n, uint64_t seed) {
  ELBO_CHECK(dataset_size >= 1 && dataset_size < (int64_t{1} << 32), "draw_fingerprint_sample: dataset size ",
             dataset_size, " must be in [1, 2^32)");
  ELBO_CHECK(n >= 1 && n <= dataset_size, "draw_fingerprint_sample: cannot draw ", n, " distinct points from ",
             dataset_size);
  // Partial Fisher–Yates: position k swaps with a uniform position in [k, dataset_size). Only the
  // positions that have been swapped are stored (`moved`), so memory is O(n), not O(dataset_size).
  std::unordered_map<int64_t, int64_t> moved;
  auto at = [&](int64_t k) {
    auto it = moved.find(k);
    return it == moved.end() ? k : it->second;
  };
  Rng rng{seed, 0, 0};
  FingerprintSample sample{seed, dataset_size, {}};
  sample.indices.reserve(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    int64_t j = k + static_cast<int64_t>(rng.below(static_cast<uint64_t>(dataset_size - k)));
    int64_t value_j = at(j);
    moved[j] = at(k);
    sample.indices.push_back(value_j);
  }
  return sample;
}

Tensor take_fingerprint_rows(const Tensor& x, const FingerprintSample& sample) {
  ELBO_CHECK(x.defined() && x.ndim() >= 1, "take_fingerprint_rows: need a tensor [dataset_size, ...]");
  ELBO_CHECK(x.size(0) == sample.dataset_size, "take_fingerprint_rows: the tensor has ", x.size(0),
             " rows but the sample was drawn from a dataset of ", sample.dataset_size);
  Tensor c = contiguous(x);
  Shape shape = c.shape();
  shape[0] = static_cast<int64_t>(sample.indices.size());
  Tensor out = empty(shape, c.dtype());
  const size_t row_bytes = static_cast<size_t>(c.numel() / c.size(0)) * dtype_size(c.dtype());
  const char* src = static_cast<const char*>(c.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  for (size_t r = 0; r < sample.indices.size(); ++r)
    std::memcpy(dst + r * row_bytes, src + static_cast<size_t>(sample.indices[r]) * row_bytes, row_bytes);
  return out;
}

// ---- channel sets ---------------------------------------------------------------------------------

namespace {

std::vector<int64_t> indices_of(const FingerprintSample* sample, int64_t n, const char* what) {
  if (!sample) return {};
  ELBO_CHECK(static_cast<int64_t>(sample->indices.size()) == n, what, ": the posteriors hold ", n,
             " points but the fingerprint sample has ", sample->indices.size());
  return sample->indices;
}

}  // namespace

ChannelSet gaussian_subspaces(const Tensor& means, const Tensor& logvars, const std::vector<int64_t>& dims_per_channel,
                              const FingerprintSample* sample) {
  check_posteriors("gaussian_channels", means, logvars);
  ChannelSet set;
  set.kind = ChannelKind::gaussian;
  set.means = means.ndim() == 1 ? reshape(means, Shape{means.size(0), 1}) : means;
  set.logvars = logvars.ndim() == 1 ? reshape(logvars, Shape{logvars.size(0), 1}) : logvars;
  set.num_points = set.means.size(0);
  set.dtype = means.dtype() == DType::f64 || logvars.dtype() == DType::f64 ? DType::f64 : DType::f32;
  const int64_t dims = set.means.size(1);
  set.dim_start.push_back(0);
  for (int64_t g : dims_per_channel) {
    ELBO_CHECK(g >= 1, "gaussian_subspaces: a channel needs at least one dimension, got ", g);
    set.dim_start.push_back(set.dim_start.back() + g);
  }
  ELBO_CHECK(set.dim_start.back() == dims, "gaussian_subspaces: the channels cover ", set.dim_start.back(),
             " dimensions but the posteriors have ", dims);
  set.num_channels = static_cast<int64_t>(dims_per_channel.size());
  set.sample_indices = indices_of(sample, set.num_points, "gaussian_channels");
  return set;
}

ChannelSet gaussian_channels(const Tensor& means, const Tensor& logvars, const FingerprintSample* sample) {
  check_posteriors("gaussian_channels", means, logvars);
  int64_t dims = means.ndim() == 1 ? 1 : means.size(1);
  return gaussian_subspaces(means, logvars, std::vector<int64_t>(static_cast<size_t>(dims), 1), sample);
}

ChannelSet label_channels(const Tensor& labels, const FingerprintSample* sample) {
  ELBO_CHECK(labels.defined() && (labels.ndim() == 1 || labels.ndim() == 2),
             "label_channels: labels must be [N, K] (or [N]), got ", labels.defined() ? labels.str() : "undefined");
  ChannelSet set;
  set.kind = ChannelKind::labels;
  set.labels = labels.ndim() == 1 ? reshape(labels, Shape{labels.size(0), 1}) : labels;
  set.num_points = set.labels.size(0);
  set.num_channels = set.labels.size(1);
  set.dtype = DType::f64;
  std::vector<double> v = set.labels.to_vector();
  for (size_t k = 0; k < v.size(); ++k)
    ELBO_CHECK(v[k] == std::floor(v[k]) && std::abs(v[k]) < 9e15, "label_channels: element ", k, " is ", v[k],
               " (labels must be integers)");
  set.sample_indices = indices_of(sample, set.num_points, "label_channels");
  return set;
}

ChannelSet coefficient_channels(const Tensor& coefficients, const FingerprintSample* sample) {
  ELBO_CHECK(coefficients.defined() && is_floating(coefficients.dtype()) &&
                 (coefficients.ndim() == 2 || coefficients.ndim() == 3),
             "coefficient_channels: need f32/f64 matrices [M, N, N] (or [N, N]), got ",
             coefficients.defined() ? coefficients.str() : "undefined");
  ChannelSet set;
  set.kind = ChannelKind::coefficients;
  set.coefficients = coefficients.ndim() == 2 ? reshape(coefficients, Shape{1, coefficients.size(0), coefficients.size(1)})
                                              : coefficients;
  set.num_channels = set.coefficients.size(0);
  set.num_points = set.coefficients.size(1);
  ELBO_CHECK(set.coefficients.size(2) == set.num_points, "coefficient_channels: matrices must be square, got ",
             coefficients.str());
  set.dtype = coefficients.dtype();
  set.sample_indices = indices_of(sample, set.num_points, "coefficient_channels");
  return set;
}

void check_same_points(const char* what, const ChannelSet& a, const ChannelSet& b) {
  ELBO_CHECK(a.num_points == b.num_points, what, ": the channel sets hold ", a.num_points, " and ", b.num_points,
             " points; both must be evaluated on the same fingerprint sample");
  ELBO_CHECK(a.sample_indices.empty() || b.sample_indices.empty() || a.sample_indices == b.sample_indices, what,
             ": the channel sets were evaluated on different fingerprint samples (draw the sample once and "
             "evaluate every model on it)");
}

ChannelSet select_channels(const ChannelSet& set, const std::vector<int64_t>& channels) {
  for (int64_t c : channels)
    ELBO_CHECK(c >= 0 && c < set.num_channels, "select_channels: channel ", c, " out of range [0, ", set.num_channels, ")");
  ChannelSet out = set;
  out.num_channels = static_cast<int64_t>(channels.size());
  if (set.kind == ChannelKind::gaussian) {
    std::vector<Tensor> means, logvars;
    out.dim_start = {0};
    for (int64_t c : channels) {
      int64_t d0 = set.dim_start[static_cast<size_t>(c)], d1 = set.dim_start[static_cast<size_t>(c) + 1];
      means.push_back(slice(set.means, 1, d0, d1));
      logvars.push_back(slice(set.logvars, 1, d0, d1));
      out.dim_start.push_back(out.dim_start.back() + d1 - d0);
    }
    out.means = concat(means, 1);
    out.logvars = concat(logvars, 1);
  } else if (set.kind == ChannelKind::labels) {
    std::vector<Tensor> columns;
    for (int64_t c : channels) columns.push_back(slice(set.labels, 1, c, c + 1));
    out.labels = concat(columns, 1);
  } else {
    std::vector<Tensor> mats;
    for (int64_t c : channels) mats.push_back(slice(set.coefficients, 0, c, c + 1));
    out.coefficients = concat(mats, 0);
  }
  return out;
}

// ---- rows of coefficient matrices -----------------------------------------------------------------

namespace detail {

template <class T>
PreparedChannels<T> prepare_channels(const ChannelSet& set) {
  PreparedChannels<T> p;
  p.kind = set.kind;
  p.channels = set.num_channels;
  p.points = set.num_points;
  const int64_t n = set.num_points;
  if (set.kind == ChannelKind::gaussian) {
    Tensor means = posterior_f64(set.means), logvars = posterior_f64(set.logvars);
    const int64_t dims = means.size(1);
    // ln σ² beyond these bounds would overflow σ² (or underflow σ² + σ'²) in the arithmetic type.
    const double bound = std::is_same_v<T, float> ? 80.0 : 700.0;
    p.mean.resize(static_cast<size_t>(dims * n));
    p.var.resize(p.mean.size());
    p.scale.resize(p.mean.size());
    const double *m = means.data<double>(), *lv = logvars.data<double>();
    const double root2_4 = std::pow(2.0, 0.25);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t d = 0; d < dims; ++d) {
        double l = lv[j * dims + d];
        ELBO_CHECK(std::abs(l) <= bound, "fingerprint: log-variance ", l, " (point ", j, ", dimension ", d,
                   ") is outside [−", bound, ", ", bound, "], where σ² is representable in ",
                   std::is_same_v<T, float> ? "f32 (set the channel set's dtype to f64)" : "f64");
        size_t k = static_cast<size_t>(d * n + j);
        p.mean[k] = static_cast<T>(m[j * dims + d]);
        p.var[k] = static_cast<T>(std::exp(l));
        p.scale[k] = static_cast<T>(root2_4 * std::exp(0.25 * l));  // 2^¼ σ^½
      }
    p.dim_start = set.dim_start;
  } else if (set.kind == ChannelKind::labels) {
    std::vector<double> v = set.labels.to_vector();  // [N, M]
    p.label.resize(v.size());
    for (int64_t j = 0; j < n; ++j)
      for (int64_t c = 0; c < p.channels; ++c)
        p.label[static_cast<size_t>(c * n + j)] = static_cast<int64_t>(v[static_cast<size_t>(j * p.channels + c)]);
  } else {
    Tensor c = contiguous(to_dtype(set.coefficients, std::is_same_v<T, float> ? DType::f32 : DType::f64));
    const T* src = c.data<T>();
    p.coefficient.assign(src, src + c.numel());
    for (int64_t ch = 0; ch < p.channels; ++ch)
      for (int64_t i = 0; i < n; ++i) {
        T* row = p.coefficient.data() + (ch * n + i) * n;
        for (int64_t j = 0; j < n; ++j)
          ELBO_CHECK(row[j] >= T(0) && row[j] <= T(1 + 1e-6), "fingerprint: coefficient [", ch, ", ", i, ", ", j,
                     "] = ", row[j], " is outside [0, 1]");
        ELBO_CHECK(std::abs(row[i] - T(1)) <= T(1e-6), "fingerprint: coefficient [", ch, ", ", i, ", ", i, "] = ",
                   row[i], ": a point is indistinguishable from itself, the diagonal must be 1");
        row[i] = T(1);
      }
  }
  return p;
}

namespace {

// out[j] = (or ·=) C_ij of one Gaussian dimension, for j < n (formula in coefficient_rows.hpp).
template <class T>
void gaussian_dimension_row(const T* mean, const T* var, const T* scale, int64_t i, int64_t n, bool multiply, T* out) {
  using V = vm::Vec<T>;
  constexpr int64_t W = vm::width<V>;
  const V mi(mean[i]), vi(var[i]), ci(scale[i]);
  auto coefficient = [&](V mj, V vj, V cj) {
    V q = V(T(1)) / vm::sqrt(vi + vj);
    V z = (mi - mj) * q;
    return ((ci * cj) * q) * vm::exp(V(T(-0.25)) * (z * z));
  };
  int64_t j = 0;
  for (; j + W <= n; j += W) {
    V c = coefficient(vm::load<V>(mean + j), vm::load<V>(var + j), vm::load<V>(scale + j));
    if (multiply) c = c * vm::load<V>(out + j);
    vm::store(out + j, c);
  }
  if (j < n) {
    int64_t len = n - j;
    V c = coefficient(vm::load<V>(mean + j, len), vm::load<V>(var + j, len), vm::load<V>(scale + j, len));
    if (multiply) c = c * vm::load<V>(out + j, len);
    vm::store(out + j, c, len);
  }
}

}  // namespace

template <class T>
void fill_coefficient_row(const PreparedChannels<T>& p, int64_t c, int64_t i, T* row) {
  const int64_t n = p.points;
  if (p.kind == ChannelKind::gaussian) {
    const int64_t first = p.dim_start[static_cast<size_t>(c)], last = p.dim_start[static_cast<size_t>(c) + 1];
    for (int64_t d = first; d < last; ++d) {
      size_t at = static_cast<size_t>(d * n);
      gaussian_dimension_row(p.mean.data() + at, p.var.data() + at, p.scale.data() + at, i, n, d > first, row);
    }
    row[i] = T(1);
  } else if (p.kind == ChannelKind::labels) {
    const int64_t* label = p.label.data() + c * n;
    for (int64_t j = 0; j < n; ++j) row[j] = label[j] == label[i] ? T(1) : T(0);
  } else {
    std::memcpy(row, p.coefficient.data() + (c * n + i) * n, static_cast<size_t>(n) * sizeof(T));
  }
}

template <class T>
void fill_coefficient_rows(const PreparedChannels<T>& p, int64_t i, T* out, int64_t ld) {
  for (int64_t c = 0; c < p.channels; ++c) fill_coefficient_row(p, c, i, out + c * ld);
}

template PreparedChannels<float> prepare_channels<float>(const ChannelSet&);
template PreparedChannels<double> prepare_channels<double>(const ChannelSet&);
template void fill_coefficient_row<float>(const PreparedChannels<float>&, int64_t, int64_t, float*);
template void fill_coefficient_row<double>(const PreparedChannels<double>&, int64_t, int64_t, double*);
template void fill_coefficient_rows<float>(const PreparedChannels<float>&, int64_t, float*, int64_t);
template void fill_coefficient_rows<double>(const PreparedChannels<double>&, int64_t, double*, int64_t);

}  // namespace detail

Tensor coefficient_matrix(const ChannelSet& set, int64_t channel) {
  ELBO_CHECK(channel >= 0 && channel < set.num_channels, "coefficient_matrix: channel ", channel,
             " out of range [0, ", set.num_channels, ")");
  ChannelSet one = select_channels(set, {channel});
  detail::PreparedChannels<double> p = detail::prepare_channels<double>(one);
  const int64_t n = set.num_points;
  Tensor out = empty(Shape{n, n}, DType::f64);
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i) detail::fill_coefficient_rows(p, i, o + i * n, n);
  return out;
}

}  // namespace elbo::info
