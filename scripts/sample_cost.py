#!/usr/bin/python3
"""The sample cost of learned consistency training (issue 15, point 3; docs/experiments.md).

From a result file with rows of an ideal engine (ct on Gaussians, grid on 1-D mixtures) and
learned rows over a grid of train_n (n), N and d
(experiments/learned_sample_cost.cfg), per (d, N):
  n*  = the samples per step from which on the learned W (mean over replicates) stays within
        FACTOR times the ideal W at every larger n of the grid, interpolated log-linearly in
        log(W / (FACTOR W_ideal)) between the last failing and the first holding n;
  N n* = the total samples (fresh data at every step),
with a 95% percentile interval from resampling the replicates (B times); censored points
(holding at the smallest n, or never) are shown and left out of the fit
  log(N n*) = a log N + b log d + c,
whose coefficients get the t-interval of the least squares and the bootstrap interval (the
fit repeated on each resample).

Files made before the learned affine fit was fixed (commit 879ee60: the samples route fitted
K^T instead of K, wrong at every d > 1) are refused (exit 2): --skip-pre-fix leaves them out with
a note, --allow-pre-fix uses them anyway (to compare). A file is known fixed when its rows have
the train_sampler column (added after the fix) or its version attribute (git describe) descends
from the fix in this checkout's history; otherwise it is used with a warning.

usage: sample_cost.py FILE.h5 [FILE.h5 ...] [--metric w1_hi_normal] [--factor 2] [--bootstrap 1000] [--ideal ct]
                      [--d-min D] [--figure DIR [--name NAME]] [--skip-pre-fix | --allow-pre-fix]
                      (DIR/NAME.{pdf,png}, NAME = sample_cost: N n* against N per d, with the fit)"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import ctrate_io as cio  # noqa: E402


def nstar(ns, w, target):
    """n* from the curve w(n) (ns ascending): (value, censoring) with censoring '' / '<=' / '>'."""
    ok = w <= target
    if ok.all():
        return ns[0], "<="
    if not ok[-1]:
        return ns[-1], ">"
    k = len(ns) - 1
    while k > 0 and ok[k - 1]:
        k -= 1
    y0, y1 = np.log(w[k - 1] / target), np.log(w[k] / target)  # y0 > 0 >= y1
    x0, x1 = np.log(ns[k - 1]), np.log(ns[k])
    return float(np.exp(x0 + (x1 - x0) * y0 / (y0 - y1))), ""


FIT_FIX = "879ee601dea47ef58ce1aff30723e8620bd4fc74"  # learned affine fit: K, not K^T (theory.md §13.7)


def fit_fix(version, repo):
    """Whether ctrate `version` (git describe --always --dirty --tags: HASH, TAG, TAG-K-gHASH, each
    maybe -dirty) contains FIT_FIX in the history of the git checkout `repo`: 'fixed', 'pre-fix',
    or 'unknown' (no git, or a version this history does not hold)."""
    v = re.sub(r"-dirty$", "", str(version or "").strip())
    m = re.search(r"-g([0-9a-f]{7,40})$", v)
    rev = m.group(1) if m else v
    if not re.fullmatch(r"[0-9A-Za-z._/+-]+", rev) or rev.startswith("-"):
        return "unknown"
    try:
        rc = subprocess.run(["git", "-C", repo, "merge-base", "--is-ancestor", FIT_FIX, rev + "^{commit}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    except OSError:
        return "unknown"
    return {0: "fixed", 1: "pre-fix"}.get(rc, "unknown")


def provenance(path, rows, repo):
    """'n/a' (no learned row with d > 1: the bug did not touch it), 'fixed', 'pre-fix' or
    'unknown' for one result file, from its train_sampler column (written only after the fix)
    or else its version attribute."""
    learned = (rows["engine"] == "learned") & (rows["d"] > 1)
    if not learned.any():
        return "n/a"
    if "train_sampler" in rows:
        return "fixed"
    return fit_fix(cio.attributes(path).get("version", ""), repo)


def fit(logN, logd, logy):
    """(a, b, c) and their t 95% half-widths; b = NaN when a single d leaves log d constant."""
    one_d = np.ptp(logd) == 0
    X = np.column_stack([logN, np.ones_like(logN)] if one_d else [logN, logd, np.ones_like(logN)])
    coef, *_ = np.linalg.lstsq(X, logy, rcond=None)
    dof = len(logy) - X.shape[1]
    half = np.full(X.shape[1], np.nan)
    if dof >= 1:
        from scipy import stats
        s2 = np.sum((logy - X @ coef) ** 2) / dof
        half = stats.t.ppf(0.975, dof) * np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))
    if one_d:
        coef, half = np.insert(coef, 1, np.nan), np.insert(half, 1, np.nan)
    return coef, half


def cells_from_rows(r, metric, ideal_engine):
    """(ideal, cells) from row columns: ideal[(d, N)] = W; cells[(d, N)][n][replicate] = (W, eps)."""
    good = (r["status"] == 0) & np.isfinite(r[metric])
    ideal, cells = {}, {}
    for i in np.flatnonzero(good):
        key = (int(r["d"][i]), int(r["N"][i]))
        if r["engine"][i] == ideal_engine:
            ideal[key] = float(r[metric][i])
        elif r["engine"][i] == "learned":
            cells.setdefault(key, {}).setdefault(int(r["train_n"][i]), {})[int(r["replicate"][i])] = (
                float(r[metric][i]), float(r["eps_learned"][i]))
    return ideal, cells


def analyse(ideal, cells, factor, bootstrap, seed=1):
    """Per (d, N): n* with its bootstrap interval, then the fit of log(N n*) on log N, log d.
    Returns (rows, fit) with fit = None below 3 uncensored cells, else
    dict(coef, half (t 95% half-widths), boot (coefficients per resample), npts)."""
    keys = sorted(k for k in cells if k in ideal)
    rng = np.random.default_rng(seed)
    rows, pts, boots = [], [], []
    for key in keys:
        d, N = key
        ns = np.array(sorted(cells[key]))
        reps = sorted(set.intersection(*(set(cells[key][n]) for n in ns)))
        W = np.array([[cells[key][n][q][0] for q in reps] for n in ns])  # n x replicate
        E = np.array([[cells[key][n][q][1] for q in reps] for n in ns])
        target = factor * ideal[key]
        v, cens = nstar(ns, W.mean(axis=1), target)
        b = []
        for _ in range(bootstrap if len(reps) > 1 else 0):
            pick = rng.integers(0, len(reps), len(reps))
            bv, bc = nstar(ns, W[:, pick].mean(axis=1), target)
            b.append(bv if not bc else np.nan)
        b = np.array(b)
        lo, hi = (np.nanpercentile(b, [2.5, 97.5]) if np.isfinite(b).sum() >= 20 else (np.nan, np.nan))
        k = int(np.searchsorted(ns, v)) if not cens else (0 if cens == "<=" else len(ns) - 1)
        k = min(k, len(ns) - 1)
        rows.append(dict(d=d, N=N, ideal=ideal[key], v=v, cens=cens, lo=lo, hi=hi, n_grid=int(ns[k]),
                         W_grid=float(W[k].mean()), eps_grid=float(E[k].mean())))
        if not cens:
            pts.append((N, d, v))
            boots.append(b)
    if len(pts) < 3:
        return rows, None
    P = np.array(pts, dtype=float)
    coef, half = fit(np.log(P[:, 0]), np.log(P[:, 1]), np.log(P[:, 0] * P[:, 2]))
    B = np.array(boots)  # points x resamples
    bc = []
    for j in range(B.shape[1]):
        ok = np.isfinite(B[:, j])
        if ok.sum() >= 3 and len(set(P[ok, 0])) > 1 and len(set(P[ok, 1])) == len(set(P[:, 1])):
            bc.append(fit(np.log(P[ok, 0]), np.log(P[ok, 1]), np.log(P[ok, 0] * B[ok, j]))[0])
    return rows, dict(coef=coef, half=half, boot=np.array(bc), npts=len(pts))


def write_dat(path, rows, res, factor, metric):
    """The figure's data: one block per d (N ascending), N n* with its interval and the fit."""
    c = res["coef"] if res else np.full(3, np.nan)
    with open(path, "w") as f:
        f.write(f"# sample_cost: total samples N n* for the learned {metric} to stay within {factor:g} x ideal\n"
                f"# fit: log(N n*) = {c[0]:.6g} log N + {c[1]:.6g} log d + {c[2]:.6g} (NaN: no fit)\n"
                "# columns: N Nn Nn_lo Nn_hi censored (0: n* found; 1: within the factor at the smallest n,"
                " Nn an upper bound; 2: never, Nn a lower bound) d fit (the fitted N n*)\n")
        ds = sorted({r["d"] for r in rows})
        for j, d in enumerate(ds):
            if j:
                f.write("\n\n")
            f.write(f"# d = {d}\n")
            for r in sorted((r for r in rows if r["d"] == d), key=lambda r: r["N"]):
                N = r["N"]
                fitv = np.exp(c[0] * np.log(N) + (0 if np.isnan(c[1]) else c[1] * np.log(d)) + c[2])
                cens = {"": 0, "<=": 1, ">": 2}[r["cens"]]
                f.write(f"{N} {N * r['v']:.10g} {N * r['lo']:.10g} {N * r['hi']:.10g} {cens} {d} {fitv:.10g}\n")
    return ds


