#!/usr/bin/env python3
"""exponents_table.py [--compact] RESULT.h5...: the fitted exponents of each result's /analysis
(written by `ctrate fit`) beside the bound's, as one markdown table. --compact keeps the bound's
constant of the first file only. Used by scripts/paper-figures.sh for the marked blocks of
README.md (--compact) and docs/findings.md and the end of paper_figures/README.md; reads the
files with h5py only."""
import math
import sys

import h5py
import numpy as np


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def table(a, name):
    g = a[name]
    return {k: g[k][:] for k in g.keys()}


def secant(n1, n2):
    l1, l2 = math.log(n1), math.log(n2)
    return -1 + 5 * (math.log(l2) - math.log(l1)) / (l2 - l1)


def ci(lo, hi):
    return f"[{lo:+.3f}, {hi:+.3f}]" if np.isfinite(lo) and np.isfinite(hi) else "n/a"


def rows_of(path, constants=True):
    name = path.split("/")[-1].removesuffix(".h5")
    with h5py.File(path, "r") as f:
        if "analysis" not in f:
            return []
        a = f["analysis"]
        g, c = table(a, "groups"), table(a, "curves")
        out = []
        fams = [text(x) for x in g["family"]]
        for fam in dict.fromkeys(fams):
            idx = [i for i, x in enumerate(fams) if x == fam and g["eps"][i] == 0 and not g["skipped"][i]]
            if not idx:
                continue
            sl = g["slope"][idx]
            widths = (g["slope_hi"][idx] - g["slope_lo"][idx]) / 2
            half = widths[np.isfinite(widths)].max() if np.isfinite(widths).any() else math.nan
            Ns = c["N"][np.isin(c["group"], idx)]
            ds = sorted({int(g["d"][i]) for i in idx})
            dtxt = f"d = {ds[0]}" if len(ds) == 1 else f"d = {ds[0]}..{ds[-1]}"
            meas = f"{sl.min():+.3f}" if len(idx) == 1 else f"{sl.min():+.3f} .. {sl.max():+.3f}"
            out.append((name, f"slope of log W on log N, {fam}, {dtxt}, N = {Ns.min():.3g}..{Ns.max():.3g}",
                        meas, f"± {half:.3f} (t 95%)" if np.isfinite(half) else "n/a",
                        f"{secant(Ns.min(), Ns.max()):+.3f} (secant of ln^5 N / N)"))
        e = table(a, "d_exponents")
        efam = [text(x) for x in e["family"]]
        for fam in dict.fromkeys(efam):
            k = max((i for i, x in enumerate(efam) if x == fam), key=lambda i: e["N"][i])
            if "eps=0 " in fam + " " or fam.endswith("eps=0"):
                out.append((name, f"exponent of d at N = {e['N'][k]:.3g}, {fam}",
                            f"{e['exponent'][k]:+.3f}", ci(e["lo"][k], e["hi"][k]), "+2.5"))
        nf = table(a, "nstar_fit")
        for i in range(len(nf["family"])):
            if nf["ok"][i]:
                fam = text(nf["family"][i])
                out.append((name, f"N* ~ d^alpha: alpha, {fam} ({nf['n'][i]} crossings)",
                            f"{nf['alpha'][i]:+.3f}", ci(nf["alpha_lo"][i], nf["alpha_hi"][i]), "+2.5"))
                out.append((name, f"N* ~ eps^-beta: beta, {fam}",
                            f"{nf['beta'][i]:+.3f}", ci(nf["beta_lo"][i], nf["beta_hi"][i]), "+1"))
        k = table(a, "constants")
        for i in range(len(k["family"]) if constants else 0):
            out.append((name, f"C = sup W N / (d^2.5 ln^5 N), {text(k['family'][i])}",
                        f"{k['C'][i]:.3g}", f"{k['held'][i]}/{k['rows'][i]} points within C shape + eps",
                        "C (the theorem's constant)"))
        return out


def main():
    compact = "--compact" in sys.argv[1:]
    paths = [p for p in sys.argv[1:] if p != "--compact"]
    rows = [r for i, p in enumerate(paths) for r in rows_of(p, not compact or i == 0)]
    print("| experiment | quantity | measured | 95% interval | the bound |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
