// elbo info: the information analysis of an ensemble of VAEs (Murphy, Dillavou & Bassett 2024) from
// posteriors written by `elbo encode` or any other framework, and its HTML report.
//
//   elbo info --posteriors enc/beta4-seed0 enc/beta4-seed1 ... --out info/
//
// The analysis is info::analyse_ensemble (elbo/info/ensemble_analysis.hpp); this file reads the
// directories, writes the numbers and draws the report (docs/INFORMATION.md, "The ensemble pipeline").
//
// Files written to --out:
//   information.npy      [M] f64       Î(U;X) of every channel, bits (channel c = latent j of model m, model-major)
//   nmi.npy, vi.npy      [M, M] f64    generalised NMI and VI (bits) of every pair of channels
//   optics_ordering.npy  [K] i64       the K kept channels (≥ --min-bits) in OPTICS order, as channel numbers
//   reachability.npy     [K] f64       the reachability plot, aligned with optics_ordering (inf starts a part)
//   fingerprint_indices.npy [P] i64    dataset indices of the fingerprint points
//   nmi_factors.npy      [M, F] f64    NMI of every channel with every ground-truth factor (when given)
//   hotspots.json, channels.csv, summary.json, report.html
//
// The report embeds a latent traversal of each hotspot's representative channel (latent j of model m)
// when model m's directory holds traversals/latent-<j>.png; whatever renders those from a trained
// model writes them there, and this command only looks for them.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/context.hpp"
#include "elbo/error.hpp"
#include "elbo/info/ensemble_analysis.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/csv.hpp"
#include "elbo/io/html_report.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/io/plot.hpp"
#include "elbo/io/png.hpp"
#include "members.hpp"
#include "progress.hpp"
#include "run.hpp"

using namespace elbo;
namespace fs = std::filesystem;

namespace {

struct InfoOptions {
  std::vector<std::string> posteriors;
  std::string posteriors_list, ensemble, out = "elbo-info", distance = "vi", device = "cpu";
  int64_t points = 1000, seed = 0, min_samples = 20, threads = 0;
  double xi = 0.05, min_bits = 0.01;
};

std::string fixed(double v, int digits) {
  if (std::isnan(v)) return "nan";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, v);
  return text;
}

// A JSON number, or null for NaN and infinities (JSON has no spelling for them).
json::Value number(double v) { return std::isfinite(v) ? json::Value(v) : json::Value(); }

std::string channel_name(const info::EnsembleAnalysis& a, int64_t c) {
  std::string name = "m";
  name += std::to_string(a.channel_model[static_cast<size_t>(c)]);
  name += ':';
  name += std::to_string(a.channel_latent[static_cast<size_t>(c)]);
  return name;
}

// ---- numbers --------------------------------------------------------------------------------------

