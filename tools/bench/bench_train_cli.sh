#!/usr/bin/env bash
# `elbo train` end to end beside bench_train's step-only figure for the same network, so that one
# sees what data generation, batching, logging, checkpoints and pictures cost (the data should never
# be the bottleneck: docs/DATASETS.md has the generators' speed).
#
#   bash tools/bench/bench_train_cli.sh [BUILD_DIR]
#
#   conv   the conv β-VAE (architecture conv64), batch 64, β = 4, Adam lr 1e-4:
#          bench_train --models conv (random binary images, a pool of 8 batches)
#          elbo train --dataset dsprites (generated on a background thread, a new batch every step)
#   mlp    the MLP VAE 784-512-256-2·10 (architecture mlp), batch 128, the same objective:
#          bench_train --models mlp  against  elbo train --dataset fashion-mnist (only when installed)
#
# For elbo train it reports two figures: "end to end", steps × batch / the wall time of the whole
# process (start-up, dataset, model, every step, metrics.csv, one checkpoint and the pictures at the
# end), and "loop", the rate the run measured over its training loop (summary.json). Variables:
# THREADS (default: all cores), CONV_STEPS (300), MLP_STEPS (1500).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
THREADS=${THREADS:-$(nproc)}
CONV_STEPS=${CONV_STEPS:-300}
MLP_STEPS=${MLP_STEPS:-1500}
for program in elbo bench_train; do
  [ -x "$BUILD_DIR/$program" ] || { echo "bench_train_cli.sh: $BUILD_DIR/$program not built; run 'make build'" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# bench_train's samples/s for one network ("RESULT conv samples/s 1234.5 ...").
step_only() {
  "$BUILD_DIR/bench_train" --models "$1" --threads "$THREADS" --windows 5 | sed -n "s/^RESULT $1 samples\/s \([0-9.]*\).*/\1/p"
}

# elbo train: prints "END_TO_END LOOP" in samples/s.
end_to_end() {
  local steps=$1 batch=$2; shift 2
  local start end
  start=$(date +%s.%N)
  "$BUILD_DIR/elbo" train "$@" --objective beta_vae --beta 4 --lr 1e-4 --batch "$batch" --steps "$steps" \
    --log-every 50 --checkpoint-every "$steps" --threads "$THREADS" --out "$work/run" --force > "$work/log.txt"
  end=$(date +%s.%N)
  local loop
  loop=$(sed -n 's/.*"samples_per_second": \([0-9.e+]*\).*/\1/p' "$work/run/summary.json")
  awk -v s="$steps" -v b="$batch" -v t0="$start" -v t1="$end" -v l="$loop" 'BEGIN { printf "%.1f %.1f\n", s * b / (t1 - t0), l }'
}

echo "# elbo train end to end against bench_train (step only), $THREADS threads, $(nproc) cores; samples/s"
printf "%-6s %-28s %12s %14s %12s %8s\n" network data step_only train_e2e train_loop e2e/step
report() {
  local name=$1 data=$2 step=$3 e2e=$4 loop=$5
  printf "%-6s %-28s %12.1f %14.1f %12.1f %8.3f\n" "$name" "$data" "$step" "$e2e" "$loop" "$(awk -v a="$e2e" -v b="$step" 'BEGIN{print a/b}')"
}
step=$(step_only conv)
read -r e2e loop < <(end_to_end "$CONV_STEPS" 64 --dataset dsprites --architecture conv64)
report conv "dsprites (generated)" "$step" "$e2e" "$loop"
if [ -d /usr/share/datasets/fashion-mnist ]; then
  step=$(step_only mlp)
  read -r e2e loop < <(end_to_end "$MLP_STEPS" 128 --dataset fashion-mnist --architecture mlp --hidden 512,256)
  report mlp "fashion-mnist (read, gzip)" "$step" "$e2e" "$loop"
else
  echo "mlp    (skipped: Fashion-MNIST is not installed; apt-get install dataset-fashion-mnist)"
fi
