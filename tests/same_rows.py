#!/usr/bin/env python3
"""same_rows.py A.h5 B.h5: exit 0 when both result files hold the same points with bit-identical
values in every column except wall_time (the only column that may differ between runs),
comparing rows matched by point_id. Independent of ctrate: reads the files with h5py."""
import sys

import h5py
import numpy as np


def rows(path):
    with h5py.File(path, "r") as f:
        t = f["points"][:]
    return t[np.argsort(t["point_id"], kind="stable")]


def main():
    a, b = rows(sys.argv[1]), rows(sys.argv[2])
    if len(a) != len(b) or not np.array_equal(a["point_id"], b["point_id"]):
        print(f"different points: {len(a)} rows vs {len(b)} rows")
        return 1
    if len(np.unique(a["point_id"])) != len(a):
        print("a point appears twice")
        return 1
    bad = []
    for name in a.dtype.names:
        if name == "wall_time":
            continue
        x, y = a[name], b[name]
        if x.dtype.kind == "f":  # bit-identical, NaN included
            same = np.array_equal(x.view(np.uint64), y.view(np.uint64))
        else:
            same = np.array_equal(x, y)
        if not same:
            bad.append(name)
    if bad:
        print("columns differ: " + ", ".join(bad))
        return 1
    print(f"{len(a)} rows identical in {len(a.dtype.names) - 1} columns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
