// elbo fusion: the ensemble-fusion experiment of Murphy, Dillavou & Bassett (2024), §4.4 (v1
// "ensemble learning", v3 "model fusion"; reference notes §2.6; the authors' notebook
// Rep_space_fusion_SO(2).ipynb), docs/INFORMATION.md "Ensemble fusion on the circle".
//
//   1. Train repeats × max(sizes) weak learners: β-VAEs with one latent on points of the unit circle
//      (models/point_vae.hpp, data/unit_circle.hpp). One latent cannot hold a circle without a cut.
//      Weak learner m has seed `seed + m`; its batch of step t is drawn from stream
//      noise_stream(data, t) of that seed.
//   2. Encode the fingerprint points θ_i = 2π·i/N with each; repeat r's ensemble of size K is learners
//      r·max(sizes) … r·max(sizes) + K − 1 (the notebook's slices).
//   3. For each similarity, size and repeat, fuse the ensemble into a 2-D posterior per fingerprint
//      point (info::fuse; SGD as the authors), from the initial means of fusion seed
//      `seed + 1000000 + r` (the same start for every size and similarity of a repeat).
//   4. Continuity of the fused arrangement (info::continuity: max / 90th percentile of the
//      Bhattacharyya distances between neighbouring points; 1 for an even ring, large for a cut).
//
// Output (--out): members.npy [M, N, 2] (μ, ln σ² of every learner at the fingerprint points),
// members.json (their training settings and losses), fused.npy [S, Z, R, N, 4] (μ₁, μ₂, ln σ₁²,
// ln σ₂² of every fusion), fusion.csv (one row per fusion), fusion.json (settings, continuity mean and
// standard deviation per similarity and size, timings), fused_means.png (repeat 0's fused means,
// a row per similarity, a column per size, coloured by angle), continuity.png (continuity against
// ensemble size, log-log, as the paper's figure). With --resume, learners already in
// members.npy with the same training settings are not trained again.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <numbers>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/context.hpp"
#include "elbo/data/unit_circle.hpp"
#include "elbo/info/fusion.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/csv.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/io/png.hpp"
#include "elbo/io/raster.hpp"
#include "elbo/models/noise.hpp"
#include "elbo/models/point_vae.hpp"
#include "elbo/ops.hpp"
#include "progress.hpp"

using namespace elbo;

