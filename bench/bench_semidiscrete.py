#!/usr/bin/python3
"""bench_semidiscrete.py: the semi-discrete W2 solver (src/wasserstein/semidiscrete.c, through
bench/bench_semidiscrete) timed beside POT's ot.emd2, the strongest straightforward reference
measurable in the same run.

The C solver computes W2^2 between n equal-mass atoms and the 3-component Gaussian mixture nu
itself (semi-discrete, exact up to its certified bracket [dual, primal_hi]). POT cannot take a
continuous nu: it is given a DIFFERENT, DISCRETISED problem of the same size, the same n atoms
against n equal-mass points of nu (the same R2 quasi-random map, offset), solved exactly by the
network simplex (ot.dist + ot.emd2, squared Euclidean cost). Its value differs from the
semi-discrete one by nu's discretisation error and is printed for orientation only; the ratio
compares CPU seconds at equal n, nothing else. POT's dense n x n cost matrix (8 n^2 bytes) and
its simplex limit the n it can take: POT_MAX (default 4000; 1e4 would need 0.8 GB and minutes).

Both run on one thread (OMP_NUM_THREADS=1); CPU seconds are process CPU time.

usage: /usr/bin/python3 bench/bench_semidiscrete.py PATH/TO/bench_semidiscrete [N ...]
       (default 1000 2000 4000 10000 40000); env POT_MAX.
Output: one JSON line per n, then a table. Exit 1 if the C solver fails or its bracket is not
ordered (dual <= primal_hi)."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import ot
from scipy.special import ndtri

NU = ([0.5, 0.3, 0.2], [[0, 0], [1.6, 0.3], [-0.5, 1.4]], 0.2)  # bench_semidiscrete.c NU_*
OFFSET = 10_000_000  # nu's points use R2 indices far from the atoms'


def r2_mixture(idx, w, c, S):
    """bench_semidiscrete.c r2_mixture_point, vectorised over the indices idx."""
    g = 1.32471795724474602596
    u1 = np.fmod(0.5 + (idx + 1) / g, 1.0)
    u2 = np.fmod(0.5 + (idx + 1) / (g * g), 1.0)
    cw = np.cumsum(w)
    k = np.minimum(np.searchsorted(cw, u1, side="right"), len(w) - 1)
    lo = np.concatenate([[0.0], cw[:-1]])[k]
    v = np.clip((u1 - lo) / np.asarray(w)[k], 1e-12, 1 - 1e-12)
    u2 = np.clip(u2, 1e-12, 1 - 1e-12)
    c = np.asarray(c, dtype=float)
    return np.stack([c[k, 0] + np.sqrt(S) * ndtri(v), c[k, 1] + np.sqrt(S) * ndtri(u2)], axis=1)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    exe = sys.argv[1]
    ns = [int(a) for a in sys.argv[2:]] or [1000, 2000, 4000, 10000, 40000]
    pot_max = int(os.environ.get("POT_MAX", "4000"))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    atom_law = ([0.4, 0.35, 0.25], [[0.2, -0.1], [1.3, 0.5], [-0.4, 1.1]], 0.15)
    rows, bad = [], 0
    for n in ns:
        out = subprocess.run([exe, str(n)], env=env, check=True, capture_output=True, text=True)
        c = json.loads(out.stdout.strip().splitlines()[-1])
        row = {"n": n, "c_cpu_s": c["cpu_s"], "c_newton_steps": c["newton_steps"],
               "c_mass_err": c["mass_err"], "c_w2sq_lo": c["dual"], "c_w2sq_hi": c["primal_hi"],
               "c_status": c["status"]}
        if c["status"] != 0 or not c["dual"] <= c["primal_hi"]:
            bad = 1
        if n <= pot_max:
            x = r2_mixture(np.arange(n, dtype=float), *atom_law)
            yv = r2_mixture(OFFSET + np.arange(n, dtype=float), *NU)
            a = np.full(n, 1.0 / n)
            t0 = time.process_time()
            M = ot.dist(x, yv)  # squared Euclidean
            w2 = ot.emd2(a, a, M, numItermax=min(100 * n * n, 2**31 - 1))
            row["pot_cpu_s"] = time.process_time() - t0
            row["pot_w2sq_discretised"] = float(w2)
            row["pot_over_c_cpu"] = row["pot_cpu_s"] / c["cpu_s"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("\nsemi-discrete W2^2 (C, exact bracket) vs POT ot.emd2 on a DIFFERENT discretised "
          "problem (n atoms vs n equal-mass points of nu), one thread, CPU s (machine shared):")
    print(f"{'n':>7} {'C steps':>7} {'C mass err':>10} {'C W2^2 lo':>14} {'C W2^2 hi':>14} "
          f"{'C cpu s':>8} {'POT W2^2 (discr.)':>18} {'POT cpu s':>9} {'POT/C':>6}")
    for r in rows:
        pot = (f"{r['pot_w2sq_discretised']:18.10f} {r['pot_cpu_s']:9.2f} {r['pot_over_c_cpu']:6.1f}"
               if "pot_cpu_s" in r else f"{'(not run: n > POT_MAX)':>35}")
        print(f"{r['n']:7d} {r['c_newton_steps']:7d} {r['c_mass_err']:10.2g} {r['c_w2sq_lo']:14.10f} "
              f"{r['c_w2sq_hi']:14.10f} {r['c_cpu_s']:8.2f} {pot}")
    print("PASS" if not bad else "FAIL: a C run failed or its bracket is not ordered")
    return bad


if __name__ == "__main__":
    sys.exit(main())
