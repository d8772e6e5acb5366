#!/usr/bin/env bash
# Install what is missing (Debian 12 packages only), configure and build into $BUILD (build).
# Idempotent: a second call only rebuilds what changed. Runs apt-get as root (or via sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(gcc libc6-dev meson ninja-build pkg-config git libgsl-dev libhdf5-dev librandom123-dev libconfig-dev
      munge slurmctld slurmd slurm-client
      gnuplot-nox python3 python3-h5py python3-numpy python3-mpmath python3-pot
      clang libclang-rt-14-dev libomp-14-dev)  # clang: the libFuzzer targets of tests/fuzz (.ci/run)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
BUILD=${BUILD:-build}
werror=false; [ "${CI:-}" = true ] && werror=true
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" -Dwerror=$werror ${MESON_ARGS:-} >/dev/null
fi
ninja -C "$BUILD" >/dev/null
