#!/usr/bin/env bash
# Runs elbo's cuda: tests without a GPU: the CUDA backend's kernels (src/ops/cuda/*.cu) compiled as
# host C++ against stand-ins for the CUDA runtime and cuBLAS (this folder), each launch run as one
# thread, under AddressSanitizer and UBSan.
#
#   bash tools/cuda_emulation/run.sh [BUILD_DIR]        (default build-cuda-emulated; make test-cuda-emulated)
#
# It checks the kernels' index arithmetic, the column-major mapping of the products, the copies and
# the allocator, not what only a GPU shows: races between threads, launch limits, cuBLAS itself,
# CUDA's math library (docs/CUDA.md). About 10 minutes from scratch on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-build-cuda-emulated}
mkdir -p "$OUT/kernels/ops/cuda"
for f in src/ops/cuda/*.cu src/ops/cuda/*.cuh; do
  name=$(basename "$f")
  case $name in *.cu) name=${name%.cu}.cpp ;; esac
  # kernel<<<grid, block, shared, stream>>>(args) becomes kernel(args)
  perl -0pe 's/<<<.*?>>>//gs' "$f" > "$OUT/kernels/ops/cuda/$name.new"
  cmp -s "$OUT/kernels/ops/cuda/$name.new" "$OUT/kernels/ops/cuda/$name" 2>/dev/null &&
    rm "$OUT/kernels/ops/cuda/$name.new" || mv "$OUT/kernels/ops/cuda/$name.new" "$OUT/kernels/ops/cuda/$name"
done
tests="tests/main.cpp;$(grep -l 'TEST_CASE("cuda:' -r tests | sort | paste -sd ';')"
cmake -S tools/cuda_emulation -B "$OUT" -DELBO_SOURCE_DIR="$PWD" -DELBO_EMULATED_KERNELS="$PWD/$OUT/kernels" \
  -DELBO_TEST_SOURCES="$tests" ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} >/dev/null
cmake --build "$OUT" -j"$(nproc)" --target elbo_tests
ASAN_OPTIONS=detect_leaks=0 "$OUT/elbo_tests" -tc='cuda:*'
