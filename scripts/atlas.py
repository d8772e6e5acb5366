#!/usr/bin/env python3
"""atlas.py [--ctrate BIN] [--out docs/atlas.md] [--fig-dir DIR] [--title TEXT] [--note TEXT] RESULT.h5...:
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
  * the exponent of L (issue 14 point 3), from /analysis/l_exponents and /analysis/l_nstar, which
    ctrate fit computes (analysis/scaling_lip.c, theory.md §9.17): across the groups that differ
    only in the width sigma, the slope of log W on log L at each fixed N, and the regression
    log N* = a log L + b log(1/eps) + c (N* where the error-free W falls to eps, or the 2 eps
    crossing of injected errors), beside the bound's 3.
Every interval carries the kind the fit gives it: a "CI 95%" where the rows have Monte Carlo
standard errors (the chain engine: weighted fits), a "curvature band" where the values are
deterministic (exact engines: the 95% t-interval of a least-squares slope, which measures
departure from a power law, not sampling error). A summary table (one row per family) comes first,
the per-file details (spec, tables, figures) after it. Reads HDF5 with h5py only (/usr/bin/python3)."""
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


def band(lo, hi, kind="curvature"):
    name = "CI 95%" if text(kind) == "ci95" else "curvature band"
    return f"[{lo:+.3f}, {hi:+.3f}] {name}" if np.isfinite(lo) and np.isfinite(hi) else "(no interval)"


def l_tables(a):
    """/analysis/l_exponents (the last N of each L-family) and /analysis/l_nstar, as dicts."""
    le, ln = table(a, "l_exponents"), table(a, "l_nstar")
    out, lo, hi = {}, {}, {}
    if le is not None:
        for j in range(len(le["family"])):
            f = text(le["family"][j])
            if f not in out or le["N"][j] >= out[f]["N"]:
                out[f] = {q: le[q][j] for q in le}
            lo[f] = min(lo.get(f, np.inf), le["exponent"][j])
            hi[f] = max(hi.get(f, -np.inf), le["exponent"][j])
        for f in out:
            out[f]["Nmin_slope"], out[f]["Nmax_slope"] = lo[f], hi[f]
    ns = {}
    if ln is not None:
        for j in range(len(ln["family"])):
            ns[text(ln["family"][j])] = {q: ln[q][j] for q in ln}
    return out, ns


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
            W, se, sc = c["mean"][sel], c["se"][sel], c["data_scale"][sel]
            fin = np.nonzero(np.isfinite(ls))[0]
            if len(fin):
                j = fin[-1]
                # row j of /analysis/curves holds the slope between N[j] and N[j + 1]; with Monte
                # Carlo SEs its 95% half-width by the delta method (independent points)
                h = 1.96 * math.hypot(se[j] / W[j], se[j + 1] / W[j + 1]) / math.log(N[j + 1] / N[j])
                r["local"].append((int(g["d"][i]), N[j], N[j + 1], ls[j], bl[j], h))
            r["useful"].append((int(g["d"][i]), g["useful_from"][i]))
            r.setdefault("scale", []).append((int(g["d"][i]), sc[-1]))
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


def fmt_local(r):
    """Local slopes at the largest N: the range over d, with the bound's secant."""
    if not r["local"]:
        return "n/a"
    sl = [x[3] for x in r["local"]]
    hs = [x[5] for x in r["local"] if np.isfinite(x[5])]
    n1, n2, b = r["local"][-1][1], r["local"][-1][2], r["local"][-1][4]
    ci = f" (CI 95% +-{max(hs):.3f})" if hs else " (exact secants)"
    rng = f"{min(sl):+.3f}..{max(sl):+.3f}" if len(sl) > 1 else f"{sl[0]:+.3f}"
    return f"{rng}{ci} over N {n1:.3g}-{n2:.3g}; bound {b:+.3f}"


def fmt_d(r):
    de = r.get("d_exp")
    if not de or int(de["n_d"]) < 2:
        return "n/a (one d)", "n/a"
    k = text(de["interval"])
    raw = f"{de['exponent']:+.3f} {band(de['lo'], de['hi'], k)}"
    rel = f"{de['rel_exponent']:+.3f} {band(de['rel_lo'], de['rel_hi'], k)}"
    return raw, f"{rel} (scale {de['scale_exponent']:+.3f}; N = {de['N']:.3g}, d {r['d_range']})"


