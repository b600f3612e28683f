#!/usr/bin/env bash
# Installs the Debian packages elbo needs, and only those that are missing.
# Runs apt-get as root, or through sudo otherwise; does nothing when all are present.
set -euo pipefail

packages=(
  cmake g++ make
  libopenblas-dev       # cblas.h and the OpenBLAS libraries
  libopenblas0-openmp   # the OpenMP build of OpenBLAS, which elbo links by default (see README)
  libstb-dev            # stb_image and stb_image_write
  doctest-dev           # the test framework
  dataset-fashion-mnist # Fashion-MNIST's IDX files in /usr/share/datasets/fashion-mnist/
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
