// Memory: tensors get their storage from an Allocator of their device.
//
// The CPU allocator caches freed blocks by size: a training step allocates the same sizes
// every time, so after the first step every request is served from the cache and the step
// makes no call to the system allocator. `stats()` counts system calls so tests can check that.
#pragma once
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace elbo {

enum class Device : uint8_t { cpu, cuda };
const char* device_name(Device d);

struct AllocatorStats {
  int64_t system_allocations = 0;  // calls that reached the system allocator
  int64_t requests = 0;            // every allocate() call
  int64_t bytes_in_use = 0;
  int64_t bytes_cached = 0;
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual Device device() const = 0;
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* ptr, size_t bytes) = 0;
  virtual void empty_cache() = 0;  // return cached blocks to the system
  virtual AllocatorStats stats() const = 0;
};

// A size-keyed cache in front of an underlying raw allocator. Blocks are 64-byte aligned
// (one AVX-512 register, one cache line) and sizes are rounded up to 64 bytes.
class CachingAllocator : public Allocator {
 public:
  using RawAlloc = void* (*)(size_t bytes);
  using RawFree = void (*)(void* ptr);
  CachingAllocator(Device device, RawAlloc raw_alloc, RawFree raw_free);
  ~CachingAllocator() override;

  Device device() const override { return device_; }
  void* allocate(size_t bytes) override;
  void deallocate(void* ptr, size_t bytes) override;
  void empty_cache() override;
  AllocatorStats stats() const override { return stats_; }

  static size_t round_up(size_t bytes) { return (bytes + 63) & ~size_t(63); }

 private:
  Device device_;
  RawAlloc raw_alloc_;
  RawFree raw_free_;
  std::unordered_map<size_t, std::vector<void*>> free_blocks_;
  AllocatorStats stats_;
};

// The allocator of the CPU: a CachingAllocator over 64-byte-aligned system memory.
Allocator& cpu_allocator();

}  // namespace elbo
