#!/usr/bin/env python3
"""atlas.py [--ctrate BIN] [--out docs/atlas.md] [--fig-dir DIR] [--spec-note TEXT] RESULT.h5...:
the exponent atlas (issue 14 point 4, docs/atlas.md) from result files of the atlas specs
(experiments/atlas*.cfg).

Reuses ctrate's own analysis instead of recomputing it: for every file it runs
`ctrate fit FILE -q --bootstrap 0` (which writes /analysis into the file) and
`ctrate plot FILE -o DIR -F png -f rate_curve,w_vs_d,local_slope` (figures), then reads /analysis
for, per family (the fit's family: every parameter but d, N, eps):
  * the exponent of N: the local slope of log W between the two largest N, per d (beside the
    bound's secant there), from /analysis/curves;
  * the exponent of d at the largest N, raw and relative to the data scale, with its interval
    (kind as the fit labels it), from /analysis/d_exponents;
  * where the bound's shape C L^3 d^(5/2) ln^5 N / N is below the data scale (useful_from) and the
    empirical constant's trend C(N), from /analysis/groups and /analysis/constants.
The one quantity ctrate fit does not compute is the L exponent (issue 14 point 3), computed here
from the same /analysis/curves and the rows' exact L (log10_lipschitz): across the groups that
differ only in the L-driving parameter (sigma), the slope of log W on log L at each fixed N, and
the multiple regression log N* = a log L + b log(1/eps) + c, N*(L, eps) the N at which the
error-free mean W falls to eps (log-log interpolation between the two N around the crossing;
with an injected error of size eps, W ~ W_ideal + eps, this is the 2 eps crossing of §8.3).
All values are deterministic (exact engines, one replicate), so every interval is a curvature
band: the 95% t-interval of the least-squares slope, which measures departure from a power law,
not sampling error. Reads HDF5 with h5py only (/usr/bin/python3)."""
import argparse
import math
import os
import re
import subprocess
import sys

import h5py
import numpy as np
from scipy import stats


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def table(a, name):
    return {k: a[name][k][:] for k in a[name].keys()} if name in a else None


def secant(n1, n2):
    l1, l2 = math.log(n1), math.log(n2)
    return -1 + 5 * (math.log(l2) - math.log(l1)) / (l2 - l1)


def band(lo, hi):
    return f"[{lo:+.3f}, {hi:+.3f}] curvature band" if np.isfinite(lo) and np.isfinite(hi) else "n/a"


