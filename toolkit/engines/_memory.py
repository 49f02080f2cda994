"""Files small enough to compare on their rows: counted from their footers, read (needed columns only) into pandas.

Below a row budget, reading a Parquet file into memory and comparing the rows is both cheaper and
more exact than profiling it where it lives: the comparison gets exact KS and Wasserstein on the
rows instead of binned ones, and skips the engine's edge-deriving pass. :func:`toolkit.compare` with
``engine='auto'`` uses :func:`rows_if_cheap` to decide and :func:`read_rows` to read; above the budget
(or when the count would need a full pass) the files are profiled where they live.

Local Parquet files sharing one schema (no hive partition keys, no stored pandas index) are read with
pyarrow, as ``pd.read_parquet`` reads them (the cheapest whole-process route, and exactly the frame an
analyst would compare in memory). Anything else is read through the same DuckDB view the engine
would scan (``union_by_name``, hive partition keys as columns, CSV read as the engine reads it), so
the columns, their types and the column set are the ones the engine route sees.
"""
from __future__ import annotations

import os

import pandas as pd

from ._source import FILE_COLUMN, _has_scheme, _hive_keys, _is_path_list, list_files, open_source

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
    files = list_files(data) if is_files(data) else None
    names = _one_parquet_schema(files) if files else None
    if names is not None:
        keep = _keep(names, columns, also_new_beside)
        frame = _read_parquet(files, keep)
        if frame is not None:
            return frame, names
    with open_source(data, "duckdb") as src:
        schema = [c for c in src.columns if c != FILE_COLUMN]
        keep = _keep(schema, columns, also_new_beside)
        d = src.dialect
        if keep:
            frame = src.run(f"SELECT {', '.join(d.quote(c) for c in keep)} FROM {src.name}", progress=False)
        else:  # no column wanted: still the right number of rows
            n = int(src.run(f"SELECT COUNT(*) AS n FROM {src.name}", progress=False)["n"].iloc[0])
            frame = pd.DataFrame(index=pd.RangeIndex(n))
    return frame, schema


def _keep(schema: list[str], columns, also_new_beside) -> list[str]:
    if columns is None:
        keep = list(schema)
    else:
        have = set(schema)
        keep = [c for c in dict.fromkeys(str(c) for c in columns) if c in have]
    if also_new_beside is not None:
        known = {str(c) for c in also_new_beside}
        keep += [c for c in schema if c not in known and c not in keep]
    return keep


def _one_parquet_schema(files: list[str]) -> list[str] | None:
    """The column names when every file is a local Parquet file with the same schema, no hive partition keys
    and no stored pandas index (``pd.read_parquet`` would move it to the index); None otherwise."""
    import pyarrow.parquet as pq

    if any(_has_scheme(f) or not f.lower().endswith((".parquet", ".pq")) or _hive_keys(f) for f in files):
        return None
    first = None
    for f in files:
        try:
            schema = pq.read_schema(f)
        except MemoryError:
            raise
        except Exception:  # unreadable: the DuckDB route names the file and the fix
            return None
        meta = schema.pandas_metadata or {}
        if any(not isinstance(i, dict) for i in meta.get("index_columns", [])):
            return None
        schema = schema.remove_metadata()
        if first is None:
            first = schema
        elif not schema.equals(first):
            return None
    return None if first is None else list(first.names)


def _read_parquet(files: list[str], keep: list[str]) -> pd.DataFrame | None:
    """``keep`` columns of Parquet ``files`` as ``pd.read_parquet`` reads them; None if pyarrow cannot (the
    DuckDB route then reads them, or names the broken file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if len(files) == 1:
            frame = pd.read_parquet(files[0], columns=keep)
        else:
            frame = pa.concat_tables([pq.read_table(f, columns=keep) for f in files]).to_pandas()
    except MemoryError:
        raise
    except Exception:
        return None
    return frame.reset_index(drop=True) if not isinstance(frame.index, pd.RangeIndex) else frame
