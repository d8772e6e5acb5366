#!/usr/bin/python3
"""test_python_reader.py: python/ctrate_io.py against two independent readers.

usage: /usr/bin/python3 tests/test_python_reader.py PATH_TO_CTRATE

Produces every kind of result quickly (a sweep from a spec file with replicates and an error,
a mixture sweep with the distill engine, a single `ctrate run -o`, and /analysis through
`ctrate fit`), plus any finished results/*.h5 of the checkout, and checks that
  * read_rows equals h5py's per-field reads of /points (bit for bit, NaN = NaN, strings
    decoded) and `ctrate show --csv` (the C reader; 17 significant digits round-trip),
  * attributes equals h5py's root attributes decoded, with the spec text of the spec file,
  * analysis equals h5py's /analysis datasets, and attributes(path, "/analysis") its metric,
  * to_dataframe has the rows with str columns (when pandas is installed), and without pandas
    raises ImportError naming apt-get install python3-pandas.
Prints "ok - ..." / "FAIL - ..." per check; exits 1 if any check failed.
"""
import csv
import glob
import io
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import ctrate_io as cio  # noqa: E402

fails = 0


def check(cond, what):
    global fails
    print(("ok - " if cond else "FAIL - ") + what)
    fails += not cond


def ctrate(*args):
    r = subprocess.run([CT, *args], capture_output=True, text=True)
    if r.returncode:
        print(f"# ctrate {' '.join(args)}: exit {r.returncode}\n# {r.stderr.strip()}")
    return r


