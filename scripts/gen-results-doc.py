#!/usr/bin/env python3
"""Regenerate the column table of docs/results-format.md from the X-macro in src/core/point.h.
Run after changing a column: python3 scripts/gen-results-doc.py (tests/test_results_h5 fails
when a column is missing from the document)."""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
src = (root / "src/core/point.h").read_text()
body = src[src.index("#define CTR_POINT_FIELDS(X)"):src.index("typedef struct {")].replace("\\\n", "\n")
rows = []
for m in re.finditer(r'X\((I64|I32|F64|STR),\s*(\w+),\s*(\d+),\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)', body):
    kind, name, size, docs = m.groups()
    doc = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', docs))
    typ = {"I64": "int64", "I32": "int32", "F64": "float64"}.get(kind, "S%s (≤ %d chars)" % (size, int(size) - 1))
    rows.append("| `%s` | %s | %s |" % (name, typ, doc.replace("|", "\\|")))
doc_path = root / "docs/results-format.md"
text = doc_path.read_text()
start = text.index("| column | type | meaning |")
end = text.index("\n\n", start)
doc_path.write_text(text[:start] + "| column | type | meaning |\n|---|---|---|\n" + "\n".join(rows) + text[end:])
print("%d columns" % len(rows))
