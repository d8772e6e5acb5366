#!/usr/bin/python3
"""Reference numpy implementation of the affine CT recursion (theory.md §1 and §4),
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

Default: vectorised over blocks of steps x eigenvalues (the fair baseline, issue 13); --loop:
the per-step Python loop (labelled numpy-loop). updates_per_s is per CPU second (the machine
is shared; one thread).

Usage: /usr/bin/python3 bench/ref_numpy.py [--loop] D N   -> one JSON line
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


def run_loop(d, N):
    """The straightforward per-step loop (interpreter overhead on every step): kept, labelled
    numpy-loop, for comparison with earlier figures only."""
    beta, a, s = paper_schedule(N)
    lam = geometric_spectrum(d)
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
        m = (aa[k] * lam + ss[k]) / v
        delta = delta * m - G * omc
        tau = sq1 * omc
        rms_sum += np.sqrt(np.sum(tau * tau))
        v_prev = v
    w2 = float(np.sqrt(np.sum((delta * np.sqrt(v_prev)) ** 2)))
    return w2, float(rms_sum)


def run_vec(d, N, elems=1 << 20):
    """The fair baseline: 2-D arrays of (block of steps) x (eigenvalues), blocks of about
    `elems` elements (a few thousand steps at d = 1024), and the cancellation-free deficit
    D_N = (1/2) sum_t log1p(-sin^2 theta_t) (theory.md §4) as a column sum, so every
    operation is one ufunc over a block; Delta = G_N expm1(D_N)."""
    beta, a, s = paper_schedule(N)
    lam = geometric_spectrum(d)
    v = a * a  # a_t^2, then v_t(lambda) per block
    s2 = s * s
    b = beta
    q = np.zeros(N + 1)
    q[2:] = a[1:-1] * b[2:] / (s[2:] + np.sqrt(1.0 - b[2:]) * s[1:-1])
    kap = q * q
    v1 = v[1] * lam + s2[1]
    bt = max(1, min(N - 1, elems // d))
    D = np.zeros(d)
    rms_sum = 0.0
    v_prev = v1[None, :]
    for t0 in range(2, N + 1, bt):
        t1 = min(N + 1, t0 + bt)
        vt = v[t0:t1, None] * lam[None, :] + s2[t0:t1, None]
        vp = np.concatenate([v_prev, vt[:-1]], axis=0)
        sin2 = (lam[None, :] * kap[t0:t1, None]) / (vt * vp)
        D += np.log1p(-sin2).sum(axis=0)
        omc = sin2 / (1.0 + np.sqrt(1.0 - sin2))
        rms_sum += np.sqrt((omc * omc) @ v1).sum()
        v_prev = vt[-1:]
    vN = v_prev[0]
    delta = np.sqrt(v1 / vN) * np.expm1(0.5 * D)
    w2 = float(np.sqrt(np.sum(delta * delta * vN)))
    return w2, float(rms_sum)


def main(argv):
    args = [x for x in argv[1:] if x != "--loop"]
    loop = "--loop" in argv[1:]
    if len(args) != 2:
        sys.stderr.write("usage: ref_numpy.py [--loop] D N\n")
        return 2
    d, N = int(args[0]), int(float(args[1]))
    # OPENBLAS_NUM_THREADS=1 keeps the one matrix-vector product per block on one core.
    t0 = time.perf_counter()
    c0 = time.process_time()
    w2, rms_sum = (run_loop if loop else run_vec)(d, N)
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"impl": "numpy-loop" if loop else "numpy-vec", "d": d, "N": N, "w2": w2,
                      "sum_D_rms": rms_sum, "seconds": sec, "cpu_seconds": cpu,
                      "updates_per_s": (N - 1) * d / cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
