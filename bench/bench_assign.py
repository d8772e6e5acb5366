#!/usr/bin/python3
"""bench_assign.py: the exact assignment solver (src/wasserstein/assignment.c, Jonker-Volgenant, through
tests/wassign_cli) against POT's network simplex (ot.emd2 with ot.dist), timed in the same run.

Cases n = 1000 and 3000 points, d = 10: x ~ N(0, I), y ~ N(0.3, diag(0.5..2)^2) (the laws of
tests/ref_pot.py, fixed seed). wassign_cli computes W1 and then W2 (two solves); POT is timed
on the same work: for each of W1, W2, ot.dist (euclidean / sqeuclidean cost matrix) plus
ot.emd2 (uniform weights, numItermax 1e8, one thread). Times are the best wall time of REPS
runs; the C time is the wall time of the whole wassign_cli process (start-up and reading the
2 n d doubles included, a few ms), so the ratio slightly favours POT. Agreement: W1 and W2
relative difference <= 1e-9, and the C certificate (optimal 1) for both.

usage: /usr/bin/python3 bench/bench_assign.py PATH/TO/wassign_cli [N ...]   (default 1000 3000)
Output: one JSON line per case {"n", "d", "c_seconds", "pot_seconds", "ratio", "W1_c",
"W1_pot", "W2_c", "W2_pot", "rel_diff", "optimal"}. Exit 1 if a solve fails."""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from ref_pot import pot_wp  # noqa: E402  (the test's POT reference: one definition)

D = 10
REPS = 3


def c_solve(cli, path, n, d):
    t0 = time.perf_counter()
    out = subprocess.run([cli, path, str(n), str(d)], capture_output=True, text=True,
                         check=True).stdout
    sec = time.perf_counter() - t0
    res = {}
    for line in out.splitlines():
        name, val, _, opt = line.split()[:4]
        res[name] = (float(val), int(opt))
    return sec, res


def pot_solve(x, y):
    t0 = time.perf_counter()
    out = pot_wp(x, y)
    return time.perf_counter() - t0, out


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cli = argv[1]
    sizes = [int(v) for v in argv[2:]] or [1000, 3000]
    rng = np.random.default_rng(20240611)
    rc = 0
    for n in sizes:
        x = rng.standard_normal((n, D))
        y = rng.standard_normal((n, D)) * np.linspace(0.5, 2.0, D) + 0.3
        with tempfile.NamedTemporaryFile(suffix=".f64", delete=False) as f:
            f.write(np.ascontiguousarray(np.vstack([x, y]), dtype=np.float64).tobytes())
            path = f.name
        try:
            c_best, pot_best = float("inf"), float("inf")
            for _ in range(REPS):
                sec, got = c_solve(cli, path, n, D)
                c_best = min(c_best, sec)
                sec, want = pot_solve(x, y)
                pot_best = min(pot_best, sec)
        except (subprocess.CalledProcessError, RuntimeError) as e:
            sys.stderr.write(f"bench_assign: n = {n}: {e}\n")
            rc = 1
            continue
        finally:
            os.unlink(path)
        rel = max(abs(got[k][0] - want[k]) / want[k] for k in ("W1", "W2"))
        print(json.dumps({"n": n, "d": D, "reps": REPS, "c_seconds": c_best,
                          "pot_seconds": pot_best, "ratio": pot_best / c_best,
                          "W1_c": got["W1"][0], "W1_pot": want["W1"], "W2_c": got["W2"][0],
                          "W2_pot": want["W2"], "rel_diff": rel,
                          "optimal": int(got["W1"][1] == 1 and got["W2"][1] == 1)}), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
