#!/usr/bin/env bash
# A throwaway single-node Slurm cluster on localhost, every file of it under DIR.
#
#   tests/slurm_cluster.sh start DIR   # munged + slurmctld + slurmd; waits for the node to be idle
#   . DIR/env.sh                       # exports SLURM_CONF for sbatch, squeue, sinfo, scontrol
#   tests/slurm_cluster.sh stop DIR    # cancels jobs, stops the daemons; safe to call twice
#
# Needs root (the daemons run as root, SlurmUser=root) and the Debian 12 packages munge,
# slurmctld, slurmd and slurm-client (all pulled in by slurm-wlm). Exits 77 when either is
# missing, which meson counts as a skipped test. No systemd and no cgroups are needed:
# proctrack/linuxproc, task/none, jobacct_gather/none. DIR should be a short path (mktemp -d):
# the munge socket lives in it and Unix socket paths are limited to 107 bytes.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
# Skip (77) before touching anything when this machine cannot run the cluster.
check_can_run() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "slurm_cluster: SKIP: must run as root (the test cluster runs its daemons as root)" >&2
    exit 77
  fi
  need=(munged munge slurmctld slurmd sbatch squeue sinfo scontrol scancel)
  for b in "${need[@]}"; do
    if ! PATH=$PATH:/usr/sbin:/sbin command -v "$b" >/dev/null; then
      echo "slurm_cluster: SKIP: $b not installed (Debian: apt-get install slurm-wlm munge)" >&2
      exit 77
    fi
  done
}

case $cmd in
  start) check_can_run; mkdir -p "$2" ;;
  stop) [ -d "$2" ] || exit 0 ;;
  *) usage ;;
esac
DIR=$(cd "$2" && pwd -P)
CONF=$DIR/slurm.conf
HOST=$(hostname -s)
START_TIMEOUT=${SLURM_CLUSTER_TIMEOUT:-60}

# pid_alive PIDFILE NAME: prints the pid when PIDFILE names a live process called NAME
# (checking the name guards against a recycled pid).
pid_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(tr -dc 0-9 <"$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
  echo "$pid"
}

# stop_daemon PIDFILE NAME: SIGTERM, wait up to 15 s, then SIGKILL.
stop_daemon() {
  local pid i
  pid=$(pid_alive "$1" "$2") || { rm -f "$1"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 150); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || break
    sleep 0.1
  done
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]; then
    echo "slurm_cluster: $2 (pid $pid) ignored SIGTERM; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$1"
}

