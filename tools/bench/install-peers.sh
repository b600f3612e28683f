#!/usr/bin/env bash
# Installs the PyTorch peers the benchmark compares elbo with (benchmarking only; elbo itself never
# needs Python):
#   * Debian's python3-torch 1.13 and the OpenMP build of OpenBLAS (the fastest Debian setup);
#   * the newest PyTorch from PyPI in a virtual environment at TORCH_VENV (default /work/venv-torch).
set -euo pipefail
TORCH_VENV=${TORCH_VENV:-/work/venv-torch}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq python3-torch python3-numpy python3-venv libopenblas0-openmp
if [ ! -x "$TORCH_VENV/bin/python3" ]; then python3 -m venv "$TORCH_VENV"; fi
"$TORCH_VENV/bin/pip" install -q torch numpy
