#!/usr/bin/python3
"""ref_pot.py: the exact assignment W1 and W2 (src/wasserstein/assignment.c) against POT's network simplex
(Debian python3-pot, ot.emd2), an independent exact solver, to 1e-9 relative.

usage: /usr/bin/python3 tests/ref_pot.py PATH/TO/wassign_cli
Prints "ok - ..." / "FAIL - ..." lines; exits 0 when every check passes, 1 otherwise."""
import os
import subprocess
import sys
import tempfile

import numpy as np
import ot

TOL = 1e-9
# (n, d, dense_max): dense_max 0 forces the recomputing cost path, None keeps the default
CASES = [(50, 2, None), (300, 5, None), (300, 5, 0), (1000, 20, None)]


def run_cli(cli, x, y, dense_max):
    """W1, W2 and the optimality flags from the C solver."""
    with tempfile.NamedTemporaryFile(suffix=".f64", delete=False) as f:
        f.write(np.ascontiguousarray(np.vstack([x, y]), dtype=np.float64).tobytes())
        path = f.name
    try:
        args = [cli, path, str(x.shape[0]), str(x.shape[1])]
        if dense_max is not None:
            args.append(str(dense_max))
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    res = {}
    for line in out.splitlines():
        name, val, _, opt = line.split()[:4]
        res[name] = (float(val), int(opt))
    return res


def pot_wp(x, y):
    """W1 and W2 of the uniform empirical laws by ot.emd2 (iteration cap lifted)."""
    n = x.shape[0]
    a = np.full(n, 1.0 / n)
    out = {}
    for name, metric in (("W1", "euclidean"), ("W2", "sqeuclidean")):
        cost, log = ot.emd2(a, a, ot.dist(x, y, metric=metric), numItermax=10**8, log=True)
        if log.get("warning"):
            raise RuntimeError("ot.emd2: " + str(log["warning"]))
        out[name] = float(cost) if name == "W1" else float(np.sqrt(cost))
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    cli = sys.argv[1]
    rng = np.random.default_rng(20240611)
    fails = 0
    for n, d, dense_max in CASES:
        x = rng.standard_normal((n, d))
        # a shifted, anisotropic second law, so that W is not just the sampling floor
        y = rng.standard_normal((n, d)) * np.linspace(0.5, 2.0, d) + 0.3
        got, want = run_cli(cli, x, y, dense_max), pot_wp(x, y)
        path = "recomputed costs" if dense_max == 0 else "default path"
        for name in ("W1", "W2"):
            val, opt = got[name]
            rel = abs(val - want[name]) / want[name]
            label = f"{name} n={n} d={d} ({path}) = ot.emd2"
            if rel <= TOL and opt == 1:
                print(f"ok - {label} (rel err {rel:.2e}, optimal)")
            else:
                print(f"FAIL - {label}: got {val!r} want {want[name]!r} (rel err {rel:.2e} "
                      f"> {TOL:g} or optimal = {opt})")
                fails += 1
    print(f"# {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
