#!/usr/bin/env bash
# Submit a sharded ctrate sweep to Slurm: an array of SHARDS tasks (sweep.sbatch), then a merge
# job (merge.sbatch) that starts only when all of them succeeded.
#
#   experiments/slurm/submit.sh [--wait] SPEC OUTDIR SHARDS [extra sbatch args for the array...]
#
#   --wait     (anywhere on the line) block until the merge job ends; exit with its status
#   SPEC       sweep spec file, OUTDIR output directory (created), SHARDS number of array tasks
#   extra      passed to the array's sbatch only, e.g. --time=2:00:00 --cpus-per-task=4
#              (sets ctrate --threads); --partition, --account etc. for both jobs go through
#              sbatch's environment (SBATCH_PARTITION=..., SBATCH_ACCOUNT=...), and extra
#              arguments for the merge job through MERGE_SBATCH_ARGS (split on spaces).
#   CTRATE     ctrate binary (default: build/ctrate, else build/src/ctrate in this checkout)
#
# Outputs: OUTDIR/shard-I.h5, OUTDIR/all.h5, logs OUTDIR/slurm-<array>_<I>.out and
# OUTDIR/slurm-<merge>-merge.out. A shard stopped by its time limit is finished by submitting
# it again: same command (tasks already complete resume with nothing left to do), or
# SHARDS=K CTRATE=... SPEC=... OUTDIR=... sbatch --export=ALL --array=I ... sweep.sbatch.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)

usage() {
  sed -n '5,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
wait_merge=0
args=()
for a in "$@"; do
  case $a in
    --wait) wait_merge=1 ;;
    -h|--help) usage ;;
    *) args+=("$a") ;;
  esac
done
[ ${#args[@]} -ge 3 ] || usage
spec=${args[0]} outdir=${args[1]} shards=${args[2]}
extra=("${args[@]:3}")
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: SHARDS must be a positive integer, not '$shards'" >&2; exit 2; }
[ -f "$spec" ] || { echo "submit.sh: spec '$spec' not found" >&2; exit 2; }
command -v sbatch >/dev/null || { echo "submit.sh: sbatch not found (is this a Slurm login node?)" >&2; exit 2; }

if [ -z "${CTRATE:-}" ]; then
  for c in "$root/build/ctrate" "$root/build/src/ctrate"; do
    [ -x "$c" ] && { CTRATE=$c; break; }
  done
  [ -n "${CTRATE:-}" ] || { echo "submit.sh: no ctrate in $root/build; build it or set CTRATE" >&2; exit 2; }
fi
[ -x "$CTRATE" ] || { echo "submit.sh: CTRATE '$CTRATE' is not executable" >&2; exit 2; }

# Absolute paths: the jobs run with OUTDIR as working directory, possibly on another node.
mkdir -p "$outdir"
OUTDIR=$(cd "$outdir" && pwd -P)
SPEC=$(cd "$(dirname "$spec")" && pwd -P)/$(basename "$spec")
CTRATE=$(cd "$(dirname "$CTRATE")" && pwd -P)/$(basename "$CTRATE")
SHARDS=$shards
# Passed to the jobs as environment (--export=ALL) rather than --export=ALL,VAR=value, which
# would break on a path containing a comma.
export CTRATE SPEC OUTDIR SHARDS

# --parsable prints "jobid" or "jobid;cluster".
array_id=$(sbatch --parsable --export=ALL --chdir="$OUTDIR" --array="1-$SHARDS" \
  --output="$OUTDIR/slurm-%A_%a.out" "${extra[@]}" "$here/sweep.sbatch")
array_id=${array_id%%;*}

# --kill-on-invalid-dep=yes: if a shard fails, the merge is cancelled instead of pending forever
# (and sbatch --wait returns non-zero).
# shellcheck disable=SC2206
merge_cmd=(sbatch --parsable --export=ALL --chdir="$OUTDIR" --dependency="afterok:$array_id"
  --kill-on-invalid-dep=yes --output="$OUTDIR/slurm-%j-merge.out" ${MERGE_SBATCH_ARGS:-})

if [ $wait_merge -eq 0 ]; then
  merge_id=$("${merge_cmd[@]}" "$here/merge.sbatch")
  merge_id=${merge_id%%;*}
  echo "array job: $array_id ($SHARDS tasks: $OUTDIR/shard-1..$SHARDS.h5)"
  echo "merge job: $merge_id (after all shards succeed: $OUTDIR/all.h5)"
  echo "watch:     squeue -j $array_id,$merge_id     logs: $OUTDIR/slurm-*.out"
  echo "details:   scontrol show job $array_id   cancel: scancel $array_id $merge_id"
  exit 0
fi

echo "array job: $array_id ($SHARDS tasks: $OUTDIR/shard-1..$SHARDS.h5)"
echo "watch:     squeue -j $array_id     logs: $OUTDIR/slurm-*.out"
# sbatch --wait blocks until the merge job ends; with --parsable it prints the job id as soon as
# the job is submitted. lastpipe keeps merge_id set by the read loop in this shell.
shopt -s lastpipe
merge_id=
set +e
"${merge_cmd[@]}" --wait "$here/merge.sbatch" | while IFS= read -r line; do
  if [[ $line =~ ^[0-9]+(;.*)?$ ]]; then
    merge_id=${line%%;*}
    echo "merge job: $merge_id (after all shards succeed: $OUTDIR/all.h5); waiting for it to end"
  else
    echo "$line"
  fi
done
sbatch_rc=${PIPESTATUS[0]}
rc=$sbatch_rc
set -e
# sbatch --wait exits 0 for a job cancelled before it ran (here: a shard failed, so the
# afterok dependency can never be met), so the merge job's final state decides too.
state=
if [ -n "$merge_id" ]; then
  state=$(scontrol show job "$merge_id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1) || state=
  state=${state#JobState=}
  if [ -z "$state" ] && command -v sacct >/dev/null; then
    state=$(sacct -n -X -P -j "$merge_id" -o State 2>/dev/null | head -n 1 | awk '{print $1}') || state=
  fi
fi
if [ "$rc" -eq 0 ] && [ -n "$state" ] && [ "$state" != COMPLETED ]; then rc=1; fi
if [ "$rc" -eq 0 ]; then
  echo "submit.sh: merge finished: $OUTDIR/all.h5"
else
  echo "submit.sh: merge job ${merge_id:-?} ${state:-failed} (sbatch --wait exit $sbatch_rc); shard tasks:" >&2
  squeue -h -t all -j "$array_id" -o '  %i %T %r' 2>/dev/null | sort -V >&2 || true
  echo "submit.sh: logs in $OUTDIR/slurm-*.out" >&2
fi
exit "$rc"
