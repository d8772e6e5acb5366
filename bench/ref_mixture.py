#!/usr/bin/python3
"""Reference numpy implementation of the chain engine (ideal CT by backward chains) and of the
distillation engine (DDIM with the exact denoiser), theory.md §5, for benchmarking
src/engines/chain.c and src/engines/distill.c (bench/bench_mixture.c).

Target: 1-D two-mode mixture, modes at -1 and +1, weights 1/2, sigma 0.1. Schedule: paper,
c0 = 2, c1 = 4 (ctr_schedule_params_default), built by ref_numpy.paper_schedule.

Posterior at noise level (a, s), S_k = a^2 sigma_k^2 + s^2:
    log w_k = log pi_k - log S_k / 2 - (x - a mu_k)^2 / (2 S_k), normalised by log-sum-exp
    m_k = mu_k + a sigma_k^2 (x - a mu_k) / S_k,   C_k = s^2 sigma_k^2 / S_k,   D = sum_k w_k m_k

chain: all points x chains vectorised per step t = N..2: weights, component choice (one
    uniform against the cumulative weights), X_0 = m_k + sqrt(C_k) z, then
    Y <- (s_{t-1}/s_t) Y + c_t X_0,  c_t = a_{t-1} beta_t / (s_t (s_t + sqrt(alpha_t) s_{t-1})).
    Per point: U = (||sum_j dev_j||^2 - sum_j ||dev_j||^2) / (M (M - 1)), dev_j = Y1_j - Phi(x),
    L1 = ||mean_j dev_j||; sq, l1 = their means over the points (with standard errors).
distill: y <- (s_{t-1}/s_t) y + c_t D(y), vectorised over the points; per point
    ||f_N(x) - Phi(x)|| and its square.

Flow map Phi = Phi_{N->1}: the PF-ODE in u = log tan(phi/2) (as src/targets/flow_map.c),
    dx/du = a x - D(x),  a = -tanh(u), s = 1/cosh(u),  u = log(s / (1 + a)),
integrated with a fixed-step classical RK4, vectorised over all points, with FLOW_STEPS steps
uniform in u (the reported Phi), and again with FLOW_STEPS / 2 steps for an error estimate:
RK4 is 4th order, so the error of the fine run is about |fine - coarse| / 15 (Richardson), the
reported flow_err (max over the points). At N = 200, FLOW_STEPS = 1200 is accurate to ~1.2e-9
(measured against scipy.integrate.solve_ivp, DOP853, rtol 1e-10 / atol 1e-12, at 300 points
from q_N plus points near 0 between the modes: max error 2e-5 at 100 steps, 9.5e-8 at 400,
6.2e-9 at 800, 1.2e-9 at 1200, i.e. ~n^-4; the "maps" line repeats that check at its fixed x:
"solve_ivp_diff"). For much larger N, raise FLOW_STEPS (the u-range grows like log N only).
Both runs are timed, as the C engines also integrate twice (halved tolerance) for their error
estimate. "seconds_flow" is the flow part of "seconds"; "cpu_seconds" is the process CPU time
(time.process_time) of the whole run, less sensitive than the wall time to other jobs.

Random numbers: numpy's default_rng (different from the C engines' Philox streams), so the
estimates agree with the C ones only within their statistical errors.

usage: /usr/bin/python3 bench/ref_mixture.py [N POINTS CHAINS [SEED]]   (default 200 2000 4 1)
       /usr/bin/python3 bench/ref_mixture.py --sphere D K N POINTS CHAINS
         (the chain's sampling loop alone on a sphere mixture in d dims, vectorised over all
         chains and points, best of 3: sphere_chain; one JSON line, speed only)
Output: JSON lines {"engine": "chain", ...}, {"engine": "distill", ...} and
{"engine": "maps", "x", "phi", "fN", "solve_ivp_diff"} (Phi and f_N at x = -3, -2.5, ..., 3).
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ref_numpy import paper_schedule  # noqa: E402

PI = np.array([0.5, 0.5])
MU = np.array([-1.0, 1.0])
SIG2 = np.array([0.01, 0.01])
FLOW_STEPS = 1200


def posterior(x, a, s):
    """Weights w (..., K), component means m (..., K) and variances C (K,) at (a, s)."""
    S = a * a * SIG2 + s * s
    r = x[..., None] - a * MU
    lw = np.log(PI) - 0.5 * np.log(S) - 0.5 * r * r / S
    lw -= lw.max(axis=-1, keepdims=True)
    w = np.exp(lw)
    w /= w.sum(axis=-1, keepdims=True)
    m = MU + a * SIG2 * r / S
    C = s * s * SIG2 / S
    return w, m, C


def denoise(x, a, s):
    w, m, _ = posterior(x, a, s)
    return (w * m).sum(axis=-1)


def flow_rk4(x, u0, u1, steps):
    """Phi: x at u0 -> u1 by classical RK4 in u, vectorised over x."""
    h = (u1 - u0) / steps

    def f(u, y):
        a, s = -np.tanh(u), 1.0 / np.cosh(u)
        return a * y - denoise(y, a, s)

    y = np.array(x, dtype=np.float64)
    for i in range(steps):
        u = u0 + i * h
        k1 = f(u, y)
        k2 = f(u + 0.5 * h, y + 0.5 * h * k1)
        k3 = f(u + 0.5 * h, y + 0.5 * h * k2)
        k4 = f(u + h, y + h * k3)
        y = y + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def flow_map(x, a, s, N):
    """Phi_{N->1}(x) by RK4 at FLOW_STEPS, and its error estimate max |fine - coarse| / 15."""
    u0 = np.log(s[N] / (1.0 + a[N]))
    u1 = np.log(s[1] / (1.0 + a[1]))
    fine = flow_rk4(x, u0, u1, FLOW_STEPS)
    coarse = flow_rk4(x, u0, u1, FLOW_STEPS // 2)
    return fine, float(np.max(np.abs(fine - coarse))) / 15.0


def flow_solve_ivp(x, a, s, N):
    from scipy.integrate import solve_ivp
    u0 = np.log(s[N] / (1.0 + a[N]))
    u1 = np.log(s[1] / (1.0 + a[1]))

    def f(u, y):
        aa, ss = -np.tanh(u), 1.0 / np.cosh(u)
        return aa * y - denoise(y, aa, ss)

    out = []
    for xi in x:
        r = solve_ivp(f, (u0, u1), [xi], method="DOP853", rtol=1e-10, atol=1e-12)
        out.append(r.y[0, -1])
    return np.array(out)


def c_coef(beta, a, s, t):
    return a[t - 1] * beta[t] / (s[t] * (s[t] + np.sqrt(1.0 - beta[t]) * s[t - 1]))


def sample_qN(rng, n, a, s, N):
    k = (rng.random(n) >= PI[0]).astype(int)  # component 0 with probability PI[0]
    x0 = MU[k] + np.sqrt(SIG2[k]) * rng.standard_normal(n)
    return a[N] * x0 + s[N] * rng.standard_normal(n)


def mean_se(v):
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size))


def run_chain(N, P, M, rng):
    beta, a, s = paper_schedule(N, c0=2.0, c1=4.0)
    x = sample_qN(rng, P, a, s, N)
    tf = time.perf_counter()
    phi, ferr = flow_map(x, a, s, N)
    tf = time.perf_counter() - tf
    y = np.repeat(x[:, None], M, axis=1)  # (P, M)
    for t in range(N, 1, -1):
        w, m, C = posterior(y, a[t], s[t])
        k = (rng.random(y.shape) >= w[..., 0]).astype(int)  # K = 2: k = 1 when u >= w_0
        mk = np.take_along_axis(m, k[..., None], axis=-1)[..., 0]
        x0 = mk + np.sqrt(C[k]) * rng.standard_normal(y.shape)
        y = (s[t - 1] / s[t]) * y + c_coef(beta, a, s, t) * x0
    dev = y - phi[:, None]
    tot = dev.sum(axis=1)
    U = (tot * tot - (dev * dev).sum(axis=1)) / (M * (M - 1))
    L1 = np.abs(tot) / M
    sq, sq_se = mean_se(U)
    l1, l1_se = mean_se(L1)
    return dict(sq=sq, sq_se=sq_se, l1=l1, l1_se=l1_se, flow_err=ferr), tf


def ddim(x, beta, a, s, N):
    y = np.array(x, dtype=np.float64)
    for t in range(N, 1, -1):
        y = (s[t - 1] / s[t]) * y + c_coef(beta, a, s, t) * denoise(y, a[t], s[t])
    return y


def run_distill(N, P, rng):
    beta, a, s = paper_schedule(N, c0=2.0, c1=4.0)
    x = sample_qN(rng, P, a, s, N)
    tf = time.perf_counter()
    phi, ferr = flow_map(x, a, s, N)
    tf = time.perf_counter() - tf
    dev = ddim(x, beta, a, s, N) - phi
    sq, sq_se = mean_se(dev * dev)
    l1, l1_se = mean_se(np.abs(dev))
    return dict(sq=sq, sq_se=sq_se, l1=l1, l1_se=l1_se, flow_err=ferr), tf


def sphere_chain(d, K, N, P, M, rng, sigma=0.1):
    """The chain's sampling loop on a sphere mixture in d dims (K modes uniform on the sphere of
    radius sqrt(d), weights 1/K, width sigma^2 I), vectorised over all P x M chains: per step
    the log-weights by one matrix product (BLAS; ||y||^2 is common to all k and dropped), a
    categorical draw against the cumulative weights, a Gaussian draw of X_0 and the update.
    Timed alone (no flow map): the counterpart of the C engine's time minus its flow map.
    samples_per_s is per CPU second (time.process_time; numpy single-threaded), as in C."""
    beta, a, s = paper_schedule(N, c0=2.0, c1=4.0)
    mu = rng.standard_normal((K, d))
    mu *= np.sqrt(d) / np.linalg.norm(mu, axis=1, keepdims=True)
    mu2 = (mu * mu).sum(axis=1)
    logpi = np.full(K, -np.log(K))
    l = sigma * sigma
    k0 = rng.integers(0, K, P)
    x = a[N] * (mu[k0] + sigma * rng.standard_normal((P, d))) + s[N] * rng.standard_normal((P, d))
    t0, c0 = time.perf_counter(), time.process_time()
    y = np.repeat(x, M, axis=0)  # (P M, d)
    for t in range(N, 1, -1):
        at, st = a[t], s[t]
        v = at * at * l + st * st
        lw = logpi + (at * (y @ mu.T) - 0.5 * at * at * mu2) / v
        lw -= lw.max(axis=1, keepdims=True)
        w = np.exp(lw)
        cw = np.cumsum(w, axis=1)
        u = rng.random(y.shape[0]) * cw[:, -1]
        k = np.minimum((cw <= u[:, None]).sum(axis=1), K - 1)
        mk = mu[k]
        x0 = mk + (at * l / v) * (y - at * mk) + st * np.sqrt(l / v) * rng.standard_normal(y.shape)
        y = (s[t - 1] / s[t]) * y + c_coef(beta, a, s, t) * x0
    return time.perf_counter() - t0, time.process_time() - c0, float(np.abs(y).mean())


def main(argv):
    if len(argv) == 7 and argv[1] == "--sphere":
        d, K, N, P, M = (int(v) for v in argv[2:])
        rng = np.random.default_rng([1, 20240611])
        best, cpu = float("inf"), float("inf")
        for _ in range(3):  # best of 3, as bench_mixture
            sec, c, check = sphere_chain(d, K, N, P, M, rng)
            best, cpu = min(best, sec), min(cpu, c)
        print(json.dumps({"impl": "numpy", "engine": "chain", "target": "sphere",
                          "path": "numpy-vec", "d": d, "K": K, "N": N, "points": P,
                          "chains": M, "reps": 3, "seconds": best, "cpu_seconds": cpu,
                          "samples_per_s": P * M * (N - 1) / cpu, "mean_abs_y": check}),
              flush=True)
        return 0
    if len(argv) not in (1, 4, 5):
        sys.stderr.write("usage: ref_mixture.py [N POINTS CHAINS [SEED]]\n")
        return 2
    N, P, M = (200, 2000, 4) if len(argv) == 1 else (int(argv[1]), int(argv[2]), int(argv[3]))
    seed = int(argv[4]) if len(argv) == 5 else 1
    rng = np.random.default_rng([seed, 20240611])

    t0, c0 = time.perf_counter(), time.process_time()
    res, tf = run_chain(N, P, M, rng)
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"impl": "numpy", "engine": "chain", "N": N, "points": P, "chains": M,
                      "seconds": sec, "cpu_seconds": cpu, "seconds_flow": tf,
                      "samples_per_s": P * M * (N - 1) / sec, **res}), flush=True)

    t0, c0 = time.perf_counter(), time.process_time()
    res, tf = run_distill(N, P, rng)
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"impl": "numpy", "engine": "distill", "N": N, "points": P,
                      "seconds": sec, "cpu_seconds": cpu, "seconds_flow": tf,
                      "calls_per_s": P * (N - 1) / sec, **res}), flush=True)

    beta, a, s = paper_schedule(N, c0=2.0, c1=4.0)
    x = -3.0 + 0.5 * np.arange(13)
    phi, _ = flow_map(x, a, s, N)
    ivp = flow_solve_ivp(x, a, s, N)
    print(json.dumps({"impl": "numpy", "engine": "maps", "N": N, "x": x.tolist(),
                      "phi": phi.tolist(), "fN": ddim(x, beta, a, s, N).tolist(),
                      "solve_ivp_diff": float(np.max(np.abs(phi - ivp)))}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
