"""ctrate_io: read ctrate result files (HDF5) from Python.

Needs h5py and numpy (Debian: apt-get install python3-h5py python3-numpy); pandas only for
to_dataframe (apt-get install python3-pandas). The layout is docs/results-format.md:
/points holds one row per simulated point, the root attributes hold the spec and the
provenance, and /analysis (written by `ctrate fit`) holds one group per table whose datasets
are its columns. Every byte string is decoded to str (UTF-8), so `rows["target"] == "geometric"`
works as it reads.

    import ctrate_io as cio
    rows = cio.read_rows("results/gaussian_rate.h5")     # dict: column -> numpy array
    meta = cio.attributes("results/gaussian_rate.h5")    # dict: spec, version, command_line, ...
    tabs = cio.analysis("results/gaussian_rate.h5")      # dict: table -> dict: column -> array
    df = cio.to_dataframe("results/gaussian_rate.h5")    # pandas.DataFrame of the rows
"""
import h5py
import numpy as np

__all__ = ["read_rows", "attributes", "analysis", "to_dataframe"]

PANDAS_HINT = ("ctrate_io.to_dataframe needs pandas, which is not installed: "
               "apt-get install python3-pandas (Debian), or use ctrate_io.read_rows, "
               "which needs numpy only")


def _text(value):
    """A bytes value as str; anything else unchanged."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _column(a):
    """One column as a numpy array with byte strings (fixed or variable length) as str."""
    a = np.asarray(a)
    if a.dtype.kind == "S":
        return np.char.decode(a, "utf-8", "replace")
    if a.dtype.kind == "O":
        return np.array([_text(v) for v in a.ravel()], dtype=str).reshape(a.shape)
    return a


def _scalar(value):
    """An attribute value as plain Python: str for strings, int/float for numpy scalars."""
    if isinstance(value, np.ndarray):
        return [_scalar(v) for v in value.tolist()] if value.dtype.kind in "SO" else value
    if isinstance(value, np.generic):
        value = value.item()
    return _text(value)


def _open(path):
    f = h5py.File(path, "r")
    if _text(f.attrs.get("software")) != "ctrate" or "points" not in f:
        f.close()
        raise ValueError(f"{path}: not a ctrate result file (no software = \"ctrate\" "
                         "attribute or no /points table)")
    return f


def read_rows(path):
    """The /points rows: dict column -> 1-D numpy array, in the file's column order."""
    with _open(path) as f:
        points = f["points"][()]
    return {name: _column(points[name]) for name in points.dtype.names}


def attributes(path, group="/"):
    """The attributes of group (default the root: spec, version, command_line, created,
    host, master_seed, ...; "/analysis": metric, created, version, report) as a dict."""
    with _open(path) as f:
        if group not in f:
            raise KeyError(f"{path}: no group {group}")
        return {k: _scalar(v) for k, v in f[group].attrs.items()}


def analysis(path):
    """The /analysis tables of `ctrate fit`: dict table -> dict column -> numpy array."""
    with _open(path) as f:
        if "analysis" not in f:
            raise KeyError(f"{path}: no /analysis group (run: ctrate fit {path})")
        return {name: {col: _column(ds[()]) for col, ds in table.items()}
                for name, table in f["analysis"].items() if isinstance(table, h5py.Group)}


def to_dataframe(path, table=None):
    """The rows (or, with table="groups" etc., one /analysis table) as a pandas.DataFrame.
    Raises ImportError saying how to install pandas when it is missing."""
    try:
        import pandas as pd
    except ImportError as e:
        raise ImportError(PANDAS_HINT) from e
    data = read_rows(path) if table is None else analysis(path)[table]
    return pd.DataFrame(data)


if __name__ == "__main__":
    import sys
    for p in sys.argv[1:]:
        r = read_rows(p)
        n = len(next(iter(r.values()))) if r else 0
        print(f"{p}: {n} rows x {len(r)} columns, version {attributes(p).get('version')}")