def ols(X, y):
    """Least squares y = X b; returns b and the half-widths of the 95% t-intervals (NaN when no
    degrees of freedom are left)."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    dof = len(y) - X.shape[1]
    if dof <= 0:
        return b, np.full(len(b), math.nan)
    res = y - X @ b
    s2 = res @ res / dof
    cov = s2 * np.linalg.pinv(X.T @ X)
    return b, stats.t.ppf(0.975, dof) * np.sqrt(np.diag(cov))


def label_key(label, drop):
    """The group label without the tokens key=... for the keys in drop."""
    return " ".join(t for t in label.split() if t.split("=")[0] not in drop)


def token(label, key):
    m = re.search(r"(?:^| )" + re.escape(key) + r"=(\S+)", label)
    return m.group(1) if m else None


def group_L(points, label):
    """log10 L of the rows of a group (same target, engine, d, sigma), from /points."""
    d, sig = token(label, "d"), token(label, "sigma")
    tgt, eng = label.split()[0], None
    for e in ("grid", "radial", "product", "chain", "distill", "ct", "cd", "learned"):
        if f" {e} " in f" {label} ":
            eng = e
    sel = np.ones(len(points["d"]), bool)
    sel &= np.array([text(t) == tgt for t in points["target"]])
    if eng:
        sel &= np.array([text(t) == eng for t in points["engine"]])
    if d is not None:
        sel &= points["d"] == int(d)
    if sig is not None:
        sel &= np.isclose(points["sigma"], float(sig), rtol=1e-9)
    v, Ns = points["log10_lipschitz"][sel], points["N"][sel]
    ok = np.isfinite(v)
    if not ok.any():
        return {}, ""
    # L depends on N (the pair N -> 1): one value per N (replicates share it)
    return ({float(n): float(x) for n, x in zip(Ns[ok], v[ok])},
            text(points["lipschitz_kind"][sel][0]))


def l_exponents(a, points):
    """Per L-family (the groups equal but for sigma): the slope of log W on log L at each N, and
    the N*(L, eps) regression."""
    g, c = table(a, "groups"), table(a, "curves")
    labels = [text(x) for x in g["label"]]
    out = []
    fams = {}
    for i, lab in enumerate(labels):
        if g["eps"][i] != 0 or g["skipped"][i]:
            continue
        fams.setdefault(label_key(lab, {"sigma"}), []).append(i)
    for fam, idx in fams.items():
        LN = {i: group_L(points, labels[i]) for i in idx}
        idx = [i for i in idx if LN[i][0]]
        if not idx:
            continue
        curves = {i: (c["N"][c["group"] == i], c["mean"][c["group"] == i]) for i in idx}
        Ns = sorted(set.intersection(*[set(curves[i][0].tolist()) & set(LN[i][0]) for i in idx]))
        if not Ns:
            continue
        # the N* regression and the table use L at the largest common N
        Ls = {i: (LN[i][0][Ns[-1]], LN[i][1]) for i in idx}
        if len({round(Ls[i][0], 9) for i in idx}) < 3:
            continue
        per_N = []
        for N in Ns:
            x = [LN[i][0][N] * math.log(10) for i in idx]
            y = [math.log(curves[i][1][curves[i][0] == N][0]) for i in idx]
            b, h = ols(np.column_stack([x, np.ones(len(x))]), y)
            per_N.append((N, b[0], b[0] - h[0], b[0] + h[0]))
        # N*(L, eps): crossings of the error-free curves with eps levels over the common range
        allW = np.concatenate([curves[i][1] for i in idx])
        eps_levels = np.geomspace(np.min(allW), np.max(allW), 8)[1:-1]
        pts = []
        for i in idx:
            N, W = curves[i]
            for e in eps_levels:
                k = np.nonzero((W[:-1] > e) & (W[1:] <= e))[0]
                if len(k):
                    k = k[0]
                    t = (math.log(e) - math.log(W[k])) / (math.log(W[k + 1]) - math.log(W[k]))
                    ns = math.exp(math.log(N[k]) + t * (math.log(N[k + 1]) - math.log(N[k])))
                    pts.append((Ls[i][0] * math.log(10), math.log(1 / e), math.log(ns), ns))
        nst = None
        if len(pts) >= 5 and len({p[0] for p in pts}) >= 2:
            P = np.array(pts)
            b, h = ols(np.column_stack([P[:, 0], P[:, 1], np.ones(len(P))]), P[:, 2])
            nst = (len(P), b, h, P[:, 3].min(), P[:, 3].max())
        Lr = (min(Ls[i][0] for i in idx), max(Ls[i][0] for i in idx))
        sig = sorted(float(token(labels[i], "sigma")) for i in idx if token(labels[i], "sigma"))
        out.append((fam, Lr, sig, Ls[idx[0]][1], per_N, nst))
    return out


def family_rows(a):
    """Per fit family: last local slope per d, d exponents, useful_from, C trend."""
    g, c = table(a, "groups"), table(a, "curves")
    e, k = table(a, "d_exponents"), table(a, "constants")
    fams = {}
    for i in range(len(g["label"])):
        if g["eps"][i] != 0 or g["skipped"][i]:
            continue
        fams.setdefault(text(g["family"][i]), []).append(i)
    res = []
    for fam, idx in fams.items():
        r = {"family": fam, "local": [], "useful": []}
        for i in sorted(idx, key=lambda j: g["d"][j]):
            sel = c["group"] == i
            N, ls, bl = c["N"][sel], c["local_slope"][sel], c["bound_local_slope"][sel]
            fin = np.nonzero(np.isfinite(ls))[0]
            if len(fin):
                j = fin[-1]
                # row j of /analysis/curves holds the slope between N[j] and N[j + 1]
                r["local"].append((int(g["d"][i]), N[j], N[j + 1], ls[j], bl[j]))
            r["useful"].append((int(g["d"][i]), g["useful_from"][i]))
        if e is not None:
            ef = [text(x) for x in e["family"]]
            cand = [j for j, x in enumerate(ef) if x == fam or x == fam + " eps=0" or x.startswith(fam)]
            if cand:
                j = max(cand, key=lambda q: e["N"][q])
                r["d_exp"] = {q: e[q][j] for q in e if q != "family"}
        if k is not None:
            kf = [text(x) for x in k["family"]]
            if fam in kf:
                j = kf.index(fam)
                r["C"] = {q: k[q][j] for q in k if q != "family"}
        res.append(r)
    return res


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        sys.stderr.write(f"atlas.py: {' '.join(cmd)} failed ({p.returncode}): {p.stderr[-400:]}\n")
    return p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--ctrate", default="build/ctrate")
    ap.add_argument("--out", default="docs/atlas.md")
    ap.add_argument("--fig-dir", default="docs/atlas")
    ap.add_argument("--note", default="", help="how the files were produced (one paragraph)")
    ap.add_argument("--no-fit", action="store_true", help="use the files' existing /analysis")
    o = ap.parse_args()
    md = ["# The exponent atlas", "",
          "Generated by `scripts/atlas.py` from the result files below (do not edit by hand; "
          "rerun it). Per family: the exponent of N (local slope between the two largest N, "
          "beside the bound's secant), of d at the largest N (raw and relative to the data "
          "scale), of L (slope of log W on log L at fixed N across the widths, and "
          "log N* on log L and log(1/eps)), of eps (the same N* regression), where the bound's "
          "shape with the fitted C is below the data scale, and the trend of the empirical "
          "constant C(N). Every engine here is exact (no Monte Carlo noise), so every interval "
          "is a curvature band (95% t-interval of a least-squares slope through deterministic "
          "values: departure from a power law, not sampling error). Theory: docs/theory.md "
          "§8, §9.8-§9.15.", ""]
    if o.note:
        md += [o.note, ""]
    for path in o.files:
        name = os.path.basename(path).removesuffix(".h5")
        if not o.no_fit:
            run([o.ctrate, "fit", path, "-q", "--bootstrap", "0"])
        figdir = os.path.join(o.fig_dir, name)
        run([o.ctrate, "plot", path, "-o", figdir, "-F", "png", "-f", "rate_curve,w_vs_d,local_slope"])
        with h5py.File(path, "r") as f:
            if "analysis" not in f:
                md += [f"## {name}", "", "no /analysis (ctrate fit failed)", ""]
                continue
            a = f["analysis"]
            pts = {q: f["points"][q][:] for q in f["points"].dtype.names} if isinstance(
                f["points"], h5py.Dataset) else {q: f["points"][q][:] for q in f["points"].keys()}
            spec = text(f.attrs.get("spec", "")) if "spec" in f.attrs else ""
            md += [f"## {name}", "", f"File `{path}`; W = `{text(a.attrs.get('metric', '?'))}` "
                   f"({text(a.attrs.get('metric_what', ''))}, input {text(a.attrs.get('input', '?'))}); "
                   f"ctrate {text(a.attrs.get('version', '?'))}.", ""]
            if spec:
                md += ["Spec stored in the file:", "", "```", spec.strip(), "```", ""]
            md += ["| family | exponent of N (local slope at the largest N, per d; bound's secant) | "
                   "exponent of d at the largest N (raw; data scale's; relative) | "
                   "bound below the data scale from N (per d) | C(N) trend per log N |",
                   "|---|---|---|---|---|"]
            for r in family_rows(a):
                loc = "; ".join(f"d={d}: {s:+.3f} (N {n1:.3g}-{n2:.3g}; {b:+.3f})"
                                for d, n1, n2, s, b in r["local"])
                if "d_exp" in r and int(r["d_exp"]["n_d"]) >= 2:
                    de = r["d_exp"]
                    dtx = (f"{de['exponent']:+.3f} {band(de['lo'], de['hi'])}; "
                           f"{de['scale_exponent']:+.3f}; {de['rel_exponent']:+.3f} "
                           f"{band(de['rel_lo'], de['rel_hi'])} (N = {de['N']:.3g}, {int(de['n_d'])} d)")
                else:
                    dtx = "n/a (one d)"
                use = "; ".join(f"d={d}: {u:.3g}" if np.isfinite(u) else f"d={d}: never"
                                for d, u in r["useful"])
                if "C" in r and np.isfinite(r["C"]["trend"]):
                    C = r["C"]
                    ctx = f"{C['trend']:+.3f} {band(C['trend_lo'], C['trend_hi'])} (C = {C['C']:.3g})"
                else:
                    ctx = "n/a"
                md.append(f"| {r['family']} | {loc} | {dtx} | {use} | {ctx} |")
            md.append("")
            le = l_exponents(a, pts)
            if le:
                md += ["Exponent of L (exact L, `lipschitz_kind` below; the bound: W ~ L^3 at "
                       "fixed N, N* ~ L^3 eps^-1 up to logs, §9.8):", "",
                       "| L-family (every width) | widths | log10 L (largest N) | L kind | slope of log W on log L "
                       "(largest N; range over N) | N* ~ L^a eps^-b: a | b | crossings, N* range |",
                       "|---|---|---|---|---|---|---|---|"]
                for fam, Lr, sig, kind, per_N, nst in le:
                    Nl, s, lo, hi = per_N[-1]
                    rng = f"{min(p[1] for p in per_N):+.3f} .. {max(p[1] for p in per_N):+.3f}"
                    if nst:
                        n, b, h, n0, n1 = nst
                        atx = f"{b[0]:+.3f} {band(b[0] - h[0], b[0] + h[0])}"
                        btx = f"{b[1]:+.3f} {band(b[1] - h[1], b[1] + h[1])}"
                        ctx = f"{n}, {n0:.3g}..{n1:.3g}"
                    else:
                        atx = btx = "n/a"
                        ctx = "too few crossings"
                    md.append(f"| {fam} | {', '.join(f'{x:g}' for x in sig)} | {Lr[0]:.3g}..{Lr[1]:.3g} "
                              f"| {kind} | {s:+.3f} {band(lo, hi)} at N = {Nl:.3g}; {rng} | {atx} | {btx} | {ctx} |")
                md.append("")
            figs = [fn for fn in ("rate_curve", "w_vs_d", "local_slope")
                    if os.path.exists(os.path.join(figdir, fn + ".png"))]
            rel = os.path.relpath(figdir, os.path.dirname(os.path.abspath(o.out)) or ".")
            for fn in figs:
                md += [f"![{name}: {fn}]({rel}/{fn}.png)", ""]
    with open(o.out, "w") as fo:
        fo.write("\n".join(md) + "\n")
    print(f"atlas.py: wrote {o.out}")


if __name__ == "__main__":
    main()