# Job step daemons of this cluster only: slurmstepd processes holding a socket in DIR/spool.
stray_stepds() {
  local p fd
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = slurmstepd ] || continue
    for fd in "$p"/fd/*; do
      case $(readlink "$fd" 2>/dev/null) in "$DIR"/*) echo "${p#/proc/}"; break ;; esac
    done
  done
}

# descendants PID...: every descendant of the given processes (from the ppid in /proc/*/stat).
descendants() {
  local st line p pp q
  local -A kids=()
  for st in /proc/[0-9]*/stat; do
    line=$(cat "$st" 2>/dev/null) || continue
    line=${line##*) }          # after "pid (comm) ": "state ppid ..."
    pp=${line#* }; pp=${pp%% *}
    p=${st#/proc/}; p=${p%/stat}
    kids[$pp]+=" $p"
  done
  local queue=("$@")
  while [ ${#queue[@]} -gt 0 ]; do
    q=${queue[0]}; queue=("${queue[@]:1}")
    for p in ${kids[$q]:-}; do echo "$p"; queue+=("$p"); done
  done
}

do_stop() {
  local i ids pids
  if pid_alive "$DIR/slurmctld.pid" slurmctld >/dev/null && [ -f "$CONF" ]; then
    ids=$(SLURM_CONF=$CONF squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ') || ids=
    if [ -n "${ids// /}" ]; then
      # shellcheck disable=SC2086
      SLURM_CONF=$CONF scancel $ids 2>/dev/null || true
      for i in $(seq 150); do
        [ -z "$(SLURM_CONF=$CONF squeue -h -t R,CG -o %A 2>/dev/null)" ] && break
        sleep 0.1
      done
    fi
  fi
  # Each takes 1-2 s to exit on SIGTERM; stop both at once.
  stop_daemon "$DIR/slurmd.pid" slurmd &
  stop_daemon "$DIR/slurmctld.pid" slurmctld &
  wait
  # A job step daemon outlives slurmd; kill any left (a job that ignored scancel, or a
  # slurmctld already gone) together with the job's processes under it.
  pids=$(stray_stepds)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    pids="$pids $(descendants $pids)"
    echo "slurm_cluster: killing leftover job processes: ${pids//$'\n'/ }" >&2
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
  fi
  stop_daemon "$DIR/munged.pid" munged
  rm -f "$DIR/munge.socket" "$DIR/munge.socket.lock"
}

logs() {
  local f
  for f in munged.log slurmctld.log slurmd.log; do
    [ -f "$DIR/$f" ] || continue
    echo "---- $DIR/$f (last 40 lines) ----" >&2
    tail -n 40 "$DIR/$f" >&2
  done
}

die() {
  echo "slurm_cluster: $*" >&2
  logs
  do_stop
  exit 1
}

# A TCP port on which nothing on localhost listens.
free_port() {
  local p i
  for i in $(seq 200); do
    p=$((20000 + RANDOM % 12000))   # below the kernel's ephemeral range (32768-60999)
    [ "$p" = "${1:-0}" ] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

do_start() {
  local mem_kb real_mem ctld_port d_port i state
  export PATH=$PATH:/usr/sbin:/sbin
  if pid_alive "$DIR/slurmctld.pid" slurmctld >/dev/null; then
    echo "slurm_cluster: a cluster is already running in $DIR (stop it first)" >&2; exit 1
  fi
  mkdir -p "$DIR/state" "$DIR/spool"
  # munged refuses a socket in a directory that not everyone may enter (mktemp -d makes 0700),
  # DIR's ancestors included.
  chmod 755 "$DIR"
  local a=$DIR
  while a=$(dirname "$a"); [ "$a" != / ]; do
    if [ "$(( 0$(stat -c %a "$a") & 1 ))" -eq 0 ]; then
      echo "slurm_cluster: munged needs every directory above its socket to be o+x;" \
        "$a is $(stat -c %A "$a") (chmod o+x it or use another DIR)" >&2
      exit 1
    fi
  done

  # munge: own key, socket, pid, log and seed, so the system's munged (if any) is untouched.
  if [ ! -s "$DIR/munge.key" ]; then
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile="$DIR/munge.key" --force
    else
      dd if=/dev/urandom of="$DIR/munge.key" bs=1 count=1024 status=none
    fi
  fi
  chmod 600 "$DIR/munge.key"
  munged --socket="$DIR/munge.socket" --key-file="$DIR/munge.key" --pid-file="$DIR/munged.pid" \
    --log-file="$DIR/munged.log" --seed-file="$DIR/munged.seed" \
    || die "munged failed to start"
  for i in $(seq 50); do [ -S "$DIR/munge.socket" ] && break; sleep 0.1; done
  munge -S "$DIR/munge.socket" -n | unmunge -S "$DIR/munge.socket" >/dev/null \
    || die "munge round trip through $DIR/munge.socket failed"

  # Half the available memory, so slurmd never drains the node for "Low RealMemory".
  mem_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
  real_mem=$(( mem_kb / 1024 / 2 ))
  [ "$real_mem" -ge 1 ] || real_mem=1
  ctld_port=$(free_port) || die "no free TCP port"
  d_port=$(free_port "$ctld_port") || die "no free TCP port"

  cat >"$CONF" <<EOF
# Written by tests/slurm_cluster.sh: a throwaway single-node cluster under $DIR.
ClusterName=ctrate-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$DIR/munge.socket
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups, no accounting daemon, no systemd.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
PropagateResourceLimits=NONE
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# Completed jobs stay visible for 5 min (sbatch --wait, sacct-less post-mortems).
MinJobAge=300
# scancel escalates from SIGTERM to SIGKILL after 5 s (default 30) so that stop is quick.
KillWait=5
NodeName=$HOST NodeAddr=127.0.0.1 NodeHostname=$HOST CPUs=$(nproc) RealMemory=$real_mem State=UNKNOWN
PartitionName=debug Default=YES Nodes=ALL MaxTime=INFINITE State=UP
EOF
  printf 'export SLURM_CONF=%q\n' "$CONF" >"$DIR/env.sh"
  export SLURM_CONF=$CONF

  slurmctld -f "$CONF" -c || die "slurmctld failed to start"
  slurmd -f "$CONF" -N "$HOST" || die "slurmd failed to start"

  state=
  for i in $(seq $((START_TIMEOUT * 5))); do
    state=$(sinfo -h -N -n "$HOST" -o %t 2>/dev/null | head -n 1) || state=
    case $state in
      idle) break ;;
      drain*|drng|down*|fail*)
        # ReturnToService=2 brings a node back by itself; one drained for a config mismatch is not.
        [ "$i" -gt 25 ] && die "node $HOST is $state: $(sinfo -h -R -o '%E' 2>/dev/null)" ;;
    esac
    pid_alive "$DIR/slurmctld.pid" slurmctld >/dev/null || [ "$i" -lt 10 ] || die "slurmctld died"
    pid_alive "$DIR/slurmd.pid" slurmd >/dev/null || [ "$i" -lt 10 ] || die "slurmd died"
    sleep 0.2
  done
  [ "$state" = idle ] || die "node $HOST not idle after ${START_TIMEOUT}s (state '${state:-none}')"
  printf 'export SLURM_CONF=%q\n' "$CONF"
}

case $cmd in
  start) do_start ;;
  stop) do_stop ;;
  *) usage ;;
esac
