#!/usr/bin/env bash
# Training-step benchmark of elbo beside PyTorch, measured in the same run on the same machine.
#
#   bash tools/bench/run.sh [BUILD_DIR]
#
# For each thread count in THREADS (default "1 2") it runs, each in a fresh process:
#   elbo      BUILD_DIR/bench_train (networks (a) conv beta-VAE 64x64 batch 64, (b) MLP VAE batch 128)
#   torch     Debian's python3-torch 1.13 with the OpenMP build of OpenBLAS (/usr/bin/python3), made to
#             use the same OpenBLAS kernels as elbo (OPENBLAS_CORETYPE; see docs/BENCHMARKS.md)
#   torch-pip the newest PyTorch from PyPI, if a virtual environment with it exists at TORCH_VENV
# and prints samples/s for each and the ratio elbo / peer. REPEATS (default 3) processes per
# configuration; the best median is kept (2-thread figures on this machine vary between processes).
# Set up the peers once with tools/bench/install-peers.sh. The peer script is PEER_SCRIPT
# (default: ../shared/bench/torch_vae_bench.py beside the checkout).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
THREADS=${THREADS:-"1 2"}
REPEATS=${REPEATS:-3}
PEER_SCRIPT=${PEER_SCRIPT:-../shared/bench/torch_vae_bench.py}
TORCH_VENV=${TORCH_VENV:-/work/venv-torch}
OPENBLAS_OMP=/usr/lib/x86_64-linux-gnu/openblas-openmp

[ -x "$BUILD_DIR/bench_train" ] || { echo "run.sh: $BUILD_DIR/bench_train not built; run 'make build'" >&2; exit 1; }

# The OpenBLAS kernel family elbo runs on this CPU, given to the Debian peer too.
CORETYPE=$("$BUILD_DIR/bench_train" --models none 2>/dev/null | sed -n 's/.*OpenBLAS kernels: \([A-Za-z0-9]*\).*/\1/p' | tr a-z A-Z)
echo "OpenBLAS kernels: ${CORETYPE:-unknown}" >&2

declare -A best
record() {  # record KEY VALUE: keep the maximum
  local k=$1 v=$2
  if [ -z "${best[$k]:-}" ] || awk "BEGIN{exit !($v > ${best[$k]})}"; then best[$k]=$v; fi
}

peers=()
if [ -f "$PEER_SCRIPT" ] && /usr/bin/python3 -c "import torch" 2>/dev/null; then peers+=(torch); fi
if [ -f "$PEER_SCRIPT" ] && [ -x "$TORCH_VENV/bin/python3" ] && "$TORCH_VENV/bin/python3" -c "import torch" 2>/dev/null; then
  peers+=(torch-pip)
fi
[ ${#peers[@]} -gt 0 ] || echo "run.sh: no PyTorch peer found (see tools/bench/install-peers.sh); timing elbo alone" >&2

for t in $THREADS; do
  for r in $(seq "$REPEATS"); do
    echo "== threads $t, repeat $r: elbo" >&2
    while read -r model sps; do record "elbo/$model/$t" "$sps"; done < <(
      OMP_NUM_THREADS=$t "$BUILD_DIR/bench_train" --threads "$t" | tee -a /dev/stderr | awk '/^RESULT/ {print $2, $4}')
    for p in "${peers[@]}"; do
      echo "== threads $t, repeat $r: $p" >&2
      if [ "$p" = torch ]; then py=/usr/bin/python3; libs=$OPENBLAS_OMP; core=$CORETYPE; else py=$TORCH_VENV/bin/python3; libs=; core=; fi
      while read -r model sps; do record "$p/$model/$t" "$sps"; done < <(
        env ${core:+OPENBLAS_CORETYPE=$core} LD_LIBRARY_PATH=$libs "$py" "$PEER_SCRIPT" --threads "$t" --infer-n 0 --windows 5 2>&1 | tee -a /dev/stderr |
          awk '$2 == "train" { for (i = 1; i <= NF; i++) if ($i == "samples/s") print $1, $(i-1) }')
    done
  done
done

printf '\n%-6s %-7s %14s' model threads "elbo samples/s"
for p in "${peers[@]}"; do printf ' %16s %10s' "$p samples/s" "elbo/$p"; done
printf '\n'
for model in conv mlp; do
  for t in $THREADS; do
    e=${best[elbo/$model/$t]:-0}
    printf '%-6s %-7s %14.1f' "$model" "$t" "$e"
    for p in "${peers[@]}"; do
      v=${best[$p/$model/$t]:-0}
      printf ' %16.1f %9.2fx' "$v" "$(awk "BEGIN{print ($v > 0 ? $e / $v : 0)}")"
    done
    printf '\n'
  done
done
