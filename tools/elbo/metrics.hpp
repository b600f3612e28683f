// elbo metrics: the disentanglement metrics (docs/METRICS.md, "Command line").
//
//   elbo metrics --codes C.npy --factors F.npy [--test-codes T.npy --test-factors U.npy]
//       codes computed elsewhere: MIG, SAP, DCI, modularity/explicitness, IRS, unsupervised
//   elbo metrics --dataset dsprites|scenes3d --representation identity-factors|random-rotation
//       the full suite on a synthetic code of the ground-truth factors: expected scores and timing
//
// Every mode that has a representation of a ground-truth dataset ends in score_representation,
// so a mode that loads a trained model only has to build its metrics::Representation.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/data/dataset.hpp"
#include "elbo/io/json.hpp"
#include "elbo/metrics/suite.hpp"

// The subcommand (argv[0] is "metrics"). Returns the exit code: 0, or 2 for a bad option.
// Errors in the inputs (a missing file, a NaN code, ...) throw elbo::Error naming the file.
int run_metrics(int argc, char** argv);

namespace cli {

// Runs the suite on `rep`, prints the table, and writes `out_json` (atomically; "" for none) with
// `input` (where the codes come from) recorded beside the values.
elbo::metrics::SuiteResult score_representation(const elbo::data::GroundTruthDataset& dataset,
                                                const elbo::metrics::Representation& rep,
                                                const elbo::metrics::SuiteOptions& options, elbo::json::Value input,
                                                const std::string& out_json);

// "mig, sap" as {"mig", "sap"}: the names of a --metrics list, blanks around each dropped.
std::vector<std::string> parse_metric_list(const std::string& text);
// Throws naming the first of `selected` that is not a metric of the suite.
void check_metric_names(const std::vector<std::string>& selected);

// The suite's options: the selected metrics (all when empty), and the same training and test sizes
// for every metric (the --num-train and --num-test of `elbo metrics`).
elbo::metrics::SuiteOptions suite_options(const std::vector<std::string>& selected, int64_t num_train,
                                          int64_t num_test, uint64_t seed);

// `elbo metrics --run DIR`: the suite on a trained run, whose representation is the encoder's
// posterior mean μ(x) (disentanglement_lib's "mean" representation). Runs the metrics one at a time
// in suite order, printing a line per metric as it ends (the values are those of one call of the
// suite: each metric has its own random stream), then the table; writes `out_json` ("" for none).
// Returns the JSON document (metrics_json), whose "input" records the run, its step and the sizes.
elbo::json::Value score_run(const std::string& dir, const elbo::metrics::SuiteOptions& options,
                            const std::string& out_json);

// The JSON document of a result: {"command", "input", "seed", "threads", "values", "seconds",
// "total_seconds"}; non-finite values (a singular covariance's total correlation) are null.
elbo::json::Value metrics_json(const elbo::metrics::SuiteResult& result, elbo::json::Value input, uint64_t seed);

}  // namespace cli
