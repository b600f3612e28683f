// Batches: a deterministic, resumable batch iterator over a Dataset, with a background thread
// that renders the next batch while the caller trains on the current one.
//
// Order. The iterator walks over n items: the whole dataset (indices 0 … N−1) or a given subset
// (a split). Epoch e visits them in the order of a Fisher–Yates shuffle (Durstenfeld 1964;
// Knuth, TAOCP vol. 2, Algorithm 3.4.2 P) driven by Philox:
//
//   order = (0, 1, …, n−1)
//   for i = n−1 down to 1:
//     u = uniform draw number e·n + i of (seed, stream kShuffleStream)      (rng.hpp)
//     j = ⌊u·(i+1)⌋                       (an integer in [0, i], as Rng::below)
//     swap order[i], order[j]
//
// Step t (counted from the first batch of epoch 0) is batch b = t mod S of epoch e = ⌊t / S⌋,
// with S = steps_per_epoch() (⌊n/B⌋ with drop_last, ⌈n/B⌉ without); it holds the items at
// positions b·B … b·B + B − 1 of that epoch's order. So the batch at step t is a pure function
// of (seed, t): training resumes at any step with seek(t). Without shuffling the order is 0…n−1.
//
// Threads. elbo's tensors are not thread-safe, so the background thread never touches one: it
// renders into plain buffers the iterator allocates once, and next() copies them into the
// caller's tensors on the caller's thread (reusing their storage when the caller's handle is
// the only one: no allocation in steady state). An exception thrown while rendering is rethrown
// by next(). The dataset must outlive the iterator and is read from the background thread
// (datasets are read-only, dataset.hpp).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "elbo/data/dataset.hpp"
#include "elbo/tensor.hpp"

namespace elbo::data {

// The Philox stream of the shuffles ("shuffle" in ASCII).
constexpr uint64_t kShuffleStream = 0x73687566666c65ULL;

// Writes the order of epoch `epoch` of n items (the shuffle above) into order[0 .. n).
void shuffled_order(int64_t n, uint64_t seed, int64_t epoch, int64_t* order);

struct BatchOptions {
  int64_t batch_size = 64;
  uint64_t seed = 0;
  bool shuffle = true;
  bool drop_last = true;   // skip the last, smaller batch of an epoch
  bool prefetch = true;    // render the next batch on a background thread
  int render_threads = 1;  // threads that render one batch (OpenMP); 1 leaves the cores to training
};

class BatchIterator {
 public:
  // Over the whole dataset, or over `subset` (dataset indices, each in [0, dataset.size())).
  BatchIterator(const Dataset& dataset, const BatchOptions& options);
  BatchIterator(const Dataset& dataset, std::vector<int64_t> subset, const BatchOptions& options);
  ~BatchIterator();  // stops the background thread (after the batch it is rendering, if any)
  BatchIterator(const BatchIterator&) = delete;
  BatchIterator& operator=(const BatchIterator&) = delete;

  int64_t items() const { return items_; }
  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  int64_t step() const { return step_; }  // the step next() returns next
  int64_t epoch() const { return step_ / steps_per_epoch_; }
  int64_t step_in_epoch() const { return step_ % steps_per_epoch_; }
  const BatchOptions& options() const { return options_; }

  // Makes `step` the next batch (it is rendered again, in the background when prefetching).
  void seek(int64_t step);

  // Writes batch step() into `images` (f32 [n, C, H, W]) and, when `labels` is not null, its
  // labels: the factor levels, i64 [n, K], for a GroundTruthDataset, else Dataset::label, i64 [n].
  // Returns n (B, or fewer for the last batch of an epoch without drop_last) and advances step().
  // A tensor is reused when it has the right shape and dtype and the caller's handle is the only
  // one to its storage; otherwise the handle is replaced by a new tensor, so that data another
  // handle still sees is never overwritten.
  int64_t next(Tensor& images, Tensor* labels = nullptr);

  // The dataset indices of the batch at `step` (a pure function of seed, step and the subset).
  std::vector<int64_t> batch_indices(int64_t step) const;
  // Those of `count` consecutive steps from `first`, one batch after the other (one shuffle per epoch).
  std::vector<int64_t> batch_indices(int64_t first, int64_t count) const;

 private:
  // The indices of batch `step` into ids (returns how many), using and updating a cached order.
  int64_t gather(int64_t step, std::vector<int64_t>& order, int64_t& order_epoch, int64_t* ids) const;
  // Renders batch `step` into the buffers below (the worker's job, or the caller's without prefetch).
  void render(int64_t step);
  void worker_loop();
  void post(int64_t step);  // asks the worker for batch `step`

  const Dataset& dataset_;
  const GroundTruthDataset* ground_truth_;  // the dataset, when it has factors; else null
  std::vector<int64_t> subset_;             // empty: every index of the dataset
  BatchOptions options_;
  int64_t items_ = 0, steps_per_epoch_ = 0, image_numel_ = 0, label_width_ = 1;
  int64_t step_ = 0;

  // Written only by whoever renders (the worker, or the caller without prefetch); read by the
  // caller only when the worker is idle.
  std::vector<int64_t> order_;
  int64_t order_epoch_ = -1;
  std::vector<int64_t> ids_;
  std::vector<float> images_;
  std::vector<int64_t> labels_;
  int64_t count_ = 0;
  std::exception_ptr error_;

  // The hand-over between caller and worker, under mutex_.
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable wake_;
  int64_t job_ = -1;        // the step the worker is asked to render next, −1 for none
  int64_t done_step_ = -1;  // the step whose batch is in the buffers, −1 for none
  bool busy_ = false;       // the worker is rendering
  bool stop_ = false;
};

}  // namespace elbo::data
