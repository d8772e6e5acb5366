#!/usr/bin/python3
"""scripts/sample_cost.py on synthetic tables with a known answer (issue 15, point 3).

The learned W of a cell (d, N) at n samples per step is built as
    W(n) = W_ideal * factor * (n0 / n)^p,   n0(N, d) = exp(c) N^(a - 1) d^b,
so that W <= factor * W_ideal exactly from n = n0 on, and log(W / target) is linear in log n:
the script's log-linear interpolation is then exact and n* = n0, N n* = exp(c) N^a d^b.
  1. no noise: every n* equals n0 and (a, b, c) are recovered to 1e-9;
  2. multiplicative noise over 6 replicates (fixed seed): every true n0 inside its bootstrap
     interval but a few (at most 2 of 12), and the true (a, b) inside the t intervals;
  3. censoring: a cell already within the factor at the smallest n is '<=', one never within
     it is '>', and both are left out of the fit;
  4. the figure's data file: one block per d, N n* and the fitted line equal to exp(c) N^a d^b.
With a = 1.5 where the script would report a wrong exponent if it fitted n* instead of N n*, or
swapped N and d (b = 0.5)."""
import importlib.util
import os
import sys
import tempfile

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("sample_cost", os.path.join(here, "..", "scripts", "sample_cost.py"))
sc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sc)

A, B, C, P, FACTOR = 1.5, 0.5, 3.0, 0.5, 2.0
NS = [20 * 2**k for k in range(12)]  # 20 .. 40960
fails = 0


def check(name, ok, detail=""):
    global fails
    print(("ok - " if ok else "FAIL - ") + name + (f" ({detail})" if detail else ""))
    fails += not ok


def table(dN, reps, noise, rng, n0_of=None):
    ideal, cells = {}, {}
    for d, N in dN:
        n0 = n0_of(d, N) if n0_of else np.exp(C) * N ** (A - 1) * d**B
        wi = 0.1 / N
        ideal[(d, N)] = wi
        cells[(d, N)] = {n: {q: (wi * FACTOR * (n0 / n) ** P * np.exp(noise * rng.standard_normal()), 0.0)
                             for q in range(reps)} for n in NS}
    return ideal, cells


dN = [(d, N) for d in (1, 4, 16) for N in (10, 30, 100, 300)]
rng = np.random.default_rng(7)

# 1. exact
ideal, cells = table(dN, 1, 0.0, rng)
rows, res = sc.analyse(ideal, cells, FACTOR, 0)
worst = max(abs(r["v"] / (np.exp(C) * r["N"] ** (A - 1) * r["d"] ** B) - 1) for r in rows)
check("no noise: n* = n0 in every cell", worst < 1e-9 and all(not r["cens"] for r in rows), f"worst rel {worst:.2e}")
err = np.abs(res["coef"] - [A, B, C]).max()
check("no noise: (a, b, c) = (1.5, 0.5, 3.0)", err < 1e-9, f"max error {err:.2e}, got {res['coef']}")

# 2. noisy replicates
ideal, cells = table(dN, 6, 0.15, rng)
rows, res = sc.analyse(ideal, cells, FACTOR, 400)
miss = sum(not (r["lo"] <= np.exp(C) * r["N"] ** (A - 1) * r["d"] ** B <= r["hi"]) for r in rows)
check("noise: the true n0 inside the bootstrap interval in >= 10 of 12 cells", miss <= 2, f"{miss} outside")
inside = [res["coef"][i] - res["half"][i] <= t <= res["coef"][i] + res["half"][i] for i, t in enumerate((A, B))]
check("noise: true a, b inside the t 95% intervals", all(inside),
      f"a {res['coef'][0]:.3f} +- {res['half'][0]:.3f}, b {res['coef'][1]:.3f} +- {res['half'][1]:.3f}")
check("noise: bootstrap coefficients computed", len(res["boot"]) >= 20, f"{len(res['boot'])}")

# 3. censoring: n0 below the grid (d = 1, N = 10) and above it (d = 16, N = 300)
def n0_cens(d, N):
    if (d, N) == (1, 10):
        return 5.0
    if (d, N) == (16, 300):
        return 1e6
    return np.exp(C) * N ** (A - 1) * d**B


ideal, cells = table(dN, 1, 0.0, rng, n0_cens)
rows, res = sc.analyse(ideal, cells, FACTOR, 0)
cens = {(r["d"], r["N"]): r["cens"] for r in rows}
check("censored cells marked '<=' and '>'", cens[(1, 10)] == "<=" and cens[(16, 300)] == ">", str(cens))
err = np.abs(res["coef"] - [A, B, C]).max()
check("censored cells left out: fit still exact over the other 10", res["npts"] == 10 and err < 1e-9,
      f"npts {res['npts']}, max error {err:.2e}")

# 4. the figure's data
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "s.dat")
    ds = sc.write_dat(path, rows, res, FACTOR, "w1_hi_normal")
    blocks = [b for b in open(path).read().split("\n\n\n")]
    data = [np.array([list(map(float, l.split())) for l in b.splitlines() if l and not l.startswith("#")])
            for b in blocks]
    ok = ds == [1, 4, 16] and len(data) == 3 and all(len(x) == 4 for x in data)
    worst = 0.0
    for x in data:
        N, d = x[:, 0], x[:, 5]
        law = np.exp(C) * N**A * d**B
        worst = max(worst, np.abs(x[:, 6] / law - 1).max())
        sel = x[:, 4] == 0
        worst = max(worst, np.abs(x[sel, 1] / law[sel] - 1).max())
    check("figure data: 3 blocks of 4 N, N n* and the fitted line = e^c N^a d^b", ok and worst < 1e-8,
          f"worst rel {worst:.2e}")

print(f"# {'all checks passed' if not fails else f'{fails} failed'}")
sys.exit(1 if fails else 0)
