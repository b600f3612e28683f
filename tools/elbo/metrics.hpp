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
#include <string>

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

// The JSON document of a result: {"command", "input", "seed", "threads", "values", "seconds",
// "total_seconds"}; non-finite values (a singular covariance's total correlation) are null.
elbo::json::Value metrics_json(const elbo::metrics::SuiteResult& result, elbo::json::Value input, uint64_t seed);

}  // namespace cli
