#!/usr/bin/env bash
# test_files.sh: files you can trust (issue 11): no command writes onto one of its inputs or
# mixes the rows of two experiments; the file system as an adversary (planted symlinks, --force
# on things that are not results, damaged journals); every input bounded; signals and messages.
# One block per defect class, named "class N" in its checks.
# usage: tests/test_files.sh PATH_TO_CTRATE
set -u
[ $# -eq 1 ] && [ -x "$1" ] || { echo "usage: $0 PATH_TO_CTRATE" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/ctrate_files.XXXXXX")
cp "$1" "$T/ctrate"
CT=$T/ctrate
BG=
trap '[ -n "$BG" ] && kill -9 $BG 2>/dev/null; rm -rf "$T"' EXIT
FAILS=0 N=0
ok() { N=$((N + 1)); echo "ok - $*"; }
fail() { N=$((N + 1)); FAILS=$((FAILS + 1)); echo "FAIL - $*"; sed 's/^/#   /' "$T/err" 2>/dev/null | head -5; }
check() { if [ "$1" -eq 0 ]; then ok "$2"; else fail "$2"; fi; }
sum() { sha256sum "$1" | cut -c1-64; }
rows() { "$PY" -c "import h5py,sys; print(len(h5py.File(sys.argv[1],'r')['points']))" "$1"; }

printf 'd = [1, 2];\nN = [10, 100];\n' >"$T/s.cfg"
"$CT" sweep "$T/s.cfg" -q -o "$T/x.h5" 2>"$T/err"
check $? "setup: a small sweep"

# ---- class 1: no output onto an input (device and inode, not names) --------------------
before=$(sum "$T/x.h5")
"$CT" fit "$T/x.h5" --report "$T/x.h5" -q 2>"$T/err"
[ $? -eq 2 ] && grep -q "input" "$T/err" && [ "$(sum "$T/x.h5")" = "$before" ]
check $? "class 1: fit --report x.h5 onto x.h5: exit 2, the file untouched"
ln "$T/x.h5" "$T/hard.h5"
"$CT" fit "$T/x.h5" --report "$T/hard.h5" -q 2>"$T/err"
[ $? -eq 2 ] && [ "$(sum "$T/x.h5")" = "$before" ]
check $? "class 1: fit --report onto a hard link of the input: exit 2"
"$CT" merge -o "$T/./x.h5" --force "$T/x.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "input" "$T/err" && [ "$(sum "$T/x.h5")" = "$before" ]
check $? "class 1: merge -o onto its own input (another spelling, --force): exit 2"
cp "$T/s.cfg" "$T/s0.cfg"
"$CT" sweep "$T/s.cfg" -q -o "$T/s.cfg" 2>"$T/err"
[ $? -eq 2 ] && cmp -s "$T/s.cfg" "$T/s0.cfg"
check $? "class 1: sweep -o its own spec file: exit 2, spec untouched"
printf '1 0\n0 1\n' >"$T/cov"
"$CT" run --target file --d 2 --cov-file "$T/cov" -o "$T/cov" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && [ "$(cat "$T/cov")" = "$(printf '1 0\n0 1')" ]
check $? "class 1: run -o its own --cov-file: exit 2"
mkdir -p "$T/figs/data"
cp "$T/x.h5" "$T/figs/rate_curve.pdf" 2>/dev/null
"$CT" plot "$T/figs/rate_curve.pdf" -o "$T/figs" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && [ -s "$T/figs/rate_curve.pdf" ]
check $? "class 1: plot whose figure would replace its input: exit 2, input kept"

# ---- class 4: /points columns must match the schema -------------------------------------
"$PY" - "$T/x.h5" "$T/nod.h5" "$T/extra.h5" <<'EOF'
import sys, h5py, numpy as np
src = h5py.File(sys.argv[1], "r"); t = src["points"][:]
def write(path, arr):
    with h5py.File(path, "w") as f:
        for k, v in src.attrs.items(): f.attrs[k] = v
        f["points"] = arr
names = [n for n in t.dtype.names if n not in ("d", "N")]
write(sys.argv[2], np.array([tuple(r[n] for n in names) for r in t], dtype=[(n, t.dtype[n]) for n in names]))
dt = [(n, t.dtype[n]) for n in t.dtype.names] + [("bogus", "<f8")]
e = np.zeros(len(t), dtype=dt)
for n in t.dtype.names: e[n] = t[n]
write(sys.argv[3], e)
EOF
"$CT" merge -o "$T/m.h5" "$T/nod.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "column d is missing" "$T/err" && [ ! -e "$T/m.h5" ]
check $? "class 4: merge refuses a /points without d and N (names the column)"
cp "$T/nod.h5" "$T/nod2.h5"
"$CT" sweep "$T/s.cfg" -q --resume -o "$T/nod2.h5" 2>"$T/err"
[ $? -eq 2 ] && grep -q "column d is missing" "$T/err"
check $? "class 4: --resume refuses it too"
"$CT" show "$T/extra.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "bogus" "$T/err"
check $? "class 4: an extra column is refused with its name"

# ---- class 5: run -o refuses a file of another version ----------------------------------
"$CT" run --d 2 -o "$T/r.h5" >/dev/null 2>"$T/err"
"$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1],'a'); f.attrs['version']='0.0.0-other'" "$T/r.h5"
before=$(sum "$T/r.h5")
"$CT" run --d 2 -o "$T/r.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "0.0.0-other" "$T/err" && [ "$(sum "$T/r.h5")" = "$before" ]
check $? "class 5: run -o on a file of another version: exit 2, file unchanged"

# ---- class 6: one writer per file --------------------------------------------------------
echo 4242 >"$T/x.h5.lock"
flock "$T/x.h5.lock" sleep 20 &
BG=$!
for _ in $(seq 50); do flock -n "$T/x.h5.lock" true 2>/dev/null || break; sleep 0.1; done
"$CT" sweep "$T/s.cfg" -q --resume -o "$T/x.h5" 2>"$T/err"
[ $? -eq 2 ] && grep -q "pid 4242" "$T/err"
check $? "class 6: a second writer is refused, naming the holder's pid"
"$CT" run --d 2 -o "$T/x.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ]
check $? "class 6: run -o waits for no one either: refused while locked"
kill -9 $BG 2>/dev/null; wait $BG 2>/dev/null; BG=
rm -f "$T/x.h5.lock"

# ---- class 7: planted symlinks at the temporary's name ----------------------------------
echo precious >"$T/victim"
ln -s "$T/victim" "$T/p.h5.tmp"
"$CT" run --d 2 -o "$T/p.h5" >/dev/null 2>"$T/err"
[ $? -eq 0 ] && [ "$(cat "$T/victim")" = precious ] && [ -f "$T/p.h5" ] && [ ! -L "$T/p.h5" ]
check $? "class 7: run -o with a planted PATH.tmp symlink: target untouched, result a file"
ln -s "$T/victim" "$T/q.h5.tmp"
"$CT" sweep "$T/s.cfg" -q --checkpoint 0 -o "$T/q.h5" 2>"$T/err"
[ $? -eq 0 ] && [ "$(cat "$T/victim")" = precious ] && [ ! -L "$T/q.h5" ] && [ "$(rows "$T/q.h5")" = 4 ]
check $? "class 7: sweep checkpoints likewise"
ln -s "$T/victim" "$T/x.h5.journal.tmp" 2>/dev/null
ln -s "$T/victim" "$T/m2.h5.tmp"
"$CT" merge -o "$T/m2.h5" "$T/x.h5" >/dev/null 2>"$T/err" && "$CT" fit "$T/m2.h5" -q --bootstrap 0 2>"$T/err"
[ $? -eq 0 ] && [ "$(cat "$T/victim")" = precious ] && [ ! -L "$T/m2.h5" ]
check $? "class 7: merge -o and fit likewise"

# ---- class 8: --force replaces only a ctrate result -------------------------------------
cp "$T/s.cfg" "$T/spec2.cfg"
"$CT" sweep "$T/s.cfg" -q -o "$T/spec2.cfg" --force 2>"$T/err"
[ $? -eq 2 ] && cmp -s "$T/s.cfg" "$T/spec2.cfg"
check $? "class 8: sweep -o SPEC --force: refused, the file kept"
mkfifo "$T/fifo"
"$CT" sweep "$T/s.cfg" -q -o "$T/fifo" --force 2>"$T/err"
[ $? -eq 2 ] && [ -p "$T/fifo" ]
check $? "class 8: -o FIFO --force: refused, still a FIFO"
"$CT" merge -o "$T/spec2.cfg" --force "$T/x.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && cmp -s "$T/s.cfg" "$T/spec2.cfg"
check $? "class 8: merge --force onto a non-result: refused"
"$CT" sweep "$T/s.cfg" -q -o "$T/q.h5" --force 2>"$T/err"
check $? "class 8: --force still replaces a ctrate result"

# ---- class 2: no fixed-size buffer truncates user input --------------------------------
diag=$(seq 1 40 | awk '{printf "%s%.6f", (NR > 1 ? "," : ""), 1 + $1 / 1000}')
"$CT" sweep --target diagonal --diag "$diag" --N 10,100 -q -o "$T/diag.h5" 2>"$T/err"
(cd "$T" && mkdir -p elsewhere && cd elsewhere && "$CT" sweep --from ../diag.h5 --dry-run) >"$T/out" 2>"$T/err"
[ $? -eq 0 ] && grep -qF "diag = \"$diag\"" "$T/out" && grep -qE "^ +[0-9]+ +diagonal +ct +40 " "$T/out"
check $? "class 2: a 40-value --diag (${#diag} chars) is stored whole and --from re-runs d = 40"
"$CT" sweep --target diagonal --diag "${diag%,*},9" --N 10,100 -q --resume -o "$T/diag.h5" 2>"$T/err"
[ $? -eq 2 ] && grep -q "different spec" "$T/err"
check $? "class 2: --resume with a --diag sharing the first 127+ characters is refused"
long=$(seq 1 2500 | awk '{printf "%s%.6f", (NR > 1 ? "," : ""), 1 + $1 / 1e5}')
printf 'target = "diagonal";\ndiag = "%s";\nN = [10];\n' "$long" >"$T/long.cfg"
"$CT" sweep "$T/long.cfg" --dry-run >"$T/out" 2>"$T/err"
[ $? -eq 0 ] && grep -qF "$long" "$T/out"
check $? "class 2: a spec string of ${#long} characters is read whole"
"$CT" sweep --N 20:1e5:9000 --dry-run >"$T/out" 2>"$T/err" && "$PY" - "$T/out" <<'EOF2'
import sys, re
t = open(sys.argv[1]).read()
n = re.search(r"^N = \[(.*)\];$", t, re.M).group(1).split(",")
sys.exit(0 if len(n) > 5000 else 1)
EOF2
check $? "class 2: a long log range is spelled out whole in the resolved spec"

# ---- class 3: input files pinned by content --------------------------------------------
mkdir -p "$T/in"
"$PY" -c "
import numpy as np
a = np.random.default_rng(1).standard_normal((10, 10)); c = a @ a.T / 10 + np.eye(10)
np.savetxt('$T/in/cov', c, fmt='%.17g')"
(cd "$T/in" && "$CT" sweep --target file --d 10 --cov-file cov --N 10,100 -q -o "$T/cov.h5") 2>"$T/err"
"$PY" - "$T/cov.h5" "$(sum "$T/in/cov")" "$T/in/cov" <<'EOF2'
import sys, h5py
a = h5py.File(sys.argv[1], "r").attrs
inp, spec = a["input_files"], a["spec"]
sys.exit(0 if sys.argv[2] in inp and sys.argv[2] in spec and open(sys.argv[3]).read() in inp
         and 'cov-file = "' + sys.argv[3] + '"' in spec else 1)
EOF2
check $? "class 3: the result holds the covariance's contents, its SHA-256 (= sha256sum) and absolute path"
(cd "$T/elsewhere" && "$CT" sweep --from ../cov.h5 -q -o "$T/cov2.h5") 2>"$T/err"
check $? "class 3: --from works from another directory"
sed -i '1s/^/# changed\n/' "$T/in/cov"
(cd "$T/in" && "$CT" sweep --target file --d 10 --cov-file cov --N 10,100 -q --resume -o "$T/cov.h5") 2>"$T/err"
[ $? -eq 2 ] && grep -q "cov-file-sha256" "$T/err"
check $? "class 3: --resume after the covariance file changed is refused"
"$CT" sweep --from "$T/cov.h5" -q -o "$T/cov3.h5" 2>"$T/err"
[ $? -eq 2 ] && grep -q "contents changed" "$T/err" && [ ! -e "$T/cov3.h5" ]
check $? "class 3: --from with a changed input file is refused"

# ---- class 9: the durability order, seen in the system calls (strace) --------------------
# Every rewrite of FILE.h5 is fsynced before its rename and the directory after it; the journal
# is fsynced before each checkpoint's rename, and removed only after the final file's rename and
# directory fsync, then the directory fsynced again.
mkdir -p "$T/dur"
# (LeakSanitizer cannot run under ptrace: leaks are checked by every other test of the ASan build)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
  strace -f -y -e trace=fsync,rename,renameat,renameat2,unlink,unlinkat -o "$T/dur/trace" \
    "$CT" sweep --target isotropic --d 1,2,4 --N 10,20 --checkpoint 0 -q -o "$T/dur/r.h5" \
  >/dev/null 2>"$T/err"
rc=$?
"$PY" - "$T/dur/trace" "$T/dur" <<'PYEOF' >"$T/err" 2>&1 && [ $rc -eq 0 ]
import re, sys
calls = [re.sub(r'^\d+\s+', '', l.strip()) for l in open(sys.argv[1])
         if re.match(r'^\d+\s+(fsync|rename|unlink)', l) and '= 0' in l]
d = sys.argv[2]
synced, journal_synced, renames, bad = set(), False, 0, []
for i, c in enumerate(calls):
    m = re.match(r'fsync\(\d+<([^>]*)>\)', c)
    if m:
        synced.add(m.group(1))
        journal_synced |= m.group(1).endswith('.journal')
        continue
    m = re.match(r'rename\w*\(.*?"([^"]+)", .*?"([^"]+)"\)', c)
    if m:
        src, dst = m.groups()
        renames += 1
        if src not in synced: bad.append('rename of %s without an fsync of it first' % src)
        if renames > 1 and not journal_synced: bad.append('checkpoint %d: journal not fsynced before it' % renames)
        nxt = calls[i + 1] if i + 1 < len(calls) else ''
        if not re.match(r'fsync\(\d+<%s>\)' % re.escape(d), nxt): bad.append('no directory fsync right after renaming %s' % src)
        journal_synced = False
        continue
    m = re.match(r'unlink\w*\(.*?"([^"]+)"', c)
    if m and m.group(1).endswith('.journal'):
        if renames == 0 or not re.match(r'fsync\(\d+<%s>\)' % re.escape(d), calls[i - 1]):
            bad.append('journal removed before the final file was renamed and its directory synced')
        nxt = calls[i + 1] if i + 1 < len(calls) else ''
        if not re.match(r'fsync\(\d+<%s>\)' % re.escape(d), nxt): bad.append('no directory fsync after removing the journal')
if renames < 2: bad.append('only %d renames seen (want the first file and checkpoints)' % renames)
print('\n'.join(bad) or 'ok: %d renames' % renames)
sys.exit(1 if bad else 0)
PYEOF
check $? "class 9: fsync of each rewrite before its rename, of the journal before each checkpoint, of the directory after each rename and the journal's removal (strace)"

# ---- class 10: a damaged journal record costs only itself ------------------------------
SPEC=$ROOT/tests/data/sweep_small.cfg
"$CT" sweep "$SPEC" -q -j 1 --checkpoint 100000 -o "$T/j.h5" 2>"$T/err" &
BG=$!
for _ in $(seq 300); do
  [ -f "$T/j.h5.journal" ] && [ "$(stat -c %s "$T/j.h5.journal")" -gt 20000 ] && break
  sleep 0.05
done
kill -9 $BG 2>/dev/null; wait $BG 2>/dev/null; BG=
cp "$T/j.h5.journal" "$T/j.journal.orig"
nrec=$("$PY" - "$T/j.h5.journal" <<'EOF2'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
offs = [i for i in range(len(b)) if b[i:i + 8] == b"CTRROW2\x00"]
o = offs[1] + 200                     # damage the second record's row
b[o:o + 8] = b"\xff" * 8
b[0:8] = b"garbage!"                  # and the header
open(sys.argv[1], "wb").write(bytes(b))
size = offs[1] - offs[0]
print(sum(1 for o in offs if o + size <= len(b)))
EOF2
)
"$CT" sweep "$SPEC" -j 1 --resume -o "$T/j.h5" >"$T/out" 2>"$T/err"
rc=$?
kept=$(sed -n 's/.*resuming .*: \([0-9]*\) of .*/\1/p' "$T/err")
[ $rc -eq 0 ] && [ -n "$kept" ] && [ "$kept" -eq $((nrec - 1)) ] && grep -q "damaged header" "$T/err" &&
  grep -q "dropped .* damaged bytes" "$T/err" && [ "$(rows "$T/j.h5")" = 360 ]
check $? "class 10: damaged record and header: the $((nrec - 1)) other records kept ($kept), stderr says what was dropped"

# ---- class 11: every input bounded -------------------------------------------------------
timeout 5 "$CT" sweep --N 10:1e8:10000 --d 1:1e6:10000 --replicates 1000 --dry-run >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "points (accepted: at most" "$T/err"
check $? "class 11: a plan of 10^11 points is refused at once with its size"
timeout 5 "$CT" run --target file --d 2 --cov-file /dev/zero >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "not a regular file" "$T/err"
check $? "class 11: --cov-file /dev/zero is refused (no hang, no growth)"
mkfifo "$T/covfifo"
timeout 5 "$CT" sweep --target mixture_file --mixture-file "$T/covfifo" --d 2 --dry-run >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "not a regular file" "$T/err"
check $? "class 11: --mixture-file FIFO is refused without waiting for a writer"
{ printf 'd = [1, 2];\n'; head -c 17000000 /dev/zero | tr '\0' ' '; printf '\nN = [10];\n'; } >"$T/huge.cfg"
timeout 10 "$CT" sweep "$T/huge.cfg" --dry-run >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "accepted: a regular file of at most 16777216 bytes" "$T/err"
r1=$?
mkfifo "$T/specfifo"
timeout 5 "$CT" sweep "$T/specfifo" --dry-run >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "accepted: a regular file" "$T/err"
check $((r1 + $?)) "class 11: a spec file over 16 MiB, or a FIFO, is refused (no hang, no growth)"
"$PY" - "$T/x.h5" "$T/sparse.h5" <<'EOF2'
import sys, h5py
src = h5py.File(sys.argv[1], "r"); t = src["points"][:]
with h5py.File(sys.argv[2], "w") as f:
    for k, v in src.attrs.items(): f.attrs[k] = v
    d = f.create_dataset("points", shape=(10**9,), maxshape=(None,), dtype=t.dtype, chunks=(64,))
EOF2
timeout 10 "$CT" show "$T/sparse.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "claims" "$T/err"
check $? "class 11: a sparse /points of 10^9 rows is refused before allocating"
# show streams: its peak memory does not grow with the rows. Files of 10^4 and 6*10^4 rows (the
# second ~50 MB of rows in memory, which reading it whole needed); the peaks must differ by
# less than 16 MB. ASan's quarantine would keep freed chunks: kept small for this check.
"$PY" - "$T/x.h5" "$T/rows1.h5" 10000 "$T/rows6.h5" 60000 <<'EOF2'
import sys, shutil, h5py, numpy as np
for dst, n in ((sys.argv[2], int(sys.argv[3])), (sys.argv[4], int(sys.argv[5]))):
    shutil.copy(sys.argv[1], dst)
    with h5py.File(dst, "a") as f:
        p = f["points"]; t = np.resize(p[:], n); t["point_id"] = np.arange(n)
        p.resize((n,)); p[...] = t
EOF2
peak() { ASAN_OPTIONS=quarantine_size_mb=1:${ASAN_OPTIONS:-} /usr/bin/time -f %M "$CT" show "$@" 2>&1 >"$T/out.show" | tail -1; }
p1=$(peak --columns point_id,d "$T/rows1.h5"); p6=$(peak --columns point_id,d "$T/rows6.h5")
[ "$(tail -1 "$T/out.show" | tr -s ' ' | cut -d' ' -f2)" = 59999 ] && [ $((p6 - p1)) -lt 16384 ]
check $? "class 11: show streams rows: peak RSS ${p1} KB for 10^4 rows, ${p6} KB for 6*10^4 (< 16 MB more)"
# merge streams too: two shards whose point ids interleave at random (as cost-balanced shards
# do, one shuffled), plans of 10^4 and 6*10^4 points; peaks within 16 MB, and the merged table
# is exactly the shards' rows sorted by id (numpy, column for column).
"$PY" - "$T/x.h5" "$T/mg" <<'EOF2'
import sys, shutil, h5py, numpy as np
rng = np.random.default_rng(7)
base = h5py.File(sys.argv[1], "r")["points"][:]
for n in (10000, 60000):
    t = np.resize(base, n); t["point_id"] = np.arange(n); t["w1_hi_normal"] = rng.random(n)
    owner = rng.integers(0, 2, n)
    for s in (0, 1):
        dst = "%s%d_%d.h5" % (sys.argv[2], n, s)
        shutil.copy(sys.argv[1], dst)
        rows = t[owner == s]
        if s: rows = rows[rng.permutation(len(rows))]
        with h5py.File(dst, "a") as f:
            f.attrs["plan_points"] = np.int64(n)
            f["points"].resize((len(rows),)); f["points"][...] = rows
EOF2
mpeak() { ASAN_OPTIONS=quarantine_size_mb=1:${ASAN_OPTIONS:-} /usr/bin/time -f %M "$CT" merge -o "$T/mg$1.h5" "$T/mg$1_0.h5" "$T/mg$1_1.h5" 2>&1 >/dev/null | tail -1; }
p1=$(mpeak 10000); p6=$(mpeak 60000)
[ $((p6 - p1)) -lt 16384 ] && "$PY" - "$T/mg" <<'EOF2'
import sys, h5py, numpy as np
for n in (10000, 60000):
    m = h5py.File("%s%d.h5" % (sys.argv[1], n), "r")["points"][:]
    s = np.concatenate([h5py.File("%s%d_%d.h5" % (sys.argv[1], n, k), "r")["points"][:] for k in (0, 1)])
    s = s[np.argsort(s["point_id"])]
    assert m.dtype == s.dtype and m.tobytes() == s.tobytes(), n
EOF2
check $? "class 11: merge streams rows: peak RSS ${p1} KB for 10^4 points, ${p6} KB for 6*10^4 (< 16 MB more), rows = the shards' sorted by id"
# fit and plot hold the rows they group: over a memory limit (here 20 MiB; by default half the
# physical memory) they refuse before allocating, naming the rows, the estimate and the limit.
# "Before allocating": the refusal's peak for 6 * 10^4 rows is that for 10^4 rows (a baseline that
# includes a sanitizer's overhead), not 55 MiB more.
CTRATE_MAX_MEMORY=1M /usr/bin/time -f %M -o "$T/rss1" "$CT" fit "$T/rows1.h5" --no-write -q 2>/dev/null
CTRATE_MAX_MEMORY=20M /usr/bin/time -f %M -o "$T/rss" "$CT" fit "$T/rows6.h5" --no-write -q 2>"$T/err"
[ $? -eq 2 ] && grep -qE "60000 rows need about [0-9]+ MiB in memory \(1[0-9]* bytes a row\), over the limit of 20 MiB \(CTRATE_MAX_MEMORY\)" "$T/err" &&
  [ "$(tail -1 "$T/rss")" -lt $(($(tail -1 "$T/rss1") + 8000)) ]
r1=$?
# the estimate (it grows with the row's columns), so that the limit below sits just above it
need=$(sed -n 's/.*rows need about \([0-9]*\) MiB.*/\1/p' "$T/err" | head -1)
"$CT" plot "$T/rows6.h5" --max-memory 20M -o "$T/bigplot" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -qE "60000 rows need about [0-9]+ MiB.*20 MiB \(--max-memory\)" "$T/err" && [ ! -e "$T/bigplot" ]
r2=$?
"$CT" fit "$T/rows1.h5" --no-write --max-memory 12x 2>"$T/err"
[ $? -eq 2 ] && grep -q "not a memory size" "$T/err"
check $((r1 + r2 + $?)) "class 11: fit and plot refuse rows over the memory limit before allocating (peak $(tail -1 "$T/rss") KB for 6*10^4 rows, $(tail -1 "$T/rss1") KB for 10^4), exit 2 with rows, estimate and limit"
"$CT" fit "$T/rows6.h5" --no-write --bootstrap 0 >"$T/fit_a" 2>"$T/err" &&
  CTRATE_MAX_MEMORY=$((${need:-0} + 1))M "$CT" fit "$T/rows6.h5" --no-write --bootstrap 0 >"$T/fit_b" 2>>"$T/err" &&
  diff <(sed 's/20[0-9-]*T[0-9:+]*//' "$T/fit_a") <(sed 's/20[0-9-]*T[0-9:+]*//' "$T/fit_b") >/dev/null &&
  grep -q "of 60000 rows" "$T/fit_a"
check $? "class 11: under the limit ($((${need:-0} + 1)) MiB for ${need:-?}) fit reads every row: the same report (but its time)"

# ---- class 12, 13, 14 -------------------------------------------------------------------
"$CT" run --target sphere --K 1000000 --d 50 --N 100000 >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "core-hours" "$T/err" && grep -q -- "--yes" "$T/err"
check $? "class 12: run refuses a point estimated over the limit unless --yes"
"$CT" sweep --target sphere --K 1000000 --d 50 --N 100000 -q -o "$T/huge.h5" 2>"$T/err"
[ $? -eq 2 ] && grep -q "core-hours" "$T/err" && [ ! -e "$T/huge.h5" ]
check $? "class 12: sweep likewise, before creating its file"
"$CT" run --d 2 -o "$T/x.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "holds a sweep" "$T/err"
check $? "class 12: run -o checks its output before computing"
"$CT" sweep --target sphere --K 40000 --d 3 --N 100 --dry-run >/dev/null 2>"$T/err"
check $? "class 13: --target sphere --K 40000 is accepted (weights sum to 1 exactly)"
"$CT" run --target file --d 2 >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "needs --cov-file" "$T/err"
check $? "class 14: --target file without --cov-file: exit 2 with a message"

# ---- class 16: exit 2 and the reason for every bad input file ---------------------------
head -c 5000 "$T/x.h5" >"$T/trunc.h5"
"$CT" show "$T/trunc.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "truncated" "$T/err"
check $? "class 16: a truncated HDF5 file: exit 2 with the reason"
"$CT" run -o "$T/nodir/x.h5" >"$T/out" 2>"$T/err"
[ $? -eq 2 ] && grep -q "No such file or directory" "$T/err" && [ ! -s "$T/out" ]
check $? "class 16: -o into a missing directory: exit 2 with the OS reason, before computing"
"$CT" run -o "" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "empty" "$T/err"
check $? "class 16: -o '' refused with a message"
"$CT" sweep "$T/s.cfg" -q -o "$T" 2>"$T/err"
[ $? -eq 2 ] && grep -q "is a directory" "$T/err"
check $? "class 16: -o DIRECTORY refused with a message"
for opt in --format --figure; do
  "$CT" plot "$T/x.h5" -o "$T/figs" $opt '' >/dev/null 2>"$T/err"
  [ $? -eq 2 ] && grep -q "empty" "$T/err"
  check $? "class 16: plot $opt '': exit 2 with a message"
done
mkdir -p "$T/specs/sub"
printf 'N = [10, 100];\n' >"$T/specs/sub/n.cfg"
printf '@include "sub/n.cfg"\nd = [1, 2];\n' >"$T/specs/main.cfg"
"$CT" sweep "$T/specs/main.cfg" --dry-run >"$T/out" 2>"$T/err" && grep -q "^N = \[10, 100\];" "$T/out"
check $? "class 16: @include resolves relative to the including spec (from another directory)"
printf 'N = [10;\n' >"$T/specs/sub/n.cfg"
"$CT" sweep "$T/specs/main.cfg" --dry-run >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "n.cfg:1" "$T/err"
check $? "class 16: an error in an included spec names that file"

# ---- class 15: signals while writing ------------------------------------------------------
"$CT" sweep "$ROOT/tests/data/sweep_small.cfg" -j 1 -o "$T/pipe.h5" 2>"$T/err" | head -1 >/dev/null
rc=${PIPESTATUS[0]}
[ $rc -eq 0 ] && [ "$(rows "$T/pipe.h5")" = 360 ] && ! ls "$T"/pipe.h5.tmp.* >/dev/null 2>&1 && [ ! -e "$T/pipe.h5.journal" ]
check $? "class 15: sweep | head -1 (SIGPIPE): exit $rc, not killed; the file complete, no temporary left"

# SIGTERM at exact moments: CTRATE_TEST_PAUSE=PHASE (store/safe_output.h) makes ctrate say
# "test pause in PHASE" on stderr and sleep 4 s there; the signal is sent once that line is
# out. Every case: no row lost (same_rows.py against the uninterrupted x.h5), no temporary, the
# file opens.
SAME="$PY $ROOT/tests/same_rows.py"
# paused PHASE SIGNALS CMD...: run CMD with the pause, send each of SIGNALS (0.3 s apart) once
# the pause is announced; the exit status is in $rc, stderr in $T/err.
paused() {
  local phase=$1 sigs=$2; shift 2
  CTRATE_TEST_PAUSE=$phase "$@" >/dev/null 2>"$T/err" &
  BG=$!
  for _ in $(seq 400); do grep -q "test pause in $phase" "$T/err" && break; sleep 0.05; done
  for sig in $sigs; do kill -"$sig" $BG; sleep 0.3; done
  wait $BG
  rc=$? BG=
}
clean() { ! ls "$1".tmp* >/dev/null 2>&1 && "$CT" show "$1" >/dev/null; }
rm -f "$T"/f.h5*
paused final-save TERM "$CT" sweep "$T/s.cfg" -o "$T/f.h5"
[ $rc -eq 1 ] && grep -q "signal 15 during the final save: the save completed" "$T/err" &&
  clean "$T/f.h5" && [ ! -e "$T/f.h5.journal" ] && $SAME "$T/x.h5" "$T/f.h5" >/dev/null
check $? "class 15: SIGTERM during the final save: the save completes, exit 1, every row, no .tmp"
rm -f "$T"/f.h5*
paused final-save "TERM TERM" "$CT" sweep "$T/s.cfg" -o "$T/f.h5"
[ $rc -eq 1 ] && grep -q "second signal: abandoning" "$T/err" && clean "$T/f.h5" &&
  [ -s "$T/f.h5.journal" ] && "$CT" sweep "$T/s.cfg" -q -o "$T/f.h5" --resume >/dev/null 2>"$T/err" &&
  $SAME "$T/x.h5" "$T/f.h5" >/dev/null
check $? "class 15: a second SIGTERM abandons the final save: its temporary removed, the journal keeps the rows, --resume completes"
rm -f "$T"/f.h5*
paused checkpoint "TERM TERM" "$CT" sweep "$T/s.cfg" -j 1 --checkpoint 0 -o "$T/f.h5"
[ $rc -eq 1 ] && grep -q "second signal: abandoning" "$T/err" && clean "$T/f.h5" &&
  "$CT" sweep "$T/s.cfg" -q -o "$T/f.h5" --resume >/dev/null 2>"$T/err" && $SAME "$T/x.h5" "$T/f.h5" >/dev/null
check $? "class 15: a second SIGTERM during a checkpoint of the compute loop: no temporary left, --resume completes"
# an interrupted sweep: the first 2 of the 4 rows
rm -f "$T"/f.h5* && cp "$T/x.h5" "$T/f.h5"
"$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1],'a'); f['points'].resize((2,))" "$T/f.h5"
paused load TERM "$CT" sweep "$T/s.cfg" -o "$T/f.h5" --resume
[ $rc -eq 1 ] && grep -q "interrupted by signal 15: 2 of 4 points" "$T/err" && clean "$T/f.h5" &&
  [ "$(rows "$T/f.h5")" = 2 ] && [ ! -e "$T/f.h5.journal" ]
r1=$?
"$CT" sweep "$T/s.cfg" -q -o "$T/f.h5" --resume >/dev/null 2>"$T/err" && $SAME "$T/x.h5" "$T/f.h5" >/dev/null
check $((r1 + $?)) "class 15: SIGTERM during --resume's load: nothing run, exit 1, the 2 rows kept, no .tmp; resuming again completes"
rm -f "$T"/f.h5* && cp "$T/x.h5" "$T/f.h5"
"$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1],'a'); f['points'].resize((2,))" "$T/f.h5"
paused load "TERM TERM" "$CT" sweep "$T/s.cfg" -o "$T/f.h5" --resume
[ $rc -eq 1 ] && grep -q "second signal: abandoning" "$T/err" && clean "$T/f.h5" && [ "$(rows "$T/f.h5")" = 2 ]
check $? "class 15: a second SIGTERM during --resume's load: the file untouched, no .tmp"
paused save TERM "$CT" run --d 2 --N 10 -o "$T/sigrun.h5"
[ $rc -eq 1 ] && clean "$T/sigrun.h5" && [ "$(rows "$T/sigrun.h5")" = 1 ]
check $? "class 15: SIGTERM during run -o's save: the row is saved, exit 1, no .tmp"
cp "$T/x.h5" "$T/fitsig.h5"
paused save TERM "$CT" fit "$T/fitsig.h5" -q
[ $rc -eq 1 ] && grep -q "signal 15 during the save: the save completed" "$T/err" &&
  [ -s "$T/fitsig.fit.md" ] && ! ls "$T"/fitsig.*tmp* >/dev/null 2>&1 &&
  "$PY" -c "import h5py,sys; sys.exit(0 if 'analysis' in h5py.File(sys.argv[1],'r') else 1)" "$T/fitsig.h5"
check $? "class 15: SIGTERM during fit's save: report and /analysis written whole, exit 1, no .tmp"
cp "$T/x.h5" "$T/fitsig2.h5"
before=$(sum "$T/fitsig2.h5")
paused save "TERM TERM" "$CT" fit "$T/fitsig2.h5" -q
[ $rc -eq 1 ] && grep -q "second signal: abandoning" "$T/err" && [ ! -e "$T/fitsig2.fit.md" ] &&
  ! ls "$T"/fitsig2.*tmp* >/dev/null 2>&1 && [ "$(sum "$T/fitsig2.h5")" = "$before" ]
check $? "class 15: a second SIGTERM during fit's save: no report, no .tmp, the result file unchanged"

# ---- class 17: strings from a result file are data --------------------------------------
cp "$T/x.h5" "$T/evil.h5"
"$PY" - "$T/evil.h5" <<'EOF2'
import sys, h5py
with h5py.File(sys.argv[1], "a") as f:
    f.attrs["note"] = "x\x1b]0;pwned\x07\x1b[2J"
    t = f["points"][:]
    t["target"] = b"\\imm\\x|$_\n&"  # 12 of the column's 15 characters
    f["points"][...] = t
EOF2
"$CT" show "$T/evil.h5" >"$T/out" 2>"$T/err"
[ $? -eq 0 ] && ! grep -q $'\x1b' "$T/out" && grep -q "note = x?]0;pwned" "$T/out"
check $? "class 17: show prints no control characters from a file"
# Names from a file are escaped, not refused: the figure is drawn, the LaTeX holds the name as
# text (\textbackslash{}...), never as a command; every data-file header line stays a comment.
CTRATE_DATA_DIR=${CTRATE_DATA_DIR:-$ROOT} "$CT" plot "$T/evil.h5" -o "$T/evilfig" >/dev/null 2>"$T/err"
rc=$?
! grep -qv '^#\|^$\|^[-0-9.eE+ naN]*$' "$T"/evilfig/data/*.dat
r1=$?
if command -v gnuplot >/dev/null; then
  [ $rc -eq 0 ] && [ $r1 -eq 0 ] &&
    grep -qF '\textbackslash{}imm\textbackslash{}x\textbar{}\$\_?\&' "$T"/evilfig/*.tex &&
    ! grep -q 'imm\\x' "$T"/evilfig/*.tex
  check $? "class 17: plot escapes a file's names for LaTeX and gnuplot instead of refusing them"
else
  [ $r1 -eq 0 ]
  check $? "class 17: plot's data files keep a file's names in comment lines # SKIP gnuplot not installed: no .tex"
fi
"$CT" fit "$T/evil.h5" --report "$T/evil.md" >/dev/null 2>"$T/err"
[ $? -eq 0 ] && "$PY" - "$T/evil.md" <<'EOF2'
import re, sys
# every row of a markdown table has as many cells (unescaped '|': after an even number of
# backslashes) as its header, and the name is there, escaped
lines, cells, ok = open(sys.argv[1]).read().split("\n"), None, False
count = lambda l: len(re.findall(r"(?<!\\)(?:\\\\)*\|", l))
for l in lines:
    if not l.startswith("|"):
        cells = None
        continue
    if cells is None: cells = count(l)
    elif count(l) != cells: sys.exit("row %r: %d cells, header %d" % (l, count(l), cells))
    ok |= "\\\\imm\\\\x\\|$_ &" in l
sys.exit(0 if ok else "escaped name not found")
EOF2
check $? "class 17: fit's markdown escapes a file's names ('|' and newlines keep the tables whole)"

# ---- class 16: a full disk (a 64 KiB tmpfs, when this user may mount one) ----------------
mkdir -p "$T/full"
if mount -t tmpfs -o size=64k tmpfs "$T/full" 2>/dev/null; then
  "$CT" sweep "$ROOT/tests/data/sweep_small.cfg" -j 2 -o "$T/full/x.h5" >"$T/out" 2>"$T/err"
  rc=$?
  [ $rc -eq 1 ] && grep -q "No space left on device" "$T/err" && grep -q "final save failed" "$T/err" &&
    ! grep -q "points in $T/full/x.h5" "$T/out"
  check $? "class 16: full disk: exit 1, the OS reason, and no summary claiming rows the file lacks"
  umount "$T/full"
else
  ok "class 16: full disk # SKIP cannot mount a tmpfs here"
fi

echo "# $N checks, $FAILS failed"
[ $FAILS -eq 0 ]
