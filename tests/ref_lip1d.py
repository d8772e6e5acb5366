#!/usr/bin/python3
"""Reference check of the exact 1-D Lipschitz constant (theory.md §9, src/targets/lip_exact.c).

usage: /usr/bin/python3 ref_lip1d.py PATH/TO/lip1d_cli

For X_0 = 1/2 N(-1, sigma^2) + 1/2 N(1, sigma^2) on the paper schedule (c0 = 2, c1 = 4) the
flow map Phi = Phi_{N->1} is the monotone transport from q_N to q_1, Phi'(x) = q_N(x) /
q_1(Phi(x)). Independently of the C code (mpmath, mp.dps = 50): the schedule is recomputed from
its formula, x(y) = F_N^{-1}(F_1(y)) by bisection on the exact CDFs (mpmath.ncdf), and
sup_y q_N(x(y)) / q_1(y) is found by a grid over the modes and golden-section refinement.
The C value must agree to 1e-6 relative. Prints ok/FAIL lines; exits 1 on any failure.
"""
import subprocess
import sys

import mpmath
from mpmath import mp, mpf

mp.dps = 50
failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "FAIL - ") + what, flush=True)
    if not cond:
        failures += 1


def levels(N, c0, c1):
    """(a_1, s_1), (a_N, s_N) of the paper schedule: beta_1 = N^-c0, beta_{t+1} = r min(beta_1
    (1 + r)^t, 1), r = c1 log N / N."""
    N = mpf(N)
    r = c1 * mpmath.log(N) / N
    b1 = N ** (-c0)
    abar = 1 - b1
    first = (mpmath.sqrt(abar), mpmath.sqrt(b1))
    for t in range(1, int(N)):
        abar *= 1 - r * min(b1 * (1 + r) ** t, 1)
    return first, (mpmath.sqrt(abar), mpmath.sqrt(1 - abar))


def mixture(level, sigma, w=mpf(1) / 2, sigma2=None):
    """(1 - w) N(-1, sigma^2) + w N(1, sigma2^2) at the level (a, s)."""
    a, s = level
    sigma2 = sigma if sigma2 is None else sigma2
    comps = ((1 - w, -a, mpmath.sqrt(a * a * sigma * sigma + s * s)),
             (w, a, mpmath.sqrt(a * a * sigma2 * sigma2 + s * s)))
    pdf = lambda x: sum(p * mpmath.npdf(x, m, sd) for p, m, sd in comps)
    cdf = lambda x: sum(p * mpmath.ncdf(x, m, sd) for p, m, sd in comps)
    return pdf, cdf


def inverse(cdf, p, lo=mpf(-60), hi=mpf(60)):
    for _ in range(400):  # bisection to ~1e-118: far below mp.dps
        mid = (lo + hi) / 2
        if cdf(mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def sup_slope(N, sigma, w=mpf(1) / 2, sigma2=None):
    l1, lN = levels(N, 2, 4)
    p1, F1 = mixture(l1, sigma, w, sigma2)
    pN, FN = mixture(lN, sigma, w, sigma2)

    def h(y):
        return pN(inverse(FN, F1(y))) / p1(y)

    ys = [mpf(-1.3) + mpf(2.6) * i / 130 for i in range(131)]
    vals = [h(y) for y in ys]
    i = max(range(len(ys)), key=lambda j: vals[j])
    lo, hi = ys[max(i - 1, 0)], ys[min(i + 1, len(ys) - 1)]
    g = (mpmath.sqrt(5) - 1) / 2
    for _ in range(80):  # golden section on the bracketing cells
        c, d = hi - g * (hi - lo), lo + g * (hi - lo)
        if h(c) > h(d):
            hi = d
        else:
            lo = c
    return max(vals[i], h((lo + hi) / 2))


def main():
    if len(sys.argv) != 2:
        print("usage: ref_lip1d.py PATH/TO/lip1d_cli", file=sys.stderr)
        return 2
    for N, sigma, expect in ((100, 0.1, 3.2e20), (1000, 0.1, 5.2e20), (100, 0.2, 5.2e4),
                             (1000, 0.2, None)):
        out = subprocess.run([sys.argv[1], "1", repr(sigma), str(N), "2", "4"], check=True,
                             stdout=subprocess.PIPE, text=True).stdout.split()
        got, L = float(out[3]), float(out[5])
        ref = sup_slope(N, mpf(sigma))
        rel = abs(got / ref - 1)
        check(rel < 1e-6, "N = %d sigma = %g: sup Phi'_{N->1} = %.10g, mpmath %s, rel %.2e"
              % (N, sigma, got, mpmath.nstr(ref, 12), rel))
        check(L >= got * (1 - 1e-12), "N = %d sigma = %g: L over level pairs %.6g >= N->1 %.6g"
              % (N, sigma, L, got))
        if expect:
            check(abs(got / expect - 1) < 0.02, "N = %d sigma = %g: about %g" % (N, sigma, expect))
    # asymmetric: weight 0.8 on the +1 mode, widths 0.15 and 0.3: the sup is off x = 0
    out = subprocess.run([sys.argv[1], "1", "0.15", "200", "2", "4", "0.8", "0.3"], check=True,
                         stdout=subprocess.PIPE, text=True).stdout.split()
    got, L = float(out[3]), float(out[5])
    ref = sup_slope(200, mpf("0.15"), mpf("0.8"), mpf("0.3"))
    rel = abs(got / ref - 1)
    check(rel < 1e-6, "asymmetric (w 0.8, sigma 0.15/0.3, N = 200): sup Phi' = %.10g, mpmath %s, "
          "rel %.2e, y_at %s" % (got, mpmath.nstr(ref, 12), rel, out[13]))
    check(L >= got * (1 - 1e-12), "asymmetric: L over level pairs %.6g >= N->1 %.6g" % (L, got))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
