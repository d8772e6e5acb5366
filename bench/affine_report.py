#!/usr/bin/python3
"""affine_report.py: table and ratio checks of the affine benchmarks (bench/run_bench.sh).

Input: JSON lines of bench_affine (--impl ref|fast|cheb, --limit, --scaling) and
bench/ref_numpy.py (numpy-vec, numpy-loop). Prints each engine's updates per CPU second, as a
fraction of the machine's vector log1p throughput (SLEEF, one core), against numpy-vec and the
per-step C loop of commit 189ccf9, and the W2 agreement; then PASS/FAIL lines.
Exit status 1 when a check (agreement or ratio target) fails.
"""
import json
import sys


def main(path):
    rows = [json.loads(line) for line in open(path)]
    lim = next(r for r in rows if r.get("impl") == "limit")["log1p_per_s"] or float("nan")

    def get(impl, d, N, th=1):
        return next((r for r in rows if r.get("impl") == impl and r.get("d") == d
                     and r.get("N") == N and r.get("threads", 1) == th), None)

    print(f"machine limit: SLEEF vector log1p {lim:.3e} /s on one core (CPU time); "
          "updates/s below are per CPU second with one thread")
    print(f"{'case':>18} {'impl':>10} {'path':>5} {'upd/s':>10} {'of limit':>8} "
          f"{'vs numpy-vec':>12} {'vs c-ref':>8} {'W2 rel diff':>11}")
    checks = []
    for r in rows:
        if "updates_per_s" not in r or r.get("threads", 1) != 1:
            continue
        d, N = r["d"], r["N"]
        npv, ref = get("numpy-vec", d, N), get("c-ref", d, N)
        base = npv or get("numpy-loop", d, N) or ref
        if base is r:
            base = None
        rel = abs(r["w2"] - base["w2"]) / abs(base["w2"]) if base else 0.0
        rv = r["updates_per_s"] / npv["updates_per_s"] if npv else float("nan")
        rr = r["updates_per_s"] / ref["updates_per_s"] if ref else float("nan")
        case = f"d={d},N={N:.0e}"
        print(f"{case:>18} {r['impl']:>10} {r.get('path', '-'):>5} {r['updates_per_s']:10.3e} "
              f"{r['updates_per_s'] / lim:8.2f} {rv:12.1f} {rr:8.2f} {rel:11.2e}")
        if base:
            checks.append((f"{r['impl']} W2 agrees with {base['impl']} to 1e-10 at {case}: "
                           f"{rel:.2e}", rel <= 1e-10))
    # d >= 64 (issue 13 point 2); d = 4096 from the two-thread case's one-thread run
    for d, N in ((64, 1000000), (1024, 100000), (4096, 200000)):
        f = get("c-fast", d, N)
        checks.append((f"c-fast >= 1e9 updates/s at d={d}, N={N:.0e}: {f['updates_per_s']:.3e}",
                       f["updates_per_s"] >= 1e9))
    for d, N, k in ((4, 1000000, 3.0), (64, 1000000, 2.0)):
        f, r = get("c-fast", d, N), get("c-ref", d, N)
        x = f["updates_per_s"] / r["updates_per_s"]
        checks.append((f"c-fast / c-ref (189ccf9 loop) >= {k:g} at d={d}, N={N:.0e}: {x:.2f}",
                       x >= k))
    for d, N, k in ((1024, 100000, 10.0), (64, 1000000, 10.0), (4, 1000000, 3.0)):
        f, p = get("c-fast", d, N), get("numpy-vec", d, N)
        x = f["updates_per_s"] / p["updates_per_s"]
        checks.append((f"c-fast / numpy-vec >= {k:g} at d={d}, N={N:.0e}: {x:.1f}", x >= k))
    ch = get("c-cheb", 1000000, 1000000)
    checks.append((f"Chebyshev path at d=1e6, N=1e6: engine {ch['cpu_seconds']:.2f} CPU s "
                   f"(< 10 s), whole point {ch['seconds_point']:.1f} s wall",
                   ch["path"] == "cheb" and ch["cpu_seconds"] < 10))
    t1, t2 = get("c-fast", 4096, 200000, 1), get("c-fast", 4096, 200000, 2)
    same = t1["w2"] == t2["w2"] and t1["sum_D_rms"] == t2["sum_D_rms"]
    sp = t1["seconds"] / t2["seconds"]
    checks.append((f"two threads >= 1.8x (wall) at d=4096, N=2e5: {sp:.2f}x, bits equal: {same}",
                   sp >= 1.8 and same))
    # exact: O(N d); Chebyshev: O(N M) at d << N (N = 1e7, d to 1e6), O(N M) in N at d = 2048
    want = {"exact-d": (0.8, 1.2), "exact-N": (0.8, 1.2), "cheb-d": (-0.3, 0.5),
            "cheb-N": (0.7, 1.2)}
    for r in rows:
        if "scaling" in r:
            lo, hi = want[r["scaling"]]
            xs = r.get("d") if isinstance(r.get("d"), list) else r.get("N")
            print(f"scaling {r['scaling']:>8} ({r['impl']}): x = {xs}, CPU s = "
                  f"{r['cpu_seconds']}, exponent {r['exponent']:.2f}")
            checks.append((f"scaling {r['scaling']}: exponent {r['exponent']:.2f} in "
                           f"[{lo}, {hi}]", lo <= r["exponent"] <= hi))
    ok = True
    for msg, good in checks:
        print(("PASS " if good else "FAIL ") + msg)
        ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
