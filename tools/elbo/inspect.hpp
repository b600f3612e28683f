// What the subcommands that read a trained run share (encode, traverse, reconstruct, sample, eval):
// the --run, --threads and --device options, and images read in batches.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "args.hpp"
#include "run.hpp"

namespace cli {

struct InspectOptions {
  std::string run;             // the run directory (required)
  int64_t threads = 0;
  std::string device = "cpu";
};

inline void bind_inspect_options(Args& args, InspectOptions& o) {
  args.flag("--run", o.run, "the run directory elbo train wrote");
  args.flag("--threads", o.threads, "threads (0: OMP_NUM_THREADS or all cores)");
  args.flag("--device", o.device, "where to compute (cuda needs a build with -DELBO_CUDA=ON)", {"cpu", "cuda"});
}

// Checks --run, sets the threads, loads the run (run.hpp).
inline LoadedRun open_run(const InspectOptions& o) {
  if (o.run.empty()) elbo::detail::fail("--run DIR is required (a directory elbo train wrote)");
  apply_threads(o.threads);
  return load_run(o.run, o.device);
}

// The dataset of a --split option: the run's own for "train", its test split for "test" (held
// in `test_holder`, which must outlive the returned reference).
inline const elbo::data::Dataset& split_dataset(const LoadedRun& run, const std::string& split,
                                                std::unique_ptr<elbo::data::Dataset>& test_holder) {
  if (split != "test") return *run.dataset;
  test_holder = open_test_dataset(run.options);
  return *test_holder;
}

// The images of `indices` in batches of at most `batch`, as f32 tensors on `device`.
inline std::vector<elbo::Tensor> image_batches(const elbo::data::Dataset& dataset, const std::vector<int64_t>& indices,
                                               int64_t batch, elbo::Device device) {
  std::vector<elbo::Tensor> batches;
  for (size_t start = 0; start < indices.size(); start += static_cast<size_t>(batch)) {
    size_t n = std::min(indices.size() - start, static_cast<size_t>(batch));
    batches.push_back(dataset.images(std::span<const int64_t>(indices.data() + start, n)).to(device));
  }
  return batches;
}

}  // namespace cli