def fmt_L(fam, lt, ns):
    """The L exponent of the L-families that belong to family fam (same label but for sigma)."""
    def strip(x):
        return " ".join(t for t in x.split() if not t.startswith(("sigma=", "d=", "eps=", "K=")))
    hits = [(f, v) for f, v in lt.items() if strip(f) == strip(fam)]
    if not hits:
        return "n/a"
    f, v = max(hits, key=lambda x: (int(token(x[0], "d") or 0)))
    out = (f"{v['exponent']:+.3f} {band(v['lo'], v['hi'], v['interval'])} at d={token(f, 'd')}, "
           f"N = {v['N']:.3g} (L {text(v['lipschitz_kind'])}, log10 L {v['log10_L_min']:.3g}..{v['log10_L_max']:.3g})")
    n = ns.get(f) or ns.get(f.replace(" eps=0", ""))
    if n is not None and int(n["ok"]):
        out += f"; N*: a = {n['a']:+.2f} {band(n['a_lo'], n['a_hi'], n['interval'])} (bound {num(n['bound_a'])})"
        if int(n["has_b"]):
            out += f", b = {n['b']:+.2f} (bound {num(n['bound_b'])})"
    return out


def num(x):
    return f"{x:.2f}" if np.isfinite(x) else "n/a: N* <= e^5"


