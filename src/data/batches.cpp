// The batch iterator: order (a Philox Fisher–Yates shuffle per epoch) and the hand-over between
// the caller and the background thread. See batches.hpp for the definitions.
#include "elbo/data/batches.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace elbo::data {

void shuffled_order(int64_t n, uint64_t seed, int64_t epoch, int64_t* order) {
  ELBO_CHECK(n >= 0 && epoch >= 0, "shuffled_order: need n ≥ 0 and epoch ≥ 0, got n = ", n, ", epoch = ", epoch);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  const uint64_t first_draw = static_cast<uint64_t>(epoch) * static_cast<uint64_t>(n);
  for (int64_t i = n - 1; i >= 1; --i) {
    Rng draw{seed, kShuffleStream, first_draw + static_cast<uint64_t>(i)};
    const int64_t j = static_cast<int64_t>(draw.below(static_cast<uint64_t>(i + 1)));
    std::swap(order[i], order[j]);
  }
}

BatchIterator::BatchIterator(const Dataset& dataset, const BatchOptions& options)
    : BatchIterator(dataset, {}, options) {}

BatchIterator::BatchIterator(const Dataset& dataset, std::vector<int64_t> subset, const BatchOptions& options)
    : dataset_(dataset),
      ground_truth_(dynamic_cast<const GroundTruthDataset*>(&dataset)),
      subset_(std::move(subset)),
      options_(options) {
  const int64_t size = dataset.size();
  for (size_t k = 0; k < subset_.size(); ++k)
    ELBO_CHECK(subset_[k] >= 0 && subset_[k] < size, "BatchIterator: subset entry ", k, " is index ", subset_[k],
               ", out of range for ", dataset.name(), " of ", size, " images");
  items_ = subset_.empty() ? size : static_cast<int64_t>(subset_.size());
  const int64_t B = options_.batch_size;
  ELBO_CHECK(B >= 1, "BatchIterator: batch_size must be ≥ 1, got ", B);
  ELBO_CHECK(options_.render_threads >= 1, "BatchIterator: render_threads must be ≥ 1, got ", options_.render_threads);
  steps_per_epoch_ = options_.drop_last ? items_ / B : (items_ + B - 1) / B;
  ELBO_CHECK(steps_per_epoch_ >= 1, "BatchIterator: ", items_, " items of ", dataset.name(),
             " make no batch of ", B, (options_.drop_last ? " with drop_last: lower batch_size or set drop_last = false"
                                                           : ""));
  image_numel_ = dataset.image_shape().numel();
  label_width_ = ground_truth_ ? ground_truth_->num_factors() : 1;
  // Every buffer is allocated here, once.
  if (options_.shuffle) order_.resize(static_cast<size_t>(items_));
  ids_.resize(static_cast<size_t>(B));
  images_.resize(static_cast<size_t>(B * image_numel_));
  labels_.resize(static_cast<size_t>(B * label_width_));
  if (options_.prefetch) {
    worker_ = std::thread([this] { worker_loop(); });
    post(0);
  }
}

BatchIterator::~BatchIterator() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

int64_t BatchIterator::gather(int64_t step, std::vector<int64_t>& order, int64_t& order_epoch, int64_t* ids) const {
  const int64_t epoch = step / steps_per_epoch_, batch = step % steps_per_epoch_;
  if (options_.shuffle && order_epoch != epoch) {
    order.resize(static_cast<size_t>(items_));
    shuffled_order(items_, options_.seed, epoch, order.data());
    order_epoch = epoch;
  }
  const int64_t start = batch * options_.batch_size;
  const int64_t count = std::min(options_.batch_size, items_ - start);
  for (int64_t k = 0; k < count; ++k) {
    const int64_t position = options_.shuffle ? order[static_cast<size_t>(start + k)] : start + k;
    ids[k] = subset_.empty() ? position : subset_[static_cast<size_t>(position)];
  }
  return count;
}

std::vector<int64_t> BatchIterator::batch_indices(int64_t step) const {
  ELBO_CHECK(step >= 0, "BatchIterator::batch_indices: step must be ≥ 0, got ", step);
  std::vector<int64_t> order, ids(static_cast<size_t>(options_.batch_size));
  int64_t order_epoch = -1;
  ids.resize(static_cast<size_t>(gather(step, order, order_epoch, ids.data())));
  return ids;
}

std::vector<int64_t> BatchIterator::batch_indices(int64_t first, int64_t count) const {
  ELBO_CHECK(first >= 0 && count >= 0, "BatchIterator::batch_indices: need first ≥ 0 and count ≥ 0, got first = ",
             first, ", count = ", count);
  std::vector<int64_t> order, ids(static_cast<size_t>(count * options_.batch_size));
  int64_t order_epoch = -1, n = 0;
  for (int64_t step = first; step < first + count; ++step) n += gather(step, order, order_epoch, ids.data() + n);
  ids.resize(static_cast<size_t>(n));
  return ids;
}

