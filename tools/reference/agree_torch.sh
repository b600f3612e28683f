#!/usr/bin/env bash
# elbo beside PyTorch on the Fashion-MNIST β-VAE (docs/MODELS.md, "Agreement with PyTorch"):
# trains STEPS steps in elbo, writes the three inputs of the replay (initial weights, batches,
# per-step loss terms), replays them in PyTorch and prints the verdict (exit status 1: disagree).
#
#   bash tools/reference/agree_torch.sh [BUILD_DIR]          (make agree-torch)
#
# Variables: OUT (runs/agree-torch), STEPS (50), BETA (4), LR (1e-3), BATCH (64), SEED (0),
# LATENTS (10), PYTHON (/usr/bin/python3, Debian's, which has python3-torch), ARGS (more options of
# the replay, e.g. ARGS=--double to train the reference in float64).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build}
OUT=${OUT:-runs/agree-torch}
STEPS=${STEPS:-50}
BETA=${BETA:-4}
LR=${LR:-1e-3}
BATCH=${BATCH:-64}
SEED=${SEED:-0}
LATENTS=${LATENTS:-10}
PYTHON=${PYTHON:-/usr/bin/python3}
ELBO=$BUILD_DIR/elbo

[ -x "$ELBO" ] || { echo "agree_torch.sh: $ELBO not built; run 'make build'" >&2; exit 1; }
"$PYTHON" -c "import torch, numpy" 2>/dev/null || {
  echo "agree_torch.sh: $PYTHON cannot import torch and numpy (apt-get install python3-torch python3-numpy)" >&2
  exit 1
}
export OMP_WAIT_POLICY=passive
mkdir -p "$OUT"
OPTIONS=(--dataset fashion-mnist --architecture fmnist_conv --objective beta_vae --beta "$BETA" --latents "$LATENTS"
         --batch "$BATCH" --lr "$LR" --seed "$SEED" --threads 1)
# 1. the initial weights; 2. the run, one metrics.csv row per step; 3. every step's dataset indices
"$ELBO" train "${OPTIONS[@]}" --steps 0 --out "$OUT/initial" --force > /dev/null
"$ELBO" train "${OPTIONS[@]}" --steps "$STEPS" --log-every 1 --checkpoint-every "$STEPS" --out "$OUT/run" --force \
  > "$OUT/train.log"
"$ELBO" batches --run "$OUT/run"
# 4. the replay in PyTorch, compared step by step
"$PYTHON" tools/reference/torch_fmnist_beta_vae.py replay --run "$OUT/run" \
  --initial "$OUT/initial/checkpoint.safetensors" --csv "$OUT/torch.csv" ${ARGS:-}