def token(label, key):
    for t in label.split():
        if t.startswith(key + "="):
            return t.split("=", 1)[1]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--ctrate", default="build/ctrate")
    ap.add_argument("--out", default="docs/atlas.md")
    ap.add_argument("--fig-dir", default="docs/atlas")
    ap.add_argument("--note", default="", help="how the files were produced (one paragraph)")
    ap.add_argument("--title", default="The exponent atlas", help="the page's heading")
    ap.add_argument("--no-fit", action="store_true", help="use the files' existing /analysis")
    o = ap.parse_args()
    summary, details = [], []
    for path in o.files:
        name = os.path.basename(path).removesuffix(".h5")
        if not os.path.exists(path):
            details += [f"## {name}", "", f"`{path}` does not exist (not run).", ""]
            continue
        if not o.no_fit:
            run([o.ctrate, "fit", path, "-q", "--bootstrap", "0"])
        figdir = os.path.join(o.fig_dir, name)
        run([o.ctrate, "plot", path, "-o", figdir, "-F", "png", "-f", "rate_curve,w_vs_d,local_slope"])
        with h5py.File(path, "r") as f:
            if "analysis" not in f:
                details += [f"## {name}", "", "no /analysis (ctrate fit failed)", ""]
                continue
            a = f["analysis"]
            spec = text(f.attrs.get("spec", "")) if "spec" in f.attrs else ""
            pts = f["points"]
            eng = sorted({text(x) for x in pts["engine"][:]})
            kinds = sorted({text(x) for x in pts["lipschitz_kind"][:]})
            ds = sorted({int(x) for x in pts["d"][:]})
            details += [f"## {name}", "", f"File `{path}`; W = `{text(a.attrs.get('metric', '?'))}` "
                        f"({text(a.attrs.get('metric_what', ''))}, input {text(a.attrs.get('input', '?'))}); "
                        f"engine {', '.join(eng)}; L {', '.join(kinds)}; ctrate {text(a.attrs.get('version', '?'))}.", ""]
            if spec:
                details += ["<details><summary>Spec stored in the file</summary>", "", "```", spec.strip(),
                            "```", "", "</details>", ""]
            details += ["| family | exponent of N (local slope at the largest N, per d; bound's secant) | "
                        "exponent of d at the largest N (raw; data scale's; relative) | data scale at the "
                        "largest N (per d) | bound below the data scale from N (per d) | C(N) trend per log N |",
                        "|---|---|---|---|---|---|"]
            lt, ns = l_tables(a)
            shown = set()
            for r in family_rows(a):
                r["d_range"] = f"{ds[0]}..{ds[-1]}"
                loc = "; ".join(f"d={d}: {s:+.3f}" + (f" +-{h:.3f}" if np.isfinite(h) else "")
                                + f" (N {n1:.3g}-{n2:.3g}; {b:+.3f})" for d, n1, n2, s, b, h in r["local"])
                raw, rel = fmt_d(r)
                dtx = f"{raw}; {rel}" if rel != "n/a" else raw
                sct = "; ".join(f"d={d}: {v:.3g}" for d, v in r.get("scale", []))
                use = "; ".join(f"d={d}: {u:.3g}" if np.isfinite(u) else f"d={d}: never"
                                for d, u in r["useful"])
                if "C" in r and np.isfinite(r["C"]["trend"]):
                    C = r["C"]
                    ctx = f"{C['trend']:+.3f} {band(C['trend_lo'], C['trend_hi'])} (C = {C['C']:.3g})"
                else:
                    ctx = "n/a"
                details.append(f"| {r['family']} | {loc} | {dtx} | {sct} | {use} | {ctx} |")
                uf = [u for _, u in r["useful"]]
                ufs = ("never" if not any(np.isfinite(uf)) else
                       "; ".join(f"d={d}: {u:.3g}" for d, u in r["useful"] if np.isfinite(u)))
                ltx = fmt_L(r["family"], lt, ns)
                if ltx != "n/a" and ltx in shown:
                    ltx = "as above (one L-family across the widths)"
                shown.add(ltx)
                summary.append(f"| {name} | {r['family']} | {fmt_local(r)} | {raw} | {rel} | "
                               f"{ltx} | {ufs} | {ctx.split(' (C')[0]} |")
            details.append("")
            if lt:
                details += ["Exponent of L (`ctrate fit`, /analysis/l_exponents and l_nstar; the bound: W ~ L^3 at "
                            "fixed N, N* ~ L^3 eps^-1 up to logs, §9.8, §9.17):", "",
                            "| L-family (every width) | N | widths | log10 L | L kind | slope of log W on log L "
                            "(largest N; range over N) | N* ~ L^a eps^-b: a (bound) | b (bound) | crossings, N* range |",
                            "|---|---|---|---|---|---|---|---|---|"]
                for fam, v in lt.items():
                    n = ns.get(fam.replace(" eps=0", "")) or ns.get(fam)
                    if n is not None and int(n["ok"]):
                        atx = f"{n['a']:+.3f} {band(n['a_lo'], n['a_hi'], n['interval'])} ({num(n['bound_a'])})"
                        btx = (f"{n['b']:+.3f} {band(n['b_lo'], n['b_hi'], n['interval'])} ({num(n['bound_b'])})"
                               if int(n["has_b"]) else "n/a")
                        ctx = f"{int(n['n'])} ({text(n['source'])}), {n['nstar_min']:.3g}..{n['nstar_max']:.3g}"
                    else:
                        atx = btx = "n/a"
                        ctx = "too few crossings"
                    details.append(f"| {fam} | {v['N']:.3g} | {int(v['n_widths'])} | {v['log10_L_min']:.3g}.."
                                   f"{v['log10_L_max']:.3g} | {text(v['lipschitz_kind'])} | {v['exponent']:+.3f} "
                                   f"{band(v['lo'], v['hi'], v['interval'])}; {v['Nmin_slope']:+.3f} .. "
                                   f"{v['Nmax_slope']:+.3f} | {atx} | {btx} | {ctx} |")
                details.append("")
            figs = [fn for fn in ("rate_curve", "w_vs_d", "local_slope")
                    if os.path.exists(os.path.join(figdir, fn + ".png"))]
            rel = os.path.relpath(figdir, os.path.dirname(os.path.abspath(o.out)) or ".")
            for fn in figs:
                details += [f"![{name}: {fn}]({rel}/{fn}.png)", ""]
    md = [f"# {o.title}", "",
          "Generated by `scripts/atlas.py` from the result files below (do not edit by hand; "
          "rerun it). Per family: the exponent of N (local slope between the two largest N, "
          "beside the bound's secant), of d at the largest N (raw, and relative to the data "
          "scale: the exponent of W / data_scale), of L (slope of log W on log L at fixed N across "
          "the widths, and of log N* on log L and log(1/eps)), where the bound's shape with the "
          "fitted C is below the data scale, and the trend of the empirical constant C(N). "
          "Intervals: a CI 95% where the rows have Monte Carlo standard errors (chain engine, "
          "weighted fits), a curvature band where the values are deterministic (exact engines: the "
          "95% t-interval of a least-squares slope through exact values, which measures departure "
          "from a power law, not sampling error). The bound: exponent of N -1 (up to ln^5 N), of d "
          "5/2 (2 relative to a data scale ~ d^(1/2)), of L 3. Theory: docs/theory.md §8, "
          "§9.8-§9.17.", ""]
    if o.note:
        md += [o.note, ""]
    md += ["## Summary", "", "| file | family | exponent of N at the largest N (range over d) | exponent of d "
           "(raw) | exponent of d relative to the data scale | exponent of L (largest d; N*) | bound below the "
           "data scale from N | C(N) trend |", "|---|---|---|---|---|---|---|---|"] + summary + [""]
    md += details
    with open(o.out, "w") as fo:
        fo.write("\n".join(md) + "\n")
    print(f"atlas.py: wrote {o.out}")


if __name__ == "__main__":
    main()
