// Free lists for the small objects every op creates (TensorImpl, Storage, Node).
// Internal to the library; the counters are reported by elbo::pool_stats().
#pragma once
#include <vector>

namespace elbo::detail {

template <class T>
class ObjectPool {
 public:
  ~ObjectPool() {
    for (T* p : free_) delete p;
  }
  T* acquire() {
    if (free_.empty()) {
      ++created;
      return new T();
    }
    T* p = free_.back();
    free_.pop_back();
    return p;
  }
  void give_back(T* p) {
    *p = T();  // drop whatever it held
    free_.push_back(p);
  }
  long long created = 0;

 private:
  std::vector<T*> free_;
};

}  // namespace elbo::detail
