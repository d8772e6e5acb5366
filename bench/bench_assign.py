#!/usr/bin/python3
"""bench_assign.py: the exact assignment solver (src/wasserstein/assignment.c, Jonker-Volgenant, through
tests/wassign_cli) against POT's network simplex (ot.emd2 with ot.dist), timed in the same run.

Cases n = 1000, 2000, 5000, 10000 points, d = 10: x ~ N(0, I), y ~ N(0.3, diag(0.5..2)^2) (the
laws of tests/ref_pot.py, fixed seed). wassign_cli computes W1 and then W2 (two solves); POT is
timed on the same work: for each of W1, W2, ot.dist (euclidean / sqeuclidean cost matrix) plus
ot.emd2 (uniform weights, numItermax 1e8, one thread: run with OPENBLAS_NUM_THREADS=1). Times
are process CPU seconds (the machine is shared; wall times are printed too), best of REPS runs
(3 below n = 5000, 1 from there: POT takes minutes); the C time is the whole wassign_cli
process (start-up and reading the 2 n d doubles included), so the ratio slightly favours POT.
Agreement: W1 and W2 relative difference <= 1e-9, and the C certificate (optimal 1) for both.
Target (issue 13 point 6): C CPU time <= POT CPU time at every n (ratio POT / C >= 1).
Scaling (issue 13 point 7): the exponent of CPU time against n, fitted by least squares in
log-log for C and for POT, with the local exponents between neighbouring n (their spread shows
how far the times are from one power law).

Fraction of the machine's limit (issue 13 point 1), with PATH/TO/bench_limits given: the
solver's inner loop is the row scan of the shortest-path searches (ctr_wa_relax, one subtract,
compare and blend per cost); wassign_cli reports the rows scanned (iterations), so its W1 and W2
solves scan (iterations_W1 + iterations_W2) n costs. The limit is that count at the scan's own
rate on a row kept in L1 (bench_limits: relax_f32_per_s, float costs, the solver's dense path),
measured in the same run; "c_of_limit" is that time over the C CPU time. Reading the cost rows
from memory, building them, the bookkeeping and start-up are what keep it below 1.

usage: /usr/bin/python3 bench/bench_assign.py PATH/TO/wassign_cli [--limits PATH/TO/bench_limits] [N ...]
Output: one JSON line per case {"n", "d", "reps", "c_cpu", "pot_cpu", "c_wall", "pot_wall",
"ratio", "c_maxrss_mb", "W1_c", "W1_pot", "W2_c", "W2_pot", "rel_diff", "optimal", "rows_scanned", "c_of_limit"}, then the
table, the fitted exponents and PASS/FAIL lines. Exit 1 if a solve, an agreement check or the
target fails."""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from ref_pot import pot_wp  # noqa: E402  (the test's POT reference: one definition)

D = 10
TARGET = 1.0