void write_numbers(const info::EnsembleAnalysis& a, const std::string& out) {
  const int64_t m = static_cast<int64_t>(a.channel_model.size()), k = static_cast<int64_t>(a.ordering.size());
  io::write_npy(out + "/information.npy", a.similarity.information_a);
  io::write_npy(out + "/nmi.npy", a.similarity.nmi);
  io::write_npy(out + "/vi.npy", a.similarity.vi);
  std::vector<double> ordering(a.ordering.begin(), a.ordering.end());
  io::write_npy(out + "/optics_ordering.npy", from_vector(Shape{k}, ordering, DType::i64));
  io::write_npy(out + "/reachability.npy", from_vector(Shape{k}, a.reachability, DType::f64));
  std::vector<double> points(a.point_indices.begin(), a.point_indices.end());
  io::write_npy(out + "/fingerprint_indices.npy",
                from_vector(Shape{static_cast<int64_t>(points.size())}, points, DType::i64));
  if (a.nmi_factors.defined()) io::write_npy(out + "/nmi_factors.npy", a.nmi_factors);

  const std::vector<double> bits = a.similarity.information_a.to_vector();
  std::vector<bool> kept(static_cast<size_t>(m), false);
  for (int64_t c : a.clustering.channels) kept[static_cast<size_t>(c)] = true;
  std::string csv = "channel,model,latent,bits,kept,hotspot,dir\n";
  for (int64_t c = 0; c < m; ++c) {
    const size_t i = static_cast<size_t>(c);
    csv += std::to_string(c) + "," + std::to_string(a.channel_model[i]) + "," + std::to_string(a.channel_latent[i]) +
           "," + io::CsvCell(bits[i]).text + "," + (kept[i] ? "1" : "0") + "," + std::to_string(a.channel_hotspot[i] + 1) +
           "," + io::csv_field(a.member_dirs[static_cast<size_t>(a.channel_model[i])]) + "\n";
  }
  io::write_file_atomic(out + "/channels.csv", csv);

  json::Value list = json::Value::array();
  for (size_t h = 0; h < a.hotspots.size(); ++h) {
    const info::Hotspot& hs = a.hotspots[h];
    json::Value v = json::Value::object();
    v.set("hotspot", static_cast<int64_t>(h + 1));
    v.set("size", static_cast<int64_t>(hs.channels.size()));
    v.set("models", hs.models);
    v.set("mean_bits", number(hs.mean_information));
    v.set("mean_nmi", number(hs.mean_nmi));
    json::Value positions = json::Value::array();
    positions.push_back(hs.first);
    positions.push_back(hs.last);
    v.set("optics_positions", positions);
    const size_t r = static_cast<size_t>(hs.representative);
    json::Value rep = json::Value::object();
    rep.set("channel", hs.representative);
    rep.set("model", a.channel_model[r]);
    rep.set("latent", a.channel_latent[r]);
    rep.set("dir", a.member_dirs[static_cast<size_t>(a.channel_model[r])]);
    v.set("representative", rep);
    json::Value members = json::Value::array();
    for (int64_t c : hs.channels) {
      json::Value e = json::Value::object();
      e.set("channel", c);
      e.set("model", a.channel_model[static_cast<size_t>(c)]);
      e.set("latent", a.channel_latent[static_cast<size_t>(c)]);
      e.set("bits", number(bits[static_cast<size_t>(c)]));
      members.push_back(e);
    }
    v.set("members", members);
    if (!hs.nmi_factors.empty()) {
      json::Value f = json::Value::object();
      for (size_t j = 0; j < hs.nmi_factors.size(); ++j) f.set(a.factor_names[j], number(hs.nmi_factors[j]));
      v.set("mean_nmi_with_factors", f);
    }
    list.push_back(v);
  }
  json::Value doc = json::Value::object();
  doc.set("hotspots", list);
  io::write_file_atomic(out + "/hotspots.json", json::dump(doc, 2) + "\n");
}

// ---- figures --------------------------------------------------------------------------------------

// The kept channels' matrix reordered by OPTICS: entry [a, b] = value(ordering[a], ordering[b]).
Tensor reordered(const Tensor& matrix, const std::vector<int64_t>& ordering, bool exp_minus) {
  const int64_t m = matrix.size(1), k = static_cast<int64_t>(ordering.size());
  const std::vector<double> v = matrix.to_vector();
  std::vector<double> out(static_cast<size_t>(k * k));
  for (int64_t a = 0; a < k; ++a)
    for (int64_t b = 0; b < k; ++b) {
      double x = v[static_cast<size_t>(ordering[static_cast<size_t>(a)] * m + ordering[static_cast<size_t>(b)])];
      out[static_cast<size_t>(a * k + b)] = exp_minus ? std::exp(-std::max(x, 0.0)) : x;
    }
  return from_vector(Shape{k, k}, out, DType::f64);
}

