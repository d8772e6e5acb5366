#!/usr/bin/python3
"""Check that a ctrate result file reads in h5py as docs/results-format.md promises.

usage: check_h5py.py RESULT.h5 REPO_ROOT

The column names come from the X-macro in REPO_ROOT/src/core/point.h, so this test
follows point.h without edits. Prints "ok - ..." / "not ok - ..." lines; exits 1
on any failure, 2 on bad usage or a file h5py cannot open.
"""
import os
import re
import sys

import h5py

FIELD_RE = re.compile(r"X\((I64|I32|F64|STR),\s*(\w+)")
REQUIRED_ATTRS = ("created", "host", "command_line", "version")


def as_str(value):
    """Attributes may be str (variable length) or bytes / numpy.bytes_ (fixed)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "shape") and value.shape == () and hasattr(value, "item"):
        return as_str(value.item())
    return str(value)


def point_fields(repo_root):
    with open(os.path.join(repo_root, "src", "core", "point.h"), encoding="utf-8") as fh:
        return [m.group(2) for m in FIELD_RE.finditer(fh.read())]


class Checker:
    def __init__(self):
        self.failures = 0

    def check(self, cond, what):
        print(("ok - " if cond else "not ok - ") + what)
        if not cond:
            self.failures += 1
        return cond


def check_file(path, fields, c):
    with h5py.File(path, "r") as f:
        if not c.check("points" in f and isinstance(f["points"], h5py.Dataset), "/points exists"):
            return
        points = f["points"]
        names = points.dtype.names or ()
        missing = [n for n in fields if n not in names]
        c.check(fields and not missing,
                "all %d point.h columns present%s"
                % (len(fields), "" if not missing else " (missing: %s)" % ", ".join(missing)))
        rows = points[:]
        c.check(rows.shape[0] >= 1, "row count %d >= 1" % rows.shape[0])
        attrs = {k: f.attrs[k] for k in f.attrs.keys()}
        software = as_str(attrs.get("software", ""))
        c.check(software == "ctrate", "software == 'ctrate' (got %r)" % software)
        for name in REQUIRED_ATTRS:
            c.check(name in attrs and as_str(attrs[name]) != "", "attribute %s present" % name)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, repo_root = argv[1], argv[2]
    c = Checker()
    fields = point_fields(repo_root)
    c.check(len(fields) > 0, "parsed %d column names from src/core/point.h" % len(fields))
    try:
        check_file(path, fields, c)
    except OSError as e:
        print("not ok - open %s: %s" % (path, e))
        return 2
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
