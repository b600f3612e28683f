// A stand-in for the CUDA runtime, so that src/ops/cuda/*.cu compile as host C++ and run on the CPU
// (tools/cuda_emulation/run.sh; docs/CUDA.md). Device memory is host memory (filled with garbage, as
// fresh device memory is), copies are memcpy, and a kernel launch, its <<<…>>> removed, is a plain call
// with one block of one thread: every grid-stride loop then visits every element in order.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#define __global__
#define __device__
#define __host__
#define __shared__ static
inline void __syncthreads() {}
struct EmuDim { unsigned x = 0, y = 0, z = 0; };
inline EmuDim threadIdx{0}, blockIdx{0}, blockDim{1}, gridDim{1};
enum cudaError_t { cudaSuccess = 0, cudaErrorMemoryAllocation = 2 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2 };
typedef struct EmuStream* cudaStream_t;
constexpr unsigned cudaStreamNonBlocking = 1;
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline const char* cudaGetErrorString(cudaError_t) { return "emulated error"; }
inline const char* cudaGetErrorName(cudaError_t) { return "cudaErrorEmulated"; }
inline cudaError_t cudaGetDeviceCount(int* c) { *c = 1; return cudaSuccess; }
inline cudaError_t cudaMalloc(void** p, size_t n) {
  *p = std::malloc(n);
  std::memset(*p, 0xA5, n);  // garbage, like fresh device memory
  return cudaSuccess;
}
inline cudaError_t cudaFree(void* p) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind, cudaStream_t) {
  std::memcpy(d, s, n);
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) { *s = nullptr; return cudaSuccess; }
