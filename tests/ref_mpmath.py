#!/usr/bin/python3
"""Reference check of the engine's W2 for isotropic Gaussian targets (theory.md §4).

usage: /usr/bin/python3 ref_mpmath.py PATH/TO/ctrate

Runs `ctrate run --N N --lambda L --d D ... -o FILE.h5`, reads w2_qN and w2_normal at full
precision with h5py and compares them with
  * N <= 1e5: an arbitrary-precision mpmath computation (mp.dps = 40) of the DIRECT product
    A_N = prod_{t=2..N} m_t, m_t = (a_t a_{t-1} lambda + s_t s_{t-1}) / v_t, with the schedule
    recomputed from its formula (theory.md §1) in mpmath;
  * N = 1e6, 1e7: numpy longdouble (80-bit) with the cancellation-free deficit form of
    theory.md §4 (sin theta_t, D_N = 1/2 sum log1p(-sin^2 theta_t)), itself checked
    against mpmath at N = 1e4 and 1e5 first.
Isotropic, zero mean: W2(f_N(q_N), X_1) = sqrt(d) |A sqrt(v_N) - sqrt(v_1)| and
W2(f_N(N(0,I)), X_1) = sqrt(d) |A - sqrt(v_1)|.
Prints "ok - ..." / "FAIL - ..." lines; exits 1 on any failure, 2 on bad usage.
"""
import os
import subprocess
import sys
import tempfile
import time

import h5py
import mpmath
import numpy as np

C0, C1 = 2.0, 8.0
LD = np.longdouble
failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "FAIL - ") + what, flush=True)
    if not cond:
        failures += 1


def run_engine(binary, N, lam, d, tmpdir):
    path = os.path.join(tmpdir, "r_%d_%g_%d.h5" % (N, lam, d))
    cmd = [binary, "run", "--N", str(N), "--lambda", repr(lam), "--d", str(d),
           "--schedule", "paper", "--c0", repr(C0), "--c1", repr(C1), "-o", path]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if res.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), res.returncode, res.stderr))
    with h5py.File(path, "r") as f:
        row = f["points"][-1]
        return float(row["w2_qN"]), float(row["w2_normal"])


def ref_mpmath(N, lam, d):
    """Direct product in mpmath, schedule from its formula."""
    mp = mpmath.mp
    mp.dps = 40
    lam = mpmath.mpf(lam)
    Nm = mpmath.mpf(N)
    r = C1 * mpmath.log(Nm) / Nm
    b1 = Nm ** (-C0)
    one = mpmath.mpf(1)
    abar = one - b1
    a_p, s_p = mpmath.sqrt(abar), mpmath.sqrt(b1)  # s_1 = sqrt(beta_1) exactly
    v1 = a_p * a_p * lam + s_p * s_p
    A = one
    g = b1  # beta_1 (1 + r)^(t-1)
    sat = False
    for t in range(2, N + 1):
        if not sat:
            g = g * (1 + r)
            if g >= 1:
                sat = True
        beta = r * (one if sat else g)
        abar = abar * (1 - beta)
        a, s = mpmath.sqrt(abar), mpmath.sqrt(1 - abar)
        v = a * a * lam + s * s
        A = A * (a * a_p * lam + s * s_p) / v
        a_p, s_p = a, s
    vN = v
    sd = mpmath.sqrt(d)
    w_qN = sd * abs(A * mpmath.sqrt(vN) - mpmath.sqrt(v1))
    w_nor = sd * abs(A - mpmath.sqrt(v1))
    return float(w_qN), float(w_nor)


def ref_longdouble(N, lam, d):
    """Deficit form in 80-bit long double, vectorised."""
    lam = LD(lam)
    Nl = LD(N)
    r = LD(C1) * np.log(Nl) / Nl
    lb1 = -LD(C0) * np.log(Nl)
    t = np.arange(1, N, dtype=LD)  # beta_{t+1} for t = 1..N-1
    lg = lb1 + t * np.log1p(r)
    beta = np.empty(N + 1, dtype=LD)
    beta[0] = 0
    beta[1] = np.exp(lb1)
    beta[2:] = r * np.where(lg < 0, np.exp(np.minimum(lg, LD(0))), LD(1))
    del t, lg
    la = np.cumsum(np.log1p(-beta))  # la[0] = 0
    a = np.exp(la / 2)
    s = np.sqrt(-np.expm1(la))
    s[1] = np.sqrt(beta[1])  # identical in exact arithmetic; keep its digits
    v = a * a * lam + s * s
    del la
    # sin theta_t, t = 2..N
    bt = beta[2:]
    sin_t = (np.sqrt(lam) * a[1:-1] * bt /
             ((s[2:] + np.sqrt(1 - bt) * s[1:-1]) * np.sqrt(v[2:] * v[1:-1])))
    D = np.sum(np.log1p(-sin_t * sin_t)) / 2
    v1, vN, aN = v[1], v[N], a[N]
    sq1 = np.sqrt(v1)
    sd = np.sqrt(LD(d))
    w_qN = sd * sq1 * abs(np.expm1(D))
    log_vN = np.log1p(aN * aN * (lam - 1))  # v_N = 1 + a_N^2 (lambda - 1)
    w_nor = sd * sq1 * abs(np.expm1(D - log_vN / 2))
    return float(w_qN), float(w_nor)


def rel(x, y):
    return abs(x - y) / abs(y)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    t0 = time.time()
    lams = [0.25, 4.0]
    d = 3
    worst = {}
    with tempfile.TemporaryDirectory() as tmp:
        # 1. the long double deficit form against the direct mpmath product
        for N in (10 ** 3, 10 ** 4, 10 ** 5):
            for lam in lams:
                m = ref_mpmath(N, lam, d)
                if N >= 10 ** 4:
                    ld = ref_longdouble(N, lam, d)
                    e = max(rel(ld[0], m[0]), rel(ld[1], m[1]))
                    check(e <= 1e-12, "longdouble deficit form == mpmath direct product, N=%d "
                          "lambda=%g (rel %.3g <= 1e-12)" % (N, lam, e))
                eng = run_engine(binary, N, lam, d, tmp)
                for k, name in enumerate(("w2_qN", "w2_normal")):
                    e = rel(eng[k], m[k])
                    worst[(N, name)] = max(worst.get((N, name), 0), e)
                    check(e <= 1e-9, "engine %s == mpmath, N=%d lambda=%g d=%d: got %.17g want "
                          "%.17g (rel %.3g <= 1e-9)" % (name, N, lam, d, eng[k], m[k], e))
        # 2. large N against the long double form
        for N, tol in ((10 ** 6, 1e-9), (10 ** 7, 1e-8)):
            for lam in lams:
                ld = ref_longdouble(N, lam, d)
                eng = run_engine(binary, N, lam, d, tmp)
                for k, name in enumerate(("w2_qN", "w2_normal")):
                    e = rel(eng[k], ld[k])
                    worst[(N, name)] = max(worst.get((N, name), 0), e)
                    check(e <= tol, "engine %s == longdouble ref, N=%d lambda=%g d=%d: got %.17g "
                          "want %.17g (rel %.3g <= %g)" % (name, N, lam, d, eng[k], ld[k], e, tol))
    for (N, name), e in sorted(worst.items()):
        note = "" if e <= 1e-11 else "  (above theory.md §1e-11 accuracy claim)"
        print("# worst relative discrepancy %-9s N=%-8d %.3g%s" % (name, N, e, note))
    print("# %d failure(s), %.1f s" % (failures, time.time() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
