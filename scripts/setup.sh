#!/usr/bin/env bash
# Install what is missing (Debian 12 packages only), configure and build into $BUILD (build).
# Idempotent: a second call only rebuilds what changed. Runs apt-get as root (or via sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(gcc libc6-dev meson ninja-build pkg-config git libgsl-dev libhdf5-dev librandom123-dev libconfig-dev libsleef-dev libqhull-dev
      munge slurmctld slurmd slurm-client
      gnuplot-nox python3 python3-h5py python3-numpy python3-mpmath python3-pot python3-pandas
      help2man man-db fonts-dejavu-core strace
      clang libclang-rt-14-dev libomp-14-dev)  # clang: the libFuzzer targets of tests/fuzz (.ci/run)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
say() { echo "setup: $*" >&2; } # progress on stderr: stdout stays the caller's
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  say "installing ${#missing[@]} Debian packages (apt-get): ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
BUILD=${BUILD:-build}
werror=false; [ "${CI:-}" = true ] && werror=true
if [ ! -f "$BUILD/build.ninja" ]; then
  say "configuring $BUILD (meson setup)..."
  meson setup "$BUILD" -Dwerror=$werror ${MESON_ARGS:-} >"$BUILD.setup.log" 2>&1 ||
    { cat "$BUILD.setup.log" >&2; exit 1; }
  rm -f "$BUILD.setup.log"
fi
# A fresh build says so and how long it takes; a rebuild says what it did, if anything
# (version.h is regenerated on every call and does not count).
[ -x "$BUILD/ctrate" ] || say "building ctrate (about 1 minute on 2 cores)..."
t0=$(date +%s)
ninja -C "$BUILD" >"$BUILD/ninja.log" 2>&1 || { tail -n 40 "$BUILD/ninja.log" >&2; say "build failed (log: $BUILD/ninja.log)"; exit 1; }
steps=$(grep '^\[' "$BUILD/ninja.log" | grep -vc 'version\.h' || true)
[ "$steps" -eq 0 ] || say "built $BUILD ($steps steps) in $(($(date +%s) - t0)) s"