def same(a, b):
    """Equal arrays, NaN equal to NaN."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return bool(np.array_equal(a.astype(float), b.astype(float), equal_nan=True))
    return bool(np.array_equal(a, b))


def check_rows(path, name):
    rows = cio.read_rows(path)
    with h5py.File(path, "r") as f:
        ds = f["points"]
        names = ds.dtype.names
        n = ds.shape[0]
        bad = [c for c in names
               if not same(rows[c], [v.decode() for v in ds.fields(c)[()]]
                           if ds.dtype[c].kind == "S" else ds.fields(c)[()])]
    check(list(rows) == list(names) and not bad and n > 0,
          f"{name}: read_rows = h5py per field ({n} rows x {len(names)} columns"
          f"{'; differ: ' + ','.join(bad) if bad else ''})")
    strs = [c for c in names if rows[c].dtype.kind == "U"]
    check(strs and all(rows[c].dtype.kind == "U" for c in ("target", "engine", "message")),
          f"{name}: string columns decoded to str ({','.join(strs)})")
    out = ctrate("show", path, "--csv").stdout
    table = list(csv.DictReader(io.StringIO(out)))
    bad = []
    for c in names:
        want = [t[c] for t in table]
        got = rows[c]
        if got.dtype.kind == "U":
            ok = list(got) == want
        else:
            ok = same(got.astype(float), [float(v) for v in want])
        if not ok:
            bad.append(c)
    check(len(table) == n and not bad,
          f"{name}: read_rows = ctrate show --csv{' (differ: ' + ','.join(bad) + ')' if bad else ''}")
    return rows


def check_attrs(path, name, spec_text=None):
    a = cio.attributes(path)
    with h5py.File(path, "r") as f:
        raw = dict(f.attrs)
    ok = set(a) == set(raw)
    for k, v in raw.items():
        w = v.decode() if isinstance(v, bytes) else v.item() if isinstance(v, np.generic) else v
        ok = ok and a[k] == w and type(a[k]) in (str, int, float)
    check(ok and a["software"] == "ctrate" and isinstance(a["spec"], str),
          f"{name}: attributes = h5py's {len(raw)} root attributes, plain str/int/float")
    if spec_text is not None:
        check("lambda-min = 0.05" in a["spec"] and a["spec"].strip(),
              f"{name}: attributes()['spec'] holds the spec file's settings")


def check_analysis(path, name):
    t = cio.analysis(path)
    bad = []
    with h5py.File(path, "r") as f:
        g = f["analysis"]
        tables = [k for k in g if isinstance(g[k], h5py.Group)]
        for k in tables:
            for c, ds in g[k].items():
                v = ds[()]
                if v.dtype.kind == "O":
                    v = np.array([x.decode() if isinstance(x, bytes) else x for x in v], dtype=str)
                if not same(t[k][c], v) or (v.dtype.kind == "U") != (t[k][c].dtype.kind == "U"):
                    bad.append(f"{k}/{c}")
        metric = g.attrs["metric"]
        metric = metric.decode() if isinstance(metric, bytes) else metric
    check(sorted(t) == sorted(tables) and "groups" in t and not bad,
          f"{name}: analysis = h5py's /analysis ({len(tables)} tables"
          f"{'; differ: ' + ','.join(bad) if bad else ''})")
    fam = t["groups"]["family"]
    check(len(fam) > 0 and fam.dtype.kind == "U",
          f"{name}: analysis()['groups']['family'] decoded ({len(fam)} groups)")
    check(cio.attributes(path, "/analysis")["metric"] == metric,
          f"{name}: attributes(path, '/analysis')['metric'] = {metric}")


def check_pandas(path, rows, name):
    try:
        import pandas  # noqa: F401
        have = True
    except ImportError:
        have = False
    if have:
        df = cio.to_dataframe(path)
        n = len(rows["N"])
        check(df.shape == (n, len(rows)) and list(df.columns) == list(rows)
              and isinstance(df["target"].iloc[0], str)
              and same(df["N"].to_numpy(), rows["N"]),
              f"{name}: to_dataframe: {df.shape[0]} x {df.shape[1]}, str columns, same values")
        g = cio.to_dataframe(path, table="groups")
        check(len(g) == len(cio.analysis(path)["groups"]["slope"]),
              f"{name}: to_dataframe(table='groups'): {len(g)} rows")
    else:
        print("# skipped: to_dataframe with pandas (not installed: apt-get install python3-pandas)")
    saved = sys.modules.get("pandas")
    sys.modules["pandas"] = None  # makes `import pandas` raise ImportError
    try:
        cio.to_dataframe(path)
        msg = ""
    except ImportError as e:
        msg = str(e)
    finally:
        if saved is None:
            del sys.modules["pandas"]
        else:
            sys.modules["pandas"] = saved
    check("apt-get install python3-pandas" in msg,
          "without pandas: to_dataframe raises ImportError naming apt-get install python3-pandas")


def main():
    global CT
    if len(sys.argv) != 2 or not os.access(sys.argv[1], os.X_OK):
        print(f"usage: {sys.argv[0]} PATH_TO_CTRATE", file=sys.stderr)
        return 2
    CT = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ctrate_py.") as T:
        spec = os.path.join(T, "small.cfg")
        g = os.path.join(T, "g.h5")
        with open(spec, "w") as f:
            f.write('target = "geometric";\nlambda-min = 0.05;\nlambda-max = 1.0;\n'
                    'd = [1, 4];\nN = "10:1000:4";\nerror = "fit-bias";\neps = [0.0, 1e-3];\n'
                    f'replicates = 2;\noutput = "{g}";\n')
        m = os.path.join(T, "m.h5")
        r1 = os.path.join(T, "r.h5")
        made = [ctrate("sweep", spec, "-q").returncode,
                ctrate("sweep", "--target", "two_modes", "--engine", "distill", "--N", "20:200:3",
                       "--points", "200", "--sample-n", "0", "-q", "-o", m).returncode,
                ctrate("run", "--target", "geometric", "--d", "3", "--N", "100", "-o", r1).returncode,
                ctrate("fit", g, "-q").returncode,
                ctrate("fit", m, "-q").returncode]
        check(made == [0] * 5, f"ctrate sweep (spec), sweep (mixture), run -o, fit x2: exit {made}")
        files = [(g, "sweep spec", True), (m, "mixture distill", True), (r1, "run -o", False)]
        root = os.path.join(HERE, "..")
        for p in sorted(glob.glob(os.path.join(root, "results", "*.h5"))):
            if not os.path.exists(p + ".journal"):  # finished files only
                files.append((p, os.path.relpath(p, root), None))
        for p, name, fitted in files:
            rows = check_rows(p, name)
            check_attrs(p, name, spec if p == g else None)
            if fitted or (fitted is None and "analysis" in h5py.File(p, "r")):
                check_analysis(p, name)
            if p == g:
                check_pandas(p, rows, name)
        try:
            cio.analysis(r1)
            check(False, "run -o file (never fitted): analysis raises KeyError")
        except KeyError as e:
            check("ctrate fit" in str(e), "never fitted: analysis raises KeyError saying ctrate fit")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