// Rows `ordering` of a matrix [M, K].
Tensor reordered_rows(const Tensor& matrix, const std::vector<int64_t>& ordering) {
  const int64_t k = matrix.size(1), n = static_cast<int64_t>(ordering.size());
  const std::vector<double> v = matrix.to_vector();
  std::vector<double> out(static_cast<size_t>(n * k));
  for (int64_t a = 0; a < n; ++a)
    std::copy(v.begin() + ordering[static_cast<size_t>(a)] * k, v.begin() + (ordering[static_cast<size_t>(a)] + 1) * k,
              out.begin() + a * k);
  return from_vector(Shape{n, k}, out, DType::f64);
}

io::ProfileHeatmap matrix_figure(const info::EnsembleAnalysis& a, const InfoOptions& o, const Tensor& matrix,
                                 const std::string& title) {
  io::ProfileHeatmap f;
  f.matrix = matrix;
  f.profile = a.reachability;
  f.profile_label = o.distance == "vi" ? "reachability (VI, bits)" : "reachability (-ln NMI)";
  for (const info::Hotspot& h : a.hotspots) f.blocks.push_back({h.first, h.last});
  f.title = title;
  f.x_label = "channels in OPTICS order";
  f.cell = std::max<int64_t>(1, 600 / std::max<int64_t>(1, static_cast<int64_t>(a.ordering.size())));
  if (a.nmi_factors.defined()) {
    f.side = reordered_rows(a.nmi_factors, a.ordering);
    f.side_labels = a.factor_names;
  }
  return f;
}

// Whether the bytes start with the PNG signature (such a file is embedded as it is).
bool is_png(const std::vector<uint8_t>& bytes) {
  static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  return bytes.size() > 8 && std::equal(kSignature, kSignature + 8, bytes.begin());
}

// The representative's traversal image, if its model's directory has one (the hook described above).
std::string traversal_path(const info::EnsembleAnalysis& a, int64_t channel) {
  const size_t c = static_cast<size_t>(channel);
  return (fs::path(a.member_dirs[static_cast<size_t>(a.channel_model[c])]) / "traversals" /
          ("latent-" + std::to_string(a.channel_latent[c]) + ".png"))
      .string();
}

