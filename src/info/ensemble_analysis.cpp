// The information analysis of an ensemble of VAEs; see elbo/info/ensemble_analysis.hpp.
#include "elbo/info/ensemble_analysis.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <unordered_map>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo::info {

namespace fs = std::filesystem;

// ---- reading one member ---------------------------------------------------------------------------

namespace {

constexpr const char* kFormat =
    "a posteriors directory holds means.npy [N, L], logvars.npy [N, L] and indices.npy [N], optionally factors.npy "
    "[N, K] and labels.npy [N]; see docs/INFORMATION.md";

std::string join(const std::string& dir, const char* name) { return (fs::path(dir) / name).string(); }

Tensor read_required(const std::string& dir, const char* name) {
  const std::string path = join(dir, name);
  ELBO_CHECK(fs::exists(path), path, ": no such file (", kFormat, ")");
  return io::read_npy(path);
}

// A floating matrix [N, L] (a vector [N] is read as [N, 1]) whose values are all finite.
Tensor posterior_matrix(Tensor t, const std::string& path, const char* what) {
  ELBO_CHECK(is_floating(t.dtype()) && (t.ndim() == 1 || t.ndim() == 2), path, ": ", what,
             " must be a f32 or f64 array [N, L], got ", dtype_name(t.dtype()), t.shape().str());
  if (t.ndim() == 1) t = reshape(t, Shape{t.size(0), 1});
  ELBO_CHECK(t.size(0) >= 1 && t.size(1) >= 1, path, ": ", what, " is empty (shape ", t.shape().str(), ")");
  const int64_t cols = t.size(1);
  const std::vector<double> v = t.to_vector();
  for (size_t k = 0; k < v.size(); ++k)
    ELBO_CHECK(std::isfinite(v[k]), path, ": element [", static_cast<int64_t>(k) / cols, ", ",
               static_cast<int64_t>(k) % cols, "] is ", v[k], " (", what, " must be finite)");
  return t;
}

// The elements of an integer array (or a floating one holding integers) as int64.
std::vector<int64_t> integer_values(const Tensor& t, const std::string& path, const char* what) {
  std::vector<int64_t> out(static_cast<size_t>(t.numel()));
  Tensor c = contiguous(t);
  switch (c.dtype()) {
    case DType::i64: std::memcpy(out.data(), c.data<int64_t>(), out.size() * sizeof(int64_t)); break;
    case DType::i32: std::copy(c.data<int32_t>(), c.data<int32_t>() + out.size(), out.begin()); break;
    case DType::u8: std::copy(c.data<uint8_t>(), c.data<uint8_t>() + out.size(), out.begin()); break;
    default: {
      const std::vector<double> v = c.to_vector();
      for (size_t k = 0; k < v.size(); ++k) {
        ELBO_CHECK(v[k] == std::floor(v[k]) && std::abs(v[k]) < 9e15, path, ": element ", k, " is ", v[k], " (", what,
                   " must be integers; write them as int64)");
        out[k] = static_cast<int64_t>(v[k]);
      }
    }
  }
  return out;
}

Tensor i64_tensor(const Shape& shape, const std::vector<int64_t>& values) {
  Tensor t = empty(shape, DType::i64);
  std::memcpy(t.data<int64_t>(), values.data(), values.size() * sizeof(int64_t));
  return t;
}

std::vector<std::string> read_names(const std::string& path) {
  std::istringstream in(io::read_text_file(path));
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

}  // namespace

MemberPosteriors read_member_posteriors(const std::string& dir) {
  ELBO_CHECK(fs::is_directory(dir), dir, ": not a directory (", kFormat, ")");
  MemberPosteriors m;
  m.dir = dir;
  const std::string means_path = join(dir, "means.npy"), logvars_path = join(dir, "logvars.npy");
  m.means = posterior_matrix(read_required(dir, "means.npy"), means_path, "posterior means");
  const int64_t n = m.means.size(0);
  Tensor logvars = read_required(dir, "logvars.npy");
  ELBO_CHECK(logvars.shape() == m.means.shape() || (logvars.ndim() == 1 && m.means.size(1) == 1 && logvars.size(0) == n),
             logvars_path, ": shape ", logvars.shape().str(), " differs from means.npy's ", m.means.shape().str());
  m.logvars = posterior_matrix(logvars, logvars_path, "log-variances");

  const std::string indices_path = join(dir, "indices.npy");
  Tensor indices = read_required(dir, "indices.npy");
  ELBO_CHECK(indices.ndim() == 1 && indices.size(0) == n, indices_path, ": expected [", n,
             "] (one dataset index per row of means.npy), got ", dtype_name(indices.dtype()), indices.shape().str());
  m.indices = integer_values(indices, indices_path, "indices");
  std::unordered_map<int64_t, int64_t> row_of;
  for (int64_t r = 0; r < n; ++r) {
    auto [it, fresh] = row_of.emplace(m.indices[static_cast<size_t>(r)], r);
    ELBO_CHECK(fresh, indices_path, ": dataset index ", m.indices[static_cast<size_t>(r)], " appears at rows ", it->second,
               " and ", r, " (indices must be distinct)");
  }

  if (const std::string path = join(dir, "factors.npy"); fs::exists(path)) {
    Tensor f = io::read_npy(path);
    ELBO_CHECK((f.ndim() == 2 || f.ndim() == 1) && f.size(0) == n && (f.ndim() == 1 || f.size(1) >= 1), path,
               ": expected [", n, ", K] (the factors of each row of means.npy), got ", dtype_name(f.dtype()), f.shape().str());
    const Shape shape = f.ndim() == 1 ? Shape{n, 1} : f.shape();
    m.factors = i64_tensor(shape, integer_values(f, path, "factors"));
    if (const std::string names = join(dir, "factor_names.txt"); fs::exists(names)) {
      m.factor_names = read_names(names);
      ELBO_CHECK(static_cast<int64_t>(m.factor_names.size()) == shape[1], names, ": ", m.factor_names.size(),
                 " names for the ", shape[1], " columns of factors.npy (one name per line)");
    }
  }
  if (const std::string path = join(dir, "labels.npy"); fs::exists(path)) {
    Tensor l = io::read_npy(path);
    ELBO_CHECK(l.numel() == n && (l.ndim() == 1 || (l.ndim() == 2 && l.size(1) == 1)), path, ": expected [", n,
               "] (one label per row of means.npy), got ", dtype_name(l.dtype()), l.shape().str());
    m.labels = i64_tensor(Shape{n}, integer_values(l, path, "labels"));
  }
  return m;
}

std::vector<std::vector<int64_t>> match_member_rows(const std::vector<MemberPosteriors>& members) {
  ELBO_CHECK(!members.empty(), "match_member_rows: no members");
  const MemberPosteriors& first = members[0];
  const int64_t n = static_cast<int64_t>(first.indices.size());
  std::unordered_map<int64_t, int64_t> row_of;
  for (int64_t r = 0; r < n; ++r) row_of[first.indices[static_cast<size_t>(r)]] = r;
  std::vector<std::vector<int64_t>> rows(members.size(), std::vector<int64_t>(static_cast<size_t>(n)));
  for (size_t m = 0; m < members.size(); ++m) {
    const MemberPosteriors& member = members[m];
    ELBO_CHECK(static_cast<int64_t>(member.indices.size()) == n && member.means.size(0) == n, member.dir, " holds ",
               member.indices.size(), " posteriors but ", first.dir, " holds ", n,
               "; every member must be encoded on the same data points");
    for (int64_t r = 0; r < n; ++r) {
      auto it = row_of.find(member.indices[static_cast<size_t>(r)]);
      ELBO_CHECK(it != row_of.end(), join(member.dir, "indices.npy"), ": dataset index ",
                 member.indices[static_cast<size_t>(r)], " (row ", r, ") is not among the indices of ", first.dir,
                 " (every member must be encoded on the same data points)");
      rows[m][static_cast<size_t>(it->second)] = r;
    }
  }
  return rows;
}


// ---- the analysis ---------------------------------------------------------------------------------

namespace {

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Rows `rows` of a matrix [N, L] (any dtype) as a new contiguous matrix [rows.size(), L].
Tensor gather_rows(const Tensor& x, const std::vector<int64_t>& rows) {
  Tensor c = contiguous(x);
  Shape shape = c.shape();
  shape[0] = static_cast<int64_t>(rows.size());
  Tensor out = empty(shape, c.dtype());
  const size_t row_bytes = static_cast<size_t>(c.numel() / c.size(0)) * dtype_size(c.dtype());
  const char* src = static_cast<const char*>(c.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  for (size_t r = 0; r < rows.size(); ++r)
    std::memcpy(dst + r * row_bytes, src + static_cast<size_t>(rows[r]) * row_bytes, row_bytes);
  return out;
}

// The ground-truth columns at the fingerprint points: every member's factors (and labels) must agree.
Tensor ground_truth(const std::vector<MemberPosteriors>& members, const std::vector<std::vector<int64_t>>& rows,
                    const std::vector<int64_t>& point_rows, std::vector<std::string>& names) {
  std::vector<std::vector<int64_t>> columns;  // [K][P]
  auto collect = [&](const Tensor MemberPosteriors::*field, const char* file) {
    const MemberPosteriors* source = nullptr;
    std::vector<int64_t> values;  // [N, k] in the first member's row order
    int64_t k = 0;
    for (size_t m = 0; m < members.size(); ++m) {
      const Tensor& t = members[m].*field;
      if (!t.defined()) continue;
      const int64_t cols = t.ndim() == 2 ? t.size(1) : 1;
      const int64_t* p = t.data<int64_t>();
      std::vector<int64_t> aligned(rows[m].size() * static_cast<size_t>(cols));
      for (size_t r = 0; r < rows[m].size(); ++r)
        std::copy(p + rows[m][r] * cols, p + (rows[m][r] + 1) * cols, aligned.begin() + static_cast<int64_t>(r) * cols);
      if (!source) {
        source = &members[m];
        values = std::move(aligned);
        k = cols;
        continue;
      }
      ELBO_CHECK(cols == k, join(members[m].dir, file), " has ", cols, " columns but ", join(source->dir, file),
                 " has ", k, " (the files describe the same data points and must agree)");
      auto diff = std::mismatch(values.begin(), values.end(), aligned.begin());
      ELBO_CHECK(diff.first == values.end(), join(members[m].dir, file), " differs from ", join(source->dir, file),
                 " at dataset index ", members[0].indices[static_cast<size_t>((diff.first - values.begin()) / k)],
                 " (the files describe the same data points and must agree)");
    }
    if (!source) return;
    for (int64_t c = 0; c < k; ++c) {
      std::vector<int64_t> column;
      for (int64_t r : point_rows) column.push_back(values[static_cast<size_t>(r * k + c)]);
      columns.push_back(std::move(column));
      if (field == &MemberPosteriors::labels) names.push_back("label");
      else names.push_back(source->factor_names.empty() ? "factor " + std::to_string(c)
                                                        : source->factor_names[static_cast<size_t>(c)]);
    }
  };
  collect(&MemberPosteriors::factors, "factors.npy");
  collect(&MemberPosteriors::labels, "labels.npy");
  if (columns.empty()) return {};
  const int64_t p = static_cast<int64_t>(point_rows.size()), k = static_cast<int64_t>(columns.size());
  std::vector<int64_t> flat(static_cast<size_t>(p * k));
  for (int64_t r = 0; r < p; ++r)
    for (int64_t c = 0; c < k; ++c) flat[static_cast<size_t>(r * k + c)] = columns[static_cast<size_t>(c)][static_cast<size_t>(r)];
  return i64_tensor(Shape{p, k}, flat);
}

}  // namespace

EnsembleAnalysis analyse_ensemble(const std::vector<MemberPosteriors>& members, const EnsembleOptions& o) {
  ELBO_CHECK(!members.empty(), "analyse_ensemble: no members (give one posteriors directory per model)");
  EnsembleAnalysis a;
  double clock = seconds_now();
  auto stage = [&](const std::string& name) {
    const double now = seconds_now();
    if (!a.stage_seconds.empty()) a.stage_seconds.back().second = now - clock;
    clock = now;
    a.stage_seconds.emplace_back(name, 0.0);
    if (o.on_stage) o.on_stage(name);
  };

  // 1. The fingerprint sample.
  stage("fingerprint sample");
  const std::vector<std::vector<int64_t>> rows = match_member_rows(members);
  a.rows = static_cast<int64_t>(members[0].indices.size());
  for (const MemberPosteriors& m : members) a.member_dirs.push_back(m.dir);
  const int64_t points = o.points == 0 ? a.rows : o.points;
  ELBO_CHECK(points >= 2 && points <= a.rows, "analyse_ensemble: the members hold ", a.rows,
             " data points; cannot use ", points, " fingerprint points (choose 2 to ", a.rows, ", or 0 for all)");
  if (o.points == 0) {
    for (int64_t r = 0; r < a.rows; ++r) a.point_rows.push_back(r);
  } else {
    a.point_rows = draw_fingerprint_sample(a.rows, points, o.seed).indices;
  }
  for (int64_t r : a.point_rows) a.point_indices.push_back(members[0].indices[static_cast<size_t>(r)]);
  FingerprintSample sample{o.seed, a.rows, a.point_indices};

  // 2. Channels: every latent of every model, at the fingerprint points.
  bool all_f64 = true;
  for (const MemberPosteriors& m : members) all_f64 = all_f64 && m.means.dtype() == DType::f64 && m.logvars.dtype() == DType::f64;
  const DType dtype = all_f64 ? DType::f64 : DType::f32;
  std::vector<Tensor> means, logvars;
  for (size_t m = 0; m < members.size(); ++m) {
    std::vector<int64_t> member_rows;
    for (int64_t r : a.point_rows) member_rows.push_back(rows[m][static_cast<size_t>(r)]);
    means.push_back(gather_rows(to_dtype(members[m].means, dtype), member_rows));
    logvars.push_back(gather_rows(to_dtype(members[m].logvars, dtype), member_rows));
    for (int64_t l = 0; l < members[m].means.size(1); ++l) {
      a.channel_model.push_back(static_cast<int64_t>(m));
      a.channel_latent.push_back(l);
    }
  }
  const ChannelSet channels = gaussian_channels(concat(means, 1), concat(logvars, 1), &sample);
  const int64_t num_channels = channels.num_channels;

  // 3. Information per channel and all-pairs NMI and VI.
  stage("information and all-pairs NMI/VI of " + std::to_string(num_channels) + " channels at " +
        std::to_string(points) + " points");
  a.similarity = channel_similarity(channels, o.device);

  // 4. Drop the channels under min_information; OPTICS on the others.
  stage("OPTICS");
  a.clustering = find_hotspots(a.similarity, o.hotspots);
  const std::vector<int64_t>& kept = a.clustering.channels;
  const OpticsResult& optics_result = a.clustering.clustering;
  for (int64_t k : optics_result.ordering) {
    a.ordering.push_back(kept[static_cast<size_t>(k)]);
    a.reachability.push_back(optics_result.reachability[static_cast<size_t>(k)]);
  }

  // 5. Hotspots: runs of one label along the ordering.
  a.channel_hotspot.assign(static_cast<size_t>(num_channels), -1);
  const int64_t num_kept = static_cast<int64_t>(kept.size());
  const double* distance = a.clustering.distances.data<double>();
  const std::vector<double> information = a.similarity.information_a.to_vector();
  const std::vector<double> nmi = a.similarity.nmi.to_vector();
  for (int64_t start = 0; start < num_kept;) {
    const int64_t label = optics_result.labels[static_cast<size_t>(optics_result.ordering[static_cast<size_t>(start)])];
    int64_t end = start;
    while (end + 1 < num_kept &&
           optics_result.labels[static_cast<size_t>(optics_result.ordering[static_cast<size_t>(end + 1)])] == label)
      ++end;
    if (label >= 0) {
      Hotspot h;
      h.first = start;
      h.last = end;
      std::set<int64_t> models;
      double best = INFINITY;
      for (int64_t p = start; p <= end; ++p) {
        const int64_t kp = optics_result.ordering[static_cast<size_t>(p)];
        const int64_t c = kept[static_cast<size_t>(kp)];
        h.channels.push_back(c);
        models.insert(a.channel_model[static_cast<size_t>(c)]);
        h.mean_information += information[static_cast<size_t>(c)];
        double summed = 0;  // the medoid: smallest summed distance to the other members
        for (int64_t q = start; q <= end; ++q)
          summed += distance[kp * num_kept + optics_result.ordering[static_cast<size_t>(q)]];
        if (summed < best || (summed == best && c < h.representative)) {
          best = summed;
          h.representative = c;
        }
        a.channel_hotspot[static_cast<size_t>(c)] = static_cast<int64_t>(a.hotspots.size());
      }
      const int64_t size = end - start + 1;
      h.models = static_cast<int64_t>(models.size());
      h.mean_information /= static_cast<double>(size);
      if (size > 1) {
        double total = 0;
        for (int64_t u : h.channels)
          for (int64_t v : h.channels)
            if (u != v) total += nmi[static_cast<size_t>(u * num_channels + v)];
        h.mean_nmi = total / static_cast<double>(size * (size - 1));
      }
      a.hotspots.push_back(std::move(h));
    }
    start = end + 1;
  }

  // 6. NMI with the ground-truth factors.
  const Tensor truth = ground_truth(members, rows, a.point_rows, a.factor_names);
  if (truth.defined()) {
    stage("NMI with " + std::to_string(truth.size(1)) + " ground-truth factors");
    ChannelSet factors = label_channels(truth, &sample);
    factors.dtype = channels.dtype;  // coefficients 0 and 1 are exact in f32; the latents' precision decides
    a.nmi_factors = channel_similarity(channels, factors).nmi;
    const int64_t k = truth.size(1);
    const std::vector<double> f = a.nmi_factors.to_vector();
    for (Hotspot& h : a.hotspots) {
      h.nmi_factors.assign(static_cast<size_t>(k), 0.0);
      for (int64_t c : h.channels)
        for (int64_t j = 0; j < k; ++j) h.nmi_factors[static_cast<size_t>(j)] += f[static_cast<size_t>(c * k + j)];
      for (double& v : h.nmi_factors) v /= static_cast<double>(h.channels.size());
    }
  }
  a.stage_seconds.back().second = seconds_now() - clock;
  return a;
}

}  // namespace elbo::info
