#!/usr/bin/python3
"""Reference numpy implementation of the affine CT recursion (math.md sections 1 and 4),
for benchmarking the C engine (src/engines/affine.c, diag path, error none).

Paper schedule (c0 = 2, c1 = 8), geometric spectrum lambda_i from lambda_max = 1 down to
lambda_min = 0.01, input q_N. Per step t = 2..N, over the d eigenvalues:
    v_t = a_t^2 lambda + s_t^2
    sin^2 theta_t = lambda kap_t / (v_t v_{t-1}),
        kap_t = (a_{t-1} beta_t / (s_t + sqrt(alpha_t) s_{t-1}))^2   (cancellation-free)
    1 - cos theta_t = sin^2 / (1 + cos)
    G_t = sqrt(v_1 / v_t),  D_t = -G_t (1 - cos),  m_t = (a_t a_{t-1} lambda + s_t s_{t-1}) / v_t
    Delta_t = Delta_{t-1} m_t + D_t
plus the per-step RMS sum sum_t sqrt(sum_i tau_i^2), tau = sqrt(v_1) (1 - cos).
Output: W2(f_N(q_N), X_1) = sqrt(sum_i (Delta_i sqrt(v_N,i))^2).

Usage: /usr/bin/python3 bench/ref_numpy.py D N   -> one JSON line {"w2", "seconds", "updates_per_s", ...}
"""
import json
import sys
import time

import numpy as np


def paper_schedule(N, c0=2.0, c1=8.0):
    """beta, a, s as 1-based arrays (index 0 unused), vectorised, same formulas as schedule.c."""
    logN = np.log(float(N))
    r = c1 * logN / N
    beta = np.zeros(N + 1)
    beta[1] = np.exp(-c0 * logN)
    t = np.arange(1, N, dtype=np.float64)
    lg = -c0 * logN + t * np.log1p(r)
    beta[2:] = r * np.where(lg < 0, np.exp(np.minimum(lg, 0.0)), 1.0)
    la = np.zeros(N + 1)
    la[1:] = np.cumsum(np.log1p(-beta[1:]))
    a = np.exp(0.5 * la)
    s = np.sqrt(-np.expm1(la))
    return beta, a, s


def geometric_spectrum(d, lam_min=0.01, lam_max=1.0):
    if d == 1:
        return np.array([lam_max])
    i = np.arange(d, dtype=np.float64)
    lam = lam_max * (lam_min / lam_max) ** (i / (d - 1))
    lam[-1] = lam_min
    return lam


def run(d, N):
    beta, a, s = paper_schedule(N)
    lam = geometric_spectrum(d)
    # per-step scalars, vectorised over t = 2..N
    at, ap, st, sp, b = a[2:], a[1:-1], s[2:], s[1:-1], beta[2:]
    q = ap * b / (st + np.sqrt(1.0 - b) * sp)
    kap = q * q
    a2, s2, aa, ss = at * at, st * st, at * ap, st * sp

    v1 = a[1] ** 2 * lam + s[1] ** 2
    sq1 = np.sqrt(v1)
    v_prev = v1
    delta = np.zeros(d)
    rms_sum = 0.0
    for k in range(N - 1):  # step t = k + 2
        v = a2[k] * lam + s2[k]
        sin2 = lam * kap[k] / (v * v_prev)
        omc = sin2 / (1.0 + np.sqrt(1.0 - sin2))
        G = sq1 / np.sqrt(v)
        D = -G * omc
        m = (aa[k] * lam + ss[k]) / v
        delta = delta * m + D
        tau = sq1 * omc
        rms_sum += np.sqrt(np.sum(tau * tau))
        v_prev = v
    vN = v_prev
    w2 = float(np.sqrt(np.sum((delta * np.sqrt(vN)) ** 2)))
    return w2, float(rms_sum)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: ref_numpy.py D N\n")
        return 2
    d, N = int(argv[1]), int(float(argv[2]))
    # OPENBLAS_CORETYPE (and BLAS threading in general) does not matter here: the recursion
    # uses elementwise ufuncs and np.sum reductions only, no BLAS call.
    t0 = time.perf_counter()
    w2, rms_sum = run(d, N)
    sec = time.perf_counter() - t0
    print(json.dumps({"impl": "numpy", "d": d, "N": N, "w2": w2, "sum_D_rms": rms_sum,
                      "seconds": sec, "updates_per_s": (N - 1) * d / sec}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