def c_solve(cli, path, n, d):
    """Wall and CPU seconds, peak resident memory (MB, from the CLI) of one wassign_cli run, and its W1, W2 lines."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([cli, path, str(n), str(d)], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    sec = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"wassign_cli exit {proc.returncode}")
    res, peak = {}, 0.0
    for line in out.splitlines():
        f = line.split()
        res[f[0]] = (float(f[1]), int(f[3]), int(f[5]))
        peak = max(peak, float(f[7]) / 1024.0)  # VmHWM of the solver's own image
    return sec, ru.ru_utime + ru.ru_stime, peak, res


def pot_solve(x, y):
    t0, c0 = time.perf_counter(), time.process_time()
    out = pot_wp(x, y)
    return time.perf_counter() - t0, time.process_time() - c0, out


def fit_exponent(ns, ts):
    """Least-squares slope of log t against log n, and the local slopes."""
    ln, lt = np.log(ns), np.log(ts)
    slope = float(np.polyfit(ln, lt, 1)[0]) if len(ns) >= 2 else float("nan")
    local = [float((lt[k + 1] - lt[k]) / (ln[k + 1] - ln[k])) for k in range(len(ns) - 1)]
    return slope, local


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cli, rest = argv[1], argv[2:]
    scan_rate = math.nan
    if rest[:1] == ["--limits"] and len(rest) >= 2:
        lim = json.loads(subprocess.run([rest[1]], capture_output=True, text=True,
                                        check=True).stdout)
        scan_rate, rest = lim["relax_f32_per_s"], rest[2:]
    sizes = [int(v) for v in rest] or [1000, 2000, 5000, 10000]
    rng = np.random.default_rng(20240611)
    rc = 0
    rows = []
    for n in sizes:
        reps = 3 if n < 5000 else 1
        x = rng.standard_normal((n, D))
        y = rng.standard_normal((n, D)) * np.linspace(0.5, 2.0, D) + 0.3
        with tempfile.NamedTemporaryFile(suffix=".f64", delete=False) as f:
            f.write(np.ascontiguousarray(np.vstack([x, y]), dtype=np.float64).tobytes())
            path = f.name
        try:
            best = {"c_wall": math.inf, "c_cpu": math.inf, "pot_wall": math.inf,
                    "pot_cpu": math.inf, "rss": 0.0}
            for _ in range(reps):
                wall, cpu, rss, got = c_solve(cli, path, n, D)
                best["c_wall"], best["c_cpu"] = min(best["c_wall"], wall), min(best["c_cpu"], cpu)
                best["rss"] = max(best["rss"], rss)
                wall, cpu, want = pot_solve(x, y)
                best["pot_wall"] = min(best["pot_wall"], wall)
                best["pot_cpu"] = min(best["pot_cpu"], cpu)
        except (subprocess.CalledProcessError, RuntimeError) as e:
            sys.stderr.write(f"bench_assign: n = {n}: {e}\n")
            rc = 1
            continue
        finally:
            os.unlink(path)
        rel = max(abs(got[k][0] - want[k]) / want[k] for k in ("W1", "W2"))
        row = {"n": n, "d": D, "reps": reps, "c_cpu": best["c_cpu"], "pot_cpu": best["pot_cpu"],
               "c_wall": best["c_wall"], "pot_wall": best["pot_wall"],
               "ratio": best["pot_cpu"] / best["c_cpu"], "c_maxrss_mb": best["rss"],
               "W1_c": got["W1"][0], "W1_pot": want["W1"], "W2_c": got["W2"][0],
               "W2_pot": want["W2"], "rel_diff": rel,
               "optimal": int(got["W1"][1] == 1 and got["W2"][1] == 1),
               "rows_scanned": got["W1"][2] + got["W2"][2],
               "c_of_limit": (got["W1"][2] + got["W2"][2]) * n / scan_rate / best["c_cpu"]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"{'n':>6} {'C cpu s':>9} {'POT cpu s':>10} {'POT/C':>6} {'C wall s':>9} "
          f"{'POT wall s':>10} {'C MB':>6} {'rel diff':>8} {'of limit':>8}")
    for r in rows:
        print(f"{r['n']:6d} {r['c_cpu']:9.3f} {r['pot_cpu']:10.3f} {r['ratio']:6.2f} "
              f"{r['c_wall']:9.3f} {r['pot_wall']:10.3f} {r['c_maxrss_mb']:6.0f} "
              f"{r['rel_diff']:8.1e} {r['c_of_limit']:8.3f}")
    print(f"# of limit: rows scanned x n at the in-cache scan rate ({scan_rate:.3g} costs/s, "
          "bench_limits) over C's CPU time")
    if len(rows) >= 2:
        ns = [r["n"] for r in rows]
        for who, key in (("C", "c_cpu"), ("POT", "pot_cpu")):
            slope, local = fit_exponent(ns, [r[key] for r in rows])
            print(f"# scaling {who}: CPU time ~ n^{slope:.2f} (least squares over n = "
                  f"{ns[0]}..{ns[-1]}; local exponents " + ", ".join(f"{v:.2f}" for v in local)
                  + ")")
    for r in rows:
        good = r["rel_diff"] <= 1e-9 and r["optimal"] == 1
        print(("PASS " if good else "FAIL ") + f"assign n={r['n']}: W1, W2 = ot.emd2 to 1e-9 "
              f"relative ({r['rel_diff']:.1e}), certified optimal")
        fast = r["ratio"] >= TARGET
        print(("PASS " if fast else "FAIL ") + f"assign n={r['n']}: POT CPU / C CPU = "
              f"{r['ratio']:.2f} (target >= {TARGET:g})")
        rc = rc or int(not (good and fast))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
