#!/usr/bin/env bash
# A sharded sweep through a real (single-node, localhost) Slurm cluster gives the same rows as
# the same sweep on one machine.
#
#   tests/test_slurm.sh BUILD_DIR SOURCE_DIR
#
# Starts a throwaway cluster (tests/slurm_cluster.sh) in a temporary directory, submits
# SOURCE_DIR/tests/data/slurm_small.cfg as 3 array tasks plus the merge job
# (experiments/slurm/submit.sh --wait), runs the same spec with `ctrate sweep` alone, and compares
# the two result files with tests/same_rows.py (every metric column bit-identical per point_id).
# Exit 77 (skipped) when not root or when munge/Slurm are not installed; 1 on any failure, after
# printing the jobs' logs. KEEP_SLURM_TEST=1 keeps the temporary directory.
# Overrides: CTRATE (binary), SLURM_TEST_SPEC (spec file), SLURM_TEST_TIMEOUT (s, default 600).
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd -P) || exit 2
SRC=$(cd "$2" && pwd -P) || exit 2

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: test_slurm needs root (it runs its own munged, slurmctld and slurmd)"; exit 77
fi
for b in munged munge slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
  if ! PATH=$PATH:/usr/sbin:/sbin command -v "$b" >/dev/null; then
    echo "SKIP: $b not installed (Debian: apt-get install slurm-wlm munge)"; exit 77
  fi
done

if [ -z "${CTRATE:-}" ]; then
  for c in "$BUILD/ctrate" "$BUILD/src/ctrate"; do [ -x "$c" ] && { CTRATE=$c; break; }; done
fi
SPEC=${SLURM_TEST_SPEC:-$SRC/tests/data/slurm_small.cfg}
SAME_ROWS=$SRC/tests/same_rows.py
SHARDS=3
TIMEOUT=${SLURM_TEST_TIMEOUT:-600}
for f in "${CTRATE:-$BUILD/ctrate}" "$SPEC" "$SAME_ROWS" "$SRC/tests/slurm_cluster.sh" \
         "$SRC/experiments/slurm/submit.sh"; do
  [ -e "$f" ] || { echo "FAIL: $f does not exist"; exit 1; }
done
export CTRATE

T=$(mktemp -d /tmp/ctrate-slurm.XXXXXX)
chmod 755 "$T"   # munged wants its socket's directories enterable by all
CLUSTER=$T/cluster OUT=$T/out

show_logs() {
  local f
  echo "---- Slurm job output files ----"
  for f in "$OUT"/slurm-*.out; do
    [ -f "$f" ] || continue
    echo "== $f"; cat "$f"
  done
  if [ -f "$CLUSTER/slurm.conf" ]; then
    echo "---- job states ----"
    SLURM_CONF=$CLUSTER/slurm.conf squeue -h -t all -o '%i %j %T %r' 2>/dev/null | sort -V
  fi
  for f in slurmctld.log slurmd.log munged.log; do
    [ -f "$CLUSTER/$f" ] || continue
    echo "---- $CLUSTER/$f (last 30 lines) ----"; tail -n 30 "$CLUSTER/$f"
  done
}

cleanup() {
  local rc=$?
  bash "$SRC/tests/slurm_cluster.sh" stop "$CLUSTER" || echo "WARN: cluster stop failed"
  if [ -n "${KEEP_SLURM_TEST:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
  exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; show_logs; exit 1; }

t0=$SECONDS
bash "$SRC/tests/slurm_cluster.sh" start "$CLUSTER" >/dev/null
rc=$?
[ $rc -eq 77 ] && { echo "SKIP: the cluster script skipped"; exit 77; }
[ $rc -eq 0 ] || fail "cluster start (exit $rc)"
# shellcheck disable=SC1091
. "$CLUSTER/env.sh"
echo "PASS: single-node Slurm cluster up in $((SECONDS - t0)) s ($SLURM_CONF)"

t1=$SECONDS
timeout "$TIMEOUT" bash "$SRC/experiments/slurm/submit.sh" "$SPEC" "$OUT" "$SHARDS" --wait
rc=$?
[ $rc -eq 124 ] && fail "submit.sh --wait did not finish within $TIMEOUT s"
[ $rc -eq 0 ] || fail "sharded sweep + merge through Slurm (submit.sh exit $rc)"
for ((i = 1; i <= SHARDS; i++)); do
  [ -s "$OUT/shard-$i.h5" ] || fail "missing $OUT/shard-$i.h5"
done
[ -s "$OUT/all.h5" ] || fail "missing $OUT/all.h5"
echo "PASS: $SHARDS array tasks + dependent merge in $((SECONDS - t1)) s"

t2=$SECONDS
(cd "$T" && "$CTRATE" sweep "$SPEC" -o "$T/single.h5" --quiet) \
  || fail "single-machine sweep (ctrate sweep $SPEC -o single.h5 --quiet)"
echo "PASS: single-machine sweep in $((SECONDS - t2)) s"

/usr/bin/python3 "$SAME_ROWS" "$T/single.h5" "$OUT/all.h5" \
  || fail "rows of the Slurm run differ from the single-machine run (same_rows.py)"
echo "PASS: merged Slurm result has the same rows as the single-machine run"
echo "test_slurm: PASS ($((SECONDS - t0)) s in all)"