void write_report(const info::EnsembleAnalysis& a, const InfoOptions& o, const std::string& command_line,
                  const std::string& path) {
  const int64_t m = static_cast<int64_t>(a.channel_model.size()), kept = static_cast<int64_t>(a.ordering.size());
  const int64_t models = static_cast<int64_t>(a.member_dirs.size());
  const std::vector<double> bits = a.similarity.information_a.to_vector();
  io::HtmlReport report("elbo info: " + std::to_string(models) + " models, " + std::to_string(m) + " channels");

  report.section("Summary");
  report.paragraph(std::to_string(models) + " models, " + std::to_string(m) +
                   " channels (every latent dimension of every model), evaluated on " +
                   std::to_string(a.point_rows.size()) + " fingerprint points drawn from the " +
                   std::to_string(a.rows) + " encoded data points (seed " + std::to_string(o.seed) + "). " +
                   std::to_string(kept) + " channels carry at least " + fixed(o.min_bits, 3) + " bits; OPTICS (min_samples " +
                   std::to_string(o.min_samples) + ", xi " + fixed(o.xi, 3) + ") on " +
                   (o.distance == "vi" ? "clip(VI, 0)" : "-ln clip(NMI, 1e-4, 1)") + " found " +
                   std::to_string(a.hotspots.size()) + " hotspots: groups of nearly identical channels that recur " +
                   "across the ensemble.");
  report.paragraph("Information is measured in bits with the fingerprint (Bhattacharyya) estimator of Murphy, "
                   "Dillavou & Bassett (2024); NMI and VI are their generalisations to stochastic channels. "
                   "docs/INFORMATION.md explains each quantity and the file that computes it.");
  report.preformatted(command_line);

  report.section("Channel similarity, ordered by OPTICS");
  const std::string side = a.nmi_factors.defined() ? " Right: NMI of each channel with each ground-truth factor." : "";
  report.figure(io::plot_profile_heatmap(matrix_figure(a, o, reordered(a.similarity.nmi, a.ordering, false),
                                                       "NMI between channels")),
                "Generalised NMI between the " + std::to_string(kept) +
                    " channels that carry information, in OPTICS order. Top: the reachability profile; valleys are "
                    "hotspots (shaded, numbered, and outlined in white on the matrix)." + side);
  report.figure(io::plot_profile_heatmap(matrix_figure(a, o, reordered(a.similarity.vi, a.ordering, true),
                                                       "EXP(-VI) between channels")),
                "exp(-VI) (VI in bits, clipped at 0) between the same channels in the same order: 1 for identical "
                "channels, near 0 for channels that share no information." + side);

  report.section("Information per channel");
  io::Histogram hist;
  hist.values = bits;
  hist.bins = 30;
  hist.lo = 0;
  hist.title = "INFORMATION PER CHANNEL";
  hist.x_label = "I(U;X), bits";
  hist.y_label = "channels";
  report.figure(io::plot_histogram(hist), "Fingerprint estimate of I(U;X) for every channel of every model (at most "
                                          "log2 of the number of points). Channels under " +
                                              fixed(o.min_bits, 3) + " bits are dropped before clustering.");
  std::vector<std::vector<std::string>> per_model;
  for (int64_t model = 0; model < models; ++model) {
    double total = 0;
    int64_t latents = 0, active = 0;
    for (int64_t c = 0; c < m; ++c) {
      if (a.channel_model[static_cast<size_t>(c)] != model) continue;
      ++latents;
      total += bits[static_cast<size_t>(c)];
      active += bits[static_cast<size_t>(c)] >= o.min_bits;
    }
    per_model.push_back({std::to_string(model), a.member_dirs[static_cast<size_t>(model)], std::to_string(latents),
                         std::to_string(active), fixed(total, 3)});
  }
  report.table({"model", "directory", "latents", "latents >= min bits", "sum of bits"}, per_model,
               "Models (the sum of per-channel information is not the information of the whole latent space)");

  report.section("Hotspots");
  std::vector<std::string> header = {"hotspot", "size", "models", "mean bits", "mean NMI within", "representative",
                                     "members (model:latent)"};
  for (const std::string& name : a.factor_names) header.push_back("NMI " + name);
  std::vector<std::vector<std::string>> rows;
  for (size_t h = 0; h < a.hotspots.size(); ++h) {
    const info::Hotspot& hs = a.hotspots[h];
    std::string members;
    for (int64_t c : hs.channels) {
      if (!members.empty()) members += ' ';
      members += channel_name(a, c);
    }
    std::vector<std::string> row = {std::to_string(h + 1),           std::to_string(hs.channels.size()),
                                    std::to_string(hs.models),       fixed(hs.mean_information, 3),
                                    fixed(hs.mean_nmi, 3),           channel_name(a, hs.representative),
                                    members};
    for (double v : hs.nmi_factors) row.push_back(fixed(v, 3));
    rows.push_back(row);
  }
  if (rows.empty())
    report.paragraph("OPTICS found no hotspot. With few models, try a smaller --min-samples (at most the number of "
                     "models whose channels should form a group).");
  else
    report.table(header, rows, "Hotspots in OPTICS order. The representative is the member with the smallest summed "
                               "distance to the other members (the medoid).");

  report.section("Latent traversals of the representatives");
  report.paragraph("For each hotspot, the traversal of its representative channel (latent j of model m) is taken from "
                   "traversals/latent-<j>.png in model m's posteriors directory, when that file exists.");
  std::vector<std::string> missing;
  for (size_t h = 0; h < a.hotspots.size(); ++h) {
    const int64_t rep = a.hotspots[h].representative;
    const std::string file = traversal_path(a, rep);
    if (!fs::exists(file)) {
      missing.push_back(std::to_string(h + 1) + " (" + file + ")");
      continue;
    }
    try {
      const std::vector<uint8_t> png = io::read_file(file);
      const io::Image8 image = io::decode_image(png, 0, file);  // a readable image, and its size
      const std::vector<uint8_t> bytes = is_png(png) ? png : io::encode_png(image);
      report.figure_png(bytes, image.width, image.height,
                        "Hotspot " + std::to_string(h + 1) + ": latent " +
                            std::to_string(a.channel_latent[static_cast<size_t>(rep)]) + " of model " +
                            std::to_string(a.channel_model[static_cast<size_t>(rep)]) + " (" + file + ")");
    } catch (const Error& e) {
      std::fprintf(stderr, "elbo info: warning: %s (the report shows no traversal for hotspot %zu)\n", e.what(), h + 1);
      missing.push_back(std::to_string(h + 1) + " (" + file + " is not a readable image)");
    }
  }
  if (!missing.empty()) {
    std::string text = "No traversal image for hotspot";
    for (const std::string& s : missing) text += " " + s;
    report.paragraph(text + ".");
  }

  report.section("Files");
  std::vector<std::vector<std::string>> files = {
      {"information.npy", "[" + std::to_string(m) + "] f64", "I(U;X) of every channel, bits; channel c = row of channels.csv"},
      {"nmi.npy, vi.npy", "[" + std::to_string(m) + ", " + std::to_string(m) + "] f64",
       "NMI and VI (bits) of every pair of channels (NaN for channels without information)"},
      {"optics_ordering.npy", "[" + std::to_string(kept) + "] i64", "kept channels in OPTICS order"},
      {"reachability.npy", "[" + std::to_string(kept) + "] f64", "reachability plot, aligned with optics_ordering"},
      {"fingerprint_indices.npy", "[" + std::to_string(a.point_indices.size()) + "] i64",
       "dataset indices of the fingerprint points"},
      {"hotspots.json", "", "hotspots: members, representative, mean bits and NMI"},
      {"channels.csv", std::to_string(m) + " rows", "channel, model, latent, bits, kept, hotspot (0: none), dir"},
      {"summary.json", "", "inputs, options, counts and timings"}};
  if (a.nmi_factors.defined())
    files.push_back({"nmi_factors.npy", "[" + std::to_string(m) + ", " + std::to_string(a.factor_names.size()) + "] f64",
                     "NMI of every channel with every ground-truth factor"});
  report.table({"file", "shape", "content"}, files);
  report.write(path);
}

}  // namespace

