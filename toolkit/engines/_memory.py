"""Files small enough to compare on their rows: counted from their footers, read (needed columns only) into pandas.

Below a row budget, reading a Parquet file into memory and comparing the rows is both cheaper and
more exact than profiling it where it lives: the comparison gets exact KS and Wasserstein on the
rows instead of binned ones, and skips the engine's edge-deriving pass. :func:`toolkit.compare` with
``engine='auto'`` uses :func:`rows_if_cheap` to decide and :func:`read_rows` to read; above the budget
(or when the count would need a full pass) the files are profiled where they live.

Rows are read through the same DuckDB view the engine would scan (``union_by_name``, hive
partition keys as columns, CSV read as the engine reads it), so the columns, their types and the
column set are the ones the engine route sees.
"""
from __future__ import annotations

import os

import pandas as pd

from ._source import FILE_COLUMN, _has_scheme, _is_path_list, list_files, open_source

__all__ = ["is_files", "rows_if_cheap", "read_rows"]


def is_files(data) -> bool:
    """True for a path, folder, glob or list of files (not a DuckDB relation or Spark DataFrame)."""
    return isinstance(data, (str, os.PathLike)) or _is_path_list(data)


def rows_if_cheap(data) -> int | None:
    """Rows behind files ``data`` when the count needs no pass over the data (Parquet footers, CSV line
    breaks up to ``toolkit.io.CSV_COUNT_BYTES``); None otherwise (remote files, larger CSV, relations).

    >>> import pandas as pd, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.parquet")
    >>> pd.DataFrame({"x": range(5)}).to_parquet(path)
    >>> rows_if_cheap(path), rows_if_cheap(pd.DataFrame({"x": [1]}))
    (5, None)
    """
    from ..io import count_file_rows

    if not is_files(data):
        return None
    files = list_files(data)
    if any(_has_scheme(f) for f in files):
        return None
    return count_file_rows(files)


def read_rows(data, columns=None, *, also_new_beside=None) -> tuple[pd.DataFrame, list[str]]:
    """``(frame, schema)``: the rows of files ``data`` restricted to ``columns`` (None: every column), and
    every column the files have.

    ``also_new_beside`` (the reference's columns) adds the columns of ``data`` it lacks, so a rename shows
    as a new column, as it does when whole frames are compared. Requested columns the files lack are
    left out (the comparison reports them as absent).

    >>> import pandas as pd, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.parquet")
    >>> pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"], "z": [0, 1]}).to_parquet(path)
    >>> frame, schema = read_rows(path, ["x", "gone"], also_new_beside=["x", "y"])
    >>> list(frame.columns), schema
    (['x', 'z'], ['x', 'y', 'z'])
    """
    with open_source(data, "duckdb") as src:
        schema = [c for c in src.columns if c != FILE_COLUMN]
        if columns is None:
            keep = list(schema)
        else:
            keep = [c for c in dict.fromkeys(str(c) for c in columns) if c in src.types]
        if also_new_beside is not None:
            known = {str(c) for c in also_new_beside}
            keep += [c for c in schema if c not in known and c not in keep]
        d = src.dialect
        if keep:
            frame = src.run(f"SELECT {', '.join(d.quote(c) for c in keep)} FROM {src.name}", progress=False)
        else:  # no column wanted: still the right number of rows
            n = int(src.run(f"SELECT COUNT(*) AS n FROM {src.name}", progress=False)["n"].iloc[0])
            frame = pd.DataFrame(index=pd.RangeIndex(n))
    return frame, schema
