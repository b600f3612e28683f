#include "elbo/allocator.hpp"

#include <cstdlib>
#include <new>

#include "elbo/error.hpp"

namespace elbo {

const char* device_name(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

CachingAllocator::CachingAllocator(Device device, RawAlloc raw_alloc, RawFree raw_free)
    : device_(device), raw_alloc_(raw_alloc), raw_free_(raw_free) {}

CachingAllocator::~CachingAllocator() { empty_cache(); }

void* CachingAllocator::allocate(size_t bytes) {
  size_t size = round_up(bytes == 0 ? 1 : bytes);
  ++stats_.requests;
  stats_.bytes_in_use += static_cast<int64_t>(size);
  auto it = free_blocks_.find(size);
  if (it != free_blocks_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    stats_.bytes_cached -= static_cast<int64_t>(size);
    return p;
  }
  ++stats_.system_allocations;
  void* p = raw_alloc_(size);
  if (!p) {
    empty_cache();  // give the cache back and try once more
    p = raw_alloc_(size);
  }
  ELBO_CHECK(p, "allocate: out of ", device_name(device_), " memory for ", size, " bytes (",
             stats_.bytes_in_use, " bytes in use)");
  return p;
}

void CachingAllocator::deallocate(void* ptr, size_t bytes) {
  if (!ptr) return;
  size_t size = round_up(bytes == 0 ? 1 : bytes);
  stats_.bytes_in_use -= static_cast<int64_t>(size);
  stats_.bytes_cached += static_cast<int64_t>(size);
  free_blocks_[size].push_back(ptr);
}

void CachingAllocator::empty_cache() {
  for (auto& [size, blocks] : free_blocks_) {
    for (void* p : blocks) raw_free_(p);
    stats_.bytes_cached -= static_cast<int64_t>(size * blocks.size());
    blocks.clear();
  }
}

namespace {
void* aligned_system_alloc(size_t bytes) { return std::aligned_alloc(64, bytes); }
void system_free(void* p) { std::free(p); }
}  // namespace

Allocator& cpu_allocator() {
  // Never destroyed: tensors held in static objects may outlive any static allocator.
  static CachingAllocator* allocator = new CachingAllocator(Device::cpu, aligned_system_alloc, system_free);
  return *allocator;
}

}  // namespace elbo