namespace {

struct Similarity {
  info::FusionSimilarity kind;
  const char* name;   // on the command line and in the files
  const char* label;  // in the table and the plot
};
constexpr Similarity kSimilarities[] = {
    {info::FusionSimilarity::mutual_information, "mutual_information", "I(U;V)"},
    {info::FusionSimilarity::exp_neg_vi, "exp_neg_vi", "exp(-VI)"},
    {info::FusionSimilarity::nmi, "nmi", "NMI"},
};

// "2,3,5" → {2, 3, 5}; each ≥ minimum, increasing. Prints the error and returns false otherwise.
bool parse_sizes(const std::string& flag, const std::string& text, int64_t minimum, std::vector<int64_t>& out) {
  out.clear();
  for (const std::string& part : cli::split_commas(text)) {
    char* end = nullptr;
    long long v = std::strtoll(part.c_str(), &end, 10);
    if (part.empty() || *end || v < minimum || (!out.empty() && v <= out.back())) {
      std::fprintf(stderr, "elbo fusion: %s expects increasing integers ≥ %lld separated by commas, got '%s'\n",
                   flag.c_str(), static_cast<long long>(minimum), text.c_str());
      return false;
    }
    out.push_back(v);
  }
  return true;
}

bool parse_similarities(const std::string& text, std::vector<Similarity>& out) {
  out.clear();
  for (const std::string& part : cli::split_commas(text)) {
    const Similarity* found = nullptr;
    for (const Similarity& s : kSimilarities)
      if (part == s.name) found = &s;
    if (!found) {
      std::fprintf(stderr,
                   "elbo fusion: --similarities expects names from mutual_information, exp_neg_vi, nmi separated by "
                   "commas, got '%s'\n",
                   part.c_str());
      return false;
    }
    out.push_back(*found);
  }
  return true;
}

// numpy.std (population) and mean.
void mean_std(const std::vector<double>& v, double& mean, double& std) {
  mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double var = 0;
  for (double x : v) var += (x - mean) * (x - mean);
  std = std::sqrt(var / static_cast<double>(v.size()));
}

// Hue h ∈ [0, 1) at full saturation and value (matplotlib's 'hsv' map, as the authors' plots).
io::Rgb hue_rgb(double h) {
  double x = 6.0 * (h - std::floor(h));
  int sector = static_cast<int>(x) % 6;
  float f = static_cast<float>(x - std::floor(x)), up = f, down = 1.0f - f;
  const io::Rgb table[6] = {{1, up, 0}, {down, 1, 0}, {0, 1, up}, {0, down, 1}, {up, 0, 1}, {1, 0, down}};
  return table[sector];
}

// One panel [3, size, size]: the N means [N, 2] scaled into the panel, point i a disc of its angle's hue.
Tensor scatter_panel(const std::vector<double>& means, int64_t n, int64_t size, const std::string& title) {
  Tensor panel = io::make_canvas(size, size);
  double lo[2] = {means[0], means[1]}, hi[2] = {means[0], means[1]};
  for (int64_t i = 0; i < n; ++i)
    for (int d = 0; d < 2; ++d) {
      lo[d] = std::min(lo[d], means[static_cast<size_t>(2 * i + d)]);
      hi[d] = std::max(hi[d], means[static_cast<size_t>(2 * i + d)]);
    }
  const double span = std::max({hi[0] - lo[0], hi[1] - lo[1], 1e-12});
  const int64_t top = 12, inner = size - top - 6, radius = 2;  // room for the title
  for (int64_t i = 0; i < n; ++i) {
    const io::Rgb colour = hue_rgb(static_cast<double>(i) / static_cast<double>(n));
    // Centred in the panel, one scale for both axes (so that a ring looks round), y upwards.
    double u = (means[static_cast<size_t>(2 * i)] - 0.5 * (lo[0] + hi[0])) / span + 0.5;
    double v = (means[static_cast<size_t>(2 * i + 1)] - 0.5 * (lo[1] + hi[1])) / span + 0.5;
    int64_t cx = 3 + static_cast<int64_t>(std::lround(u * static_cast<double>(size - 7)));
    int64_t cy = top + static_cast<int64_t>(std::lround((1.0 - v) * static_cast<double>(inner)));
    for (int64_t dy = -radius; dy <= radius; ++dy)  // the pixels with dx² + dy² ≤ r²
      for (int64_t dx = -radius; dx <= radius; ++dx)
        if (dx * dx + dy * dy <= radius * radius) io::set_pixel(panel, cx + dx, cy + dy, colour);
  }
  io::draw_label(panel, title, 3, 2, io::kBlack);
  return panel;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// ---- drawing into an RGB image [3, H, W] (io/raster.hpp) ------------------------------------------------

// A 1-pixel line through ⌈L⌉ + 2 equally spaced points, each at its nearest pixel (L: the longer of |Δx|, |Δy|).
void draw_thin_line(Tensor& image, double x0, double y0, double x1, double y1, io::Rgb colour) {
  const int64_t steps = static_cast<int64_t>(std::ceil(std::max(std::abs(x1 - x0), std::abs(y1 - y0)))) + 1;
  for (int64_t k = 0; k <= steps; ++k) {
    double f = static_cast<double>(k) / static_cast<double>(steps);
    io::set_pixel(image, std::lround(x0 + f * (x1 - x0)), std::lround(y0 + f * (y1 - y0)), colour);
  }
}

// The (2·half + 1)² pixels around the pixel nearest to (x, y).
void fill_square(Tensor& image, double x, double y, int64_t half, io::Rgb colour) {
  io::fill_rect(image, {std::lround(x) - half, std::lround(y) - half, 2 * half + 1, 2 * half + 1}, colour);
}

// The paper's figure: continuity (mean, error bar ± std over repeats) against ensemble size, log-log,
// continuity from 1 to 1000 (values outside are drawn at the edge), a line per similarity.
Tensor continuity_plot(const std::vector<int64_t>& sizes, const std::vector<std::string>& labels,
                       const std::vector<std::vector<double>>& means, const std::vector<std::vector<double>>& stds) {
  const int64_t width = 520, height = 340, left = 56, right = 130, top = 24, bottom = 40;
  Tensor image = io::make_canvas(width, height);
  const io::Rgb black = io::kBlack, grey{0.85f, 0.85f, 0.85f};
  const io::Rgb colours[3] = {{0.12f, 0.47f, 0.71f}, {1.0f, 0.5f, 0.05f}, {0.17f, 0.63f, 0.17f}};
  const double x_lo = std::log(static_cast<double>(sizes.front()) / 1.15);
  const double x_hi = std::log(static_cast<double>(sizes.back()) * 1.15);
  auto px = [&](double size) {
    return static_cast<double>(left) + (std::log(size) - x_lo) / (x_hi - x_lo) * static_cast<double>(width - left - right);
  };
  auto py = [&](double c) {
    double e = std::clamp(std::log10(std::max(c, 1e-300)), 0.0, 3.0);
    return static_cast<double>(height - bottom) - e / 3.0 * static_cast<double>(height - top - bottom);
  };
  for (double c : {10.0, 100.0, 1000.0}) draw_thin_line(image, left, py(c), width - right, py(c), grey);
  draw_thin_line(image, left, top, left, height - bottom, black);
  draw_thin_line(image, left, height - bottom, width - right, height - bottom, black);
  for (int e = 0; e <= 3; ++e) {
    std::string label = std::to_string(static_cast<int64_t>(std::pow(10.0, e)));
    io::draw_label(image, label, left - 8 - 6 * static_cast<int64_t>(label.size()), std::lround(py(std::pow(10.0, e))) - 3,
                   io::kBlack);
  }
  for (int64_t size : sizes) {
    std::string label = std::to_string(size);
    double x = px(static_cast<double>(size));
    draw_thin_line(image, x, height - bottom, x, height - bottom + 4, black);
    io::draw_label(image, label, std::lround(x) - 3 * static_cast<int64_t>(label.size()), height - bottom + 8, io::kBlack);
  }
  io::draw_label(image, "ENSEMBLE SIZE", (left + width - right) / 2 - 39, height - 14, io::kBlack);
  io::draw_label(image, "CONTINUITY", 4, 6, io::kBlack);
  for (size_t s = 0; s < labels.size(); ++s) {
    const io::Rgb colour = colours[s % 3];
    // Offsets of ±10% in size keep the error bars apart, as in the paper's figure.
    const double shift = std::pow(1.1, static_cast<double>(s) - 1.0);
    for (size_t z = 0; z < sizes.size(); ++z) {
      double x = px(static_cast<double>(sizes[z]) * shift), y = py(means[s][z]);
      draw_thin_line(image, x, py(means[s][z] - stds[s][z]), x, py(means[s][z] + stds[s][z]), colour);
      fill_square(image, x, y, 2, colour);
      if (z > 0) draw_thin_line(image, px(static_cast<double>(sizes[z - 1]) * shift), py(means[s][z - 1]), x, y, colour);
    }
    const int64_t ly = top + 8 + 16 * static_cast<int64_t>(s);
    fill_square(image, static_cast<double>(width - right + 16), static_cast<double>(ly + 3), 3, colour);
    io::draw_label(image, upper(labels[s]), width - right + 26, ly, io::kBlack);
  }
  return image;
}

// CPU seconds of the process (all threads): on a machine shared with other jobs, what the run cost.
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

std::string join(const std::vector<int64_t>& v) {
  std::string s;
  for (int64_t x : v) {
    if (!s.empty()) s += ',';
    s += std::to_string(x);
  }
  return s;
}

int fusion_command(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--quick") || !std::strcmp(argv[i], "--quick=true")) quick = true;
  // The paper's setting (the notebook's constants), or the quick preset.
  std::string out = "fusion_out", sizes_text = quick ? "2,5,10" : "2,3,5,10,15,20,30,50";
  std::string similarities_text = "mutual_information,exp_neg_vi,nmi", optimizer_name = "sgd";
  int64_t repeats = quick ? 1 : 5, points = quick ? 100 : 200, steps = quick ? 2000 : 3000, batch = quick ? 256 : 2048;
  int64_t width = quick ? 64 : 256, fusion_steps = quick ? 3000 : 20000, seed = 0, threads = quick ? 1 : 0;
  double beta = 3e-2, lr = 1e-3, fusion_lr = 3.0;
  bool resume = false;

  cli::Args args("elbo fusion",
                 "Fuse an ensemble of 1-D beta-VAEs trained on the unit circle into one 2-D representation\n"
                 "(Murphy, Dillavou & Bassett 2024, section 4.4) and report its continuity against the\n"
                 "ensemble size. The defaults are the paper's setting; --quick runs a small version in\n"
                 "under a minute.");
  args.flag("--quick", quick,
            "small preset: 1 repeat, sizes 2,5,10, 100 points, width 64, 2000 steps of 256, 3000 fusion steps, "
            "1 thread");
  args.flag("--out", out, "output directory");
  args.flag("--members", sizes_text, "ensemble sizes, increasing, comma-separated");
  args.flag("--repeats", repeats, "repeats of the experiment, each with its own weak learners");
  args.flag("--similarities", similarities_text, "similarities to fuse with (mutual_information,exp_neg_vi,nmi)");
  args.flag("--points", points, "fingerprint points, equally spaced angles");
  args.flag("--steps", steps, "training steps of each weak learner");
  args.flag("--batch", batch, "points per training step (drawn afresh each step)");
  args.flag("--width", width, "units of each of the two tanh layers of encoder and decoder");
  args.flag("--beta", beta, "weight of the KL term");
  args.flag("--lr", lr, "Adam learning rate of the weak learners");
  args.flag("--fusion-steps", fusion_steps, "optimisation steps of each fusion");
  args.flag("--fusion-optimizer", optimizer_name, "optimiser of the fused posteriors", {"sgd", "adam"});
  args.flag("--fusion-lr", fusion_lr,
            "fusion learning rate, for objectives in nats as the authors' (I(U;V), in bits, is stepped with lr*ln 2)");
  args.flag("--seed", seed, "weak learner m has seed+m; the fusions of repeat r start from seed seed+1000000+r");
  args.flag("--resume", resume, "reuse the weak learners already in OUT/members.npy (same training settings)");
  args.flag("--threads", threads,
            "threads (0: OMP_NUM_THREADS or all cores; on a machine busy with other jobs, 1 or "
            "OMP_WAIT_POLICY=passive)");
  if (!args.parse(argc, argv)) return args.exit_code();
  std::vector<int64_t> sizes;
  std::vector<Similarity> similarities;
  if (!parse_sizes("--members", sizes_text, 1, sizes) || !parse_similarities(similarities_text, similarities)) return 2;
  if (repeats < 1 || points < 3 || steps < 0 || batch < 1 || width < 1 || beta < 0 || lr <= 0 || fusion_steps < 0 ||
      fusion_lr <= 0 || seed < 0 || threads < 0) {
    std::fprintf(stderr,
                 "elbo fusion: need --repeats ≥ 1, --points ≥ 3, --batch, --width ≥ 1, --steps, --fusion-steps, "
                 "--beta, --seed, --threads ≥ 0, and --lr, --fusion-lr > 0\n");
    return 2;
  }
  if (threads > 0) set_num_threads(static_cast<int>(threads));
  const int64_t per_repeat = sizes.back(), num_models = repeats * per_repeat;
  const auto useed = static_cast<uint64_t>(seed);
  std::error_code fs_error;
  std::filesystem::create_directories(out, fs_error);
  if (fs_error) {
    std::fprintf(stderr, "elbo fusion: cannot create the output directory '%s': %s\n", out.c_str(),
                 fs_error.message().c_str());
    return 1;
  }
  cli::InterruptGuard interrupt;

  // ---- 1. the weak learners --------------------------------------------------------------------------
  models::PointVaeConfig learner{.encoder_hidden = {width, width}, .decoder_hidden = {width, width}, .beta = beta,
                                 .lr = lr};
  json::Value training = json::Value::object();
  training.set("points", points);
  training.set("steps", steps);
  training.set("batch", batch);
  training.set("width", width);
  training.set("beta", beta);
  training.set("lr", lr);
  training.set("seed", seed);
  const std::string members_path = out + "/members.npy", members_json = out + "/members.json";
  // Posteriors of learner m at the fingerprint points: rows m of [M, N, 2] (μ, ln σ²).
  std::vector<double> posteriors;
  json::Value learners = json::Value::array();
  if (resume && std::filesystem::exists(members_json) && std::filesystem::exists(members_path)) {
    json::Value saved = json::parse(io::read_text_file(members_json), members_json);
    if (saved.at("training") != training) {
      std::fprintf(stderr,
                   "elbo fusion: --resume: %s was trained with other settings (%s); use another --out or "
                   "drop --resume\n",
                   members_json.c_str(), json::dump(saved.at("training")).c_str());
      return 2;
    }
    Tensor done = io::read_npy(members_path);
    ELBO_CHECK(done.ndim() == 3 && done.size(1) == points && done.size(2) == 2 &&
                   done.size(0) == static_cast<int64_t>(saved.at("learners").size()),
               "elbo fusion: --resume: ", members_path, " holds ", done.str(), ", expected [learners, ", points,
               ", 2] for the ", saved.at("learners").size(), " learners of ", members_json);
    const int64_t keep = std::min(done.size(0), num_models);
    posteriors = done.to(DType::f64).to_vector();
    posteriors.resize(static_cast<size_t>(keep * points * 2));
    for (int64_t m = 0; m < keep; ++m) learners.push_back(saved.at("learners")[static_cast<size_t>(m)]);
    std::printf("resuming: %lld of %lld weak learners already trained in %s\n", static_cast<long long>(keep),
                static_cast<long long>(num_models), members_path.c_str());
  }
  const int64_t first_model = static_cast<int64_t>(learners.size());
  const Tensor fingerprint = data::unit_circle_points(data::unit_circle_grid_angles(points));
  {
    models::PointVae probe(learner);
    std::printf("elbo fusion: %lld weak learners (%lld repeats x %lld), %d threads\n%s\n%lld steps of %lld points; "
                "%lld fingerprint points\n",
                static_cast<long long>(num_models), static_cast<long long>(repeats),
                static_cast<long long>(per_repeat), num_threads(), probe.describe().c_str(),
                static_cast<long long>(steps), static_cast<long long>(batch), static_cast<long long>(points));
  }
  const int64_t total_steps = (num_models - first_model) * steps;
  cli::Progress progress(0, std::max<int64_t>(total_steps, 1), std::max<int64_t>(steps, 1));
  const double train_start = cli::seconds_now(), train_cpu_start = cpu_seconds();
  for (int64_t m = first_model; m < num_models; ++m) {
    learner.seed = useed + static_cast<uint64_t>(m);
    models::PointVae vae(learner);
    models::PointVaeStep r;
    for (int64_t t = 0; t < steps; ++t) {
      if (interrupt.interrupted()) {
        progress.finish_line();
        std::printf("interrupted: %lld weak learners saved in %s; run again with --resume\n",
                    static_cast<long long>(m), members_path.c_str());
        return 130;
      }
      Tensor x = data::unit_circle_points(data::unit_circle_random_angles(
          batch, learner.seed, models::noise_stream(models::NoisePurpose::data, static_cast<uint64_t>(t))));
      r = vae.step(x, static_cast<uint64_t>(t));
      if (!std::isfinite(r.loss)) {
        progress.finish_line();
        std::fprintf(stderr, "elbo fusion: weak learner %lld: the loss became %g at step %lld; try a smaller --lr\n",
                     static_cast<long long>(m), r.loss, static_cast<long long>(t));
        return 1;
      }
      char details[128];
      std::snprintf(details, sizeof details, "learner %lld/%lld  loss %.4f  recon %.4f  kl %.3f",
                    static_cast<long long>(m + 1), static_cast<long long>(num_models), r.loss, r.reconstruction, r.kl);
      progress.update((m - first_model) * steps + t + 1, details);
    }
    models::PointVae::Posterior q;
    {
      NoGradGuard no_grad;
      q = vae.encode(fingerprint);
    }
    std::vector<double> mu = q.mu.to_vector(), lv = q.logvar.to_vector();
    for (int64_t i = 0; i < points; ++i) {
      posteriors.push_back(mu[static_cast<size_t>(i)]);
      posteriors.push_back(lv[static_cast<size_t>(i)]);
    }
    json::Value entry = json::Value::object();
    entry.set("seed", static_cast<int64_t>(learner.seed));
    entry.set("loss", r.loss);
    entry.set("reconstruction", r.reconstruction);
    entry.set("kl", r.kl);
    learners.push_back(entry);
    // Saved after every learner, so that an interrupted run resumes where it stopped.
    io::write_npy(members_path, from_vector(Shape{m + 1, points, 2}, posteriors, DType::f64));
    json::Value saved = json::Value::object();
    saved.set("training", training);
    saved.set("learners", learners);
    io::write_file_atomic(members_json, json::dump(saved, 2) + "\n");
  }
  const double train_seconds = cli::seconds_now() - train_start, train_cpu = cpu_seconds() - train_cpu_start;
  if (steps == 0 || num_models == first_model) progress.finish_line();
  std::printf("trained %lld weak learners in %.1f s (%.1f s of CPU)\n", static_cast<long long>(num_models - first_model),
              train_seconds, train_cpu);

  std::vector<Tensor> member_means, member_logvars;
  std::vector<double> member_continuity;
  for (int64_t m = 0; m < num_models; ++m) {
    std::vector<double> mu(static_cast<size_t>(points)), lv(static_cast<size_t>(points));
    for (int64_t i = 0; i < points; ++i) {
      mu[static_cast<size_t>(i)] = posteriors[static_cast<size_t>((m * points + i) * 2)];
      lv[static_cast<size_t>(i)] = posteriors[static_cast<size_t>((m * points + i) * 2 + 1)];
    }
    member_means.push_back(from_vector(Shape{points, 1}, mu, DType::f64));
    member_logvars.push_back(from_vector(Shape{points, 1}, lv, DType::f64));
    member_continuity.push_back(info::continuity(member_means.back(), member_logvars.back()));
  }
  double member_mean = 0, member_std = 0;
  mean_std(member_continuity, member_mean, member_std);
  std::printf("continuity of the weak learners themselves (1-D): %.1f ± %.1f\n", member_mean, member_std);

  // ---- 2-4. fusions ------------------------------------------------------------------------------------
  const int64_t num_sim = static_cast<int64_t>(similarities.size()), num_sizes = static_cast<int64_t>(sizes.size());
  const int64_t num_fusions = num_sim * num_sizes * repeats;
  std::vector<double> fused(static_cast<size_t>(num_fusions * points * 4));
  std::vector<double> continuity_values(static_cast<size_t>(num_fusions));
  io::CsvLog csv(out + "/fusion.csv", {"similarity", "ensemble_size", "repeat", "continuity", "objective_start",
                                       "objective_end", "seconds"});
  std::printf("fusing: %lld fusions of %lld %s steps (lr %g)\n", static_cast<long long>(num_fusions),
              static_cast<long long>(fusion_steps), optimizer_name.c_str(), fusion_lr);
  cli::Progress fusion_progress(0, num_fusions, 1);
  const double fusion_start = cli::seconds_now(), fusion_cpu_start = cpu_seconds();
  for (int64_t s = 0; s < num_sim; ++s) {
    for (int64_t z = 0; z < num_sizes; ++z) {
      for (int64_t r = 0; r < repeats; ++r) {
        if (interrupt.interrupted()) {
          fusion_progress.finish_line();
          std::printf("interrupted during the fusions; the weak learners are saved in %s (--resume)\n",
                      members_path.c_str());
          return 130;
        }
        const Similarity& sim = similarities[static_cast<size_t>(s)];
        const int64_t first = r * per_repeat, size = sizes[static_cast<size_t>(z)];
        std::vector<Tensor> means(member_means.begin() + first, member_means.begin() + first + size);
        std::vector<Tensor> logvars(member_logvars.begin() + first, member_logvars.begin() + first + size);
        info::FusionOptions options;
        options.steps = fusion_steps;
        options.optimizer = optimizer_name == "sgd" ? info::FusionOptimizer::sgd : info::FusionOptimizer::adam;
        // The authors' I(U;V) is in nats: the same SGD steps in bits take lr·ln 2.
        const bool in_bits = sim.kind == info::FusionSimilarity::mutual_information && options.optimizer == info::FusionOptimizer::sgd;
        options.lr = in_bits ? fusion_lr * std::numbers::ln2 : fusion_lr;
        options.similarity = sim.kind;
        options.seed = useed + 1000000 + static_cast<uint64_t>(r);
        const double start = cli::seconds_now();
        info::FusedPosterior f = info::fuse(means, logvars, options);
        const double seconds = cli::seconds_now() - start;
        const int64_t index = (s * num_sizes + z) * repeats + r;
        const double c = info::continuity(f.means, f.logvars);
        continuity_values[static_cast<size_t>(index)] = c;
        std::vector<double> fm = f.means.to_vector(), fl = f.logvars.to_vector();
        for (int64_t i = 0; i < points; ++i)
          for (int k = 0; k < 2; ++k) {
            fused[static_cast<size_t>((index * points + i) * 4 + k)] = fm[static_cast<size_t>(i * 2 + k)];
            fused[static_cast<size_t>((index * points + i) * 4 + 2 + k)] = fl[static_cast<size_t>(i * 2 + k)];
          }
        const double objective_start = f.objective.empty() ? 0.0 : f.objective.front();
        const double objective_end = f.objective.empty() ? 0.0 : f.objective.back();
        csv.row({sim.name, size, r, c, objective_start, objective_end, seconds});
        if (!std::isfinite(objective_end) || !std::isfinite(c)) {
          fusion_progress.finish_line();
          std::printf("warning: the %s fusion of size %lld, repeat %lld diverged (objective %g); try a smaller "
                      "--fusion-lr or --fusion-optimizer adam\n",
                      sim.name, static_cast<long long>(size), static_cast<long long>(r), objective_end);
        }
        char details[128];
        std::snprintf(details, sizeof details, "%s  K=%lld  repeat %lld  continuity %.2f  objective %.4f", sim.label,
                      static_cast<long long>(size), static_cast<long long>(r), c, objective_end);
        fusion_progress.update(index + 1, details);
      }
    }
  }
  const double fusion_seconds = cli::seconds_now() - fusion_start, fusion_cpu = cpu_seconds() - fusion_cpu_start;
  io::write_npy(out + "/fused.npy", from_vector(Shape{num_sim, num_sizes, repeats, points, 4}, fused, DType::f64));

  // ---- report --------------------------------------------------------------------------------------------
  std::printf("\ncontinuity of the fused 2-D arrangement (max / 90th percentile of the Bhattacharyya distances "
              "between neighbouring points;\n1 = an even ring), mean ± std over %lld repeat%s:\n\n%6s",
              static_cast<long long>(repeats), repeats == 1 ? "" : "s", "size");
  for (const Similarity& sim : similarities) std::printf("  %20s", sim.label);
  std::printf("\n");
  json::Value results = json::Value::object();
  for (const Similarity& sim : similarities) results.set(sim.name, json::Value::array());
  std::vector<std::vector<double>> plot_means(static_cast<size_t>(num_sim)), plot_stds(static_cast<size_t>(num_sim));
  for (int64_t z = 0; z < num_sizes; ++z) {
    std::printf("%6lld", static_cast<long long>(sizes[static_cast<size_t>(z)]));
    for (int64_t s = 0; s < num_sim; ++s) {
      std::vector<double> values(continuity_values.begin() + (s * num_sizes + z) * repeats,
                                 continuity_values.begin() + (s * num_sizes + z + 1) * repeats);
      double mean = 0, std = 0;
      mean_std(values, mean, std);
      std::printf("  %10.2f ± %7.2f", mean, std);
      plot_means[static_cast<size_t>(s)].push_back(mean);
      plot_stds[static_cast<size_t>(s)].push_back(std);
      json::Value row = json::Value::object();
      row.set("ensemble_size", sizes[static_cast<size_t>(z)]);
      row.set("continuity_mean", mean);
      row.set("continuity_std", std);
      json::Value list = json::Value::array();
      for (double v : values) list.push_back(v);
      row.set("continuity", list);
      results[similarities[static_cast<size_t>(s)].name].push_back(row);
    }
    std::printf("\n");
  }
  std::printf("\ntime: training %.1f s, fusion %.1f s (%d threads; CPU %.1f s and %.1f s)\n", train_seconds,
              fusion_seconds, num_threads(), train_cpu, fusion_cpu);

  json::Value report = json::Value::object();
  report.set("experiment", "ensemble fusion on the unit circle (Murphy, Dillavou & Bassett 2024, section 4.4)");
  report.set("training", training);
  report.set("repeats", repeats);
  json::Value size_list = json::Value::array();
  for (int64_t v : sizes) size_list.push_back(v);
  report.set("ensemble_sizes", size_list);
  json::Value fusion_settings = json::Value::object();
  fusion_settings.set("steps", fusion_steps);
  fusion_settings.set("optimizer", optimizer_name);
  fusion_settings.set("lr", fusion_lr);
  fusion_settings.set("dims", int64_t{2});
  report.set("fusion", fusion_settings);
  json::Value members_summary = json::Value::object();
  members_summary.set("continuity_mean", member_mean);
  members_summary.set("continuity_std", member_std);
  report.set("weak_learners", members_summary);
  report.set("continuity", results);
  json::Value timing = json::Value::object();
  timing.set("threads", num_threads());
  timing.set("training_seconds", train_seconds);
  timing.set("learners_trained", num_models - first_model);
  timing.set("training_cpu_seconds", train_cpu);
  timing.set("fusion_seconds", fusion_seconds);
  timing.set("fusion_cpu_seconds", fusion_cpu);
  report.set("time", timing);
  io::write_file_atomic(out + "/fusion.json", json::dump(report, 2) + "\n");

  // Repeat 0's fused means: a row per similarity, a column per ensemble size.
  const int64_t panel = 160;
  Tensor panels = empty(Shape{num_sim * num_sizes, 3, panel, panel});
  std::vector<std::string> row_labels;
  for (int64_t s = 0; s < num_sim; ++s) {
    row_labels.push_back(upper(similarities[static_cast<size_t>(s)].label));
    for (int64_t z = 0; z < num_sizes; ++z) {
      const int64_t index = (s * num_sizes + z) * repeats;
      std::vector<double> means(static_cast<size_t>(2 * points));
      for (int64_t i = 0; i < points; ++i)
        for (int k = 0; k < 2; ++k)
          means[static_cast<size_t>(2 * i + k)] = fused[static_cast<size_t>((index * points + i) * 4 + k)];
      char title[48];
      std::snprintf(title, sizeof title, "K=%lld C=%.1f", static_cast<long long>(sizes[static_cast<size_t>(z)]),
                    continuity_values[static_cast<size_t>(index)]);
      copy_(slice(panels, 0, s * num_sizes + z, s * num_sizes + z + 1),
            reshape(scatter_panel(means, points, panel, title), Shape{1, 3, panel, panel}));
    }
  }
  io::write_image_grid(out + "/fused_means.png", panels,
                       {.cols = num_sizes, .margin = 4, .background = 0.85f, .row_labels = row_labels});
  std::vector<std::string> labels;
  for (const Similarity& sim : similarities) labels.push_back(sim.label);
  io::write_png(out + "/continuity.png", continuity_plot(sizes, labels, plot_means, plot_stds));
  std::printf("wrote %s/{members.npy, members.json, fused.npy, fusion.csv, fusion.json, fused_means.png, "
              "continuity.png} (sizes %s)\n",
              out.c_str(), join(sizes).c_str());
  return 0;
}

}  // namespace

int run_fusion(int argc, char** argv) {
  try {
    return fusion_command(argc, argv);
  } catch (const std::exception& e) {  // a file that cannot be read or written, a bad members.npy, …
    std::fprintf(stderr, "elbo fusion: %s\n", e.what());
    return 1;
  }
}