int run_encode(int argc, char** argv);    // encode.cpp
int run_traverse(int argc, char** argv);  // traverse.cpp

int run_info(int argc, char** argv) {
  InfoOptions o;
  std::string posteriors_help;
  cli::Args args("elbo info",
                 "Information analysis of an ensemble of VAEs (Murphy, Dillavou & Bassett 2024): the information of "
                 "every latent channel, generalised NMI and VI between all channels, OPTICS hotspots, NMI with "
                 "ground-truth factors, and an HTML report. Each DIR holds one model's means.npy, logvars.npy and "
                 "indices.npy (+ optional factors.npy, labels.npy); see docs/INFORMATION.md.");
  args.flag("--posteriors", posteriors_help, "DIR [DIR ...]: one posteriors directory per model");
  args.flag("--posteriors-list", o.posteriors_list, "file listing posteriors directories, one per line");
  args.flag("--ensemble", o.ensemble,
            "an ensemble directory (elbo ensemble): each finished member is encoded on the same fixed sample of "
            "--points images (RUN/encoded/, reused when present) and the hotspots' traversals are drawn");
  args.flag("--out", o.out, "output directory");
  args.flag("--points", o.points, "fingerprint points drawn from the encoded ones (0: all)");
  args.flag("--seed", o.seed, "seed of the fingerprint sample");
  args.flag("--distance", o.distance, "channel distance for OPTICS", {"vi", "nmi"});
  args.flag("--min-samples", o.min_samples, "OPTICS min_samples");
  args.flag("--xi", o.xi, "OPTICS xi (steepness of cluster boundaries)");
  args.flag("--min-bits", o.min_bits, "channels under this information (bits) are dropped before clustering");
  args.flag("--threads", o.threads, "threads (0: OMP_NUM_THREADS or all cores)");
  args.flag("--device", o.device, "where the all-pairs NMI/VI run (cuda needs a build with -DELBO_CUDA=ON)",
            {"cpu", "cuda"});

  // --posteriors takes every following argument up to the next option.
  std::vector<char*> rest;
  if (!cli::take_posteriors_flag(argc, argv, "elbo info", o.posteriors, rest)) return 2;
  if (!args.parse(static_cast<int>(rest.size()), rest.data())) return args.exit_code();
  auto usage_error = [](const std::string& message) {
    std::fprintf(stderr, "elbo info: %s\n", message.c_str());
    return 2;
  };
  if (o.points < 0) return usage_error("--points must be ≥ 0 (0: all), got " + std::to_string(o.points));
  if (o.seed < 0) return usage_error("--seed must be ≥ 0, got " + std::to_string(o.seed));
  if (o.min_samples < 2) return usage_error("--min-samples must be ≥ 2, got " + std::to_string(o.min_samples));
  if (!(o.xi > 0 && o.xi < 1)) return usage_error("--xi must be in (0, 1), got " + fixed(o.xi, 4));
  if (!(o.min_bits >= 0)) return usage_error("--min-bits must be ≥ 0, got " + fixed(o.min_bits, 4));
  if (o.threads < 0) return usage_error("--threads must be ≥ 0, got " + std::to_string(o.threads));
  if (o.out.empty()) return usage_error("--out must name a directory");

  std::string command_line = "elbo info";
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];

  try {
    const Device device = cli::parse_device(o.device);
    if (!o.posteriors_list.empty())
      for (const std::string& d : cli::read_posteriors_list(o.posteriors_list)) o.posteriors.push_back(d);
    if (o.threads > 0) set_num_threads(static_cast<int>(o.threads));
    std::vector<std::string> runs;  // with --ensemble: the run directory of each posteriors directory
    if (!o.ensemble.empty()) {
      if (o.points == 0) return usage_error("--ensemble needs --points > 0: the number of images each member encodes");
      const std::string threads = std::to_string(o.threads);
      for (const std::string& run : cli::finished_ensemble_runs(o.ensemble)) {
        const std::string encoded = (fs::path(run) / "encoded").string();
        if (!fs::exists(fs::path(encoded) / "means.npy")) {
          int rc = cli::run_subcommand(run_encode, {"encode", "--run", run, "--count", std::to_string(o.points),
                                               "--sample-seed", std::to_string(o.seed), "--threads", threads});
          if (rc != 0) return rc;
        }
        runs.push_back(run);
        o.posteriors.push_back(encoded);
      }
    }
    if (o.posteriors.empty())
      return usage_error("give the members' directories with --posteriors DIR [DIR ...], --posteriors-list FILE or "
                         "--ensemble DIR");
    const double start = cli::seconds_now();
    auto say = [&](const std::string& text) {
      std::printf("[%7.2f s] %s\n", cli::seconds_now() - start, text.c_str());
      std::fflush(stdout);
    };

    say("reading " + std::to_string(o.posteriors.size()) + " posteriors directories");
    std::vector<info::MemberPosteriors> members;
    cli::Progress progress(0, static_cast<int64_t>(o.posteriors.size()), 10);
    for (const std::string& dir : o.posteriors) {
      members.push_back(info::read_member_posteriors(dir));
      progress.update(static_cast<int64_t>(members.size()), dir);
    }
    progress.finish_line();
    const int64_t rows = static_cast<int64_t>(members[0].indices.size());
    if (o.points > rows)
      return usage_error("--points " + std::to_string(o.points) + " exceeds the " + std::to_string(rows) + " data points in " +
                         members[0].dir + "; pass --points " + std::to_string(rows) + " or fewer (0: all)");

    info::EnsembleOptions options;
    options.points = o.points;
    options.seed = static_cast<uint64_t>(o.seed);
    options.hotspots.distance = o.distance == "vi" ? info::HotspotDistance::vi : info::HotspotDistance::nmi;
    options.hotspots.min_information = o.min_bits;
    options.hotspots.optics.min_samples = o.min_samples;
    options.hotspots.optics.xi = o.xi;
    options.on_stage = say;
    options.device = device;
    const double analysis_start = cli::seconds_now();
    const info::EnsembleAnalysis a = info::analyse_ensemble(members, options);
    const double analysis_seconds = cli::seconds_now() - analysis_start;

    if (!runs.empty()) {  // the report's traversal of each hotspot's representative
      for (const info::Hotspot& h : a.hotspots) {
        const std::string path = traversal_path(a, h.representative);
        if (fs::exists(path)) continue;
        fs::create_directories(fs::path(path).parent_path());
        const size_t model = static_cast<size_t>(a.channel_model[static_cast<size_t>(h.representative)]);
        int rc = cli::run_subcommand(run_traverse, {"traverse", "--run", runs[model], "--latent",
                                               std::to_string(a.channel_latent[static_cast<size_t>(h.representative)]),
                                               "--label-scale", "2", "--out", path, "--threads", std::to_string(o.threads)});
        if (rc != 0) return rc;
      }
    }
    say("writing numbers and report to " + o.out);
    fs::create_directories(o.out);
    write_numbers(a, o.out);
    const std::string report_path = (fs::path(o.out) / "report.html").string();
    write_report(a, o, command_line, report_path);

    json::Value summary = json::Value::object();
    summary.set("command", command_line);
    json::Value dirs = json::Value::array();
    for (const std::string& d : a.member_dirs) dirs.push_back(d);
    summary.set("members", dirs);
    summary.set("models", static_cast<int64_t>(a.member_dirs.size()));
    summary.set("rows", a.rows);
    summary.set("points", static_cast<int64_t>(a.point_rows.size()));
    summary.set("seed", o.seed);
    summary.set("distance", o.distance);
    summary.set("min_samples", o.min_samples);
    summary.set("xi", o.xi);
    summary.set("min_bits", o.min_bits);
    summary.set("threads", static_cast<int64_t>(num_threads()));
    summary.set("device", o.device);
    summary.set("channels", static_cast<int64_t>(a.channel_model.size()));
    summary.set("kept_channels", static_cast<int64_t>(a.ordering.size()));
    summary.set("hotspots", static_cast<int64_t>(a.hotspots.size()));
    json::Value factors = json::Value::array();
    for (const std::string& f : a.factor_names) factors.push_back(f);
    summary.set("factors", factors);
    json::Value stages = json::Value::object();
    for (const auto& [name, seconds] : a.stage_seconds) stages.set(name, seconds);
    summary.set("stage_seconds", stages);
    summary.set("analysis_seconds", analysis_seconds);
    summary.set("total_seconds", cli::seconds_now() - start);
    io::write_file_atomic((fs::path(o.out) / "summary.json").string(), json::dump(summary, 2) + "\n");

    say(std::to_string(a.ordering.size()) + " of " + std::to_string(a.channel_model.size()) + " channels kept, " +
        std::to_string(a.hotspots.size()) + " hotspots; analysis " + fixed(analysis_seconds, 2) + " s");
    std::printf("report: %s\n", report_path.c_str());
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "elbo info: %s\n", e.what());
    return 1;
  } catch (const fs::filesystem_error& e) {
    std::fprintf(stderr, "elbo info: %s\n", e.what());
    return 1;
  }
}