def draw(outdir, rows, res, factor, metric, files, name="sample_cost"):
    """outdir/NAME.{pdf,png} with gnuplot and paper_figures/sample_cost.gp (style.gp), its
    numbers in outdir/data/NAME.dat."""
    import subprocess
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "paper_figures")
    os.makedirs(os.path.join(outdir, "data"), exist_ok=True)
    ds = write_dat(os.path.join(outdir, "data", name + ".dat"), rows, res, factor, metric)
    keys = "|".join(f"d = {d}" for d in ds)
    fitkey = ("fit: N n* = %.3g N^{%.2f}" % (np.exp(res["coef"][2]), res["coef"][0])
              + ("" if np.isnan(res["coef"][1]) else " d^{%.2f}" % res["coef"][1])) if res else ""  # one d: no d term
    # gnuplot enhanced text: '_' would subscript, '~' overprint
    names = [os.path.basename(f) for f in files]
    src = ", ".join(names)
    if len(src) > 80:  # the caption's second line: share the common stem (a.h5, a_d.h5 -> a[, d].h5;
        # brackets, since gnuplot's enhanced text takes braces for grouping)
        stems = [n[:-3] if n.endswith(".h5") else n for n in names]
        stem = os.path.commonprefix(stems)
        src = stem + "[" + ", ".join(t[len(stem):].lstrip("_") for t in stems) + "].h5"
    cap = (f"learned CT vs ideal; n*: learned {metric.replace('_', ' ')} <= {factor:g} x ideal from n* on|"
           + src.replace("_", " "))
    q = lambda v: v.replace("\\", "\\\\").replace("'", "")
    cmd = (f"datafile='data/{q(name)}.dat'; outbase='{q(name)}'; formats='pdf png'; scriptdir='{q(here)}'; "
           f"keys_e='{q(keys)}'; fitkey='{q(fitkey)}'; caption_e='{q(cap)}'; nblocks={len(ds)}")
    subprocess.run(["gnuplot", "-e", cmd, os.path.join(here, "sample_cost.gp")], cwd=outdir, check=True)
    return os.path.join(outdir, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", nargs="+", help="result files (rows pooled: e.g. a grid run and a learned run)")
    ap.add_argument("--metric", default="w1_hi_normal")
    ap.add_argument("--factor", type=float, default=2.0)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--ideal", default="ct", help="the ideal engine (ct; grid for 1-D mixtures)")
    ap.add_argument("--d-min", type=int, default=0, help="only the cells with d >= this (e.g. the large-d regime)")
    ap.add_argument("--figure", metavar="DIR", help="also draw DIR/NAME.{pdf,png} (gnuplot), "
                    "its numbers in DIR/data/NAME.dat")
    ap.add_argument("--name", default="sample_cost", help="the figure's base name NAME (sample_cost)")
    old = ap.add_mutually_exclusive_group()
    old.add_argument("--skip-pre-fix", action="store_true",
                     help="leave out files made before the learned fit fix (commit 879ee60), with a note")
    old.add_argument("--allow-pre-fix", action="store_true", help="use such files anyway (to compare)")
    a = ap.parse_args()
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", a.name):
        print(f"sample_cost.py: --name {a.name!r}: letters, digits, '_', '.', '-' only", file=sys.stderr)
        return 2
    repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    files, parts = [], []
    for f in a.file:
        p = cio.read_rows(f)
        prov = provenance(f, p, repo)
        if prov == "pre-fix" and not a.allow_pre_fix:
            why = (f"{f}: made by ctrate {cio.attributes(f).get('version')}, before the learned affine fit "
                   f"fix (commit {FIT_FIX[:7]}: the samples route fitted K^T at d > 1); rerun its spec")
            if not a.skip_pre_fix:
                print(f"sample_cost.py: {why} (or --skip-pre-fix, --allow-pre-fix)", file=sys.stderr)
                return 2
            print(f"sample_cost.py: left out: {why}", file=sys.stderr)
            continue
        if prov == "unknown":
            print(f"sample_cost.py: warning: {f}: cannot tell whether ctrate {cio.attributes(f).get('version')} "
                  f"has the learned fit fix (commit {FIT_FIX[:7]}; no git history here); used", file=sys.stderr)
        files.append(f)
        parts.append(p)
    if not parts:
        print("sample_cost.py: every file was left out (made before the fit fix)", file=sys.stderr)
        return 2
    a.file = files
    cols = ["status", "d", "N", "engine", "train_n", "replicate", "eps_learned", a.metric]
    r = {c: np.concatenate([p[c] for p in parts]) for c in cols}
    ideal, cells = cells_from_rows(r, a.metric, a.ideal)
    cells = {k: v for k, v in cells.items() if k[0] >= a.d_min}
    if not any(k in ideal for k in cells):
        sys.exit(f"sample_cost.py: {' '.join(a.file)} has no (d, N) with both {a.ideal} and learned rows")
    rows, res = analyse(ideal, cells, a.factor, a.bootstrap)
    print(f"# Sample cost: learned {a.metric} <= {a.factor:g} x ideal ({a.ideal}), {' '.join(a.file)}\n")
    print("| d | N | W ideal | n* (95% bootstrap) | N n* | W learned at n* grid | eps at n* grid |")
    print("|---|---|---|---|---|---|---|")
    for q in rows:
        c = q["cens"]
        print(f"| {q['d']} | {q['N']} | {q['ideal']:.4g} | {c}{q['v']:.4g} [{q['lo']:.3g}, {q['hi']:.3g}] | "
              f"{c}{q['N'] * q['v']:.4g} | {q['W_grid']:.4g} (n={q['n_grid']}) | {q['eps_grid']:.4g} |")
    if a.figure:
        print(f"\nfigure: {draw(a.figure, rows, res, a.factor, a.metric, a.file, a.name)} (pdf, png)", file=sys.stderr)
    if res is None:
        print("\nfit: fewer than 3 uncensored (d, N); nothing fitted")
        return 0
    coef, half, bc = res["coef"], res["half"], res["boot"]
    print(f"\nFit over {res['npts']} uncensored (d, N): log(N n*) = a log N + b log d + c")
    for i, name in enumerate(["a (N)", "b (d)", "c"]):
        if np.isnan(coef[i]):
            print(f"  {name}: n/a (one d)")
            continue
        boot = (f", bootstrap [{np.percentile(bc[:, i], 2.5):+.3f}, {np.percentile(bc[:, i], 97.5):+.3f}]"
                if len(bc) >= 20 else "")
        print(f"  {name}: {coef[i]:+.3f}, t 95% [{coef[i] - half[i]:+.3f}, {coef[i] + half[i]:+.3f}]{boot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