void BatchIterator::render(int64_t step) {
  error_ = nullptr;
  count_ = 0;
  try {
    const int64_t count = gather(step, order_, order_epoch_, ids_.data());
    // Labels: the mixed-radix digits of the index (as GroundTruthDataset::factors, without
    // allocating), or the class label.
    for (int64_t k = 0; k < count; ++k) {
      int64_t* row = labels_.data() + k * label_width_;
      if (ground_truth_) {
        const std::vector<Factor>& factors = ground_truth_->factor_list();
        int64_t rest = ids_[static_cast<size_t>(k)];
        for (int64_t f = label_width_ - 1; f >= 0; --f) {
          row[f] = rest % factors[static_cast<size_t>(f)].size;
          rest /= factors[static_cast<size_t>(f)].size;
        }
      } else {
        row[0] = dataset_.label(ids_[static_cast<size_t>(k)]);
      }
    }
    // Images: each writes its own slice; an exception cannot leave an OpenMP loop, so the one of
    // the lowest failing position is kept and rethrown.
    int64_t first_failure = count;
    std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 4) num_threads(options_.render_threads) if (options_.render_threads > 1)
    for (int64_t k = 0; k < count; ++k) {
      try {
        dataset_.image(ids_[static_cast<size_t>(k)], images_.data() + k * image_numel_);
      } catch (...) {
#pragma omp critical(elbo_batch_render_failure)
        if (k < first_failure) {
          first_failure = k;
          failure = std::current_exception();
        }
      }
    }
    if (failure) std::rethrow_exception(failure);
    count_ = count;
  } catch (...) {
    error_ = std::current_exception();
  }
}

void BatchIterator::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || job_ >= 0; });
    if (stop_) return;
    const int64_t step = job_;
    job_ = -1;
    busy_ = true;
    done_step_ = -1;
    lock.unlock();
    render(step);
    lock.lock();
    busy_ = false;
    done_step_ = step;
    wake_.notify_all();
  }
}

void BatchIterator::post(int64_t step) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = step;
  }
  wake_.notify_all();
}

void BatchIterator::seek(int64_t step) {
  ELBO_CHECK(step >= 0, "BatchIterator::seek: step must be ≥ 0, got ", step);
  step_ = step;
  if (options_.prefetch) post(step);
}

namespace {
// `t` as a contiguous CPU tensor of `shape` and `dtype` that no other handle sees: itself when it
// already is one, else a new tensor.
void make_writable(Tensor& t, const Shape& shape, DType dtype) {
  const bool reusable = t.defined() && t.shape() == shape && t.dtype() == dtype && t.device() == Device::cpu &&
                        t.is_contiguous() && t.offset() == 0 && !t.requires_grad() && t.grad_fn() == nullptr &&
                        t.impl()->refcount == 1 && t.storage()->refcount == 1;
  if (!reusable) t = empty(shape, dtype);
}
}  // namespace

int64_t BatchIterator::next(Tensor& images, Tensor* labels) {
  if (options_.prefetch) {
    std::unique_lock<std::mutex> lock(mutex_);
    // The worker has rendered the last posted job, which is step_ (posted by the constructor,
    // seek or the previous next()), and is idle: the buffers are the caller's until the next post.
    wake_.wait(lock, [this] { return !busy_ && job_ < 0; });
    ELBO_CHECK(done_step_ == step_, "BatchIterator::next: internal hand-over error: buffers hold step ", done_step_,
               ", expected ", step_);
  } else {
    render(step_);
  }
  if (error_) {
    std::exception_ptr error = std::exchange(error_, nullptr);
    if (options_.prefetch) post(step_);  // a later next() tries this step again
    std::rethrow_exception(error);
  }
  const int64_t n = count_;
  const ImageShape shape = dataset_.image_shape();
  make_writable(images, Shape{n, shape.channels, shape.height, shape.width}, DType::f32);
  std::memcpy(images.data<float>(), images_.data(), static_cast<size_t>(n * image_numel_) * sizeof(float));
  if (labels) {
    make_writable(*labels, ground_truth_ ? Shape{n, label_width_} : Shape{n}, DType::i64);
    std::memcpy(labels->data<int64_t>(), labels_.data(), static_cast<size_t>(n * label_width_) * sizeof(int64_t));
  }
  ++step_;
  if (options_.prefetch) post(step_);
  return n;
}

}  // namespace elbo::data
