#!/usr/bin/python3
"""The feature-class fit (engines/learned_features.c) against numpy: the ridge least squares
of step 2 on the same training pairs, solved independently by numpy.linalg.lstsq (SVD) on the
augmented design [H; sqrt(n ridge) D] (D: identity without the intercept row). The fitted maps
are compared on 201 points over the bulk of q_2 (coefficients may differ along nearly null
directions of the design; the least-squares fit itself may not).

usage: ref_lfeat.py path/to/lfeat_cli"""
import subprocess
import sys

import numpy as np

# kind, M, n, ridge, tolerance on max |f_C - f_numpy| over the grid (units of x). Without a
# ridge the random Fourier design is nearly collinear (cond(H) = 2.5e5 here): its normal
# equations (cond^2 = 6e10) leave 1e-6 along the nearly null direction, which changes the objective
# by 1e-13 relative; the RMS gap on the training points (the least-squares fit proper) is
# checked to 1e-6 in every case.
CASES = [
    ("rbf", 8, 3000, 0.0, 1e-8),
    ("rff", 6, 3000, 0.0, 1e-5),
    ("rff", 30, 5000, 1e-3, 1e-9),
    ("rbf", 30, 5000, 1e-5, 1e-8),
]


# d = 2 (engines/learned_features2.c): one design, two right-hand sides; the same tolerances
# on the map (both outputs) over a 41 x 41 grid of the training box.
CASES2 = [
    ("rbf", 16, 3000, 0.0, 1e-8),
    ("rff", 8, 3000, 0.0, 1e-5),
    ("rff", 30, 5000, 1e-3, 1e-9),
    ("rbf", 36, 5000, 1e-5, 1e-8),
]


def features(kind, u, a, b, w):
    if kind == "rff":
        return np.sqrt(2.0) * np.cos(np.outer(u, a) + b)
    return np.exp(-0.5 * ((u[:, None] - a[None, :]) / w) ** 2)


def main():
    cli = sys.argv[1]
    fails = 0
    for kind, M, n, ridge, tol in CASES:
        out = subprocess.run([cli, kind, str(M), str(n), repr(ridge), "7"], check=True,
                             capture_output=True, text=True).stdout.split("\n")
        head = out[0].split()
        m, sd, w = float(head[2]), float(head[3]), float(head[4])
        ab = np.array([[float(v) for v in line.split()] for line in out[1:1 + M]])
        coef = np.array([float(v) for v in out[1 + M:3 + 2 * M]])
        xy = np.array([[float(v) for v in line.split()] for line in out[3 + 2 * M:3 + 2 * M + n]])
        x, y = xy[:, 0], xy[:, 1]

        def design(xs):
            u = (xs - m) / sd
            return np.column_stack([np.ones_like(u), u, features(kind, u, ab[:, 0], ab[:, 1], w)])

        H = design(x) / np.sqrt(n)
        rhs = y / np.sqrt(n)
        if ridge > 0:
            P = np.sqrt(ridge) * np.eye(M + 2)[1:]
            H, rhs = np.vstack([H, P]), np.concatenate([rhs, np.zeros(M + 1)])
        theta, *_ = np.linalg.lstsq(H, rhs, rcond=None)
        grid = np.linspace(x.min(), x.max(), 201)
        fc, fn = design(grid) @ coef, design(grid) @ theta
        gap = np.max(np.abs(fc - fn))
        rms = np.sqrt(np.mean((design(x) @ (coef - theta)) ** 2))
        loss = lambda c: np.mean((design(x) @ c - y) ** 2) + ridge * np.sum(c[1:] ** 2)
        ok = gap <= tol and rms <= 1e-6 and loss(coef) <= loss(theta) * (1 + 1e-9)
        fails += not ok
        print(f"{'ok' if ok else 'FAIL'} - {kind} M={M} n={n} ridge={ridge}: max |f_C - f_numpy| = "
              f"{gap:.3g} (tol {tol:g}), RMS on the data {rms:.3g}; objective C {loss(coef):.15g}, numpy {loss(theta):.15g}")
    for kind, M, n, ridge, tol in CASES2:
        out = subprocess.run([cli, kind, str(M), str(n), repr(ridge), "7", "2"], check=True,
                             capture_output=True, text=True).stdout.split("\n")
        head = [float(v) for v in out[0].split()[2:]]
        m, Li, w = np.array(head[0:2]), np.array([[head[2], 0.0], [head[3], head[4]]]), head[5]
        ab = np.array([[float(v) for v in line.split()] for line in out[1:1 + M]])
        coef = np.array([[float(v) for v in line.split()] for line in out[1 + M:4 + 2 * M]])
        xy = np.array([[float(v) for v in line.split()] for line in out[4 + 2 * M:4 + 2 * M + n]])
        x, y = xy[:, 0:2], xy[:, 2:4]

        def design2(xs):
            u = (xs - m) @ Li.T
            if kind == "rff":
                F = np.sqrt(2.0) * np.cos(u @ ab[:, 0:2].T + ab[:, 2])
            else:
                F = np.exp(-0.5 * ((u[:, None, :] - ab[None, :, 0:2]) ** 2).sum(axis=2) / w ** 2)
            return np.column_stack([np.ones(len(u)), u, F])

        H, rhs = design2(x) / np.sqrt(n), y / np.sqrt(n)
        if ridge > 0:
            P = np.sqrt(ridge) * np.eye(M + 3)[1:]
            H, rhs = np.vstack([H, P]), np.vstack([rhs, np.zeros((M + 2, 2))])
        theta, *_ = np.linalg.lstsq(H, rhs, rcond=None)
        g0, g1 = np.meshgrid(np.linspace(x[:, 0].min(), x[:, 0].max(), 41), np.linspace(x[:, 1].min(), x[:, 1].max(), 41))
        grid = np.column_stack([g0.ravel(), g1.ravel()])
        gap = np.max(np.abs(design2(grid) @ (coef - theta)))
        rms = np.sqrt(np.mean((design2(x) @ (coef - theta)) ** 2))
        loss = lambda c: np.mean(np.sum((design2(x) @ c - y) ** 2, axis=1)) + ridge * np.sum(c[1:] ** 2)
        ok = gap <= tol and rms <= 1e-6 and loss(coef) <= loss(theta) * (1 + 1e-9)
        fails += not ok
        print(f"{'ok' if ok else 'FAIL'} - d = 2 {kind} M={M} n={n} ridge={ridge}: max |f_C - f_numpy| = "
              f"{gap:.3g} (tol {tol:g}), RMS on the data {rms:.3g}; objective C {loss(coef):.15g}, numpy {loss(theta):.15g}")
    print(f"# {len(CASES) + len(CASES2) - fails} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
