#!/usr/bin/env python3
"""exponents_table.py [--compact] RESULT.h5...: the fitted exponents of each result's /analysis
(written by `ctrate fit`) beside the bound's, as one markdown table with the input and metric of
every row and the kind of every interval (a CI 95% where there is sampling error, a curvature
band for deterministic values: the t-interval of a least-squares slope, which measures the
departure from a straight line). --compact keeps only the first file's rows (the main job; the README's verdict, which
links to the full table).
Used by scripts/paper-figures.sh for the marked blocks of README.md (--compact) and
docs/findings.md and the end of paper_figures/README.md; reads the files with h5py only."""
import math
import sys

import h5py
import numpy as np


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def table(a, name):
    if name not in a:
        return None
    g = a[name]
    return {k: g[k][:] for k in g.keys()}


def secant(n1, n2):
    l1, l2 = math.log(n1), math.log(n2)
    return -1 + 5 * (math.log(l2) - math.log(l1)) / (l2 - l1)


KIND = {"ci95": "CI 95%", "curvature": "curvature band"}


def ci(lo, hi, kind=None):
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "n/a"
    k = KIND.get(kind, "t 95% (kind not recorded)") if kind is not None else "t 95%"
    return f"[{lo:+.3f}, {hi:+.3f}] {k}"


def metric_of(a):
    """(input, metric) of the file's /analysis, from its attributes (older files: the name)."""
    m = text(a.attrs.get("metric", "?"))
    what = text(a.attrs.get("metric_what", m))
    inp = text(a.attrs.get("input", ""))
    if not inp:
        inp = "N(0, I)" if m.endswith("_normal") else "q_N" if m.endswith("_qN") else "?"
    return inp, f"{what} (`{m}`)"


def slopes(name, io, g, c):
    out = []
    fams = [text(x) for x in g["family"]]
    kinds = [text(x) for x in g["interval"]] if "interval" in g else [None] * len(fams)
    for fam in dict.fromkeys(fams):
        idx = [i for i, x in enumerate(fams) if x == fam and g["eps"][i] == 0 and not g["skipped"][i]]
        if not idx:
            continue
        sl = g["slope"][idx]
        widths = (g["slope_hi"][idx] - g["slope_lo"][idx]) / 2
        half = widths[np.isfinite(widths)].max() if np.isfinite(widths).any() else math.nan
        kind = {kinds[i] for i in idx}
        ktxt = " / ".join(KIND.get(k, "t 95% (kind not recorded)") for k in sorted(kind, key=str))
        Ns = c["N"][np.isin(c["group"], idx)]
        ds = sorted({int(g["d"][i]) for i in idx})
        dtxt = f"d = {ds[0]}" if len(ds) == 1 else f"d = {ds[0]}..{ds[-1]}"
        meas = f"{sl.min():+.3f}" if len(idx) == 1 else f"{sl.min():+.3f} .. {sl.max():+.3f}"
        out.append((name, *io, f"slope of log W on log N, {fam}, {dtxt}, N = {Ns.min():.3g}..{Ns.max():.3g}",
                    meas, f"± {half:.3f} ({ktxt}, widest)" if np.isfinite(half) else "n/a",
                    f"{secant(Ns.min(), Ns.max()):+.3f} (secant of ln^5 N / N)"))
    return out


def d_exponents(name, io, e):
    out = []
    efam = [text(x) for x in e["family"]]
    for fam in dict.fromkeys(efam):
        if not ("eps=0 " in fam + " " or fam.endswith("eps=0")):
            continue
        k = max((i for i, x in enumerate(efam) if x == fam), key=lambda i: e["N"][i])
        kind = text(e["interval"][k]) if "interval" in e else None
        vac = f"; bound vacuous (C shape > data scale) at {e['vacuous'][k]} of {e['n_d'][k]} d" if "vacuous" in e else ""
        out.append((name, *io, f"exponent of d at N = {e['N'][k]:.3g}, {fam}{vac}",
                    f"{e['exponent'][k]:+.3f}", ci(e["lo"][k], e["hi"][k], kind), "+2.5"))
        if "rel_exponent" in e and np.isfinite(e["rel_exponent"][k]):
            out.append((name, *io, f"data scale's own exponent of d (same points), {fam}",
                        f"{e['scale_exponent'][k]:+.3f}", "exact data", "-"))
            out.append((name, *io, f"exponent of d of W / data scale at N = {e['N'][k]:.3g}, {fam}",
                        f"{e['rel_exponent'][k]:+.3f}", ci(e["rel_lo"][k], e["rel_hi"][k], kind),
                        f"{2.5 - e['scale_exponent'][k]:+.3f} (5/2 minus the scale's)"))
    return out


