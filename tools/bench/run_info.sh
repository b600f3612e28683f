#!/usr/bin/env bash
# All-pairs generalised NMI/VI (M channels, N fingerprint points) in elbo beside numpy, measured in
# the same run on the same machine, and the ratio.
#
#   bash tools/bench/run_info.sh [BUILD_DIR]
#
#   elbo    BUILD_DIR/bench_info, f32 (the fast path) and f64, REPEATS timed repeats each (fastest kept)
#   numpy   the peer script (PEER_SCRIPT, default ../shared/bench/numpy_fingerprint_bench.py beside the
#           checkout), float64, with the OpenMP build of OpenBLAS and the same OpenBLAS kernel family
#           as elbo; its batched route (all BC matrices + marginals + batched Gram matrices) is compared.
#           It also times a per-pair einsum loop (minutes at M = 500) and holds N·M·N doubles (4 GB).
#           SKIP_NUMPY=1 skips it.
# Sizes: POINTS (default 1000), CHANNELS (default 500); threads: THREADS (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
POINTS=${POINTS:-1000}
CHANNELS=${CHANNELS:-500}
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-3}
PEER_SCRIPT=${PEER_SCRIPT:-../shared/bench/numpy_fingerprint_bench.py}
OPENBLAS_OMP=/usr/lib/x86_64-linux-gnu/openblas-openmp

[ -x "$BUILD_DIR/bench_info" ] || { echo "run_info.sh: $BUILD_DIR/bench_info not built; run 'make build'" >&2; exit 1; }

declare -A seconds
for dtype in f32 f64; do
  echo "== elbo bench_info --dtype $dtype" >&2
  out=$(OMP_NUM_THREADS=$THREADS "$BUILD_DIR/bench_info" --points "$POINTS" --channels "$CHANNELS" --threads "$THREADS" \
        --repeats "$REPEATS" --dtype "$dtype" --check 5 | tee -a /dev/stderr)
  seconds[$dtype]=$(echo "$out" | awk '/^RESULT/ {print $10}')
  kernels=$(echo "$out" | sed -n 's/.*OpenBLAS kernels: \([A-Za-z0-9]*\).*/\1/p' | tr a-z A-Z)
done

numpy=
if [ "${SKIP_NUMPY:-0}" != 1 ] && [ -f "$PEER_SCRIPT" ] && /usr/bin/python3 -c "import numpy" 2>/dev/null; then
  echo "== numpy (OPENBLAS_CORETYPE=${kernels:-default})" >&2
  out=$(env ${kernels:+OPENBLAS_CORETYPE=$kernels} LD_LIBRARY_PATH=$OPENBLAS_OMP /usr/bin/python3 "$PEER_SCRIPT" \
        --sizes "$POINTS" --channels "$CHANNELS" --threads "$THREADS" --repeats 1 | tee -a /dev/stderr)
  numpy=$(echo "$out" | sed -n 's/.*bc_all+marg+gemm \([0-9.]*\) s.*/\1/p' | tail -1)
else
  echo "run_info.sh: numpy peer skipped (SKIP_NUMPY=1, or no $PEER_SCRIPT or numpy)" >&2
fi

printf '\nall-pairs NMI/VI, N=%s points, M=%s channels, %s threads, OpenBLAS kernels %s\n' "$POINTS" "$CHANNELS" "$THREADS" "${kernels:-?}"
printf '%-28s %10s %12s\n' "" seconds "numpy/elbo"
for dtype in f32 f64; do
  s=${seconds[$dtype]}
  r=$([ -n "$numpy" ] && awk "BEGIN{printf \"%.1fx\", $numpy / $s}" || echo -)
  printf '%-28s %10.3f %12s\n' "elbo ($dtype)" "$s" "$r"
done
[ -n "$numpy" ] && printf '%-28s %10.3f %12s\n' "numpy (float64, batched)" "$numpy" "1.0x"
exit 0