def nstar(name, io, nf):
    out = []
    for i in range(len(nf["family"])):
        if not nf["ok"][i]:
            continue
        fam = text(nf["family"][i])
        rng = f"N* = {nf['nstar_min'][i]:.3g}..{nf['nstar_max'][i]:.3g}" if "nstar_min" in nf else ""
        new = "beta_ln" in nf
        kind = text(nf["interval"][i]) if "interval" in nf else None
        bb = lambda k, fb: f"{nf[k][i]:+.3f} (bound's local value at the same N*)" if new else fb
        out.append((name, *io, f"N* ~ eps^-beta, log N* regression: beta, {fam} ({nf['n'][i]} crossings, {rng})",
                    f"{nf['beta'][i]:+.3f}", ci(nf["beta_lo"][i], nf["beta_hi"][i], kind),
                    bb("bound_beta", "+1")))
        if new:
            out.append((name, *io, f"N*/ln N* ~ eps^-beta_ln: beta_ln, {fam}", f"{nf['beta_ln'][i]:+.3f}",
                        ci(nf["beta_ln_lo"][i], nf["beta_ln_hi"][i], kind), bb("bound_beta_ln", "")))
        out.append((name, *io, f"N* ~ d^alpha: alpha, {fam}", f"{nf['alpha'][i]:+.3f}",
                    ci(nf["alpha_lo"][i], nf["alpha_hi"][i], kind), bb("bound_alpha", "+2.5")))
        if new:
            out.append((name, *io, f"N*/ln N* ~ d^alpha_ln: alpha_ln, {fam}", f"{nf['alpha_ln'][i]:+.3f}",
                        ci(nf["alpha_ln_lo"][i], nf["alpha_ln_hi"][i], kind), bb("bound_alpha_ln", "")))
    return out


def constants(name, io, k):
    out = []
    for i in range(len(k["family"])):
        fam = text(k["family"][i])
        if "test_n" not in k:  # written before the held-out check
            out.append((name, *io, f"C = sup W N / (d^2.5 ln^5 N), {fam}", f"{k['C'][i]:.3g}",
                        f"{k['held'][i]}/{k['rows'][i]} points within C shape + eps (in-sample)",
                        "C (the theorem's constant)"))
            continue
        frm = f"asymptotic N >= {k['n_asym'][i]:.3g}" if k["asymptotic"][i] else "every N (none asymptotic)"
        tr = f"; C(N) trend {k['trend'][i]:+.3f} per log N" if np.isfinite(k["trend"][i]) else ""
        uf = f"; bound < data scale for every d from N = {k['useful_from'][i]:.3g}" if np.isfinite(k["useful_from"][i]) \
            else ("; bound above the data scale at every N for some d" if k["points"][i] else "")
        out.append((name, *io, f"C = sup W / (L^3 d^2.5 ln^5 N / N) over {frm}, L {text(k['lipschitz_kind'][i])}, {fam}{tr}{uf}",
                    f"{k['C'][i]:.3g}",
                    f"held out: {k['test_exceed'][i]} of {k['test_n'][i]} points above C_half shape + eps",
                    "C (the theorem's constant)"))
    return out


def rows_of(path, with_constants=True):
    name = path.split("/")[-1].removesuffix(".h5")
    with h5py.File(path, "r") as f:
        if "analysis" not in f:
            return []
        a = f["analysis"]
        io = metric_of(a)
        out = slopes(name, io, table(a, "groups"), table(a, "curves"))
        out += d_exponents(name, io, table(a, "d_exponents"))
        out += nstar(name, io, table(a, "nstar_fit"))
        if with_constants:
            out += constants(name, io, table(a, "constants"))
        return out


def main():
    compact = "--compact" in sys.argv[1:]
    paths = [p for p in sys.argv[1:] if p != "--compact"]
    rows = [r for i, p in enumerate(paths[:1] if compact else paths) for r in rows_of(p, True)]
    print("| experiment | input | metric | quantity | measured | interval | the bound |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
